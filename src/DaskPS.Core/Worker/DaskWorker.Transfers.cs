using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
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
    public sealed partial class DaskWorker
    {
        private const int KeysPerTransfer = 100;

        private readonly Dictionary<object, Fetch> _fetches = new Dictionary<object, Fetch>(MsgKeyComparer.Instance);
        private readonly Dictionary<string, Queue<object>> _peerQueues = new Dictionary<string, Queue<object>>(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _peerTransfers = new Dictionary<string, int>(StringComparer.Ordinal);
        private int _incomingTransfers;

        private void RegisterHandlers()
        {
            _server.AddHandler("get_data", GetDataAsync);
            _server.AddHandler("update_data", (_, request, _) => new ValueTask<object?>(Store(UpdateData.FromMap(request))));
            _server.AddHandler("gather", (_, request, token) => new ValueTask<object?>(GatherAsync(WorkerRequests.WhoHas(request), token)));
            _server.AddHandler("free_keys", (_, request, _) =>
            {
                Free(WorkerRequests.Keys(request));
                return new ValueTask<object?>((object?)null);
            });
            _server.AddHandler("delete_data", (_, request, _) =>
            {
                lock (_gate)
                {
                    foreach (object? key in WorkerRequests.Keys(request))
                    {
                        if (key is not null)
                        {
                            _data.Remove(key);
                        }
                    }
                }

                return new ValueTask<object?>("OK");
            });
            _server.AddHandler("ping", (_, _, _) => new ValueTask<object?>(new byte[] { (byte)'p', (byte)'o', (byte)'n', (byte)'g' }));
        }

        /// <summary>Serves values; the requester's "OK" must arrive before the connection takes another request.</summary>
        private async ValueTask<object?> GetDataAsync(DaskComm comm, MsgMap message, CancellationToken cancellationToken)
        {
            GetDataRequest request = GetDataRequest.FromMap(message);
            bool busy = Interlocked.Increment(ref _incomingTransfers) > _options.MaxIncomingTransfers && request.MayRefuse;
            try
            {
                var data = new MsgMap();
                foreach (object? key in busy ? Array.Empty<object?>() : request.Keys)
                {
                    if (key is not null && _data.Payload(key) is SerializedPayload payload)
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

        private MsgMap Store(UpdateData request)
        {
            var sizes = new Dictionary<object, long>(MsgKeyComparer.Instance);
            lock (_gate)
            {
                foreach (KeyValuePair<object, object?> entry in request.Data)
                {
                    SerializedPayload payload = entry.Value as SerializedPayload ?? DaskSerialization.ToPayload(entry.Value);
                    sizes[entry.Key] = _data.Put(entry.Key, payload);
                    Satisfied(entry.Key);
                }
            }

            if (request.Report && sizes.Count > 0)
            {
                Send(StreamMessages.AddKeys(sizes.Keys.ToArray(), request.StimulusId ?? Stimulus("update-data")));
            }

            Dispatch();
            return UpdateData.Reply(sizes);
        }

        /// <summary>The replicate path: fetch these keys from their holders now.</summary>
        private async Task<object?> GatherAsync(IReadOnlyDictionary<object, IReadOnlyList<string>> whoHas, CancellationToken cancellationToken)
        {
            var failed = new List<object?>();
            foreach (IGrouping<string, KeyValuePair<object, IReadOnlyList<string>>> group in whoHas
                .Where(e => !_data.Contains(e.Key))
                .GroupBy(e => e.Value.FirstOrDefault() ?? string.Empty))
            {
                try
                {
                    IReadOnlyDictionary<object, object?> data = (await FetchFromAsync(group.Key, group.Select(e => (object?)e.Key).ToArray(), cancellationToken).ConfigureAwait(false)).Data;
                    lock (_gate)
                    {
                        foreach (KeyValuePair<object, IReadOnlyList<string>> entry in group)
                        {
                            if (data.TryGetValue(entry.Key, out object? value) && value is SerializedPayload payload)
                            {
                                _data.Put(entry.Key, payload);
                                Satisfied(entry.Key);
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

            Dispatch();
            return WorkerRequests.GatherReply(failed);
        }

        private void DropReplicas(IReadOnlyList<object?> keys, string? stimulusId)
        {
            var kept = new List<object?>();
            lock (_gate)
            {
                foreach (object? key in keys)
                {
                    if (key is null)
                    {
                        continue;
                    }

                    if (Needed(key) || _tasks.TryGetValue(key, out WorkerTask? task) && task.State != WorkerTaskState.Finished)
                    {
                        kept.Add(key);
                    }
                    else
                    {
                        _tasks.Remove(key);
                        _data.Remove(key);
                    }
                }
            }

            if (kept.Count > 0)
            {
                // Still needed here: tell the scheduler this replica stays.
                Send(StreamMessages.AddKeys(kept, stimulusId ?? Stimulus("remove-replicas")));
            }
        }

        private void Acquire(IReadOnlyDictionary<object, IReadOnlyList<string>> whoHas)
        {
            lock (_gate)
            {
                foreach (KeyValuePair<object, IReadOnlyList<string>> entry in whoHas)
                {
                    if (!_data.Contains(entry.Key))
                    {
                        RequestFetch(entry.Key, entry.Value, forReplica: true);
                    }
                }
            }
        }

        private void OnRefreshWhoHas(IReadOnlyDictionary<object, IReadOnlyList<string>> whoHas)
        {
            lock (_gate)
            {
                foreach (KeyValuePair<object, IReadOnlyList<string>> entry in whoHas)
                {
                    if (_fetches.TryGetValue(entry.Key, out Fetch? fetch))
                    {
                        fetch.Holders = entry.Value.Where(h => h != Address).ToList();
                        fetch.Tried.Clear();
                        fetch.AwaitingHolders = false;
                        Schedule(fetch);
                    }
                }
            }
        }

        /// <summary>Starts (or widens) the fetch of one key. Caller holds the lock.</summary>
        private void RequestFetch(object key, IEnumerable<string> holders, bool forReplica)
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

            fetch = new Fetch(key, holders.Where(h => h != Address).ToList(), forReplica);
            _fetches[key] = fetch;
            Schedule(fetch);
        }

        /// <summary>Queues a fetch on a holder not tried yet, or asks the scheduler who else has it. Caller holds the lock.</summary>
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
                    Send(StreamMessages.RequestRefreshWhoHas(new object?[] { fetch.Key }, Stimulus("find-missing")));
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
                lock (_gate)
                {
                    Queue<object> queue = _peerQueues[peer];
                    while (queue.Count > 0 && batch.Count < KeysPerTransfer)
                    {
                        object key = queue.Dequeue();
                        if (_fetches.TryGetValue(key, out Fetch? fetch) && (fetch.ForReplica || Needed(key)) && !batch.Contains(key, MsgKeyComparer.Instance))
                        {
                            batch.Add(key);
                        }
                        else if (fetch is not null && !fetch.ForReplica && !Needed(key))
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
                    GetDataReply reply = await FetchFromAsync(peer, batch.Cast<object?>().ToArray(), _stopping.Token).ConfigureAwait(false);
                    busy = reply.IsBusy;
                    data = reply.Data;
                }
                catch (Exception e) when (e is DaskException || e is OperationCanceledException)
                {
                    _log.Debug($"Worker '{Name}': fetching {batch.Count} keys from {peer} failed: {e.Message}");
                }

                if (busy)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
                }

                var added = new List<object?>();
                lock (_gate)
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
                            _data.Put(key, payload);
                            added.Add(key);
                            Satisfied(key);
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
                    Send(StreamMessages.AddKeys(added, Stimulus("gather-dep-success")));
                    Dispatch();
                }
            }
        }

        private Task<GetDataReply> FetchFromAsync(string peer, object?[] keys, CancellationToken cancellationToken) =>
            DataExchange.RequestAsync(_pool, peer, new GetDataRequest(keys, Address, MayRefuse: true), cancellationToken);

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
