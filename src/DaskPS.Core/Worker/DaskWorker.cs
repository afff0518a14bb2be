using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Dialects;
using DaskPS.Diagnostics;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;
using DaskPS.Tasks;

namespace DaskPS.Worker
{
    /// <summary>
    /// A dask worker: registers with the scheduler, runs DaskPS tasks in a bounded number of slots, fetches
    /// dependencies from peers, serves its data to peers and clients, and answers the scheduler truthfully
    /// (a task freed or stolen is never reported). Stopping releases every socket and background task.
    /// </summary>
    public sealed partial class DaskWorker : IAsyncDisposable
    {
        private readonly DaskWorkerOptions _options;
        private readonly DaskLogger _log;
        private readonly Dictionary<string, ITaskRuntime> _runtimes = new Dictionary<string, ITaskRuntime>(StringComparer.Ordinal);
        private readonly DaskServer _server;
        private readonly ConnectionPool _pool;
        private readonly BatchedSend _stream = new BatchedSend();
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private readonly TaskCompletionSource<bool> _completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string _serverId = $"DaskPS-Worker-{Guid.NewGuid():N}";
        private DaskComm? _schedulerComm;
        private SchedulerDialect _dialect = null!;
        private Task _streamLoop = Task.CompletedTask;
        private Task _heartbeatLoop = Task.CompletedTask;
        private TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(1);
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
            _slots = new SemaphoreSlim(options.Slots, options.Slots);
            RegisterHandlers();
        }

        public string Name { get; }

        /// <summary>This worker's contact address, once started.</summary>
        public string Address { get; private set; } = string.Empty;

        public string SchedulerAddress => _options.SchedulerAddress;

        public int Slots => _options.Slots;

        /// <summary>init, running, paused, closing_gracefully, closing, closed.</summary>
        public string Status { get; private set; } = "init";

        /// <summary>The keys whose values this worker holds.</summary>
        public IReadOnlyList<object> Keys => _data.Keys;

        public int TasksRun => Volatile.Read(ref _tasksRun);

        /// <summary>Completes when the worker has stopped; faults if it stopped because something failed.</summary>
        public Task Completion => _completion.Task;

        /// <summary>Listens, registers with the scheduler and starts serving.</summary>
        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                Address = await _server.ListenAsync(_options.ListenAddress, cancellationToken).ConfigureAwait(false);
                DaskRpc scheduler = _pool[_options.SchedulerAddress];
                var versions = await scheduler.CallAsync("versions", Array.Empty<(string, object?)>(), cancellationToken).ConfigureAwait(false) as MsgMap
                    ?? throw new DaskProtocolException($"{_options.SchedulerAddress} did not answer 'versions' with a map; is it a dask scheduler?");
                _dialect = SchedulerDialect.ForVersions(versions);

                _schedulerComm = await Transports.ConnectAsync(_options.SchedulerAddress, _options.Comm, cancellationToken).ConfigureAwait(false);
                await _schedulerComm.WriteAsync(Registration(versions), cancellationToken).ConfigureAwait(false);
                object? reply = await _schedulerComm.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (reply is not MsgMap answer || answer.Get("status") is not "OK")
                {
                    string reason = (reply as MsgMap)?.Get("message") as string ?? (reply as MsgMap)?.Get("exception_text") as string ?? reply?.ToString() ?? "no answer";
                    throw new DaskException($"The scheduler at {_options.SchedulerAddress} refused worker '{Name}': {reason}");
                }

                _heartbeatInterval = Seconds(answer.Get("heartbeat-interval"), _heartbeatInterval);
                Status = "running";
                _stream.Start(_schedulerComm);
                _streamLoop = Task.Run(StreamLoopAsync);
                _heartbeatLoop = Task.Run(HeartbeatLoopAsync);
                _log.Info($"Worker '{Name}' at {Address} registered with {_options.SchedulerAddress} (dask.distributed {_dialect.Name}, task slots: {Slots})");
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

        private MsgMap Registration(MsgMap versions)
        {
            var resources = new MsgMap().With(Routing.Resource, (double)Slots);
            foreach (KeyValuePair<string, double> pair in _options.Resources)
            {
                resources[pair.Key] = pair.Value;
            }

            var registration = new MsgMap()
                .With("op", "register-worker")
                .With("reply", false)
                .With("address", Address)
                .With("status", "running")
                .With("server_id", _serverId)
                .With("stimulus_id", Stimulus("worker-connect"))
                .With("nthreads", (long)Slots)
                .With("name", Name)
                .With("now", Now())
                .With("resources", resources)
                .With("memory_limit", _options.MemoryLimit)
                .With("local_directory", System.IO.Path.GetTempPath())
                .With("services", new MsgMap())
                .With("nanny", null)
                .With("pid", (long)Process.GetCurrentProcess().Id)
                .With("extra", new MsgMap())
                // Mirrored, so Python clients see no version mismatch warning.
                .With("versions", versions)
                .With("metrics", Metrics());
            _dialect.CompleteRegistration(registration);
            return registration;
        }

