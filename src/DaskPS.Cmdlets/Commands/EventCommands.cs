using System;
using System.Management.Automation;
using DaskPS.Client.Coordination;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>Sets a dask event (distributed.Event.set): its waiters wake.</summary>
    [Cmdlet(VerbsCommon.Set, "DaskEvent", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class SetDaskEventCommand : NamedCoordinationCmdlet
    {
        protected override string Primitive => "Event";

        protected override void EndProcessing()
        {
            if (ShouldProcess(Name, "Set the event"))
            {
                var dask = new DaskEvent(Session, Name);
                TryRun(token => dask.SetAsync(token));
            }
        }
    }

    /// <summary>Clears a dask event (distributed.Event.clear).</summary>
    [Cmdlet(VerbsCommon.Clear, "DaskEvent", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class ClearDaskEventCommand : NamedCoordinationCmdlet
    {
        protected override string Primitive => "Event";

        protected override void EndProcessing()
        {
            if (ShouldProcess(Name, "Clear the event"))
            {
                var dask = new DaskEvent(Session, Name);
                TryRun(token => dask.ClearAsync(token));
            }
        }
    }

    /// <summary>Waits for a dask event to be set (distributed.Event.wait).</summary>
    [Cmdlet(VerbsLifecycle.Wait, "DaskEvent")]
    [OutputType(typeof(void))]
    public sealed class WaitDaskEventCommand : NamedCoordinationCmdlet
    {
        /// <summary>How long to wait; by default, until it is set (or Ctrl+C).</summary>
        [Parameter]
        public TimeSpan? Timeout { get; set; }

        protected override string Primitive => "Event";

        protected override void EndProcessing()
        {
            var dask = new DaskEvent(Session, Name);
            if (TryRun(token => dask.WaitAsync(Timeout, token), out bool set) && !set)
            {
                WriteTimeout("DaskEventTimeout", $"The event '{Name}' was not set within {Timeout}.");
            }
        }
    }

    /// <summary>Whether a dask event is set (distributed.Event.is_set).</summary>
    [Cmdlet(VerbsDiagnostic.Test, "DaskEvent")]
    [OutputType(typeof(bool))]
    public sealed class TestDaskEventCommand : NamedCoordinationCmdlet
    {
        protected override string Primitive => "Event";

        protected override void EndProcessing()
        {
            var dask = new DaskEvent(Session, Name);
            if (TryRun(token => dask.IsSetAsync(token), out bool set))
            {
                WriteObject(set);
            }
        }
    }
}
