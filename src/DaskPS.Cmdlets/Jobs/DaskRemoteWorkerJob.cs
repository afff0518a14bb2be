using System;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Diagnostics;
using DaskPS.Hosting;

namespace DaskPS.Cmdlets.Jobs
{
    /// <summary>
    /// A DaskPS worker on another host, run over ssh, as a job: Receive-Job shows the remote worker's log, Stop-Job
    /// ends its input so it leaves the scheduler and exits, and the job fails, naming the host, when ssh or the remote
    /// worker does.
    /// </summary>
    public sealed class DaskRemoteWorkerJob : DaskJob
    {
        public const string TypeName = "DaskRemoteWorkerJob";

        /// <summary>How long a stopping remote worker may take to leave its scheduler before ssh is killed.</summary>
        private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

        private SshWorker? _worker;

        internal DaskRemoteWorkerJob(string jobName, string command, string hostName, string scheduler)
            : base(command, jobName, TypeName)
        {
            HostName = hostName;
            Scheduler = scheduler;
        }

        public string HostName { get; }

        public string Scheduler { get; }

        /// <summary>The remote worker's address (empty until it has registered).</summary>
        public string Address => _worker?.Address ?? string.Empty;

        /// <summary>The name the remote worker registered with (empty until then).</summary>
        public string WorkerName => _worker?.Name ?? string.Empty;

        public override string Location => HostName;

        /// <summary>The remote worker's lines, as they come: they carry the remote host's time.</summary>
        internal void Relay(DaskLogLevel level, string line) => Record(level, line);

        /// <summary>Starts ssh and waits for the remote worker to register; the job runs until it stops, or fails with the reason.</summary>
        internal async Task StartAsync(SshWorkerOptions options, CancellationToken cancellationToken)
        {
            try
            {
                _worker = await SshWorker.StartAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DaskException || e is ArgumentException)
            {
                Ended(e);
                throw;
            }

            Started();
            _ = _worker.Completion.ContinueWith(t => Ended(t.Exception?.InnerException), TaskScheduler.Default);
        }

        protected override Task StopCoreAsync() => _worker?.StopAsync(StopGrace) ?? Task.CompletedTask;
    }
}
