using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Buffers;
using DaskPS.Diagnostics;
using DaskPS.Internal;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Tasks;

namespace DaskPS.Worker
{
    /// <summary>
    /// The compute-task state machine: waiting for dependencies, ready in priority order, executing in a bounded
    /// number of slots, reported to the scheduler; and the truthful answers to steal requests.
    /// </summary>
    internal sealed class TaskExecution
    {
        // A zero duration makes the 2022.12 scheduler's work stealing assert and remove this worker.
        private const double MinimumDuration = 1e-6;

        // Runs started from inside the end of another, nested on one thread, before the next goes to the pool.
        private const int MaxStartsInside = 4;

        private readonly DaskWorker _worker;
        private readonly WorkerTaskTable _table;
        private readonly DataTransfers _transfers;
        private readonly IReadOnlyDictionary<string, ITaskRuntime> _runtimes;
        private readonly DaskLogger _log;
        private readonly CancellationToken _stopping;
        private readonly SemaphoreSlim _slots;
        private readonly HashSet<WorkerTask> _running = new HashSet<WorkerTask>();
        private int _tasksRun;

        /// <summary>Runs this thread is starting from inside the end of another (see Dispatch).</summary>
        [ThreadStatic]
        private static int t_startsInside;

        public TaskExecution(DaskWorker worker, WorkerTaskTable table, DataTransfers transfers, IReadOnlyDictionary<string, ITaskRuntime> runtimes, DaskWorkerOptions options, CancellationToken stopping)
        {
            _worker = worker;
            _table = table;
            _transfers = transfers;
            _runtimes = runtimes;
            _log = options.Logger;
            _stopping = stopping;
            _slots = new SemaphoreSlim(options.Slots, options.Slots);
        }

        public int TasksRun => Volatile.Read(ref _tasksRun);

        public void OnComputeTask(ComputeTask message)
        {
            object? key = message.Key;
            if (key is null)
            {
                return;
            }

            if (_log.IsEnabled(DaskLogLevel.Debug))
            {
                _log.Debug($"Worker '{_worker.Name}': compute-task '{key}'");
            }

            lock (_table.Gate)
            {
                if (_table.TryGet(key, out WorkerTask existing) && !existing.Abandoned && existing.State != WorkerTaskState.Finished)
                {
                    // Already queued or running here: the scheduler repeated itself.
                    return;
                }

                WorkerTask task = _table.Add(key, message);
                if (_table.Data.Contains(key))
                {
                    // The value is already here (e.g. a replica): report it instead of computing it again.
                    task.Finish();
                    double now = WorkerClock.Now();
                    ReportFinished(task, DaskSerialization.SizeOf(_table.Data.Payload(key)!), "object", now, now + MinimumDuration);
                    return;
                }

                foreach (KeyValuePair<object, IReadOnlyList<string>> dependency in message.WhoHas)
                {
                    if (_table.Data.Contains(dependency.Key))
                    {
                        continue;
                    }

                    _table.AwaitDependency(task, dependency.Key);
                    _transfers.RequestFetch(dependency.Key, dependency.Value, forReplica: false);
                }

                if (task.Missing.Count == 0)
                {
                    _table.MakeReady(task);
                }
                else
                {
                    task.State = WorkerTaskState.Waiting;
                }
            }

            Dispatch();
        }

        /// <summary>Starts ready tasks on the thread pool while slots are free and the worker is not paused.</summary>
        public void Dispatch() => Dispatch(afterRun: false);

        /// <param name="afterRun">
        /// A run just ended on this thread: it starts the next runs itself. Every runtime returns from RunAsync promptly
        /// (its code runs on a thread of its own), so this thread is soon free again, and the runtime's thread that ended
        /// a run (a runspace's) takes the next task without a hand-off to the pool and back: at thousands of tasks a second
        /// those hand-offs were most of the worker's context switches. Arrivals still start on the pool, so that a task's
        /// set-up never holds up the comm that read it.
        /// </param>
        private void Dispatch(bool afterRun)
        {
            while (true)
            {
                WorkerTask task;
                lock (_table.Gate)
                {
                    if (!_table.HasReady || _worker.Status is "paused" or "closing" or "closed" || !_slots.Wait(0))
                    {
                        return;
                    }

                    task = _table.StartNext();
                }

                // A run that ends at once (it failed before a runtime took it) starts the next one from inside itself:
                // past a few such runs in a row, the rest go to the pool, so that the stack stays shallow.
                if (afterRun && t_startsInside < MaxStartsInside)
                {
                    t_startsInside++;
                    try
                    {
                        _ = ExecuteAsync(task);
                    }
                    finally
                    {
                        t_startsInside--;
                    }
                }
                else
                {
                    _ = Task.Run(() => ExecuteAsync(task));
                }
            }
        }

