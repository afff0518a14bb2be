using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using DaskPS.Client;
using DaskPS.Cmdlets.Sessions;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>A cmdlet that collects nodes from its arguments and the pipeline and acts on them all at the end.</summary>
    public abstract class DaskNodesCmdlet : DaskCmdlet
    {
        private readonly List<DaskNode> _nodes = new List<DaskNode>();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNull]
        public DaskNode[] Node { get; set; } = null!;

        [Parameter]
        public DaskSession? Client { get; set; }

        /// <summary>Every node given, in order (repeats included).</summary>
        protected IReadOnlyList<DaskNode> Nodes => _nodes;

        protected override void ProcessRecord() => _nodes.AddRange(Node);

        /// <summary>-Client, else the session that follows all the nodes, else the default (or, in a task, its cluster).</summary>
        protected DaskSession ResolveNodesSession()
        {
            DaskClient? shared = _nodes.Select(n => n.Client).Distinct().Count() == 1 ? _nodes[0].Client : null;
            return ResolveSession(Client ?? (shared is null ? null : SessionRegistry.Of(shared)));
        }
    }
}
