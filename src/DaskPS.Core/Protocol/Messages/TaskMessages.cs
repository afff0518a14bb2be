using System;
using System.Collections.Generic;
using DaskPS.Tasks;

namespace DaskPS.Protocol.Messages
{
    /// <summary>
    /// compute-task: the scheduler gives this worker a task to run, with who holds each dependency. <see cref="RunId"/>
    /// (2024.12+) is echoed in the report. <see cref="ReadSpec"/> reads the DaskPS task only when it is about to run:
    /// a task that is not DaskPS's fails alone (<see cref="TaskNotRunnableException"/>) instead of breaking the stream.
    /// </summary>
    public sealed record ComputeTask(
        object? Key, object?[] Priority, IReadOnlyDictionary<object, IReadOnlyList<string>> WhoHas, object? RunId, Func<TaskSpec> ReadSpec)
    {
        private static readonly IReadOnlyDictionary<object, IReadOnlyList<string>> NoDependencies = new Dictionary<object, IReadOnlyList<string>>();

        // Captures nothing: a closure over this record would keep the decoded message alive after all.
        private static readonly Func<TaskSpec> SpecGone = () => throw new InvalidOperationException("The task has run: its run_spec is gone.");

        /// <summary>This task without its run_spec and who_has: what the record of a task that has run still needs.</summary>
        public ComputeTask Spent() => this with { WhoHas = NoDependencies, ReadSpec = SpecGone };
    }

    /// <summary>
    /// What a worker reports about a task it ran: the common part of task-finished and task-erred. Unix seconds;
    /// stop is after start (a zero duration breaks 2022.12's work stealing).
    /// </summary>
    public abstract record TaskReport(ComputeTask Task, double Start, double Stop, string StimulusId)
    {
        public long Thread { get; } = Environment.CurrentManagedThreadId;
    }

    /// <summary>task-finished: the value is in this worker's memory.</summary>
    public sealed record TaskFinished(ComputeTask Task, long Size, string TypeName, double Start, double Stop, string StimulusId)
        : TaskReport(Task, Start, Stop, StimulusId);

    /// <summary>task-erred: the task raised.</summary>
    public sealed record TaskErred(ComputeTask Task, string ErrorType, string Message, string? Traceback, double Start, double Stop, string StimulusId)
        : TaskReport(Task, Start, Stop, StimulusId);

    /// <summary>steal-response: the state of a task the scheduler wants back (null when this worker does not have it).</summary>
    public sealed record StealResponse(object? Key, string? State, object? StimulusId);

    /// <summary>long-running: a running task gave its slot up to wait for other tasks (dask's secede).</summary>
    public sealed record LongRunning(ComputeTask Task, double ComputeDuration, string StimulusId);
}
