using System;
using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Scripts
{
    /// <summary>
    /// Which task each worker runspace runs now: the cmdlets a task calls find their task (its cluster, its slot) by the
    /// runspace they run in, also from inside modules, where no variable of the task's scope is visible.
    /// </summary>
    internal static class RunningTasks
    {
        private static readonly ConcurrentDictionary<Guid, TaskRun> ByRunspace = new ConcurrentDictionary<Guid, TaskRun>();

        /// <summary>The task the calling pipeline runs in, if it runs in one.</summary>
        public static TaskRun? Current =>
            Runspace.DefaultRunspace is Runspace runspace && ByRunspace.TryGetValue(runspace.InstanceId, out TaskRun? run) ? run : null;

        public static IDisposable Enter(Runspace runspace, TaskRun run)
        {
            ByRunspace[runspace.InstanceId] = run;
            return new Exit(runspace.InstanceId);
        }

        private sealed class Exit : IDisposable
        {
            private readonly Guid _runspace;

            public Exit(Guid runspace) => _runspace = runspace;

            public void Dispose() => ByRunspace.TryRemove(_runspace, out _);
        }
    }
}
