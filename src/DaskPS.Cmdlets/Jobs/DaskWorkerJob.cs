using System;
using System.Threading.Tasks;
using DaskPS.Worker;

namespace DaskPS.Cmdlets.Jobs
{
    /// <summary>A DaskPS worker as a job: Receive-Job shows its log, Stop-Job closes it (the scheduler moves its data first on retire).</summary>
    public sealed class DaskWorkerJob : DaskJob
    {
        public const string TypeName = "DaskWorkerJob";

        private DaskWorker? _worker;

        internal DaskWorkerJob(string workerName, string command)
            : base(command, workerName, TypeName)
        {
        }

        /// <summary>The worker's address (empty until it has started).</summary>
        public string Address => _worker?.Address ?? string.Empty;

        public string Scheduler => _worker?.SchedulerAddress ?? string.Empty;

        /// <summary>Task slots (dask's nthreads).</summary>
        public int Slots => _worker?.Slots ?? 0;

        public int TasksRun => _worker?.TasksRun ?? 0;

        public string WorkerStatus => _worker?.Status ?? "init";

        public override string Location => Address;

        /// <summary>Starts the worker; the job runs until it stops.</summary>
        internal async Task StartAsync(DaskWorker worker, System.Threading.CancellationToken cancellationToken)
        {
            _worker = worker;
            await worker.StartAsync(cancellationToken).ConfigureAwait(false);
            Started();
            _ = worker.Completion.ContinueWith(t => Ended(t.Exception?.InnerException), TaskScheduler.Default);
        }

        protected override Task StopCoreAsync() => _worker?.CloseAsync() ?? Task.CompletedTask;
    }
}
