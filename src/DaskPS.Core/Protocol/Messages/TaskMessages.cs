using System;
using System.Collections.Generic;
using DaskPS.Tasks;

namespace DaskPS.Protocol.Messages
{
    /// <summary>compute-task: the scheduler gives this worker a task to run, with who holds each dependency.</summary>
    public sealed class ComputeTask
    {
        private readonly Func<TaskSpec> _readSpec;

        public ComputeTask(object? key, object?[] priority, IReadOnlyDictionary<object, IReadOnlyList<string>> whoHas, object? runId, Func<TaskSpec> readSpec)
        {
            Key = key;
            Priority = priority;
            WhoHas = whoHas;
            RunId = runId;
            _readSpec = readSpec;
        }

        public object? Key { get; }

        /// <summary>The scheduler's priority tuple: lower runs first.</summary>
        public object?[] Priority { get; }

        public IReadOnlyDictionary<object, IReadOnlyList<string>> WhoHas { get; }

        /// <summary>Which run of the key this is (2024.12+); echoed in the report, null where the release has none.</summary>
        public object? RunId { get; }

        /// <summary>
        /// The DaskPS task the message carries, read only when it is about to run: a task that is not DaskPS's
        /// fails alone (<see cref="TaskNotRunnableException"/>) instead of breaking the stream.
        /// </summary>
        public TaskSpec ReadSpec() => _readSpec();
    }

    /// <summary>What a worker reports about a task it ran: the common part of task-finished and task-erred.</summary>
    public abstract class TaskReport
    {
        protected TaskReport(ComputeTask task, double start, double stop, string stimulusId)
        {
            Task = task;
            Start = start;
            Stop = stop;
            StimulusId = stimulusId;
        }

        public ComputeTask Task { get; }

        /// <summary>Unix seconds; stop is after start (a zero duration breaks 2022.12's work stealing).</summary>
        public double Start { get; }

        public double Stop { get; }

        public string StimulusId { get; }

        public long Thread { get; } = Environment.CurrentManagedThreadId;
    }

    /// <summary>task-finished: the value is in this worker's memory.</summary>
    public sealed class TaskFinished : TaskReport
    {
        public TaskFinished(ComputeTask task, long size, string typeName, double start, double stop, string stimulusId)
            : base(task, start, stop, stimulusId)
        {
            Size = size;
            TypeName = typeName;
        }

        public long Size { get; }

        public string TypeName { get; }
    }

    /// <summary>task-erred: the task raised.</summary>
    public sealed class TaskErred : TaskReport
    {
        public TaskErred(ComputeTask task, string errorType, string message, string? traceback, double start, double stop, string stimulusId)
            : base(task, start, stop, stimulusId)
        {
            ErrorType = errorType;
            Message = message;
            Traceback = traceback;
        }

        public string ErrorType { get; }

        public string Message { get; }

        public string? Traceback { get; }
    }

    /// <summary>steal-response: the state of a task the scheduler wants back (null when this worker does not have it).</summary>
    public sealed class StealResponse
    {
        public StealResponse(object? key, string? state, object? stimulusId)
        {
            Key = key;
            State = state;
            StimulusId = stimulusId;
        }

        public object? Key { get; }

        public string? State { get; }

        public object? StimulusId { get; }
    }
}