        public void OnStealRequest(StealRequest message)
        {
            object? key = message.Key;
            string? state;
            lock (_table.Gate)
            {
                if (key is null || !_table.TryGet(key, out WorkerTask task))
                {
                    state = null;
                }
                else
                {
                    state = task.State switch
                    {
                        WorkerTaskState.Ready => "ready",
                        WorkerTaskState.Waiting => "waiting",
                        WorkerTaskState.Executing => "executing",
                        _ => "memory",
                    };
                    if (task.State is WorkerTaskState.Ready or WorkerTaskState.Waiting)
                    {
                        // Given up for real: it will never run or be reported here.
                        _table.Forget(key);
                    }
                }
            }

            _worker.Send(_worker.Dialect.Encode(new StealResponse(key, state, message.StimulusId)));
        }

        /// <summary>
        /// Gives a running task's slot up while it waits for other tasks (dask's secede); the scheduler hears once that
        /// the task is long-running, so it neither steals it nor counts it as occupying the worker.
        /// </summary>
        public void Secede(WorkerTask task, double start)
        {
            lock (_table.Gate)
            {
                if (!task.HoldsSlot)
                {
                    return;
                }

                task.HoldsSlot = false;
                _slots.Release();
                if (!task.ToldLongRunning && !task.Abandoned)
                {
                    task.ToldLongRunning = true;
                    _worker.Send(_worker.Dialect.Encode(new LongRunning(task.Message, Math.Max(WorkerClock.Now() - start, MinimumDuration), WorkerClock.Stimulus("secede"))));
                }
            }

            Dispatch();
        }

        /// <summary>Takes a slot again for a task that seceded (dask's rejoin), waiting for one to be free.</summary>
        public async Task RejoinAsync(WorkerTask task, CancellationToken cancellationToken)
        {
            lock (_table.Gate)
            {
                if (task.HoldsSlot)
                {
                    return;
                }
            }

            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_table.Gate)
            {
                if (_running.Contains(task))
                {
                    task.HoldsSlot = true;
                    return;
                }
            }

            // The run was given up meanwhile: nobody would free this slot.
            _slots.Release();
            Dispatch();
        }

        /// <summary>
        /// Waits up to <paramref name="grace"/> for the runs of <paramref name="keys"/> here to end after their stop, and
        /// says how each ended: stopped, kept (the scheduler still wants it), stuck (it ignores its stop) or, when
        /// <paramref name="giveUp"/>, given-up (the worker stops waiting for it and frees its slot).
        /// </summary>
        public async Task<MsgMap> StopRunsAsync(IEnumerable<object?> keys, bool giveUp, TimeSpan grace)
        {
            var wanted = new HashSet<object>(keys.OfType<object>(), MsgKeyComparer.Instance);
            List<(WorkerTask Task, Task Ended)> runs;
            lock (_table.Gate)
            {
                runs = _running.Where(t => wanted.Contains(t.Key)).Select(t => (t, t.RunEnded)).ToList();
            }

            if (runs.Count > 0)
            {
                await Task.WhenAny(Task.WhenAll(runs.Select(r => r.Ended)), Task.Delay(grace, _stopping)).ConfigureAwait(false);
            }

            var outcomes = new MsgMap(runs.Count);
            lock (_table.Gate)
            {
                foreach ((WorkerTask task, Task ended) in runs)
                {
                    string outcome = ended.IsCompleted ? "stopped" : !task.Abandoned ? "kept" : giveUp ? "given-up" : "stuck";
                    if (outcome == "given-up")
                    {
                        task.GiveUpRun();
                        _log.Warning($"Worker '{_worker.Name}': gave up task '{task.Key}', which ignored its stop; its thread is left to finish on its own");
                    }

                    // An abandoned run and a new run of the same key may both be here: the one still running tells more.
                    if (outcome != "stopped" || !outcomes.ContainsKey(task.Key))
                    {
                        outcomes[task.Key] = outcome;
                    }
                }
            }

            return outcomes;
        }

