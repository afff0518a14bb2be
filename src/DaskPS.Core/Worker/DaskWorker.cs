using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Dialects;
using DaskPS.Diagnostics;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Rpc;
using DaskPS.Tasks;

namespace DaskPS.Worker
{
    /// <summary>
    /// A dask worker: registers with the scheduler, runs DaskPS tasks in a bounded number of slots, fetches
    /// dependencies from peers, serves its data to peers and clients, and answers the scheduler truthfully
    /// (a task freed or stolen is never reported). A worker that loses its scheduler drops its tasks and data (the
    /// scheduler has given them up) and registers again as soon as it can, for up to its death timeout. Stopping
    /// releases every socket and background task.
    /// </summary>
    public sealed class DaskWorker : IAsyncDisposable
    {
        private readonly DaskWorkerOptions _options;
        private readonly DaskLogger _log;
        private readonly Dictionary<string, ITaskRuntime> _runtimes = new Dictionary<string, ITaskRuntime>(StringComparer.Ordinal);
        private readonly DaskServer _server;
        private readonly ConnectionPool _pool;
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private readonly TaskCompletionSource<bool> _completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string _serverId = $"DaskPS-Worker-{Guid.NewGuid():N}";
        private readonly WorkerTaskTable _table = new WorkerTaskTable();
        private readonly DataTransfers _transfers;
        private readonly TaskExecution _execution;
        private readonly SemaphoreSlim _taskClientGate = new SemaphoreSlim(1, 1);
        private SchedulerLink? _link;
        private DaskPS.Client.DaskClient? _taskClient;
        private int _stopped;

        public DaskWorker(DaskWorkerOptions options)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            if (options.Slots < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(options), options.Slots, "A worker needs at least one slot.");
            }

            _log = options.Logger;
            foreach (ITaskRuntime runtime in options.Runtimes)
            {
                _runtimes[runtime.Name] = runtime;
            }

            if (!_runtimes.ContainsKey(DotNetRuntime.RuntimeName))
            {
                _runtimes[DotNetRuntime.RuntimeName] = new DotNetRuntime();
            }

