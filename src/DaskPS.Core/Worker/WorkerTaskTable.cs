using System.Collections.Generic;
using System.Linq;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;

namespace DaskPS.Worker
{
    /// <summary>
    /// The worker's task records, the ready queue in priority order, who waits for which dependency, and the
    /// data held here. Every member expects the caller to hold <see cref="Gate"/>, so that a sequence of
    /// changes (e.g. store a value, then wake its waiters) is seen as one.
    /// </summary>
    internal sealed class WorkerTaskTable
    {
        private readonly Dictionary<object, WorkerTask> _tasks = new Dictionary<object, WorkerTask>(MsgKeyComparer.Instance);
        private readonly SortedSet<WorkerTask> _ready = new SortedSet<WorkerTask>(TaskPriorityComparer.Instance);
        private readonly Dictionary<object, List<WorkerTask>> _waiters = new Dictionary<object, List<WorkerTask>>(MsgKeyComparer.Instance);
        private long _sequence;

        public object Gate { get; } = new object();

        /// <summary>Values are read without the gate (get_data, task arguments); the store is thread-safe itself.</summary>
        public DataStore Data { get; } = new DataStore();

        public bool HasReady => _ready.Count > 0;

        public bool TryGet(object key, out WorkerTask task) => _tasks.TryGetValue(key, out task!);

        /// <summary>Records a new task, replacing any finished or abandoned record of the same key.</summary>
        public WorkerTask Add(object key, ComputeTask message)
        {
            var task = new WorkerTask(key, message, _sequence++);
            _tasks[key] = task;
            return task;
        }

        /// <summary>Drops a record without abandoning it: for finished tasks whose value goes too.</summary>
        public void Remove(object key) => _tasks.Remove(key);

        public void AwaitDependency(WorkerTask task, object dependency)
        {
            task.Missing.Add(dependency);
            if (!_waiters.TryGetValue(dependency, out List<WorkerTask>? waiting))
            {
                _waiters[dependency] = waiting = new List<WorkerTask>();
            }

            waiting.Add(task);
        }

        public void MakeReady(WorkerTask task)
        {
            task.State = WorkerTaskState.Ready;
            _ready.Add(task);
        }

        /// <summary>Takes the highest-priority ready task and marks it executing.</summary>
        public WorkerTask StartNext()
        {
            WorkerTask task = _ready.Min!;
            _ready.Remove(task);
            task.State = WorkerTaskState.Executing;
            return task;
        }

        /// <summary>Drops a task record; a running task is marked so its result is never reported.</summary>
        public void Forget(object key)
        {
            if (!_tasks.TryGetValue(key, out WorkerTask? task))
            {
                return;
            }

            _tasks.Remove(key);
            task.Abandon();
            _ready.Remove(task);
            foreach (object dependency in task.Missing)
            {
                if (_waiters.TryGetValue(dependency, out List<WorkerTask>? waiting))
                {
                    waiting.Remove(task);
                }
            }
        }

        /// <summary>The scheduler no longer wants these keys: neither their tasks nor their values.</summary>
        public void Free(IEnumerable<object?> keys)
        {
            foreach (object? key in keys)
            {
                if (key is not null)
                {
                    Forget(key);
                    Data.Remove(key);
                }
            }
        }

        /// <summary>Stores a value that arrived here; tasks waiting only for it become ready.</summary>
        public long Receive(object key, SerializedPayload payload)
        {
            long size = Data.Put(key, payload);
            if (_waiters.TryGetValue(key, out List<WorkerTask>? waiting))
            {
                _waiters.Remove(key);
                foreach (WorkerTask task in waiting)
                {
                    if (task.Missing.Remove(key) && task.Missing.Count == 0 && task.State == WorkerTaskState.Waiting && !task.Abandoned)
                    {
                        MakeReady(task);
                    }
                }
            }

            return size;
        }

        /// <summary>Whether a task here still needs the value of <paramref name="key"/>.</summary>
        public bool Needed(object key) =>
            _waiters.TryGetValue(key, out List<WorkerTask>? waiting) && waiting.Count > 0
            || _tasks.Values.Any(t => t.State is WorkerTaskState.Ready or WorkerTaskState.Executing && t.Message.WhoHas.ContainsKey(key));

        /// <summary>The worker is stopping: no task here may be reported any more.</summary>
        public void AbandonAll()
        {
            foreach (WorkerTask task in _tasks.Values)
            {
                task.Abandon();
            }

            _tasks.Clear();
            _ready.Clear();
            _waiters.Clear();
        }
    }
}
