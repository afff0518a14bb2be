using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Tasks;

namespace DaskPS.Worker
{
    /// <summary>The compute-task state machine: waiting for dependencies, ready in priority order, executing, reported.</summary>
    public sealed partial class DaskWorker
    {
        private readonly object _gate = new object();
        private readonly Dictionary<object, WorkerTask> _tasks = new Dictionary<object, WorkerTask>(MsgKeyComparer.Instance);
        private readonly SortedSet<WorkerTask> _ready = new SortedSet<WorkerTask>(TaskPriorityComparer.Instance);
        private readonly Dictionary<object, List<WorkerTask>> _waiters = new Dictionary<object, List<WorkerTask>>(MsgKeyComparer.Instance);
        private readonly DataStore _data = new DataStore();
        private readonly SemaphoreSlim _slots;
        private const double MinimumDuration = 1e-6;
        private long _sequence;
        private int _tasksRun;

        private void OnComputeTask(ComputeTask message)
        {
            object? key = message.Key;
            if (key is null)
            {
                return;
            }

            if (_log.IsEnabled(Diagnostics.DaskLogLevel.Debug))
            {
                _log.Debug($"Worker '{Name}': compute-task '{key}'");
            }

            lock (_gate)
            {
                if (_tasks.TryGetValue(key, out WorkerTask? existing) && !existing.Abandoned && existing.State != WorkerTaskState.Finished)
                {
                    // Already queued or running here: the scheduler repeated itself.
                    return;
                }

                var task = new WorkerTask(key, message, _sequence++);
                _tasks[key] = task;
                if (_data.Contains(key))
                {
                    // The value is already here (e.g. a replica): report it instead of computing it again.
                    task.State = WorkerTaskState.Finished;
                    double now = Now();
                    ReportFinished(task, DaskSerialization.SizeOf(_data.Payload(key)!), "object", now, now + MinimumDuration);
                    return;
                }

                foreach (KeyValuePair<object, IReadOnlyList<string>> dependency in message.WhoHas)
                {
                    if (_data.Contains(dependency.Key))
                    {
                        continue;
                    }

                    task.Missing.Add(dependency.Key);
                    if (!_waiters.TryGetValue(dependency.Key, out List<WorkerTask>? waiting))
                    {
                        _waiters[dependency.Key] = waiting = new List<WorkerTask>();
                    }

                    waiting.Add(task);
                    RequestFetch(dependency.Key, dependency.Value, forReplica: false);
                }

                task.State = task.Missing.Count == 0 ? WorkerTaskState.Ready : WorkerTaskState.Waiting;
                if (task.State == WorkerTaskState.Ready)
                {
                    _ready.Add(task);
                }
            }

            Dispatch();
        }

        /// <summary>Starts ready tasks while slots are free and the worker is not paused.</summary>
        private void Dispatch()
        {
            while (true)
            {
                WorkerTask task;
                lock (_gate)
                {
                    if (_ready.Count == 0 || Status is "paused" or "closing" or "closed" || !_slots.Wait(0))
                    {
                        return;
                    }

                    task = _ready.Min!;
                    _ready.Remove(task);
                    task.State = WorkerTaskState.Executing;
                }

                _ = Task.Run(() => ExecuteAsync(task));
            }
        }

