using System;
using System.Management.Automation;
using DaskPS.Client;
using DaskPS.Comm;
using DaskPS.Cmdlets.Completers;
using DaskPS.Cmdlets.Sessions;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>Connects to a dask scheduler (or starts a local one with workers) and makes it the default session.</summary>
    [Cmdlet(VerbsCommunications.Connect, "DaskScheduler", DefaultParameterSetName = AddressSet)]
    [OutputType(typeof(DaskSession))]
    public sealed class ConnectDaskSchedulerCommand : DaskTlsPeerCmdlet
    {
        private const string AddressSet = "Address";
        private const string LocalSet = "Local";

        /// <summary>The scheduler address, e.g. tcp://127.0.0.1:8786 (tcp:// may be left out).</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = AddressSet, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(SchedulerAddressCompleter))]
        [ValidateNotNullOrEmpty]
        public string Address { get; set; } = string.Empty;

        /// <summary>Start a scheduler and workers on this machine for this session.</summary>
        [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
        public SwitchParameter Local { get; set; }

        /// <summary>Workers to start with -Local.</summary>
        [Parameter(ParameterSetName = LocalSet)]
        [ValidateRange(1, 64)]
        public int WorkerCount { get; set; } = Math.Max(1, Environment.ProcessorCount);

        /// <summary>Seconds to wait for the connection.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSeconds { get; set; } = 10;

        /// <summary>Do not make this the runspace's default session.</summary>
        [Parameter]
        public SwitchParameter NoDefault { get; set; }

        protected override void EndProcessing()
        {
            var options = new DaskClientOptions();
            options.Comm.ConnectTimeout = TimeSpan.FromSeconds(TimeoutSeconds);
            options.Logger = new Diagnostics.DaskLogger(null);
            DaskSession session;
            try
            {
                DaskSecurity security = Security;
                security.ApplyTo(options.Comm);
                session = Local
                    ? Await(ct => LocalSessions.StartAsync(WorkerCount, security, options, ct))
                    : new DaskSession(Await(ct => DaskClient.ConnectAsync(Address, options, ct)));
            }
            catch (DaskException e)
            {
                ThrowTerminatingError(ErrorOf(e, "DaskConnectFailed", Local ? "local" : Address));
                return;
            }

            WriteVerbose($"Connected to {session.Address} (dask.distributed {session.SchedulerVersion}) as {session.ClientId}.");
            if (session.Client.Dialect.Warning is string warning)
            {
                WriteWarning(warning);
            }
            SessionRegistry.Add(session, makeDefault: !NoDefault);
            WriteObject(session);
        }
    }
}