        /// <summary>Every metric the scheduler and its memory manager read (spilled_bytes.disk included: without it the AMM breaks cluster-wide).</summary>
        private MsgMap Metrics()
        {
            long managed = _data.TotalBytes;
            return new MsgMap()
                .With("task_counts", new MsgMap())
                .With("bandwidth", new MsgMap().With("total", 100_000_000L).With("workers", new MsgMap()).With("types", new MsgMap()))
                .With("digests_total_since_heartbeat", new MsgMap())
                .With("managed_bytes", managed)
                .With("spilled_bytes", new MsgMap().With("memory", 0L).With("disk", 0L))
                .With("transfer", new MsgMap()
                    .With("incoming_bytes", 0L).With("incoming_count", 0L).With("incoming_count_total", 0L)
                    .With("outgoing_bytes", 0L).With("outgoing_count", 0L).With("outgoing_count_total", 0L))
                .With("event_loop_interval", 0.02)
                .With("cpu", 0.0)
                .With("memory", Math.Max(managed, GC.GetTotalMemory(false)))
                .With("time", Now())
                .With("host_net_io", new MsgMap().With("read_bps", 0.0).With("write_bps", 0.0))
                .With("host_disk_io", new MsgMap().With("read_bps", 0.0).With("write_bps", 0.0))
                .With("num_fds", 0L);
        }

        private async Task StreamLoopAsync()
        {
            Exception? failure = null;
            try
            {
                while (true)
                {
                    object? batch = await _schedulerComm!.ReadAsync(_stopping.Token).ConfigureAwait(false);
                    foreach (object? message in batch as object?[] ?? new[] { batch })
                    {
                        if (message is MsgMap map && !Handle(map))
                        {
                            _ = StopAsync(null, notifyScheduler: true);
                            return;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failure = e;
            }

            if (Volatile.Read(ref _stopped) == 0)
            {
                _log.Error($"Worker '{Name}' lost the scheduler at {_options.SchedulerAddress}: {failure?.Message}");
                _ = StopAsync(new DaskException($"The connection to the scheduler at {_options.SchedulerAddress} was lost.", failure), notifyScheduler: false);
            }
        }

        /// <summary>Handles one scheduler message; false means "close".</summary>
        private bool Handle(MsgMap message)
        {
            switch (message.Get("op") as string)
            {
                case "compute-task":
                    OnComputeTask(_dialect.DecodeComputeTask(message));
                    break;
                case "free-keys":
                    FreeKeys(message.Get("keys"), message.Get("stimulus_id") as string);
                    break;
                case "remove-replicas":
                    RemoveReplicas(message.Get("keys"), message.Get("stimulus_id") as string);
                    break;
                case "acquire-replicas":
                    _ = AcquireReplicasAsync(message.Get("who_has") as MsgMap ?? new MsgMap(), message.Get("stimulus_id") as string);
                    break;
                case "steal-request":
                    OnStealRequest(message);
                    break;
                case "refresh-who-has":
                    OnRefreshWhoHas(message.Get("who_has") as MsgMap ?? new MsgMap());
                    break;
                case "worker-status-change":
                    OnStatusChange(message.Get("status") as string);
                    break;
                case "close":
                    _log.Info($"Worker '{Name}': the scheduler closed it ({message.Get("reason") ?? "no reason"})");
                    return false;
                default:
                    _log.Debug($"Worker '{Name}': ignored '{message.Get("op")}'");
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

        private async Task HeartbeatLoopAsync()
        {
            try
            {
                while (!_stopping.IsCancellationRequested)
                {
                    await Task.Delay(_heartbeatInterval, _stopping.Token).ConfigureAwait(false);
                    object? reply = await _pool[_options.SchedulerAddress].CallAsync("heartbeat_worker", new (string, object?)[]
                    {
                        ("address", Address), ("now", Now()), ("metrics", Metrics()), ("executing", new MsgMap()), ("extensions", new MsgMap()),
                    }, _stopping.Token).ConfigureAwait(false);
                    if (reply is MsgMap answer && answer.Get("status") is "missing")
                    {
                        _log.Warning($"Worker '{Name}': the scheduler no longer knows this worker; stopping.");
                        _ = StopAsync(null, notifyScheduler: false);
                        return;
                    }

                    _heartbeatInterval = Seconds((reply as MsgMap)?.Get("heartbeat-interval"), _heartbeatInterval);
                }
            }
            catch (Exception e) when (e is OperationCanceledException || e is DaskException)
            {
                // Stopping, or the scheduler is gone (the stream loop reports that).
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
                if (notifyScheduler && _schedulerComm is not null && !_schedulerComm.IsClosed)
                {
                    _stream.Send(new MsgMap().With("op", "worker-status-change").With("status", "closing").With("stimulus_id", Stimulus("worker-close")));
                    _stream.Send(new MsgMap().With("op", "close-stream"));
                    await _stream.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is CommClosedException || e is DaskTimeoutException)
            {
                _log.Debug($"Worker '{Name}': {e.Message}");
            }

            _stopping.Cancel();
            _stream.Abort();
            AbandonAll();
            await _server.DisposeAsync().ConfigureAwait(false);
            await _pool.DisposeAsync().ConfigureAwait(false);
            await Task.WhenAll(_streamLoop, _heartbeatLoop).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
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

        private static TimeSpan Seconds(object? value, TimeSpan fallback) => value switch
        {
            double d when d > 0 => TimeSpan.FromSeconds(d),
            long l when l > 0 => TimeSpan.FromSeconds(l),
            _ => fallback,
        };

        /// <summary>Unix time in seconds with sub-millisecond resolution.</summary>
        private static double Now() => (DateTime.UtcNow - UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

        private static readonly DateTime UnixEpoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        private static string Stimulus(string what) => $"{what}-{Now():0.000}";
    }
}