        private async Task ExecuteAsync(WorkerTask task)
        {
            double start = Now();
            SerializedPayload? payload = null;
            string typeName = "NoneType";
            Exception? failure = null;
            try
            {
                TaskSpec spec = task.Message.ReadSpec();
                if (!_runtimes.TryGetValue(spec.Runtime, out ITaskRuntime? runtime))
                {
                    throw new TaskNotRunnableException($"This worker has no '{spec.Runtime}' runtime (it has {string.Join(", ", _runtimes.Keys)}).");
                }

                object?[] args = (object?[])TaskSpec.Substitute(spec.Args.ToArray(), _data.Argument)!;
                var kwargs = spec.Kwargs is null ? null : (MsgMap?)TaskSpec.Substitute(spec.Kwargs, _data.Argument);
                object? result = await runtime.RunAsync(spec.Function, args, kwargs, _stopping.Token).ConfigureAwait(false);
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

            // A zero duration makes the 2022.12 scheduler's work stealing assert and remove this worker.
            double stop = Math.Max(Now(), start + MinimumDuration);
            lock (_gate)
            {
                _slots.Release();
                Interlocked.Increment(ref _tasksRun);
                if (task.Abandoned)
                {
                    // Freed or stolen while it ran: the scheduler removes workers that report such tasks.
                    _log.Debug($"Worker '{Name}': dropped the result of '{task.Key}', which the scheduler took back");
                }
                else if (failure is null)
                {
                    task.State = WorkerTaskState.Finished;
                    long size = _data.Put(task.Key, payload!);
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
            Send(Dialect.Encode(new TaskFinished(task.Message, size, typeName, start, stop, Stimulus("task-finished"))));
            if (_log.IsEnabled(Diagnostics.DaskLogLevel.Debug))
            {
                _log.Debug($"Worker '{Name}': task-finished '{task.Key}'");
            }
        }

        private void ReportErred(WorkerTask task, Exception failure, double start, double stop)
        {
            (string type, string message, string? traceback) = failure switch
            {
                TaskFailureException f => (f.ErrorType, f.Message, f.Traceback),
                _ => (failure.GetType().FullName ?? failure.GetType().Name, failure.Message, failure.StackTrace),
            };
            _log.Info($"Worker '{Name}': task '{task.Key}' failed: {type}: {message}");
            Send(Dialect.Encode(new TaskErred(task.Message, type, message, traceback, start, stop, Stimulus("task-erred"))));
        }

        private void Free(IReadOnlyList<object?> keys)
        {
            lock (_gate)
            {
                foreach (object? key in keys)
                {
                    if (key is null)
                    {
                        continue;
                    }

                    Forget(key);
                    _data.Remove(key);
                }
            }
        }

        /// <summary>Drops a task record; a running task is marked so its result is never reported. Caller holds the lock.</summary>
        private void Forget(object key)
        {
            if (!_tasks.TryGetValue(key, out WorkerTask? task))
            {
                return;
            }

            _tasks.Remove(key);
            task.Abandoned = true;
            _ready.Remove(task);
            foreach (object dependency in task.Missing)
            {
                if (_waiters.TryGetValue(dependency, out List<WorkerTask>? waiting))
                {
                    waiting.Remove(task);
                }
            }
        }

        private void OnStealRequest(StealRequest message)
        {
            object? key = message.Key;
            string? state;
            lock (_gate)
            {
                if (key is null || !_tasks.TryGetValue(key, out WorkerTask? task))
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
                        Forget(key);
                    }
                }
            }

            Send(Dialect.Encode(new StealResponse(key, state, message.StimulusId)));
        }

        /// <summary>A dependency arrived: tasks waiting only for it become ready. Caller holds the lock.</summary>
        private void Satisfied(object dependency)
        {
            if (!_waiters.TryGetValue(dependency, out List<WorkerTask>? waiting))
            {
                return;
            }

            _waiters.Remove(dependency);
            foreach (WorkerTask task in waiting)
            {
                if (task.Missing.Remove(dependency) && task.Missing.Count == 0 && task.State == WorkerTaskState.Waiting && !task.Abandoned)
                {
                    task.State = WorkerTaskState.Ready;
                    _ready.Add(task);
                }
            }
        }

        /// <summary>Whether a task here still needs the value of <paramref name="key"/>. Caller holds the lock.</summary>
        private bool Needed(object key) =>
            _waiters.TryGetValue(key, out List<WorkerTask>? waiting) && waiting.Count > 0
            || _tasks.Values.Any(t => t.State is WorkerTaskState.Ready or WorkerTaskState.Executing && t.Message.WhoHas.ContainsKey(key));

        private void AbandonAll()
        {
            lock (_gate)
            {
                foreach (WorkerTask task in _tasks.Values)
                {
                    task.Abandoned = true;
                }

                _tasks.Clear();
                _ready.Clear();
                _waiters.Clear();
            }
        }

        private void Send(MsgMap message)
        {
            try
            {
                _link!.Send(message);
            }
            catch (Comm.CommClosedException)
            {
                // The stream is gone; the stream loop stops the worker.
            }
        }
    }
}
