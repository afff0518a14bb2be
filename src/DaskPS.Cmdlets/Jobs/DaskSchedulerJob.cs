using System;
using System.Threading.Tasks;
using DaskPS.Hosting;

namespace DaskPS.Cmdlets.Jobs
{
    /// <summary>A dask-scheduler child process as a job: its log is the job output; Stop-Job ends the process.</summary>
    public sealed class DaskSchedulerJob : DaskJob
    {
        public const string TypeName = "DaskSchedulerJob";

        private readonly LocalScheduler _scheduler;

        internal DaskSchedulerJob(LocalScheduler scheduler, string command)
            : base(command, $"DaskScheduler-{scheduler.ProcessId}", TypeName)
        {
            _scheduler = scheduler;
            Address = scheduler.Address;
            ProcessId = scheduler.ProcessId;
            scheduler.Follow(line => Logger.Info(line));
            scheduler.Exited += () => Ended(null);
            Started();
        }

        /// <summary>The scheduler's address, for Connect-DaskScheduler and Start-DaskWorker.</summary>
        public string Address { get; }

        /// <summary>The dask-scheduler process (kept after it has ended, to look for it).</summary>
        public int ProcessId { get; }

        public override string Location => Address;

        protected override Task StopCoreAsync() => _scheduler.DisposeAsync().AsTask();
    }
}
