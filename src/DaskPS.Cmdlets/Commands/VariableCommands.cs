using System;
using System.Management.Automation;
using DaskPS.Client.Coordination;
using DaskPS.Cmdlets.Values;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>Sets a dask variable (distributed.Variable.set).</summary>
    [Cmdlet(VerbsCommon.Set, "DaskVariable", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class SetDaskVariableCommand : NamedCoordinationCmdlet
    {
        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
        [AllowNull]
        public PSObject? Value { get; set; }

        protected override string Primitive => "Variable";

        protected override void ProcessRecord()
        {
            if (!ShouldProcess(Name, "Set the variable"))
            {
                return;
            }

            var variable = new DaskVariable(Session, Name);
            if (!TryPlain(Value, out object? value))
            {
                return;
            }

            TryRun(token => variable.SetAsync(value, token));
        }
    }

    /// <summary>Writes a dask variable's value (distributed.Variable.get), waiting for it to be set.</summary>
    [Cmdlet(VerbsCommon.Get, "DaskVariable")]
    [OutputType(typeof(object))]
    public sealed class GetDaskVariableCommand : NamedCoordinationCmdlet
    {
        /// <summary>How long to wait for the variable to be set; by default, until it is (or Ctrl+C).</summary>
        [Parameter]
        public TimeSpan? Timeout { get; set; }

        protected override string Primitive => "Variable";

        protected override void EndProcessing()
        {
            var variable = new DaskVariable(Session, Name);
            if (!TryRun(token => variable.GetAsync(Timeout, token), out (bool Found, object? Value) got))
            {
                return;
            }

            if (got.Found)
            {
                WriteObject(PSValueConverter.FromWire(got.Value));
            }
            else
            {
                WriteTimeout("DaskVariableNotSet", $"The variable '{Name}' was not set within {Timeout}.");
            }
        }
    }

    /// <summary>Deletes a dask variable for every client (distributed.Variable.delete).</summary>
    [Cmdlet(VerbsCommon.Remove, "DaskVariable", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class RemoveDaskVariableCommand : NamedCoordinationCmdlet
    {
        protected override string Primitive => "Variable";

        protected override void EndProcessing()
        {
            if (ShouldProcess(Name, "Delete the variable for every client"))
            {
                var variable = new DaskVariable(Session, Name);
                TryRun(_ =>
                {
                    variable.Delete();
                    return System.Threading.Tasks.Task.CompletedTask;
                });
            }
        }
    }
}
