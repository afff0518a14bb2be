using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
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

        /// <summary>The compute-task, kept for the run_spec and for echoing release-specific fields; once the task has run, without its run_spec and who_has (<see cref="Finish"/>).</summary>
        public ComputeTask Message { get; private set; }

        public object?[] Priority => Message.Priority;

        /// <summary>Arrival order: ties in priority run first come, first served.</summary>
        public long Sequence { get; }

        public WorkerTaskState State { get; set; }

        public HashSet<object> Missing { get; } = new HashSet<object>(MsgKeyComparer.Instance);

        /// <summary>Set when the scheduler took the task back (freed or stolen): its result must never be reported.</summary>
        public bool Abandoned { get; private set; }

        /// <summary>Cancelled when the task is abandoned while it runs, so a runtime can stop it (a script block, say).</summary>
        private CancellationTokenSource? Run { get; set; }

        /// <summary>Completes when a run ends: the slot is free again, or the run was given up.</summary>
        private TaskCompletionSource<bool>? Ended { get; set; }

        /// <summary>Cancelled to stop waiting for a run that ignores its stop (Stop-DaskTask -Force).</summary>
        private CancellationTokenSource? GiveUp { get; set; }

        /// <summary>Whether the run in progress holds one of the worker's slots (not while it has seceded). Changed under the gate.</summary>
        public bool HoldsSlot { get; set; }

        /// <summary>Whether the scheduler was told this task is long-running (it seceded once): dask expects it once per task.</summary>
        public bool ToldLongRunning { get; set; }

        /// <summary>Gives the task up; a run in progress is asked to stop. Caller holds the table's gate.</summary>
        public void Abandon()
        {
            Abandoned = true;
            Run?.Cancel();
        }

        /// <summary>
        /// The token a run of this task obeys (cancelled by <see cref="Abandon"/> or when the worker stops) and the one that
        /// gives the run up. Caller holds the gate.
        /// </summary>
        public (CancellationToken Stop, CancellationToken GiveUp) StartRun(CancellationToken stopping)
        {
            Run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            GiveUp = new CancellationTokenSource();
            Ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            HoldsSlot = true;
            if (Abandoned)
            {
                Run.Cancel();
            }

            return (Run.Token, GiveUp.Token);
        }

        /// <summary>Completes when the current run ends (at once when none runs). Caller holds the gate.</summary>
        public Task RunEnded => Ended?.Task ?? Task.CompletedTask;

        /// <summary>Stops waiting for the run: its worker moves on without it. Caller holds the gate.</summary>
        public void GiveUpRun() => GiveUp?.Cancel();

        /// <summary>The run ended. Caller holds the gate.</summary>
        public void EndRun()
        {
            Run?.Dispose();
            Run = null;
            GiveUp?.Dispose();
            GiveUp = null;
            Ended?.TrySetResult(true);
            Ended = null;
        }

        /// <summary>
        /// The task ran (or its value was here already): from now on the record only answers for its key. It lets the
        /// run_spec and who_has go, as a finished record lives until the scheduler frees the key, often as long as a
        /// client holds it, and would otherwise keep the whole decoded compute-task alive with it.
        /// </summary>
        public void Finish()
        {
            State = WorkerTaskState.Finished;
            Message = Message.Spent();
        }

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
