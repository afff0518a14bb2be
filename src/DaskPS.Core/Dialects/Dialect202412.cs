using System;
using System.Collections.Generic;
using System.Linq;
using DaskPS.Client;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Protocol.Pickle;
using DaskPS.Tasks;

namespace DaskPS.Dialects
{
    /// <summary>
    /// dask.distributed 2024.12: the graph must arrive as a pickle, and workers receive their task pickled by the
    /// scheduler. DaskPS writes an inert pickle — ToPickle(HighLevelGraph) of MaterializedLayers of dask Task
    /// objects, with no REDUCE — whose tasks carry the opaque DaskPS payload as their first argument.
    /// </summary>
    internal sealed class Dialect202412 : SchedulerDialect
    {
        /// <summary>The Task's func: an inert marker (never called: DaskPS workers read the payload instead).</summary>
        internal const string TaskMarker = "daskps/v1";

        private static readonly PickleGlobal ToPickle = new PickleGlobal("distributed.protocol.serialize", "ToPickle");
        private static readonly PickleGlobal HighLevelGraph = new PickleGlobal("dask.highlevelgraph", "HighLevelGraph");
        private static readonly PickleGlobal MaterializedLayer = new PickleGlobal("dask.highlevelgraph", "MaterializedLayer");
        private static readonly PickleGlobal Task = new PickleGlobal("dask._task_spec", "Task");
        private static readonly PickleGlobal Alias = new PickleGlobal("dask._task_spec", "Alias");

        public override string Name => "2024.12";

        public override MsgMap UpdateGraph(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId)
        {
            // Scheduling options travel as layer annotations: one layer per distinct set of options.
            var layers = new MsgMap();
            foreach (IGrouping<string, DaskNode> group in nodes.GroupBy(n => Signature(n.Options), StringComparer.Ordinal))
            {
                var mapping = new MsgMap();
                foreach (DaskNode node in group)
                {
                    mapping[node.Key] = TaskObject(node);
                }

                layers[$"daskps-{layers.Count}"] = new PickleObject(MaterializedLayer, null, new MsgMap()
                    .With("annotations", Annotations(group.First().Options))
                    .With("collection_annotations", null)
                    .With("mapping", mapping));
            }

            var layerDependencies = new MsgMap();
            foreach (object name in layers.Keys)
            {
                layerDependencies[name] = new PickleSet(new List<object?>());
            }

            var graph = new PickleObject(ToPickle, null, new MsgMap().With("data", new PickleObject(HighLevelGraph, null, new MsgMap()
                .With("layers", layers)
                .With("dependencies", layerDependencies)
                .With("key_dependencies", new MsgMap()))));

            var userPriority = new MsgMap();
            foreach (DaskNode node in nodes.Where(n => n.Options.Priority != 0))
            {
                userPriority[node.Key] = (long)node.Options.Priority;
            }

            return new MsgMap()
                .With("op", "update-graph")
                .With("client", clientId)
                .With("graph_header", new MsgMap().With("serializer", "pickle").With("writeable", Array.Empty<object?>()))
                .With("graph_frames", new object?[] { PickleWriter.Write(graph) })
                .With("keys", nodes.Select(n => (object?)n.Key).ToArray())
                // Plain msgpack, never ToPickle: and {} not {"collections": [...]}, which breaks the next update-graph.
                .With("span_metadata", new MsgMap())
                .With("internal_priority", null)
                .With("submitting_task", null)
                .With("user_priority", userPriority)
                .With("actors", null)
                .With("fifo_timeout", 0.0)
                .With("code", Array.Empty<object?>())
                .With("annotations", new MsgMap())
                .With("stimulus_id", stimulusId);
        }

        protected override void CompleteRegistration(MsgMap registration)
        {
            // Nothing to add: 2024.12's handler takes exactly the common fields.
        }

        public override ComputeTask DecodeComputeTask(MsgMap message) =>
            new ComputeTask(message.Get("key"), WireFields.Priority(message.Get("priority")), WireFields.WhoHas(message.Get("who_has")),
                message.Get("run_id"), () => ReadSpec(message.Get("run_spec")));

        private static TaskSpec ReadSpec(object? runSpecField)
        {
            if (runSpecField is not PickledPayload pickled || pickled.Pickle is not byte[] bytes)
            {
                throw new TaskNotRunnableException("The task carries no pickled run_spec; it was not submitted by DaskPS.");
            }

            object? runSpec;
            try
            {
                runSpec = PickleReader.Read(bytes, pickled.Buffers);
            }
            catch (DaskProtocolException e)
            {
                throw new TaskNotRunnableException($"The task is not a DaskPS task (probably a Python function from a Python client): its pickle cannot be read ({e.Message})");
            }

            if (runSpec is not PickleObject task || !task.IsA("dask._task_spec", "Task") || task.Attributes is not IDictionary<object, object?> slots
                || !slots.TryGetValue("func", out object? func) || func is not TaskMarker)
            {
                throw new TaskNotRunnableException("The task is a Python function (submitted by a Python client); DaskPS workers run only DaskPS tasks.");
            }

            if (!slots.TryGetValue("args", out object? args) || args is not object?[] { Length: > 0 } list || list[0] is not byte[] payload)
            {
                throw new TaskNotRunnableException("The DaskPS task in the pickle has no payload argument.");
            }

            return TaskSpec.FromPayload(MsgPackSerializer.Deserialize(payload));
        }

        // The scheduler matches reports to the run it started.
        protected override MsgMap CompleteTaskReport(MsgMap report, ComputeTask task) => report.With("run_id", task.RunId);

        private static PickleObject TaskObject(DaskNode node)
        {
            var args = new List<object?> { node.Spec!.ToPayload().Frames[0].ToArray() };
            var dependencies = node.Dependencies.Select(d => (object?)d.Key).Distinct().ToList();
            args.AddRange(dependencies.Select(key => (object?)AliasObject(key!)));

            // Every slot set: a missing _token only fails when the same key is submitted again.
            return new PickleObject(Task, null, new object?[]
            {
                null,
                new MsgMap()
                    .With("key", node.Key)
                    .With("func", TaskMarker)
                    .With("args", args.ToArray())
                    .With("kwargs", new MsgMap())
                    .With("_dependencies", new PickleFrozenSet(dependencies))
                    .With("_token", null)
                    .With("_is_coro", null)
                    .With("_repr", null),
            });
        }

        private static PickleObject AliasObject(object key) =>
            new PickleObject(Alias, null, new object?[]
            {
                null,
                new MsgMap().With("key", key).With("target", key).With("_dependencies", new PickleFrozenSet(new[] { key })),
            });

        private static MsgMap Annotations(DaskTaskOptions options)
        {
            var resources = new MsgMap().With(Routing.Resource, 1.0);
            foreach (KeyValuePair<string, double> pair in options.Resources ?? new Dictionary<string, double>())
            {
                resources[pair.Key] = pair.Value;
            }

            var annotations = new MsgMap().With("resources", resources);
            if (options.Workers is { Count: > 0 } workers)
            {
                annotations["workers"] = workers.Cast<object?>().ToList();
            }

            if (options.Retries > 0)
            {
                annotations["retries"] = (long)options.Retries;
            }

            return annotations;
        }

        private static string Signature(DaskTaskOptions options) =>
            string.Join("|", string.Join(",", options.Workers ?? Array.Empty<string>()), options.Retries,
                string.Join(",", (options.Resources ?? new Dictionary<string, double>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")));
    }
}
