using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Dialects;
using DaskPS.Internal;
using DaskPS.Diagnostics;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Rpc;
using DaskPS.Tasks;

namespace DaskPS.Client
{
    /// <summary>
    /// A dask client: registers with the scheduler, submits task graphs over its batched stream, follows the
    /// scheduler's reports on each key, and moves data (gather directly from workers, scatter, replicate).
    /// If the scheduler goes away, everything pending fails with <see cref="DaskSchedulerLostException"/>.
    /// </summary>
    public sealed class DaskClient : IAsyncDisposable
    {
        private readonly object _gate = new object();
        private readonly Dictionary<string, KeyState> _keys = new Dictionary<string, KeyState>(StringComparer.Ordinal);
        private readonly ConnectionPool _pool;
        private readonly BatchedSend _stream = new BatchedSend();
        private readonly DaskClientOptions _options;
        private readonly DaskLogger _log;
        private readonly CancellationTokenSource _closing = new CancellationTokenSource();
        private DaskComm? _comm;
        private Task _readLoop = Task.CompletedTask;
        private Task _heartbeatLoop = Task.CompletedTask;
        private Exception? _lost;
        private int _closed;

        private DaskClient(string schedulerAddress, DaskClientOptions options)
        {
            SchedulerAddress = schedulerAddress;
            _options = options;
            _log = options.Logger;
            _pool = new ConnectionPool(ConnectionPool.DefaultLimit, options.Comm);
            Id = $"DaskPS-Client-{Guid.NewGuid():N}";
            Versions = new MsgMap();
            Dialect = null!;
        }

        public string Id { get; }

        public string SchedulerAddress { get; }

        /// <summary>The scheduler's <c>versions</c> reply (mirrored when registering, so peers see no mismatch).</summary>
        public MsgMap Versions { get; private set; }

        public SchedulerDialect Dialect { get; private set; }

        public bool IsConnected => Volatile.Read(ref _closed) == 0 && _lost is null;

