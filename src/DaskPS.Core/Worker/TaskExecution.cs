using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Diagnostics;
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

        private readonly DaskWorker _worker;
        private readonly WorkerTaskTable _table;
        private readonly DataTransfers _transfers;
        private readonly IReadOnlyDictionary<string, ITaskRuntime> _runtimes;
        private readonly DaskLogger _log;
        private readonly CancellationToken _stopping;
        private readonly SemaphoreSlim _slots;
        private int _tasksRun;

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
                    task.State = WorkerTaskState.Finished;
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

        /// <summary>Starts ready tasks while slots are free and the worker is not paused.</summary>
        public void Dispatch()
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

                _ = Task.Run(() => ExecuteAsync(task));
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

        private async Task ExecuteAsync(WorkerTask task)
        {
            double start = WorkerClock.Now();
            SerializedPayload? payload = null;
            string typeName = "NoneType";
            Exception? failure = null;
            CancellationToken run;
            lock (_table.Gate)
            {
                run = task.StartRun(_stopping);
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
                object? result = await runtime.RunAsync(spec.Function, args, kwargs, run).ConfigureAwait(false);
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

            double stop = Math.Max(WorkerClock.Now(), start + MinimumDuration);
            lock (_table.Gate)
            {
                task.EndRun();
                _slots.Release();
                Interlocked.Increment(ref _tasksRun);
                if (task.Abandoned)
                {
                    // Freed or stolen while it ran: the scheduler removes workers that report such tasks.
                    _log.Debug($"Worker '{_worker.Name}': dropped the result of '{task.Key}', which the scheduler took back");
                }
                else if (failure is null)
                {
                    task.State = WorkerTaskState.Finished;
                    long size = _table.Data.Put(task.Key, payload!);
                    ReportFinished(task, size, typeName, start, stop);
                }
                else
                {
                    task.State = WorkerTaskState.Finished;
                    ReportErred(task, failure, start, stop);
                }
            }

            Dispatch();
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
}
