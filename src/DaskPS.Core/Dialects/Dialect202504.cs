using System;
using System.Collections.Generic;
using System.Linq;
using DaskPS.Client;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Pickle;
using DaskPS.Tasks;

namespace DaskPS.Dialects
{
    /// <summary>
    /// dask.distributed 2025.4 and later: update-graph carries the graph as <c>expr_ser</c>, a serialized pickle of a
    /// dask expression. DaskPS writes an LLGExpr built from builtins only (Expr has its own <c>__new__</c>), holding
    /// Task objects with all nine slots. An LLGExpr has no per-task annotations, so each run of nodes with equal options
    /// is its own update-graph with message-level annotations (runs are in dependency order, so every dependency is
    /// known to the scheduler when a run arrives). Workers get the Task with positional state; compute-task has no
    /// duration; cancel requires reason and msg; get_data takes no max_connections; Lock is a semaphore of one lease;
    /// a variable's reader confirms a future with variable-future-received-confirm.
    /// </summary>
    internal sealed class Dialect202504 : SchedulerDialect
    {
        public static readonly DaskRelease First = DaskRelease.Parse("2025.4.0");

        private static readonly PickleGlobal LowLevelGraphExpression = new PickleGlobal("dask._expr", "LLGExpr");

        public Dialect202504(DaskRelease release) : base(release) { }

        public override string Name => "2025.4";

        public override bool ClientsCanForbidBusy => false;

        public override IReadOnlyList<MsgMap> UpdateGraphs(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId) =>
            TaskPickles.RunsOfEqualOptions(nodes).Select(run => UpdateGraph(clientId, run, stimulusId)).ToList();

        public override MsgMap UpdateGraph(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId)
        {
            var graph = new MsgMap(nodes.Count);
            foreach (DaskNode node in nodes)
            {
                graph[node.Key] = TaskPickles.TaskObject(node, dataProducerSlot: true);
            }

            // The scheduler culls the graph to what keys reach: every node is a key.
            var expression = new PickleInstance(LowLevelGraphExpression, PickleFill.Dict, new[]
            {
                new KeyValuePair<string, object?>("operands", new List<object?> { graph }),
                new KeyValuePair<string, object?>("_determ_token", Guid.NewGuid().ToString("N")),
            });
            var serialized = new SerializedPayload(TaskPickles.PickleHeader(), new ReadOnlyMemory<byte>[] { PickleWriter.Write(expression) });

            // The options of the run as message-level annotations; span_metadata a plain {} as in the second generation.
            return TaskPickles.UpdateGraph(clientId, nodes, stimulusId, TaskPickles.Annotations(nodes[0].Options))
                .With("expr_ser", serialized)
                .With("span_metadata", new MsgMap());
        }

        protected override TaskSpec ReadTaskSpec(MsgMap computeTask) => TaskPickles.FromRunSpec(computeTask.Get("run_spec"));

        protected override bool CancelTakesReason => true;

        protected override bool LongRunningTakesRunId => true;

        public override bool LocksAreSemaphores => true;

        public override string VariableFutureReceivedOp => "variable-future-received-confirm";
    }
}
