using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Cmdlets.Completers;
using DaskPS.Cmdlets.Jobs;
using DaskPS.Cmdlets.Scripts;
using DaskPS.Comm;
using DaskPS.Hosting;
using DaskPS.Worker;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>
    /// Starts DaskPS workers as background jobs (Get-Job, Receive-Job, Stop-Job, Remove-Job work on them), with -Wait
    /// one worker in the foreground until it is stopped, or with -HostName workers on other hosts over ssh.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "DaskWorker", SupportsShouldProcess = true, DefaultParameterSetName = LocalSet)]
    [OutputType(typeof(DaskWorkerJob), ParameterSetName = new[] { LocalSet })]
    [OutputType(typeof(DaskRemoteWorkerJob), ParameterSetName = new[] { SshSet })]
    public sealed class StartDaskWorkerCommand : DaskTlsPeerCmdlet
    {
        private const string LocalSet = "Local";
        private const string SshSet = "Ssh";

        private readonly List<string> _hosts = new List<string>();

        /// <summary>The scheduler address.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ArgumentCompleter(typeof(SchedulerAddressCompleter))]
        [ValidateNotNullOrEmpty]
        public string Scheduler { get; set; } = string.Empty;

        /// <summary>Workers to start (with -HostName, on each host).</summary>
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
        [Parameter(ParameterSetName = LocalSet)]
        public SwitchParameter Wait { get; set; }

        /// <summary>With -Wait: stop when standard input ends, so the process that holds it (ssh, for -HostName) stops the worker by closing it.</summary>
        [Parameter(ParameterSetName = LocalSet)]
        public SwitchParameter StopWhenInputEnds { get; set; }

        /// <summary>Hosts to start workers on, over ssh.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SshSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] HostName { get; set; } = Array.Empty<string>();

        /// <summary>The user to log in as (ssh's -l).</summary>
        [Parameter(ParameterSetName = SshSet)]
        [ValidateNotNullOrEmpty]
        public string? UserName { get; set; }

        /// <summary>The private key to log in with (ssh's -i).</summary>
        [Parameter(ParameterSetName = SshSet)]
        [ValidateNotNullOrEmpty]
        public string? KeyFilePath { get; set; }

        /// <summary>ssh's port on the hosts.</summary>
        [Parameter(ParameterSetName = SshSet)]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        /// <summary>More ssh settings as ssh's -o takes them, e.g. 'ProxyJump=gateway'.</summary>
        [Parameter(ParameterSetName = SshSet)]
        [ValidatePattern(@"^[A-Za-z][A-Za-z0-9]*=[^\x00-\x1f]*\z")]
        public string[]? SshOption { get; set; }

        /// <summary>The command that runs PowerShell on the hosts: a program and its first arguments.</summary>
        [Parameter(ParameterSetName = SshSet)]
        [ValidateNotNullOrEmpty]
        public string[] RemotePowerShell { get; set; } = { "pwsh" };

        /// <summary>Where DaskPS is on the hosts (its manifest or folder), when it is not on their PSModulePath.</summary>
        [Parameter(ParameterSetName = SshSet)]
        [ValidateNotNullOrEmpty]
        public string? RemoteModulePath { get; set; }

        protected override void ProcessRecord()
        {
            foreach (string host in HostName)
            {
                try
                {
                    _ = SshOptionsFor(host, null);
                    _hosts.Add(host);
                }
                catch (ArgumentException e)
                {
                    WriteError(Error(e, "DaskWorkerHostNameInvalid", ErrorCategory.InvalidArgument, host));
                }
            }
        }

        protected override void EndProcessing()
        {
            if (Wait && Count != 1)
            {
                ThrowTerminatingError(Error(new PSArgumentException("-Wait runs one worker; leave out -Count."), "DaskWorkerWaitCount", ErrorCategory.InvalidArgument, Count));
            }

            if (StopWhenInputEnds && !Wait)
            {
                ThrowTerminatingError(Error(new PSArgumentException("-StopWhenInputEnds stops a worker run with -Wait; add -Wait."), "DaskWorkerInputEndNeedsWait", ErrorCategory.InvalidArgument, null));
            }

            if (ParameterSetName == SshSet)
            {
                StartRemote();
                return;
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

        /// <summary>
        /// Starts -Count workers on each host at once, each as a foreground worker over ssh, and writes their jobs once
        /// each has registered or failed (a failed one also as an error naming its host).
        /// </summary>
        private void StartRemote()
        {
            if (Certificate is not null)
            {
                ThrowTerminatingError(Error(new PSArgumentException("-Certificate cannot be sent to another host; give -CertificateFile (and -KeyFile) with files on the hosts."), "DaskWorkerRemoteCertificate", ErrorCategory.InvalidArgument, Certificate));
            }

            var started = new List<(DaskRemoteWorkerJob Job, Task Start)>();
            int total = _hosts.Count * Count;
            foreach (string host in _hosts)
            {
                for (int i = 0; i < Count; i++)
                {
                    string? name = Name is null ? null : total == 1 ? Name : $"{Name}-{started.Count + 1}";
                    if (!ShouldProcess(host, $"Start DaskPS worker{(name is null ? string.Empty : " " + name)} for {Scheduler} over ssh"))
                    {
                        continue;
                    }

                    SshWorkerOptions options = SshOptionsFor(host, name);
                    var job = new DaskRemoteWorkerJob(name ?? "DaskWorker@" + host, MyInvocation.Line, host, Scheduler);
                    options.Log = job.Relay;
                    started.Add((job, Task.Run(() => job.StartAsync(options, Cancellation))));
                }
            }

            foreach ((DaskRemoteWorkerJob job, Task start) in started)
            {
                try
                {
                    start.GetAwaiter().GetResult();
                    WriteVerbose($"DaskPS worker {job.WorkerName} at {job.Address} on {job.HostName} registered with {Scheduler}.");
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: the starts still under way give up (they share the token); the workers already up stop again.
                    Task.WhenAll(started.Select(s => s.Start)).ContinueWith(_ => { }, TaskScheduler.Default).Wait();
                    started.ForEach(s => s.Job.StopJob());
                    throw;
                }
                catch (Exception e) when (e is DaskException || e is ArgumentException)
                {
                    WriteError(Error(e, "DaskRemoteWorkerStartFailed", e is DaskTimeoutException ? ErrorCategory.OperationTimeout : ErrorCategory.ResourceUnavailable, job.HostName));
                }

                DaskJobSourceAdapter.Add(this, job);
                WriteObject(job);
            }
        }

        /// <summary>How to reach <paramref name="host"/> and start the worker <paramref name="name"/> there; fails on a host name or setting ssh could misread.</summary>
        private SshWorkerOptions SshOptionsFor(string host, string? name)
        {
            var options = new SshWorkerOptions(host, RemoteCommand(name))
            {
                UserName = UserName,
                Port = Port == 0 ? null : Port,
                KeyFile = KeyFilePath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(KeyFilePath),
            };
            foreach (string option in SshOption ?? Array.Empty<string>())
            {
                options.Options.Add(option);
            }

            return options;
        }

        /// <summary>
        /// The remote side: PowerShell runs Start-DaskWorker -Wait with this command's settings, and the worker stops when
        /// ssh closes its input. The script goes as -EncodedCommand, so no shell on the way can change it; each value in
        /// it is a single-quoted PowerShell literal. Paths (-RemoteModulePath, TLS files, -Module) are the host's.
        /// </summary>
        private IEnumerable<string> RemoteCommand(string? name)
        {
            var script = new StringBuilder();
            // Plain lines only: no colours (progress records are not written at all: -OutputFormat Text, output redirected).
            script.Append("if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }\n");
            script.Append("Import-Module -Name ").Append(Literal(RemoteModulePath ?? "DaskPS")).Append(" -ErrorAction Stop\n");
            script.Append("Start-DaskWorker -Scheduler ").Append(Literal(Scheduler));
            script.Append(" -ThrottleLimit ").Append(ThrottleLimit.ToString(CultureInfo.InvariantCulture));
            script.Append(" -DeathTimeoutSeconds ").Append(DeathTimeoutSeconds.ToString(CultureInfo.InvariantCulture));
            // A remote worker listens on every interface and advertises its address on the route to the scheduler.
            script.Append(" -ListenAddress ").Append(Literal(ListenAddress ?? (Security.HasTls ? "tls" : "tcp") + "://0.0.0.0:0"));
            Add("-Name", name);
            Add("-ContactAddress", ContactAddress);
            Add("-CAFile", CAFile);
            Add("-CertificateFile", CertificateFile);
            Add("-KeyFile", KeyFile);
            if (Module is not null)
            {
                script.Append(" -Module ").Append(string.Join(",", Module.Select(Literal)));
            }

            if (InitializationScript is not null)
            {
                script.Append(" -InitializationScript ([scriptblock]::Create(").Append(Literal(InitializationScript.ToString())).Append("))");
            }

            if (Resources is not null)
            {
                script.Append(" -Resources @{ ");
                foreach (DictionaryEntry entry in Resources)
                {
                    double amount = Convert.ToDouble(entry.Value, CultureInfo.InvariantCulture);
                    script.Append(Literal(entry.Key.ToString()!)).Append(" = ").Append(amount.ToString("R", CultureInfo.InvariantCulture)).Append("; ");
                }

                script.Append('}');
            }

            if (RequireEncryption)
            {
                script.Append(" -RequireEncryption");
            }

            script.Append(" -Wait -StopWhenInputEnds\n");
            string encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(script.ToString()));
            // -EncodedCommand alone makes PowerShell write its error stream as CLIXML: the log must stay plain lines.
            return RemotePowerShell.Concat(new[] { "-NoProfile", "-NonInteractive", "-OutputFormat", "Text", "-EncodedCommand", encoded });

            void Add(string parameter, string? value)
            {
                if (value is not null)
                {
                    script.Append(' ').Append(parameter).Append(' ').Append(Literal(value));
                }
            }

            static string Literal(string value) => "'" + CodeGeneration.EscapeSingleQuotedStringContent(value) + "'";
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
            using IDisposable? inputEnd = StopWhenInputEnds ? DaskPS.Hosting.InputEnd.Watch(terminated.Set) : null;
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
