using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using DaskPS.Cmdlets.Completers;
using DaskPS.Cmdlets.Jobs;
using DaskPS.Cmdlets.Scripts;
using DaskPS.Comm;
using DaskPS.Worker;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>
    /// Starts DaskPS workers as background jobs (Get-Job, Receive-Job, Stop-Job, Remove-Job work on them),
    /// or with -Wait one worker in the foreground until it is stopped.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "DaskWorker", SupportsShouldProcess = true)]
    [OutputType(typeof(DaskWorkerJob))]
    public sealed class StartDaskWorkerCommand : DaskTlsPeerCmdlet
    {
        /// <summary>The scheduler address.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ArgumentCompleter(typeof(SchedulerAddressCompleter))]
        [ValidateNotNullOrEmpty]
        public string Scheduler { get; set; } = string.Empty;

        [Parameter]
        [ValidateRange(1, 256)]
        public int Count { get; set; } = 1;

        /// <summary>Tasks each worker runs at once (its nthreads).</summary>
        [Parameter]
        [ValidateRange(1, 1024)]
        public int ThrottleLimit { get; set; } = 1;

        /// <summary>Worker name (with -Count, a number is appended).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        /// <summary>Resources to advertise, e.g. @{ GPU = 1 }.</summary>
        [Parameter]
        public Hashtable? Resources { get; set; }

        /// <summary>Runs once in every runspace of the worker before any task.</summary>
        [Parameter]
        public ScriptBlock? InitializationScript { get; set; }

        /// <summary>Modules imported into every runspace of the worker.</summary>
        [Parameter]
        public string[]? Module { get; set; }

        /// <summary>Address to listen on (loopback and a free port by default, tls:// with TLS settings).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ListenAddress { get; set; }

        /// <summary>Address the worker advertises to the scheduler and peers (the listen address by default; port 0: the one it listens on).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ContactAddress { get; set; }

        /// <summary>Seconds to keep registering again after losing the scheduler before the worker stops (0: stop at once).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int DeathTimeoutSeconds { get; set; } = 60;

        /// <summary>Run one worker in the foreground until it stops (for services on nodes).</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        protected override void EndProcessing()
        {
            if (Wait && Count != 1)
            {
                ThrowTerminatingError(Error(new PSArgumentException("-Wait runs one worker; leave out -Count."), "DaskWorkerWaitCount", ErrorCategory.InvalidArgument, Count));
            }

            var comm = new CommOptions();
            try
            {
                Security.ApplyTo(comm);
            }
            catch (DaskTlsException e)
            {
                ThrowTerminatingError(ErrorOf(e, "DaskWorkerStartFailed", Scheduler));
            }

            for (int i = 0; i < Count; i++)
            {
                string? name = Name is null ? null : Count == 1 ? Name : $"{Name}-{i + 1}";
                if (!ShouldProcess(Scheduler, $"Start DaskPS worker{(name is null ? string.Empty : " " + name)}"))
                {
                    continue;
                }

                DaskWorkerJob? job = Start(name, comm);
                if (job is null)
                {
                    continue;
                }

                if (Wait)
                {
                    RunInForeground(job);
                    return;
                }

                DaskJobSourceAdapter.Add(this, job);
                WriteObject(job);
            }
        }

        /// <summary>A running worker's job, or null (after writing the error) when it could not start.</summary>
        private DaskWorkerJob? Start(string? name, CommOptions comm)
        {
            var options = new DaskWorkerOptions(Scheduler)
            {
                Name = name, Slots = ThrottleLimit, ListenAddress = ListenAddress, ContactAddress = ContactAddress, Comm = comm, DeathTimeout = TimeSpan.FromSeconds(DeathTimeoutSeconds),
            };
            foreach (DictionaryEntry entry in Resources ?? new Hashtable())
            {
                options.Resources[entry.Key.ToString()!] = Convert.ToDouble(entry.Value, System.Globalization.CultureInfo.InvariantCulture);
            }

            options.Runtimes.Add(new PowerShellRuntime(ThrottleLimit, InitializationScript?.ToString(), Module));
            var job = new DaskWorkerJob(name ?? "DaskWorker", MyInvocation.Line);
            options.Logger = job.Logger;
            try
            {
                Await(ct => job.StartAsync(new DaskWorker(options), ct));
                WriteVerbose($"DaskPS worker {job.Address} registered with {Scheduler} (task slots: {ThrottleLimit}).");
            }
            catch (DaskException e)
            {
                WriteError(ErrorOf(e, "DaskWorkerStartFailed", Scheduler));
                job.StopJob();
                job.Dispose();
                return null;
            }

            return job;
        }

        /// <summary>
        /// Streams the worker's log (warnings and errors as such) until it stops, the user presses Ctrl+C, or the process
        /// gets SIGTERM (a service manager stopping it); each closes the worker, which tells the scheduler it is leaving.
        /// A worker that failed (e.g. its scheduler stayed away past the death timeout) ends in a terminating error, so
        /// <c>pwsh -Command</c> exits non-zero.
        /// </summary>
        private void RunInForeground(DaskWorkerJob job)
        {
            ErrorRecord? failure = null;
            using var terminated = new ManualResetEventSlim();
            using IDisposable? sigterm = DaskPS.Hosting.TerminationSignal.Handle(terminated.Set);
            var wakeUps = new[] { Cancellation.WaitHandle, terminated.WaitHandle };
            try
            {
                while (!Cancellation.IsCancellationRequested && !terminated.IsSet && !job.IsFinished())
                {
                    WriteNewLogLines();
                    WaitHandle.WaitAny(wakeUps, TimeSpan.FromMilliseconds(200));
                }
            }
            finally
            {
                job.StopJob();
            }

            if (Cancellation.IsCancellationRequested)
            {
                return;
            }

            WriteNewLogLines();
            if (failure is not null)
            {
                ThrowTerminatingError(new ErrorRecord(failure.Exception, "DaskWorkerFailed", ErrorCategory.OperationStopped, job.Address));
            }

            void WriteNewLogLines()
            {
                foreach (WarningRecord warning in job.Warning.ReadAll())
                {
                    WriteWarning(warning.Message);
                }

                foreach (ErrorRecord error in job.Error.ReadAll())
                {
                    if (error.FullyQualifiedErrorId == "DaskJobFailed")
                    {
                        failure = error;
                    }
                    else
                    {
                        WriteError(error);
                    }
                }

                foreach (PSObject line in job.Output.ReadAll())
                {
                    WriteObject(line);
                }
            }
        }
    }

    internal static class JobExtensions
    {
        public static bool IsFinished(this Job job) =>
            job.JobStateInfo.State is JobState.Completed or JobState.Failed or JobState.Stopped;
    }
}
