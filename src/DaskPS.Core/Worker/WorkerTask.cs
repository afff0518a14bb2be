using System;
using System.Collections.Generic;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;

namespace DaskPS.Worker
{
    internal enum WorkerTaskState
    {
        /// <summary>Some dependencies are not here yet (being fetched).</summary>
        Waiting,

        /// <summary>All dependencies are here; queued for a slot.</summary>
        Ready,

        Executing,

        /// <summary>Done and reported; the task record is kept only until the scheduler frees the key.</summary>
        Finished,
    }

    /// <summary>One compute-task this worker was given, from arrival until it is reported or forgotten.</summary>
    internal sealed class WorkerTask
    {
        public WorkerTask(object key, ComputeTask message, long sequence)
        {
            Key = key;
            Message = message;
            Sequence = sequence;
        }

        public object Key { get; }

        /// <summary>The compute-task, kept for the run_spec and for echoing release-specific fields.</summary>
        public ComputeTask Message { get; }

        public object?[] Priority => Message.Priority;

        /// <summary>Arrival order: ties in priority run first come, first served.</summary>
        public long Sequence { get; }

        public WorkerTaskState State { get; set; }

        public HashSet<object> Missing { get; } = new HashSet<object>(MsgKeyComparer.Instance);

        /// <summary>Set when the scheduler took the task back (freed or stolen): its result must never be reported.</summary>
        public bool Abandoned { get; set; }

        public override string ToString() => $"{Key} ({State})";
    }

    /// <summary>Lower dask priority tuples run first; equal ones in arrival order.</summary>
    internal sealed class TaskPriorityComparer : IComparer<WorkerTask>
    {
        public static readonly TaskPriorityComparer Instance = new TaskPriorityComparer();

        public int Compare(WorkerTask? x, WorkerTask? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }

            int length = Math.Min(x.Priority.Length, y.Priority.Length);
            for (int i = 0; i < length; i++)
            {
                int c = Number(x.Priority[i]).CompareTo(Number(y.Priority[i]));
                if (c != 0)
                {
                    return c;
                }
            }

            int byLength = x.Priority.Length.CompareTo(y.Priority.Length);
            return byLength != 0 ? byLength : x.Sequence.CompareTo(y.Sequence);
        }

        private static double Number(object? value) => value switch
        {
            long l => l,
            double d => d,
            ulong u => u,
            _ => 0,
        };
    }
}
