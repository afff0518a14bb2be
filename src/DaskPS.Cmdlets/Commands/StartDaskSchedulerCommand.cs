using System;
using System.Management.Automation;
using DaskPS.Cmdlets.Jobs;
using DaskPS.Comm;
using DaskPS.Hosting;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>Starts the real Python dask-scheduler as a child process, managed as a job.</summary>
    [Cmdlet(VerbsLifecycle.Start, "DaskScheduler", SupportsShouldProcess = true)]
    [OutputType(typeof(DaskSchedulerJob))]
    public sealed class StartDaskSchedulerCommand : DaskTlsCmdlet
    {
        /// <summary>Port to listen on; 0 picks a free one.</summary>
        [Parameter]
        [ValidateRange(0, 65535)]
        public int Port { get; set; }

        /// <summary>Interface to listen on (loopback by default).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string HostName { get; set; } = "127.0.0.1";

        /// <summary>A Python with dask.distributed; by default dask-scheduler is looked up on PATH.</summary>
        [Parameter]
        public string? PythonPath { get; set; }

        protected override void EndProcessing()
        {
            if (!ShouldProcess($"{HostName}:{Port}", "Start dask-scheduler"))
            {
                return;
            }

            var options = new LocalSchedulerOptions { Host = HostName, Port = Port, PythonPath = PythonPath, Security = Security };
            LocalScheduler scheduler;
            try
            {
                scheduler = Await(ct => LocalScheduler.StartAsync(options, ct));
            }
            catch (DaskTlsException e)
            {
                ThrowTerminatingError(ErrorOf(e, "DaskSchedulerStartFailed", options));
                return;
            }
            catch (DaskException e)
            {
                ThrowTerminatingError(Error(e, "DaskSchedulerStartFailed", ErrorCategory.ResourceUnavailable, options));
                return;
            }

            var job = new DaskSchedulerJob(scheduler, MyInvocation.Line);
            DaskJobSourceAdapter.Add(this, job);
            WriteVerbose($"dask-scheduler {scheduler.ProcessId} listening at {scheduler.Address}.");
            WriteObject(job);
        }
    }
}
