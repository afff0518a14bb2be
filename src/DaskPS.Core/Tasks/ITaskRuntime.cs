using System.Collections.Generic;
using System.Threading.Tasks;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Tasks
{
    /// <summary>Runs one kind of task payload on a worker (the .NET runtime here; PowerShell script blocks in the module).</summary>
    public interface ITaskRuntime
    {
        /// <summary>The name task specs use to pick this runtime.</summary>
        string Name { get; }

        /// <summary>
        /// Runs a task whose dependencies are already substituted into <paramref name="args"/>; it stops when
        /// <see cref="TaskRun.Stopping"/> is cancelled. Returns its task promptly: the worker gives a stuck run up by no
        /// longer waiting for that task, so a runtime that runs code synchronously runs it on a thread of its own.
        /// </summary>
        Task<object?> RunAsync(MsgMap function, IReadOnlyList<object?> args, MsgMap? kwargs, TaskRun run);
    }
}