        /// <summary>Connects and registers; fails fast when nothing listens, the peer is not a dask scheduler, or its release is unsupported.</summary>
        public static async Task<DaskClient> ConnectAsync(string address, DaskClientOptions? options = null, CancellationToken cancellationToken = default)
        {
            var client = new DaskClient(DaskAddress.Normalize(address), options ?? new DaskClientOptions());
            try
            {
                await client.StartAsync(cancellationToken).ConfigureAwait(false);
                return client;
            }
            catch
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>Submits <paramref name="nodes"/> and every dependency not submitted yet, in one update-graph.</summary>
        public IReadOnlyList<DaskNode> Submit(IEnumerable<DaskNode> nodes)
        {
            var roots = nodes as IReadOnlyList<DaskNode> ?? nodes.ToArray();
            List<DaskNode> fresh;
            lock (_gate)
            {
                ThrowIfUnusable();
                fresh = DaskNode.TopologicalOrder(roots, key => _keys.ContainsKey(key));
                foreach (DaskNode node in fresh)
                {
                    if (node.IsData)
                    {
                        throw new ArgumentException($"'{node.Key}' is a data node this client does not hold; scatter the value first.");
                    }

                    _keys[node.Key] = new KeyState(node, _options.Retries);
                }
            }

            if (fresh.Count > 0)
            {
                _log.Debug($"update-graph: {fresh.Count} tasks to {SchedulerAddress}");
                _stream.Send(Dialect.UpdateGraph(Id, fresh, Stimulus("update-graph")));
            }

            return roots;
        }

        public DaskNode Submit(DaskNode node)
        {
            Submit(new[] { node });
            return node;
        }

        /// <summary>
        /// Nodes for keys that already exist on the scheduler (e.g. published by another client); this client
        /// starts wanting them, as Python's <c>Future(key, client)</c> does.
        /// </summary>
        public IReadOnlyList<DaskNode> Adopt(IEnumerable<string> keys)
        {
            DaskNode[] nodes = keys.Select(DaskNode.Data).ToArray();
            lock (_gate)
            {
                ThrowIfUnusable();
                foreach (DaskNode node in nodes)
                {
                    if (!_keys.ContainsKey(node.Key))
                    {
                        _keys[node.Key] = new KeyState(node, 0);
                    }
                }
            }

            _stream.Send(new MsgMap().With("op", "client-desires-keys").With("keys", Keys(nodes)).With("client", Id));
            return nodes;
        }

        /// <summary>Completes when the key is in memory; throws the task's failure, a cancellation, or the loss of the scheduler.</summary>
        public async Task WaitAsync(DaskNode node, CancellationToken cancellationToken = default) =>
            await StateOf(node.Key).Done.Task.WithCancellation(cancellationToken).ConfigureAwait(false);

        /// <summary>The node's result (waiting for it first).</summary>
        public async Task<object?> ResultAsync(DaskNode node, CancellationToken cancellationToken = default) =>
            (await GatherAsync(new[] { node }, cancellationToken).ConfigureAwait(false))[0];

        /// <summary>Waits for every node, then fetches their values, in input order; throws the first failure.</summary>
        public async Task<IReadOnlyList<object?>> GatherAsync(IEnumerable<DaskNode> nodes, CancellationToken cancellationToken = default)
        {
            DaskNode[] list = nodes.ToArray();
            IReadOnlyDictionary<string, object?> values = await WaitAndFetchAsync(list, node => WaitAsync(node, cancellationToken), cancellationToken).ConfigureAwait(false);
            return list.Select(n => values[n.Key]).ToArray();
        }

        /// <summary>Each node's value or failure, in input order; failures do not stop the others.</summary>
        public async Task<IReadOnlyList<DaskOutcome>> GatherOutcomesAsync(IEnumerable<DaskNode> nodes, CancellationToken cancellationToken = default)
        {
            DaskNode[] list = nodes.ToArray();
            var errors = new Dictionary<string, Exception>(StringComparer.Ordinal);
            IReadOnlyDictionary<string, object?> values = await WaitAndFetchAsync(list, async node =>
            {
                try
                {
                    await WaitAsync(node, cancellationToken).ConfigureAwait(false);
                }
                catch (DaskException e)
                {
                    errors[node.Key] = e;
                }
            }, cancellationToken).ConfigureAwait(false);
            return list.Select(n => errors.TryGetValue(n.Key, out Exception? error)
                ? new DaskOutcome(n, null, error)
                : new DaskOutcome(n, values[n.Key], null)).ToArray();
        }

        /// <summary>
        /// Waits for the nodes, then fetches the values of those in memory. A value lost between the two (its holder
        /// died; the scheduler recomputes it) is waited for again, a few times at most.
        /// </summary>
        private async Task<IReadOnlyDictionary<string, object?>> WaitAndFetchAsync(DaskNode[] nodes, Func<DaskNode, Task> wait, CancellationToken cancellationToken)
        {
            const int attempts = 5;
            for (int attempt = 1; ; attempt++)
            {
                foreach (DaskNode node in nodes)
                {
                    await wait(node).ConfigureAwait(false);
                }

                string[] ready = nodes.Where(n => StateOf(n.Key).Done.Task.Status == TaskStatus.RanToCompletion).Select(n => n.Key).Distinct().ToArray();
                try
                {
                    // The scheduler's gather is the last resort: a holder that just left makes it log an error.
                    return await FetchAsync(ready, attempt == attempts, cancellationToken).ConfigureAwait(false);
                }
                catch (KeysUnavailableException e) when (attempt < attempts)
                {
                    _log.Info($"{e.Message}; waiting for them again (attempt {attempt} of {attempts})");
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>Yields nodes as they finish (in memory, failed or cancelled), whatever the input order.</summary>
        public async IAsyncEnumerable<DaskNode> AsCompleted(IEnumerable<DaskNode> nodes, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var finished = Channel.CreateUnbounded<DaskNode>();
            DaskNode[] list = nodes.ToArray();
            foreach (DaskNode node in list)
            {
                _ = WaitAsync(node, cancellationToken).ContinueWith(_ => finished.Writer.TryWrite(node), TaskScheduler.Default);
            }

            for (int i = 0; i < list.Length; i++)
            {
                yield return await finished.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Places values on the cluster (on chosen workers, or on all with broadcast) and returns their nodes.</summary>
        public async Task<IReadOnlyList<DaskNode>> ScatterAsync(IEnumerable<object?> values, IReadOnlyList<string>? workers = null, bool broadcast = false, CancellationToken cancellationToken = default)
        {
            var data = new MsgMap();
            var nodes = new List<DaskNode>();
            foreach (object? value in values)
            {
                SerializedPayload payload = DaskSerialization.ToPayload(TaskValues.ToWire(value));
                string key = NodeKeys.ForData(payload.Frames[0].ToArray(), value?.GetType().Name ?? "null");
                data[key] = payload;
                nodes.Add(DaskNode.Data(key));
            }

            lock (_gate)
            {
                ThrowIfUnusable();
                foreach (DaskNode node in nodes)
                {
                    if (!_keys.ContainsKey(node.Key))
                    {
                        _keys[node.Key] = new KeyState(node, 0);
                    }
                }
            }

            object? reply = await Scheduler.CallAsync("scatter", new (string, object?)[]
            {
                ("data", data), ("workers", workers?.Cast<object?>().ToArray()), ("client", Id), ("broadcast", broadcast), ("timeout", 20L),
            }, cancellationToken).ConfigureAwait(false);
            if (reply is not object?[])
            {
                throw new DaskException($"The scheduler refused the scatter: {Describe(reply)}");
            }

            return nodes;
        }

        /// <summary>Copies keys onto more workers: <paramref name="copies"/> in all, or onto <paramref name="workers"/>.</summary>
        public Task ReplicateAsync(IEnumerable<DaskNode> nodes, int? copies = null, IReadOnlyList<string>? workers = null, CancellationToken cancellationToken = default) =>
            Scheduler.CallAsync("replicate", new (string, object?)[]
            {
                ("keys", Keys(nodes)), ("n", copies is int n ? (object)(long)n : null), ("workers", workers?.Cast<object?>().ToArray()), ("branching_factor", 2L),
            }, cancellationToken);

        /// <summary>
        /// Whether the scheduler's Active Memory Manager runs: it removes replicas it deems extra within seconds, so
        /// copies made by <see cref="ReplicateAsync"/> may not last. False where the scheduler has no such manager.
        /// </summary>
        public async Task<bool> IsActiveMemoryManagerRunningAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await Scheduler.CallAsync("amm_handler", new (string, object?)[] { ("method", "running") }, cancellationToken).ConfigureAwait(false) is true;
            }
            catch (DaskRemoteException)
            {
                return false;
            }
        }

        /// <summary>Stops nodes from running and forgets their results; <paramref name="force"/> cancels them for every client.</summary>
        public async Task CancelAsync(IEnumerable<DaskNode> nodes, bool force = false, CancellationToken cancellationToken = default)
        {
            object?[] keys = Keys(nodes);
            await Scheduler.CallAsync("cancel", new (string, object?)[] { ("keys", keys), ("client", Id), ("force", force) }, cancellationToken).ConfigureAwait(false);
            foreach (string key in keys.Cast<string>())
            {
                Finish(key, new DaskCancelledException(key, "cancelled by this client"));
            }
        }

        /// <summary>Tells the scheduler this client no longer needs these keys; workers may drop them.</summary>
        public void Release(IEnumerable<DaskNode> nodes)
        {
            object?[] keys = Keys(nodes);
            lock (_gate)
            {
                foreach (string key in keys.Cast<string>())
                {
                    _keys.Remove(key);
                }
            }

            if (keys.Length > 0 && IsConnected)
            {
                _stream.Send(new MsgMap().With("op", "client-releases-keys").With("keys", keys).With("client", Id));
            }
        }

        /// <summary>Which workers hold each key.</summary>
        public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> WhoHasAsync(IEnumerable<DaskNode> nodes, CancellationToken cancellationToken = default)
        {
            object? reply = await Scheduler.CallAsync("who_has", new (string, object?)[] { ("keys", Keys(nodes)) }, cancellationToken).ConfigureAwait(false);
            var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (reply is MsgMap map)
            {
                foreach (KeyValuePair<object, object?> entry in map)
                {
                    result[(string)entry.Key] = (entry.Value as object?[] ?? Array.Empty<object?>()).OfType<string>().ToArray();
                }
            }

            return result;
        }

        /// <summary>The workers as the scheduler sees them.</summary>
        public async Task<IReadOnlyList<DaskWorkerInfo>> GetWorkersAsync(CancellationToken cancellationToken = default)
        {
            var identity = (MsgMap)(await Scheduler.CallAsync("identity", Array.Empty<(string, object?)>(), cancellationToken).ConfigureAwait(false))!;
            var hasWhat = await Scheduler.CallAsync("has_what", Array.Empty<(string, object?)>(), cancellationToken).ConfigureAwait(false) as MsgMap;
            var workers = new List<DaskWorkerInfo>();
            foreach (KeyValuePair<object, object?> entry in identity.Get("workers") as MsgMap ?? new MsgMap())
            {
                var info = entry.Value as MsgMap ?? new MsgMap();
                var held = (hasWhat?.Get((string)entry.Key) as object?[] ?? Array.Empty<object?>()).Select(k => k?.ToString() ?? string.Empty).ToArray();
                workers.Add(DaskWorkerInfo.From((string)entry.Key, info, held));
            }

            return workers;
        }

        /// <summary>Retires workers gracefully: the scheduler first moves the data only they hold, then closes them.</summary>
        public Task RetireWorkersAsync(IEnumerable<string> workers, CancellationToken cancellationToken = default) =>
            Scheduler.CallAsync("retire_workers", new (string, object?)[]
            {
                ("workers", workers.Cast<object?>().ToArray()), ("close_workers", true), ("remove", true),
            }, cancellationToken);

        /// <summary>Waits until the scheduler has at least <paramref name="count"/> workers.</summary>
        public async Task WaitForWorkersAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            int seen = 0;
            while (DateTime.UtcNow < deadline)
            {
                var identity = (MsgMap)(await Scheduler.CallAsync("identity", Array.Empty<(string, object?)>(), cancellationToken).ConfigureAwait(false))!;
                seen = (identity.Get("workers") as MsgMap)?.Count ?? 0;
                if (seen >= count)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            }

            throw new DaskTimeoutException($"The scheduler at {SchedulerAddress} has {seen} of the {count} workers asked for after {timeout.TotalSeconds:0.#} s.");
        }

        /// <summary>Drops everything this client computed or scattered (the scheduler tells the workers).</summary>
        public void Reset()
        {
            string[] keys;
            lock (_gate)
            {
                keys = _keys.Keys.ToArray();
            }

            Release(keys.Select(DaskNode.Data));
        }

        /// <summary>Unregisters: the scheduler forgets this client's work. Other clients' work is untouched.</summary>
        public async Task ShutdownAsync()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            try
            {
                if (_lost is null && _comm is not null)
                {
                    _stream.Send(new MsgMap().With("op", "close-client"));
                    _stream.Send(new MsgMap().With("op", "close-stream"));
                    await _stream.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is CommClosedException || e is DaskTimeoutException)
            {
                _log.Debug($"close: {e.Message}");
            }
            finally
            {
                _closing.Cancel();
                _stream.Abort();
                await _pool.DisposeAsync().ConfigureAwait(false);
                FailAll(new DaskSchedulerLostException("The client was shut down."));
                await Task.WhenAll(_readLoop.ContinueWith(_ => { }, TaskScheduler.Default), _heartbeatLoop.ContinueWith(_ => { }, TaskScheduler.Default)).ConfigureAwait(false);
            }
        }

        public ValueTask DisposeAsync() => new ValueTask(ShutdownAsync());

        private DaskRpc Scheduler => _pool[SchedulerAddress];

        private async Task StartAsync(CancellationToken cancellationToken)
        {
            object? versions = await Scheduler.CallAsync("versions", Array.Empty<(string, object?)>(), cancellationToken).ConfigureAwait(false);
            Versions = versions as MsgMap ?? throw new DaskProtocolException($"{SchedulerAddress} answered 'versions' with {Describe(versions)}; is it a dask scheduler?");
            Dialect = SchedulerDialect.ForVersions(Versions);

            _comm = await Transports.ConnectAsync(SchedulerAddress, _options.Comm, cancellationToken).ConfigureAwait(false);
            await _comm.WriteAsync(new MsgMap()
                .With("op", "register-client")
                .With("client", Id)
                .With("reply", false)
                .With("versions", Versions), cancellationToken).ConfigureAwait(false);
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.Comm.ConnectTimeout);
                object? first = await _comm.ReadAsync(timeout.Token).ConfigureAwait(false);
                MsgMap? start = (first as object?[])?.OfType<MsgMap>().FirstOrDefault(m => m.Get("op") is "stream-start");
                if (start is null)
                {
                    throw new DaskProtocolException($"{SchedulerAddress} did not answer register-client with stream-start (got {Describe(first)}).");
                }

                if (start.Get("error") is string error && error.Length > 0)
                {
                    throw new DaskException($"The scheduler refused this client: {error}");
                }
            }

            _stream.Start(_comm);
            _readLoop = Task.Run(ReadLoopAsync);
            _heartbeatLoop = Task.Run(HeartbeatLoopAsync);
            _log.Info($"Connected to {SchedulerAddress} (dask.distributed {Dialect.Name}) as {Id}");
        }

        private async Task ReadLoopAsync()
        {
            try
            {
                while (true)
                {
                    object? batch = await _comm!.ReadAsync(_closing.Token).ConfigureAwait(false);
                    foreach (object? message in batch as object?[] ?? new[] { batch })
                    {
                        if (message is MsgMap map)
                        {
                            Handle(map);
                        }
                    }
                }
            }
            catch (Exception e) when (!(e is OperationCanceledException && _closing.IsCancellationRequested))
            {
                if (Volatile.Read(ref _closed) == 0)
                {
                    _lost = new DaskSchedulerLostException($"The connection to the scheduler at {SchedulerAddress} was lost: {e.Message}", e);
                    _log.Error(_lost.Message);
                    _stream.Abort();
                    FailAll(_lost);
                }
            }
            catch (OperationCanceledException)
            {
                // Shut down by this client.
            }
        }

        private void Handle(MsgMap message)
        {
            string? key = message.Get("key") as string;
            switch (message.Get("op") as string)
            {
                case "key-in-memory" when key is not null:
                    Finish(key, null);
                    break;
                case "task-erred" when key is not null:
                    OnTaskErred(key, message);
                    break;
                case "cancelled-key" when key is not null:
                    Finish(key, new DaskCancelledException(key, "the scheduler cancelled it"));
                    break;
                case "lost-data" when key is not null:
                case "task-retried" when key is not null:
                    Reopen(key);
                    break;
                case "restart":
                    FailAll(new DaskCancelledException("*", "the scheduler restarted"));
                    break;
                case "stream-closed":
                    _lost = new DaskSchedulerLostException($"The scheduler at {SchedulerAddress} closed this client's stream.");
                    FailAll(_lost);
                    break;
                case "error":
                    _log.Error($"scheduler error: {message.Get("message") ?? Describe(message)}");
                    break;
            }
        }

        private void OnTaskErred(string key, MsgMap message)
        {
            DaskTaskException error = RemoteTaskErrors.Decode(key, message.Get("exception"), message.Get("traceback"));
            bool retry = false;
            lock (_gate)
            {
                if (!_keys.TryGetValue(key, out KeyState? state))
                {
                    return;
                }

                // A failure that came from a dependency names the dependency that failed first.
                DaskTaskException? root = FailedDependency(state.Node);
                if (root is not null)
                {
                    error = new DaskDependencyException(key, root);
                }
                else if (state.ClientRetriesLeft > 0 && (_options.RetryOn?.Invoke(error) ?? true))
                {
                    state.ClientRetriesLeft--;
                    retry = true;
                }
            }

            if (retry)
            {
                _log.Info($"Retrying '{key}' after: {error.RemoteMessage}");
                _ = RetryAsync(key, error);
                return;
            }

            Finish(key, error);
        }

        private async Task RetryAsync(string key, DaskTaskException error)
        {
            try
            {
                await Scheduler.CallAsync("retry", new (string, object?)[] { ("keys", new object?[] { key }), ("client", Id) }).ConfigureAwait(false);
            }
            catch (DaskException)
            {
                Finish(key, error);
            }
        }

        /// <summary>The root failure among a node's (transitive) dependencies, if one failed. Caller holds the lock.</summary>
        private DaskTaskException? FailedDependency(DaskNode node)
        {
            // Breadth-first with a visited set: shared dependencies are looked at once, long chains need no stack.
            var visited = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Queue<DaskNode>(node.Dependencies);
            while (pending.Count > 0)
            {
                DaskNode dependency = pending.Dequeue();
                if (!visited.Add(dependency.Key))
                {
                    continue;
                }

                if (_keys.TryGetValue(dependency.Key, out KeyState? state) && state.Done.Task.IsFaulted)
                {
                    Exception? failure = state.Done.Task.Exception!.InnerException;
                    if (failure is DaskDependencyException nested)
                    {
                        return nested.Root;
                    }

                    if (failure is DaskTaskException root)
                    {
                        return root;
                    }
                }

                foreach (DaskNode next in dependency.Dependencies)
                {
                    pending.Enqueue(next);
                }
            }

            return null;
        }

        private void Finish(string key, Exception? error)
        {
            KeyState? state;
            lock (_gate)
            {
                _keys.TryGetValue(key, out state);
            }

            if (state is null)
            {
                return;
            }

            if (error is null)
            {
                state.Done.TrySetResult(true);
            }
            else
            {
                state.Done.TrySetException(error);
            }
        }

        private void Reopen(string key)
        {
            lock (_gate)
            {
                if (_keys.TryGetValue(key, out KeyState? state) && state.Done.Task.IsCompleted)
                {
                    state.Done = NewCompletion();
                }
            }
        }

        private void FailAll(Exception error)
        {
            KeyState[] states;
            lock (_gate)
            {
                states = _keys.Values.ToArray();
            }

            foreach (KeyState state in states)
            {
                state.Done.TrySetException(error);
            }
        }

        private KeyState StateOf(string key)
        {
            lock (_gate)
            {
                if (_keys.TryGetValue(key, out KeyState? state))
                {
                    return state;
                }
            }

            throw new ArgumentException($"'{key}' was not submitted or scattered by this client (or was released).");
        }

        /// <summary>Values of keys in memory: straight from the holding workers, the scheduler's gather for the rest.</summary>
        private async Task<IReadOnlyDictionary<string, object?>> FetchAsync(IReadOnlyList<string> keys, bool viaScheduler, CancellationToken cancellationToken)
        {
            var payloads = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (keys.Count == 0)
            {
                return payloads;
            }

            IReadOnlyDictionary<string, IReadOnlyList<string>> whoHas = await WhoHasAsync(keys.Select(DaskNode.Data), cancellationToken).ConfigureAwait(false);
            var byWorker = keys.Where(k => whoHas.TryGetValue(k, out var holders) && holders.Count > 0)
                .GroupBy(k => whoHas[k][0], StringComparer.Ordinal);
            await Task.WhenAll(byWorker.Select(async group =>
            {
                try
                {
                    var request = new GetDataRequest(group.ToArray<object?>(), who: null, mayRefuse: false);
                    GetDataReply reply = await DataExchange.RequestAsync(_pool, group.Key, request, cancellationToken).ConfigureAwait(false);
                    lock (payloads)
                    {
                        foreach (KeyValuePair<object, object?> entry in reply.Data)
                        {
                            payloads[(string)entry.Key] = entry.Value;
                        }
                    }
                }
                catch (DaskException e)
                {
                    _log.Debug($"direct gather from {group.Key} failed ({e.Message}); asking the scheduler");
                }
            })).ConfigureAwait(false);

            string[] missing = keys.Where(k => !payloads.ContainsKey(k)).ToArray();
            string[] unheld = missing.Where(k => !whoHas.TryGetValue(k, out var holders) || holders.Count == 0).ToArray();
            if (unheld.Length > 0)
            {
                // Nobody holds them (a holder left): the scheduler's gather could not either, and logs an error for trying.
                throw new KeysUnavailableException($"No worker holds {string.Join(", ", unheld)} any more");
            }

            if (missing.Length > 0 && !viaScheduler)
            {
                throw new KeysUnavailableException($"The holders of {string.Join(", ", missing)} did not hand them over");
            }

            if (missing.Length > 0)
            {
                var reply = await Scheduler.CallAsync("gather", new (string, object?)[] { ("keys", missing.Cast<object?>().ToArray()), ("serializers", GetDataRequest.Serializers) }, cancellationToken).ConfigureAwait(false) as MsgMap;
                if (reply?.Get("status") is not "OK" || reply.Get("data") is not MsgMap data)
                {
                    throw new KeysUnavailableException($"The scheduler could not gather {string.Join(", ", missing)}: {Describe(reply)}");
                }

                foreach (KeyValuePair<object, object?> entry in data)
                {
                    payloads[(string)entry.Key] = entry.Value;
                }
            }

            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (string key in keys)
            {
                if (!payloads.TryGetValue(key, out object? payload))
                {
                    throw new KeysUnavailableException($"No worker returned the value of '{key}'.");
                }

                values[key] = TaskValues.FromWire(payload is SerializedPayload serialized ? DaskSerialization.FromPayload(serialized, _options.MaxValueBytes) : payload);
            }

            return values;
        }

        private async Task HeartbeatLoopAsync()
        {
            try
            {
                while (!_closing.IsCancellationRequested)
                {
                    await Task.Delay(_options.HeartbeatInterval, _closing.Token).ConfigureAwait(false);
                    if (IsConnected)
                    {
                        _stream.Send(new MsgMap().With("op", "heartbeat-client"));
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException || e is CommClosedException)
            {
                // Closing, or the stream is gone (the read loop reports that).
            }
        }

        private void ThrowIfUnusable()
        {
            if (_lost is not null)
            {
                throw _lost;
            }

            if (Volatile.Read(ref _closed) != 0)
            {
                throw new ObjectDisposedException(nameof(DaskClient), "The client was shut down.");
            }
        }

        private static object?[] Keys(IEnumerable<DaskNode> nodes) => nodes.Select(n => (object?)n.Key).Distinct().ToArray();

        private static string Stimulus(string what) => $"{what}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0:0.000}";

        private static string Describe(object? value) => value switch
        {
            null => "nothing",
            MsgMap map => "{" + string.Join(", ", map.Take(4).Select(e => $"{e.Key}: {Short(e.Value)}")) + (map.Count > 4 ? ", …" : string.Empty) + "}",
            _ => Short(value),
        };

        private static string Short(object? value)
        {
            string text = value switch { null => "nil", object?[] a => $"[{a.Length} items]", _ => value.ToString() ?? string.Empty };
            return text.Length > 120 ? text.Substring(0, 120) + "…" : text;
        }

        private static TaskCompletionSource<bool> NewCompletion() => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        private sealed class KeyState
        {
            public KeyState(DaskNode node, int retries)
            {
                Node = node;
                ClientRetriesLeft = retries;
            }

            public DaskNode Node { get; }

            public int ClientRetriesLeft { get; set; }

            public TaskCompletionSource<bool> Done { get; set; } = NewCompletion();
        }
    }

    /// <summary>Values that were in memory are not (any more): their holders are gone.</summary>
    public sealed class KeysUnavailableException : DaskException
    {
        public KeysUnavailableException(string message) : base(message) { }
    }

    /// <summary>One node's result or failure.</summary>
    public sealed class DaskOutcome
    {
        public DaskOutcome(DaskNode node, object? value, Exception? error)
        {
            Node = node;
            Value = value;
            Error = error;
        }

        public DaskNode Node { get; }

        public object? Value { get; }

        public Exception? Error { get; }

        public bool Succeeded => Error is null;
    }
}