            Name = options.Name ?? $"daskps-{Environment.MachineName.ToLowerInvariant()}-{Process.GetCurrentProcess().Id}-{Guid.NewGuid().ToString("N").Substring(0, 6)}";
            _server = new DaskServer("Worker", options.Comm, _log);
            _pool = new ConnectionPool(ConnectionPool.DefaultLimit, options.Comm);
            _transfers = new DataTransfers(this, _table, _pool, options, _stopping.Token);
            _execution = new TaskExecution(this, _table, _transfers, _runtimes, options, _stopping.Token);
            RegisterHandlers();
        }

        /// <summary>Finds the line a worker logs once it has registered (in RegisterAsync), in a foreground worker's output (<see cref="Hosting.SshWorker"/> reads it).</summary>
        internal static readonly Regex RegisteredLine = new Regex(@"Worker '(?<name>.*)' at (?<address>\S+) registered with ", RegexOptions.CultureInvariant);

        public string Name { get; }

        /// <summary>This worker's contact address, once started.</summary>
        public string Address { get; private set; } = string.Empty;

        public string SchedulerAddress => _options.SchedulerAddress;

        public int Slots => _options.Slots;

        /// <summary>init, running, paused, closing_gracefully, closing, closed.</summary>
        public string Status { get; private set; } = "init";

        /// <summary>The keys whose values this worker holds.</summary>
        public IReadOnlyList<object> Keys => _table.Data.Keys;

        public int TasksRun => _execution.TasksRun;

        /// <summary>Completes when the worker has stopped; faults if it stopped because something failed.</summary>
        public Task Completion => _completion.Task;

        /// <summary>Listens, registers with the scheduler and starts serving.</summary>
        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                string listening = await _server.ListenAsync(_options.ResolvedListenAddress, cancellationToken).ConfigureAwait(false);
                Address = await _options.ResolveContactAddressAsync(listening, cancellationToken).ConfigureAwait(false);
                await RegisterAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await StopAsync(null, notifyScheduler: false).ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>Tells the scheduler this worker is leaving, then stops.</summary>
        public Task CloseAsync() => StopAsync(null, notifyScheduler: true);

        public ValueTask DisposeAsync() => new ValueTask(CloseAsync());

        internal SchedulerDialect Dialect => _link!.Dialect;

        /// <summary>Starts the tasks that are ready, e.g. after data arrived.</summary>
        internal void Dispatch() => _execution.Dispatch();

        internal void Send(MsgMap message)
        {
            try
            {
                _link!.Send(message);
            }
            catch (CommClosedException)
            {
                // The stream is gone; the stream loop stops the worker.
            }
        }

        /// <summary>The client this worker's tasks submit through (as dask's worker client): connected on first use, again after it was lost.</summary>
        internal async Task<DaskPS.Client.DaskClient> TaskClientAsync(CancellationToken cancellationToken)
        {
            await _taskClientGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (Volatile.Read(ref _stopped) != 0)
                {
                    throw new InvalidOperationException($"Worker '{Name}' is stopping: its tasks cannot submit more work.");
                }

                if (_taskClient is { IsConnected: true })
                {
                    return _taskClient;
                }

                if (_taskClient is not null)
                {
                    await _taskClient.DisposeAsync().ConfigureAwait(false);
                }

                var options = new DaskPS.Client.DaskClientOptions { Comm = _options.Comm, Logger = _log };
                _taskClient = await DaskPS.Client.DaskClient.ConnectAsync(_options.SchedulerAddress, options, cancellationToken).ConfigureAwait(false);
                return _taskClient;
            }
            finally
            {
                _taskClientGate.Release();
            }
        }

        private void RegisterHandlers()
        {
            _server.AddHandler(StopRuns.Op, async (_, request, _) =>
            {
                StopRuns stop = StopRuns.FromMap(request);
                return await _execution.StopRunsAsync(stop.Keys, stop.GiveUp, stop.Grace).ConfigureAwait(false);
            });
            _server.AddHandler("get_data", _transfers.GetDataAsync);
            _server.AddHandler("update_data", (_, request, _) => new ValueTask<object?>(_transfers.Store(UpdateData.FromMap(request))));
            _server.AddHandler("gather", (_, request, token) => new ValueTask<object?>(_transfers.GatherAsync(WorkerRequests.WhoHas(request), token)));
            _server.AddHandler("free_keys", (_, request, _) =>
            {
                Free(WorkerRequests.Keys(request));
                return new ValueTask<object?>((object?)null);
            });
            _server.AddHandler("delete_data", (_, request, _) =>
            {
                lock (_table.Gate)
                {
                    foreach (object? key in WorkerRequests.Keys(request))
                    {
                        if (key is not null)
                        {
                            _table.Data.Remove(key);
                        }
                    }
                }

                return new ValueTask<object?>("OK");
            });
            _server.AddHandler("ping", (_, _, _) => new ValueTask<object?>(new byte[] { (byte)'p', (byte)'o', (byte)'n', (byte)'g' }));
        }

        private async Task RegisterAsync(CancellationToken cancellationToken)
        {
            (SchedulerLink link, object? reply) = await SchedulerLink.RegisterAsync(
                _pool, _options.SchedulerAddress, _options.Comm, RegisterMessage, cancellationToken).ConfigureAwait(false);
            _link = link;
            TimeSpan heartbeatInterval = Registration.CheckWorkerAccepted(reply, _options.SchedulerAddress, Name, TimeSpan.FromSeconds(1));
            Status = "running";
            link.Start(link.Dialect.DecodeWorkerMessage, OnMessage, OnLost, HeartbeatAsync, heartbeatInterval);
            // RegisteredLine finds this line.
            _log.Info($"Worker '{Name}' at {Address} registered with {_options.SchedulerAddress} (dask.distributed {link.Dialect.Release}, task slots: {Slots})");
            if (link.Dialect.Warning is string warning)
            {
                _log.Warning(warning);
            }
        }

        /// <summary>After the stream broke: forget everything, then register again until the death timeout passes.</summary>
        private async Task ReconnectAsync(Exception failure)
        {
            Status = "reconnecting";
            lock (_table.Gate)
            {
                _table.AbandonAll();
                _table.Data.Clear();
            }

            await _link!.StopAsync().ConfigureAwait(false);
            DateTime deadline = DateTime.UtcNow + _options.DeathTimeout;
            TimeSpan pause = TimeSpan.FromMilliseconds(250);
            Exception last = failure;
            for (TimeSpan left = _options.DeathTimeout; left > TimeSpan.Zero; left = deadline - DateTime.UtcNow)
            {
                try
                {
                    await Task.Delay(pause < left ? pause : left, _stopping.Token).ConfigureAwait(false);
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                    attempt.CancelAfter(left);
                    await RegisterAsync(attempt.Token).ConfigureAwait(false);
                    _log.Info($"Worker '{Name}' is back with the scheduler at {_options.SchedulerAddress}");
                    return;
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is DaskException || e is OperationCanceledException)
                {
                    last = e;
                    _log.Debug($"Worker '{Name}': the scheduler is still unreachable ({e.Message})");
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                }
            }

            string message = $"Worker '{Name}' could not reach its scheduler at {_options.SchedulerAddress} again within {_options.DeathTimeout.TotalSeconds:0.#} s (death timeout): {last.Message}";
            await StopAsync(new DaskException(message, last), notifyScheduler: false).ConfigureAwait(false);
        }

        private MsgMap RegisterMessage(SchedulerDialect dialect, MsgMap versions)
        {
            var resources = new Dictionary<string, double>(StringComparer.Ordinal) { [Routing.Resource] = Slots };
            foreach (KeyValuePair<string, double> pair in _options.Resources)
            {
                resources[pair.Key] = pair.Value;
            }

            var worker = new RegisterWorker(Address, _serverId, Name, Slots, resources, _options.MemoryLimit, Process.GetCurrentProcess().Id, WorkerClock.Stimulus("worker-connect"));
            return dialect.Encode(worker, versions, _table.Data.TotalBytes, WorkerClock.Now());
        }

        private bool OnMessage(object message)
        {
            if (Handle(message))
            {
                return true;
            }

            _ = StopAsync(null, notifyScheduler: true);
            return false;
        }

        private void OnLost(Exception failure)
        {
            if (Volatile.Read(ref _stopped) == 0)
            {
                _log.Warning($"Worker '{Name}' lost the scheduler at {_options.SchedulerAddress} ({failure.Message}); registering again for up to {_options.DeathTimeout.TotalSeconds:0.#} s");
                _ = ReconnectAsync(failure);
            }
        }

        /// <summary>Handles one scheduler message; false means "close".</summary>
        private bool Handle(object message)
        {
            switch (message)
            {
                case ComputeTask task:
                    _execution.OnComputeTask(task);
                    break;
                case FreeKeys free:
                    Free(free.Keys);
                    break;
                case RemoveReplicas remove:
                    _transfers.DropReplicas(remove.Keys, remove.StimulusId);
                    break;
                case AcquireReplicas acquire:
                    _transfers.Acquire(acquire.WhoHas);
                    break;
                case StealRequest steal:
                    _execution.OnStealRequest(steal);
                    break;
                case RefreshWhoHas refresh:
                    _transfers.OnRefreshWhoHas(refresh.WhoHas);
                    break;
                case WorkerStatusChange change:
                    OnStatusChange(change.Status);
                    break;
                case CloseWorker { Reason: "scheduler-close" }:
                    // The scheduler is shutting down, not dismissing this worker: the stream ends next, and the worker
                    // waits for a scheduler to come back (as a nanny restarts a Python worker).
                    _log.Info($"Worker '{Name}': the scheduler at {_options.SchedulerAddress} is shutting down");
                    break;
                case CloseWorker close:
                    _log.Info($"Worker '{Name}': the scheduler closed it ({close.Reason ?? "no reason"})");
                    return false;
                case UnknownMessage unknown:
                    _log.Debug($"Worker '{Name}': ignored '{unknown.Op}'");
                    break;
            }

            return true;
        }

        private void OnStatusChange(string? status)
        {
            if (status is null)
            {
                return;
            }

            Status = status;
            _log.Info($"Worker '{Name}' is now {status}");
            if (status == "running")
            {
                Dispatch();
            }
        }

        private void Free(IReadOnlyList<object?> keys)
        {
            lock (_table.Gate)
            {
                _table.Free(keys);
            }
        }

        private async Task<TimeSpan> HeartbeatAsync(TimeSpan interval, CancellationToken cancellationToken)
        {
            object? reply = await _pool[_options.SchedulerAddress].CallAsync("heartbeat_worker", WorkerMetrics.Heartbeat(Address, _table.Data.TotalBytes, WorkerClock.Now()), cancellationToken).ConfigureAwait(false);
            if (Registration.IsMissing(reply))
            {
                _log.Warning($"Worker '{Name}': the scheduler no longer knows this worker; stopping.");
                _ = StopAsync(null, notifyScheduler: false);
            }

            return Registration.HeartbeatInterval(reply, interval);
        }

        private async Task StopTaskClientAsync()
        {
            await _taskClientGate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_taskClient is not null)
                {
                    await _taskClient.DisposeAsync().ConfigureAwait(false);
                    _taskClient = null;
                }
            }
            catch (DaskException e)
            {
                _log.Debug($"Worker '{Name}': its tasks' client: {e.Message}");
            }
            finally
            {
                _taskClientGate.Release();
            }
        }

        private async Task StopAsync(Exception? failure, bool notifyScheduler)
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0)
            {
                await _completion.Task.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                return;
            }

            Status = "closing";
            try
            {
                if (notifyScheduler && _link is not null && _link.IsOpen)
                {
                    await _link.CloseStreamAsync(StreamMessages.WorkerClosing(WorkerClock.Stimulus("worker-close"))).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is CommClosedException || e is DaskTimeoutException)
            {
                _log.Debug($"Worker '{Name}': {e.Message}");
            }

            await StopTaskClientAsync().ConfigureAwait(false);
            _stopping.Cancel();
            _link?.Abort();
            lock (_table.Gate)
            {
                _table.AbandonAll();
            }

            await _server.DisposeAsync().ConfigureAwait(false);
            await _pool.DisposeAsync().ConfigureAwait(false);
            if (_link is not null)
            {
                await _link.StopAsync().ConfigureAwait(false);
            }
            foreach (IDisposable runtime in _runtimes.Values.OfType<IDisposable>())
            {
                runtime.Dispose();
            }

            Status = "closed";
            _log.Info($"Worker '{Name}' stopped");
            if (failure is null)
            {
                _completion.TrySetResult(true);
            }
            else
            {
                _completion.TrySetException(failure);
            }
        }
    }
}
