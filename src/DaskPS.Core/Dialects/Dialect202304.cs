using System;
using System.Collections.Generic;
using System.Linq;
using DaskPS.Client;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Pickle;
using DaskPS.Tasks;

namespace DaskPS.Dialects
{
    /// <summary>
    /// dask.distributed 2023.4 to 2025.3: the graph arrives as a pickle (graph_header/graph_frames) of a
    /// HighLevelGraph, which DaskPS writes inert (<see cref="TaskPickles"/>); registration takes exactly the common fields.
    /// Steps inside the range, each checked against the release:
    /// <list type="bullet">
    /// <item>2023.4–2023.8.0: workers get the task as legacy function/args fields; from 2023.8.1 as a pickled run_spec.</item>
    /// <item>2023.8.1: get_data no longer takes max_connections (so no client can forbid "busy").</item>
    /// <item>2024.5.2: update-graph requires span_metadata.</item>
    /// <item>2024.7.1: Lock is a semaphore of one lease; semaphore_register requires lease_timeout.</item>
    /// <item>2024.8.2: a variable's reader confirms a future with variable-future-received-confirm.</item>
    /// <item>2024.11.0: tasks are dask Task objects (before: legacy tuples); 2025.1.0 adds the Task slot _data_producer.</item>
    /// <item>2025.3.0: cancel requires reason and msg.</item>
    /// </list>
    /// </summary>
    internal sealed class Dialect202304 : SchedulerDialect
    {
        public static readonly DaskRelease First = DaskRelease.Parse("2023.4.0");

        private static readonly DaskRelease RunSpecPickled = DaskRelease.Parse("2023.8.1");
        private static readonly DaskRelease SpanMetadataRequired = DaskRelease.Parse("2024.5.2");
        private static readonly DaskRelease LockSemaphores = DaskRelease.Parse("2024.7.1");
        private static readonly DaskRelease VariableReceivedConfirm = DaskRelease.Parse("2024.8.2");
        private static readonly DaskRelease TaskObjects = DaskRelease.Parse("2024.11.0");
        private static readonly DaskRelease DataProducerSlot = DaskRelease.Parse("2025.1.0");
        private static readonly DaskRelease LongRunningRunId = DaskRelease.Parse("2025.2.0");
        private static readonly DaskRelease CancelReasonRequired = DaskRelease.Parse("2025.3.0");

        public Dialect202304(DaskRelease release) : base(release) { }

        public override string Name => "2023.4";

        public override bool ClientsCanForbidBusy => Release < RunSpecPickled;

        public override MsgMap UpdateGraph(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId)
        {
            bool taskObjects = Release >= TaskObjects;
            bool dataProducer = Release >= DataProducerSlot;
            PickleObject graph = TaskPickles.HighLevelGraph(nodes, node => taskObjects ? TaskPickles.TaskObject(node, dataProducer) : TaskPickles.TupleTask(node));

            MsgMap message = TaskPickles.UpdateGraph(clientId, nodes, stimulusId, annotations: new MsgMap())
                .With("graph_header", TaskPickles.PickleHeader())
                .With("graph_frames", new object?[] { PickleWriter.Write(graph) });
            if (Release >= SpanMetadataRequired)
            {
                // Plain msgpack, never ToPickle: and {} not {"collections": [...]}, which breaks the next update-graph.
                message["span_metadata"] = new MsgMap();
            }

            return message;
        }

        protected override TaskSpec ReadTaskSpec(MsgMap computeTask) => Release < RunSpecPickled && computeTask.Get("run_spec") is null
            ? TaskPickles.FromLegacyArguments(computeTask.Get("args"))
            : TaskPickles.FromRunSpec(computeTask.Get("run_spec"));

        protected override bool CancelTakesReason => Release >= CancelReasonRequired;

        protected override bool LongRunningTakesRunId => Release >= LongRunningRunId;

        public override bool LocksAreSemaphores => Release >= LockSemaphores;

        public override string VariableFutureReceivedOp => Release >= VariableReceivedConfirm ? "variable-future-received-confirm" : base.VariableFutureReceivedOp;
    }
}
