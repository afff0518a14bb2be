using System;
using System.Collections.Generic;
using System.Linq;
using DaskPS.Client;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Protocol.Pickle;

namespace DaskPS.Dialects
{
    /// <summary>
    /// dask.distributed 2025.4 and later: update-graph carries the graph as <c>expr_ser</c>, a serialized pickle of a
    /// dask expression. DaskPS writes an LLGExpr built from builtins only (Expr has its own <c>__new__</c>), holding
    /// Task objects with all nine slots. An LLGExpr has no per-task annotations, so each run of nodes with equal options
    /// is its own update-graph with message-level annotations (runs are in dependency order, so every dependency is
    /// known to the scheduler when a run arrives). Workers get the Task with positional state; compute-task has no
    /// duration; cancel requires reason and msg; get_data takes no max_connections.
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
            var serialized = new SerializedPayload(
                new MsgMap().With("serializer", "pickle").With("writeable", Array.Empty<object?>()),
                new ReadOnlyMemory<byte>[] { PickleWriter.Write(expression) });

            return new MsgMap()
                .With("op", "update-graph")
                .With("client", clientId)
                .With("expr_ser", serialized)
                .With("keys", nodes.Select(n => (object?)n.Key).ToArray())
                .With("span_metadata", new MsgMap())
                .With("internal_priority", null)
                .With("submitting_task", null)
                .With("user_priority", TaskPickles.UserPriority(nodes))
                .With("actors", null)
                .With("fifo_timeout", 0.0)
                .With("annotations", TaskPickles.Annotations(nodes[0].Options))
                .With("stimulus_id", stimulusId);
        }

        public override ComputeTask DecodeComputeTask(MsgMap message) =>
            new ComputeTask(message.Get("key"), WireFields.Priority(message.Get("priority")), WireFields.WhoHas(message.Get("who_has")),
                message.Get("run_id"), () => TaskPickles.FromRunSpec(message.Get("run_spec")));

        protected override object?[]? CancelReason() => new object?[] { null, null };
    }
}