        private async Task ExecuteAsync(WorkerTask task)
        {
            double start = WorkerClock.Now();
            SerializedPayload? payload = null;
            string typeName = "NoneType";
            Exception? failure = null;
            CancellationToken stop;
            CancellationToken giveUp;
            lock (_table.Gate)
            {
                (stop, giveUp) = task.StartRun(_stopping);
                _running.Add(task);
            }

            try
            {
                TaskSpec spec = task.Message.ReadSpec();
                if (!_runtimes.TryGetValue(spec.Runtime, out ITaskRuntime? runtime))
                {
                    throw new TaskNotRunnableException($"This worker has no '{spec.Runtime}' runtime (it has {string.Join(", ", _runtimes.Keys)}).");
                }

                object?[] args = (object?[])TaskSpec.Substitute(spec.Args.ToArray(), _table.Data.Argument)!;
                var kwargs = spec.Kwargs is null ? null : (MsgMap?)TaskSpec.Substitute(spec.Kwargs, _table.Data.Argument);
                var run = new WorkerTaskRun(this, _worker, task, stop, start);
                // Tasks make large values too: their arrays should land on the memory of the values dropped before.
                LargeArrays.CollectIfDue();
                // A run given up (Stop-DaskTask -Force) is left to end on its own; the worker stops waiting for it.
                object? result = await runtime.RunAsync(spec.Function, args, kwargs, run).WithCancellation(giveUp).ConfigureAwait(false);
                typeName = (result is TaskOutput output ? output.Output : result)?.GetType().Name ?? "NoneType";
                try
                {
                    payload = DaskSerialization.ToPayload(TaskValues.ToWire(result));
                }
                catch (ArgumentException e)
                {
                    throw new TaskFailureException("DaskPS.UnsendableResult", $"The task's result cannot be sent: {e.Message}", null);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }

            double stopped = Math.Max(WorkerClock.Now(), start + MinimumDuration);
            lock (_table.Gate)
            {
                _running.Remove(task);
                if (task.HoldsSlot)
                {
                    task.HoldsSlot = false;
                    _slots.Release();
                }

                task.EndRun();
                Interlocked.Increment(ref _tasksRun);
                if (task.Abandoned)
                {
                    // Freed or stolen while it ran: the scheduler removes workers that report such tasks.
                    _log.Debug($"Worker '{_worker.Name}': dropped the result of '{task.Key}', which the scheduler took back");
                }
                else if (failure is null)
                {
                    task.Finish();
                    long size = _table.Data.Put(task.Key, payload!);
                    ReportFinished(task, size, typeName, start, stopped);
                }
                else
                {
                    task.Finish();
                    ReportErred(task, failure, start, stopped);
                }
            }

            Dispatch(afterRun: true);
        }

        private void ReportFinished(WorkerTask task, long size, string typeName, double start, double stop)
        {
            _worker.Send(_worker.Dialect.Encode(new TaskFinished(task.Message, size, typeName, start, stop, WorkerClock.Stimulus("task-finished"))));
            if (_log.IsEnabled(DaskLogLevel.Debug))
            {
                _log.Debug($"Worker '{_worker.Name}': task-finished '{task.Key}'");
            }
        }

        private void ReportErred(WorkerTask task, Exception failure, double start, double stop)
        {
            (string type, string message, string? traceback) = failure switch
            {
                TaskFailureException f => (f.ErrorType, f.Message, f.Traceback),
                _ => (failure.GetType().FullName ?? failure.GetType().Name, failure.Message, failure.StackTrace),
            };
            _log.Info($"Worker '{_worker.Name}': task '{task.Key}' failed: {type}: {message}");
            _worker.Send(_worker.Dialect.Encode(new TaskErred(task.Message, type, message, traceback, start, stop, WorkerClock.Stimulus("task-erred"))));
        }
    }

    /// <summary>A task's run on this worker: its slot, its stop, and its worker's client.</summary>
    internal sealed class WorkerTaskRun : TaskRun
    {
        private readonly TaskExecution _execution;
        private readonly DaskWorker _worker;
        private readonly WorkerTask _task;
        private readonly double _start;

        public WorkerTaskRun(TaskExecution execution, DaskWorker worker, WorkerTask task, CancellationToken stopping, double start)
            : base(task.Key, stopping)
        {
            _execution = execution;
            _worker = worker;
            _task = task;
            _start = start;
        }

        public override Task<DaskPS.Client.DaskClient> GetClientAsync(CancellationToken cancellationToken = default) => _worker.TaskClientAsync(cancellationToken);

        public override void Secede() => _execution.Secede(_task, _start);

        public override Task RejoinAsync(CancellationToken cancellationToken = default) => _execution.RejoinAsync(_task, cancellationToken);
    }
}
