using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using DaskPS.Client;
using DaskPS.Cmdlets.Completers;
using DaskPS.Cmdlets.Sessions;
using DaskPS.Cmdlets.Values;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>Copies nodes' results onto more workers (dask's replicate).</summary>
    [Cmdlet(VerbsCommon.Copy, "DaskData", SupportsShouldProcess = true)]
    [OutputType(typeof(DaskNode))]
    public sealed class CopyDaskDataCommand : DaskNodesCmdlet
    {
        /// <summary>Copies to keep in all (default: one on every worker).</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int? Count { get; set; }

        /// <summary>Workers to copy onto.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(WorkerAddressCompleter))]
        public string[]? Workers { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void EndProcessing()
        {
            DaskSession session = ResolveNodesSession();
            string where = Workers is { Length: > 0 } ? string.Join(", ", Workers) : Count is int n ? $"{n} workers" : "every worker";
            if (Nodes.Count == 0 || !ShouldProcess($"{Nodes.Count} node(s)", $"Copy to {where}"))
            {
                return;
            }

            try
            {
                if (Await(ct => session.Client.IsActiveMemoryManagerRunningAsync(ct)))
                {
                    WriteWarning($"The Active Memory Manager of the scheduler at {session.Address} is running: it removes copies it deems extra within seconds, so these may not last. " +
                        "Start the scheduler with the dask setting distributed.scheduler.active-memory-manager.start: false (schedulers DaskPS starts have it off).");
                }

                Await(ct => session.Client.ReplicateAsync(Nodes, Count, Workers, ct));
            }
            catch (DaskException e)
            {
                WriteError(Error(e, "DaskCopyFailed", CategoryOf(e), Nodes));
                return;
            }

            if (PassThru)
            {
                WriteObject(Nodes, enumerateCollection: true);
            }
        }
    }

    /// <summary>Places values on the cluster (dask's scatter) and writes a node for each.</summary>
    [Cmdlet(VerbsCommunications.Send, "DaskData", SupportsShouldProcess = true)]
    [OutputType(typeof(DaskNode))]
    public sealed class SendDaskDataCommand : DaskCmdlet
    {
        private readonly List<object?> _values = new List<object?>();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [AllowNull]
        public PSObject? InputObject { get; set; }

        /// <summary>Workers to place the data on.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(WorkerAddressCompleter))]
        public string[]? Workers { get; set; }

        /// <summary>Place every value on every worker.</summary>
        [Parameter]
        public SwitchParameter Broadcast { get; set; }

        [Parameter]
        [ValidateRange(1, 20)]
        public int Depth { get; set; } = PSValueConverter.DefaultDepth;

        [Parameter]
        public DaskSession? Client { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                _values.Add(PSValueConverter.ToWire(InputObject, Depth));
            }
            catch (DaskValueTooDeepException e)
            {
                WriteError(Error(e, "DaskValueTooDeep", ErrorCategory.LimitsExceeded, InputObject));
            }
        }

        protected override void EndProcessing()
        {
            DaskSession session = ResolveSession(Client);
            if (_values.Count == 0 || !ShouldProcess(session.Address, $"Send {_values.Count} value(s)"))
            {
                return;
            }

            try
            {
                WriteObject(Await(ct => session.Client.ScatterAsync(_values, Workers, Broadcast, ct)), enumerateCollection: true);
            }
            catch (DaskException e)
            {
                ThrowTerminatingError(Error(e, "DaskSendFailed", CategoryOf(e), null));
            }
        }
    }

    /// <summary>The workers as the scheduler sees them.</summary>
    [Cmdlet(VerbsCommon.Get, "DaskWorker")]
    [OutputType(typeof(DaskWorkerInfo))]
    public sealed class GetDaskWorkerCommand : DaskCmdlet
    {
        /// <summary>Only workers whose name or address matches (wildcards allowed).</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string[]? Name { get; set; }

        [Parameter]
        public DaskSession? Client { get; set; }

        protected override void EndProcessing()
        {
            DaskSession session = ResolveSession(Client);
            IReadOnlyList<DaskWorkerInfo> workers = Await(ct => session.Client.GetWorkersAsync(ct));
            WildcardPattern[] patterns = (Name ?? new[] { "*" }).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
            WriteObject(workers.Where(w => patterns.Any(p => p.IsMatch(w.Name ?? string.Empty) || p.IsMatch(w.Address))), enumerateCollection: true);
        }
    }

    /// <summary>Shuts a session down: the scheduler forgets its work; what -Local started is stopped.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "DaskClient", SupportsShouldProcess = true)]
    public sealed class StopDaskClientCommand : DaskCmdlet
    {
        [Parameter(Position = 0, ValueFromPipeline = true)]
        public DaskSession? Client { get; set; }

        protected override void ProcessRecord()
        {
            DaskSession? session = Client ?? SessionRegistry.Default;
            if (session is null)
            {
                WriteError(Error(new InvalidOperationException("There is no Dask session to stop."), "NoDaskSession", ErrorCategory.ObjectNotFound, null));
                return;
            }

            if (!ShouldProcess(session.Address, session.IsLocal ? "Shut down the client and the local cluster" : "Shut down the client"))
            {
                return;
            }

            SessionRegistry.Remove(session);
            Await(_ => session.CloseAsync());
        }
    }
}
