using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using DaskPS.Client;
using DaskPS.Cmdlets.Completers;
using DaskPS.Cmdlets.Scripts;
using DaskPS.Cmdlets.Sessions;
using DaskPS.Cmdlets.Values;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>
    /// Submits a script block as a dask task, once per pipeline input object (seen as $_), like
    /// ForEach-Object -Parallel. DaskNodes among the input and arguments become dependencies.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Submit, "DaskTask")]
    [OutputType(typeof(DaskNode))]
    public sealed class SubmitDaskTaskCommand : DaskCmdlet
    {
        private readonly List<DaskNode> _nodes = new List<DaskNode>();
        private DaskSession? _session;

        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNull]
        public ScriptBlock ScriptBlock { get; set; } = null!;

        /// <summary>Arguments for the script block's parameters (or $args).</summary>
        [Parameter]
        [Alias("Args")]
        public object?[] ArgumentList { get; set; } = new object?[0];

        /// <summary>Each object becomes one task, seen as $_.</summary>
        [Parameter(ValueFromPipeline = true)]
        public PSObject? InputObject { get; set; }

        /// <summary>Use this key instead of the computed one (one task only).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Key { get; set; }

        /// <summary>How many times the scheduler reruns a failing task.</summary>
        [Parameter]
        [ValidateRange(0, 100)]
        public int Retries { get; set; }

        /// <summary>Workers (addresses or hosts) the task must run on.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(WorkerAddressCompleter))]
        public string[]? Workers { get; set; }

        /// <summary>Resources the task needs, e.g. @{ GPU = 1 }.</summary>
        [Parameter]
        public Hashtable? Resources { get; set; }

        /// <summary>Higher runs first.</summary>
        [Parameter]
        public int Priority { get; set; }

        /// <summary>Depth of CliXml for objects that are not plain values.</summary>
        [Parameter]
        [ValidateRange(1, 20)]
        public int Depth { get; set; } = PSValueConverter.DefaultDepth;

        [Parameter]
        public DaskSession? Client { get; set; }

        protected override void BeginProcessing() => _session = ResolveSession(Client);

        protected override void ProcessRecord()
        {
            bool hasInput = MyInvocation.ExpectingInput;
            if (Key is not null && _nodes.Count > 0)
            {
                ThrowTerminatingError(Error(new PSArgumentException("-Key names one task, but more than one input object arrived."), "DaskKeyForManyTasks", ErrorCategory.InvalidArgument, Key));
            }

            var options = new DaskTaskOptions
            {
                Key = Key,
                Retries = Retries,
                Workers = Workers,
                Priority = Priority,
                Resources = Resources?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => System.Convert.ToDouble(e.Value, System.Globalization.CultureInfo.InvariantCulture)),
            };
            DaskNode node;
            try
            {
                node = ScriptTask.Create(ScriptBlock, ArgumentList, hasInput, InputObject, name => SessionState.PSVariable.GetValue(name), options, Depth);
            }
            catch (System.ArgumentException e)
            {
                ThrowTerminatingError(Error(e, "DaskTaskInvalid", ErrorCategory.InvalidArgument, ScriptBlock));
                return;
            }
            catch (DaskValueTooDeepException e)
            {
                // This input's task is not submitted; the others still are.
                WriteError(Error(e, "DaskValueTooDeep", ErrorCategory.LimitsExceeded, InputObject));
                return;
            }

            _nodes.Add(node);
            // Submitted per input so work starts while the pipeline still produces; the stream batches them.
            _session!.Client.Submit(node);
            WriteVerbose($"Submitted {node.Key} ({node.Dependencies.Count} dependencies) to {_session.Address}.");
            WriteObject(node);
        }
    }
}
