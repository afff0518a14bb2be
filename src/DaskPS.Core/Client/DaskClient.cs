using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using DaskPS.Client.Coordination;
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
        private readonly ClientKeys _keys;
        private readonly ValueFetcher _values;
        private readonly SchedulerCalls _scheduler;
        private readonly ClientReports _reports;
        private readonly ConnectionPool _pool;
        private readonly DaskClientOptions _options;
        private readonly DaskLogger _log;
        private SchedulerLink? _link;
        private Exception? _lost;
        private int _closed;

        private DaskClient(string schedulerAddress, DaskClientOptions options)
        {
            SchedulerAddress = schedulerAddress;
            _options = options;
            _log = options.Logger;
            _keys = new ClientKeys(this);
            _pool = new ConnectionPool(ConnectionPool.DefaultLimit, options.Comm);
            _scheduler = new SchedulerCalls(_pool, schedulerAddress);
            _values = new ValueFetcher(_pool, _scheduler, options.Logger, options.MaxValueBytes);
            Id = $"DaskPS-Client-{Guid.NewGuid():N}";
            _reports = new ClientReports(_keys, _scheduler, options, Id);
            Coordination = new ClientCoordination(this, options.Logger, options.LeaseTimeout);
        }

        public string Id { get; }

        public string SchedulerAddress { get; }

        /// <summary>The scheduler's <c>versions</c> reply (mirrored when registering, so peers see no mismatch).</summary>
        public MsgMap Versions => Link.Versions;

        public SchedulerDialect Dialect => Link.Dialect;

        /// <summary>The queues this client opened and the locks and leases it holds.</summary>
        internal ClientCoordination Coordination { get; }

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

        /// <summary>
        /// Submits <paramref name="nodes"/> and every dependency not submitted yet, in one update-graph with the
        /// submissions made just before and after (those still waiting for the stream's next batch).
        /// </summary>
        public IReadOnlyList<DaskNode> Submit(IEnumerable<DaskNode> nodes)
        {
            var roots = nodes as IReadOnlyList<DaskNode> ?? nodes.ToArray();
            ThrowIfUnusable();
            ReleaseUnreferenced();
            List<DaskNode> fresh = _keys.AddSubmitted(roots, _options.Retries);
            if (fresh.Count > 0)
            {
                Link.Send(new Submission(this, fresh));
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
            ThrowIfUnusable();
            _keys.AddHeld(nodes);

            Link.Send(StreamMessages.ClientDesiresKeys(Keys(nodes), Id));
            return nodes;
        }

        /// <summary>Completes when the key is in memory; throws the task's failure, a cancellation, or the loss of the scheduler.</summary>
        public async Task WaitAsync(DaskNode node, CancellationToken cancellationToken = default) =>
            await _keys.Done(node.Key).WithCancellation(cancellationToken).ConfigureAwait(false);

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

                string[] ready = nodes.Where(n => _keys.InMemory(n.Key)).Select(n => n.Key).Distinct().ToArray();
                try
                {
                    // The scheduler's gather is the last resort: a holder that just left makes it log an error.
                    return await _values.FetchAsync(ready, attempt == attempts, cancellationToken).ConfigureAwait(false);
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
            var data = new Dictionary<string, SerializedPayload>(StringComparer.Ordinal);
            var nodes = new List<DaskNode>();
            foreach (object? value in values)
            {
                SerializedPayload payload = DaskSerialization.ToPayload(TaskValues.ToWire(value));
                string key = NodeKeys.ForData(payload, value?.GetType().Name ?? "null");
                data[key] = payload;
                nodes.Add(DaskNode.Data(key));
            }

            ThrowIfUnusable();
            _keys.AddHeld(nodes);

            await _scheduler.ScatterAsync(data, workers, Id, broadcast, cancellationToken).ConfigureAwait(false);
            return nodes;
        }

        /// <summary>
        /// Copies keys onto more workers: <paramref name="copies"/> in all, or onto <paramref name="workers"/>. Waits for
        /// the nodes first (throwing a failure as <see cref="WaitAsync"/> does): the scheduler replicates only data in memory.
        /// </summary>
        public async Task ReplicateAsync(IEnumerable<DaskNode> nodes, int? copies = null, IReadOnlyList<string>? workers = null, CancellationToken cancellationToken = default)
        {
            DaskNode[] list = nodes.ToArray();
            foreach (DaskNode node in list)
            {
                await WaitAsync(node, cancellationToken).ConfigureAwait(false);
            }

            await _scheduler.ReplicateAsync(Keys(list), copies, workers, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Whether the scheduler's Active Memory Manager runs: it removes replicas it deems extra within seconds, so
        /// copies made by <see cref="ReplicateAsync"/> may not last. False where the scheduler has no such manager.
        /// </summary>
        public async Task<bool> IsActiveMemoryManagerRunningAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _scheduler.IsActiveMemoryManagerRunningAsync(cancellationToken).ConfigureAwait(false);
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
            if (Dialect.CancelsOnStream)
            {
                Link.Send(Dialect.CancelMessage(keys, Id, force));
            }
            else
            {
                await _scheduler.CancelAsync(keys, Id, force, cancellationToken).ConfigureAwait(false);
            }

            foreach (string key in keys.Cast<string>())
            {
                _keys.Finish(key, new DaskCancelledException(key, "cancelled by this client"));
            }
        }

        /// <summary>
        /// Cancels nodes as <see cref="CancelAsync"/> does, then asks the DaskPS workers how the runs of those that were
        /// running ended within <paramref name="grace"/>: a run that ignores its stop is stuck, or given up when
        /// <paramref name="giveUpStuck"/> (its worker frees the slot; the stuck thread is left to end on its own).
        /// </summary>
        public async Task<IReadOnlyList<DaskRunStop>> StopAsync(IEnumerable<DaskNode> nodes, bool force, bool giveUpStuck, TimeSpan grace, CancellationToken cancellationToken = default)
        {
            DaskNode[] stopped = nodes.ToArray();
            await CancelAsync(stopped, force, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DaskWorkerInfo> workers = await GetWorkersAsync(cancellationToken).ConfigureAwait(false);
            return await DaskRunStop.AskAsync(_pool, workers.Where(w => w.IsDaskPS).Select(w => w.Address), new StopRuns(Keys(stopped), giveUpStuck, grace), cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The state of a node this client follows (<see cref="DaskNodeState.Released"/> when it follows it no more).</summary>
        public DaskNodeState StateOf(DaskNode node) => _keys.NodeState(node.Key);

        /// <summary>The nodes this client follows that are still referenced, in the order they were first followed.</summary>
        public IReadOnlyList<DaskNode> Nodes => _keys.LiveNodes();

        /// <summary>Asks the scheduler which of the unfinished nodes are running now, so their <see cref="DaskNode.State"/> says so.</summary>
        public async Task RefreshStatesAsync(IEnumerable<DaskNode> nodes, CancellationToken cancellationToken = default)
        {
            object?[] pending = Keys(nodes.Where(n => n.Client == this && n.State is DaskNodeState.Pending or DaskNodeState.Processing));
            if (pending.Length > 0)
            {
                _keys.SetScheduled(await _scheduler.TaskStatusAsync(pending, cancellationToken).ConfigureAwait(false));
            }
        }

        /// <summary>
        /// Tells the scheduler this client no longer needs these keys; workers may drop them. Not needed for nodes the
        /// program drops: a key no live node refers to is released by itself (after the garbage collector finds its
        /// nodes unreferenced, with the next heartbeat or submission).
        /// </summary>
        public void Release(IEnumerable<DaskNode> nodes)
        {
            object?[] keys = Keys(nodes);
            _keys.Remove(keys.Cast<string>());

            if (keys.Length > 0 && IsConnected)
            {
                Link.Send(StreamMessages.ClientReleasesKeys(keys, Id));
            }
        }

        /// <summary>Which workers hold each key.</summary>
        public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> WhoHasAsync(IEnumerable<DaskNode> nodes, CancellationToken cancellationToken = default) =>
            _scheduler.WhoHasAsync(Keys(nodes), cancellationToken);

        /// <summary>The workers as the scheduler sees them.</summary>
        public Task<IReadOnlyList<DaskWorkerInfo>> GetWorkersAsync(CancellationToken cancellationToken = default) =>
            _scheduler.WorkersAsync(cancellationToken);

        /// <summary>Retires workers gracefully: the scheduler first moves the data only they hold, then closes them.</summary>
        public Task RetireWorkersAsync(IEnumerable<string> workers, CancellationToken cancellationToken = default) =>
            _scheduler.RetireWorkersAsync(workers, cancellationToken);

        /// <summary>Waits until the scheduler has at least <paramref name="count"/> workers.</summary>
        public Task WaitForWorkersAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default) =>
            _scheduler.WaitForWorkersAsync(count, timeout, cancellationToken);

        /// <summary>A request to the scheduler and its reply (the coordination primitives' calls).</summary>
        internal Task<object?> CallSchedulerAsync(string op, (string, object?)[] arguments, CancellationToken cancellationToken)
        {
            ThrowIfUnusable();
            return _scheduler.CallAsync(op, arguments, cancellationToken);
        }

        /// <summary>A message on this client's stream to the scheduler.</summary>
        internal void SendToScheduler(MsgMap message)
        {
            ThrowIfUnusable();
            Link.Send(message);
        }

        /// <summary>Drops everything this client computed or scattered (the scheduler tells the workers).</summary>
        public void Reset()
        {
            Release(_keys.All().Select(DaskNode.Data));
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
                if (_lost is null && _link is not null)
                {
                    await _link.CloseStreamAsync(StreamMessages.CloseClient()).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is CommClosedException || e is DaskTimeoutException)
            {
                _log.Debug($"close: {e.Message}");
            }
            finally
            {
                Coordination.Dispose();
                await _pool.DisposeAsync().ConfigureAwait(false);
                _keys.FailAll(new DaskSchedulerLostException("The client was shut down."));
                if (_link is not null)
                {
                    await _link.StopAsync().ConfigureAwait(false);
                }
            }
        }

        public ValueTask DisposeAsync() => new ValueTask(ShutdownAsync());

        private SchedulerLink Link => _link ?? throw new InvalidOperationException("The client is not connected yet.");

        private async Task StartAsync(CancellationToken cancellationToken)
        {
            (SchedulerLink link, object? reply) = await SchedulerLink.RegisterAsync(
                _pool, SchedulerAddress, _options.Comm, (_, versions) => Registration.RegisterClient(Id, versions), cancellationToken).ConfigureAwait(false);
            _link = link;
            _scheduler.Dialect = link.Dialect;
            Registration.CheckClientAccepted(reply, SchedulerAddress);
            link.Start(link.Dialect.DecodeClientMessage, OnMessage, OnLost, HeartbeatAsync, _options.HeartbeatInterval);
            _log.Info($"Connected to {SchedulerAddress} (dask.distributed {Dialect.Release}) as {Id}");
            if (Dialect.Warning is string warning)
            {
                _log.Warning(warning);
            }
        }

        private bool OnMessage(object message)
        {
            if (_reports.Apply(message) is DaskSchedulerLostException lost)
            {
                _lost = lost;
                _keys.FailAll(lost);
            }

            return true;
        }

        private void OnLost(Exception e)
        {
            if (Volatile.Read(ref _closed) == 0)
            {
                _lost = new DaskSchedulerLostException($"The connection to the scheduler at {SchedulerAddress} was lost: {e.Message}", e);
                _log.Error(_lost.Message);
                Link.Abort();
                _keys.FailAll(_lost);
            }
        }

        private Task<TimeSpan> HeartbeatAsync(TimeSpan interval, CancellationToken cancellationToken)
        {
            if (IsConnected)
            {
                Link.Send(StreamMessages.HeartbeatClient());
                ReleaseUnreferenced();
            }

            return Task.FromResult(interval);
        }

        private void ReleaseUnreferenced()
        {
            string[] keys = _keys.TakeUnreferenced();
            if (keys.Length > 0 && IsConnected)
            {
                if (_log.IsEnabled(DaskLogLevel.Debug))
                {
                    _log.Debug($"client-releases-keys: {keys.Length} keys no node refers to");
                }

                Link.Send(StreamMessages.ClientReleasesKeys(keys, Id));
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

        /// <summary>Submitted nodes waiting in the stream's batch; the submissions after them fold in until it is written.</summary>
        private sealed class Submission : FoldingMessage
        {
            private readonly DaskClient _client;
            private readonly List<DaskNode> _nodes;

            public Submission(DaskClient client, List<DaskNode> nodes)
            {
                _client = client;
                _nodes = nodes;
            }

            public override bool TryFold(FoldingMessage next)
            {
                if (next is not Submission submission || submission._client != _client)
                {
                    return false;
                }

                _nodes.AddRange(submission._nodes);
                return true;
            }

            public override IReadOnlyList<object?> Build()
            {
                // Per batch: the message is only formatted when someone reads it.
                if (_client._log.IsEnabled(DaskLogLevel.Debug))
                {
                    _client._log.Debug($"update-graph: {_nodes.Count} tasks to {_client.SchedulerAddress}");
                }

                try
                {
                    return _client.Dialect.UpdateGraphs(_client.Id, _nodes, Stimulus("update-graph"));
                }
                catch (Exception)
                {
                    // A spec that cannot be encoded (one made by hand with its own key was never encoded before) fails
                    // its own node, not the others folded in nor the stream all of this client's work shares.
                    var messages = new List<object?>();
                    foreach (DaskNode node in _nodes)
                    {
                        try
                        {
                            messages.AddRange(_client.Dialect.UpdateGraphs(_client.Id, new[] { node }, Stimulus("update-graph")));
                        }
                        catch (Exception e)
                        {
                            _client._keys.Finish(node.Key, new DaskException($"Task '{node.Key}' could not be sent to the scheduler: {e.Message}", e));
                        }
                    }

                    return messages;
                }
            }
        }

        private static string Stimulus(string what) => $"{what}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0:0.000}";
    }
}
