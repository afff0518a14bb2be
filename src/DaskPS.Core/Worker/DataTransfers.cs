using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Diagnostics;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Rpc;

namespace DaskPS.Worker
{
    /// <summary>
    /// Moving data: fetching dependencies from peers (batched per peer, a few transfers per peer at a time,
    /// asking the scheduler for new holders when they are gone) and serving get_data, update_data and gather.
    /// </summary>
    internal sealed class DataTransfers
    {
        private const int KeysPerTransfer = 100;

        private readonly DaskWorker _worker;
        private readonly WorkerTaskTable _table;
        private readonly ConnectionPool _pool;
        private readonly DaskWorkerOptions _options;
        private readonly DaskLogger _log;
        private readonly CancellationToken _stopping;
        private readonly Dictionary<object, Fetch> _fetches = new Dictionary<object, Fetch>(MsgKeyComparer.Instance);
        private readonly Dictionary<string, Queue<object>> _peerQueues = new Dictionary<string, Queue<object>>(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _peerTransfers = new Dictionary<string, int>(StringComparer.Ordinal);
        private int _incomingTransfers;

        public DataTransfers(DaskWorker worker, WorkerTaskTable table, ConnectionPool pool, DaskWorkerOptions options, CancellationToken stopping)
        {
            _worker = worker;
            _table = table;
            _pool = pool;
            _options = options;
            _log = options.Logger;
            _stopping = stopping;
        }

        /// <summary>Serves values; the requester's "OK" must arrive before the connection takes another request.</summary>
        public async ValueTask<object?> GetDataAsync(DaskComm comm, MsgMap message, CancellationToken cancellationToken)
        {
            GetDataRequest request = GetDataRequest.FromMap(message);
            bool busy = Interlocked.Increment(ref _incomingTransfers) > _options.MaxIncomingTransfers && request.MayRefuse;
            try
            {
                var data = new Dictionary<object, object?>();
                foreach (object? key in busy ? Array.Empty<object?>() : request.Keys)
                {
                    if (key is not null && _table.Data.Payload(key) is SerializedPayload payload)
                    {
                        data[key] = payload;
                    }
                }

                await DataExchange.ServeAsync(comm, busy ? GetDataReply.Busy : new GetDataReply(data), _options.Comm.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
                return DaskServer.AlreadyReplied;
            }
            finally
            {
                Interlocked.Decrement(ref _incomingTransfers);
            }
        }

        public MsgMap Store(UpdateData request)
        {
            var sizes = new Dictionary<object, long>(MsgKeyComparer.Instance);
            lock (_table.Gate)
            {
                foreach (KeyValuePair<object, object?> entry in request.Data)
                {
                    SerializedPayload payload = entry.Value as SerializedPayload ?? DaskSerialization.ToPayload(entry.Value);
                    sizes[entry.Key] = _table.Receive(entry.Key, payload);
                }
            }

            if (request.Report && sizes.Count > 0)
            {
                _worker.Send(StreamMessages.AddKeys(sizes.Keys.ToArray(), request.StimulusId ?? WorkerClock.Stimulus("update-data")));
            }

            _worker.Dispatch();
            return UpdateData.Reply(sizes);
        }

        /// <summary>The replicate path: fetch these keys from their holders now.</summary>
        public async Task<object?> GatherAsync(IReadOnlyDictionary<object, IReadOnlyList<string>> whoHas, CancellationToken cancellationToken)
        {
            var failed = new List<object?>();
            foreach (IGrouping<string, KeyValuePair<object, IReadOnlyList<string>>> group in whoHas
                .Where(e => !_table.Data.Contains(e.Key))
                .GroupBy(e => e.Value.FirstOrDefault() ?? string.Empty))
            {
                try
                {
                    IReadOnlyDictionary<object, object?> data = (await FetchFromAsync(group.Key, group.Select(e => (object?)e.Key).ToArray(), cancellationToken).ConfigureAwait(false)).Data;
                    lock (_table.Gate)
                    {
                        foreach (KeyValuePair<object, IReadOnlyList<string>> entry in group)
                        {
                            if (data.TryGetValue(entry.Key, out object? value) && value is SerializedPayload payload)
                            {
                                _table.Receive(entry.Key, payload);
                            }
                            else
                            {
                                failed.Add(entry.Key);
                            }
                        }
                    }
                }
                catch (DaskException)
                {
                    failed.AddRange(group.Select(entry => (object?)entry.Key));
                }
            }

            _worker.Dispatch();
            return WorkerRequests.GatherReply(failed);
        }

        public void DropReplicas(IReadOnlyList<object?> keys, string? stimulusId)
        {
            var kept = new List<object?>();
            lock (_table.Gate)
            {
                foreach (object? key in keys)
                {
                    if (key is null)
                    {
                        continue;
                    }

                    if (_table.Needed(key) || _table.TryGet(key, out WorkerTask task) && task.State != WorkerTaskState.Finished)
                    {
                        kept.Add(key);
                    }
                    else
                    {
                        _table.Remove(key);
                        _table.Data.Remove(key);
                    }
                }
            }

            if (kept.Count > 0)
            {
                // Still needed here: tell the scheduler this replica stays.
                _worker.Send(StreamMessages.AddKeys(kept, stimulusId ?? WorkerClock.Stimulus("remove-replicas")));
            }
        }

        public void Acquire(IReadOnlyDictionary<object, IReadOnlyList<string>> whoHas)
        {
            lock (_table.Gate)
            {
                foreach (KeyValuePair<object, IReadOnlyList<string>> entry in whoHas)
                {
                    if (!_table.Data.Contains(entry.Key))
                    {
                        RequestFetch(entry.Key, entry.Value, forReplica: true);
                    }
                }
            }
        }

        public void OnRefreshWhoHas(IReadOnlyDictionary<object, IReadOnlyList<string>> whoHas)
        {
            lock (_table.Gate)
            {
                foreach (KeyValuePair<object, IReadOnlyList<string>> entry in whoHas)
                {
                    if (_fetches.TryGetValue(entry.Key, out Fetch? fetch))
                    {
                        fetch.Holders = entry.Value.Where(h => h != _worker.Address).ToList();
                        fetch.Tried.Clear();
                        fetch.AwaitingHolders = false;
                        Schedule(fetch);
                    }
                }
            }
        }

        /// <summary>Starts (or widens) the fetch of one key. Caller holds the table's gate.</summary>
        public void RequestFetch(object key, IEnumerable<string> holders, bool forReplica)
        {
            if (_fetches.TryGetValue(key, out Fetch? fetch))
            {
                fetch.ForReplica |= forReplica;
                foreach (string holder in holders.Where(h => !fetch.Holders.Contains(h)))
                {
                    fetch.Holders.Add(holder);
                }

                return;
            }

            fetch = new Fetch(key, holders.Where(h => h != _worker.Address).ToList(), forReplica);
            _fetches[key] = fetch;
            Schedule(fetch);
        }

        /// <summary>Queues a fetch on a holder not tried yet, or asks the scheduler who else has it. Caller holds the gate.</summary>
        private void Schedule(Fetch fetch)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            string? holder = fetch.Holders.FirstOrDefault(h => !fetch.Tried.Contains(h));
            if (holder is null)
            {
                if (!fetch.AwaitingHolders)
                {
                    fetch.AwaitingHolders = true;
                    _worker.Send(StreamMessages.RequestRefreshWhoHas(new object?[] { fetch.Key }, WorkerClock.Stimulus("find-missing")));
                }

                return;
            }

            if (!_peerQueues.TryGetValue(holder, out Queue<object>? queue))
            {
                _peerQueues[holder] = queue = new Queue<object>();
            }

            queue.Enqueue(fetch.Key);
            _peerTransfers.TryGetValue(holder, out int running);
            if (running < _options.TransfersPerPeer)
            {
                _peerTransfers[holder] = running + 1;
                _ = Task.Run(() => PumpAsync(holder));
            }
        }

        /// <summary>Drains one peer's queue in batches until it is empty.</summary>
        private async Task PumpAsync(string peer)
        {
            while (true)
            {
                var batch = new List<object>();
                lock (_table.Gate)
                {
                    Queue<object> queue = _peerQueues[peer];
                    while (queue.Count > 0 && batch.Count < KeysPerTransfer)
                    {
                        object key = queue.Dequeue();
                        if (_fetches.TryGetValue(key, out Fetch? fetch) && (fetch.ForReplica || _table.Needed(key)) && !batch.Contains(key, MsgKeyComparer.Instance))
                        {
                            batch.Add(key);
                        }
                        else if (fetch is not null && !fetch.ForReplica && !_table.Needed(key))
                        {
                            _fetches.Remove(key);
                        }
                    }

                    if (batch.Count == 0 || _stopping.IsCancellationRequested)
                    {
                        _peerTransfers[peer]--;
                        return;
                    }
                }

                IReadOnlyDictionary<object, object?>? data = null;
                bool busy = false;
                try
                {
                    GetDataReply reply = await FetchFromAsync(peer, batch.Cast<object?>().ToArray(), _stopping).ConfigureAwait(false);
                    busy = reply.IsBusy;
                    data = reply.Data;
                }
                catch (Exception e) when (e is DaskException || e is OperationCanceledException)
                {
                    _log.Debug($"Worker '{_worker.Name}': fetching {batch.Count} keys from {peer} failed: {e.Message}");
                }

                if (busy)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
                }

                var added = new List<object?>();
                lock (_table.Gate)
                {
                    foreach (object key in batch)
                    {
                        if (!_fetches.TryGetValue(key, out Fetch? fetch))
                        {
                            continue;
                        }

                        if (data is not null && data.TryGetValue(key, out object? value) && value is SerializedPayload payload)
                        {
                            _fetches.Remove(key);
                            _table.Receive(key, payload);
                            added.Add(key);
                        }
                        else
                        {
                            if (!busy)
                            {
                                fetch.Tried.Add(peer);
                            }

                            Schedule(fetch);
                        }
                    }
                }

                if (added.Count > 0)
                {
                    // The scheduler now knows this worker holds a replica too.
                    _worker.Send(StreamMessages.AddKeys(added, WorkerClock.Stimulus("gather-dep-success")));
                    _worker.Dispatch();
                }
            }
        }

        private Task<GetDataReply> FetchFromAsync(string peer, object?[] keys, CancellationToken cancellationToken) =>
            DataExchange.RequestAsync(_pool, peer, new GetDataRequest(keys, _worker.Address, MayRefuse: true), cancellationToken);

        private sealed class Fetch
        {
            public Fetch(object key, List<string> holders, bool forReplica)
            {
                Key = key;
                Holders = holders;
                ForReplica = forReplica;
            }

            public object Key { get; }

            public List<string> Holders { get; set; }

            public HashSet<string> Tried { get; } = new HashSet<string>(StringComparer.Ordinal);

            /// <summary>Kept even when no task here needs it (acquire-replicas).</summary>
            public bool ForReplica { get; set; }

            public bool AwaitingHolders { get; set; }
        }
    }
}
