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
    /// How a DaskPS task sits inside the pickles of the releases that take graphs as pickles (2023.4 and later): the
    /// graph DaskPS writes (inert: loading it calls no dask code) and the run_spec the scheduler hands a worker.
    /// Either way the task is its DaskPS payload (msgpack bytes, opaque to dask) beside the marker below; dependencies
    /// are written as references dask recognises, so the scheduler orders and routes the tasks.
    /// </summary>
    internal static class TaskPickles
    {
        /// <summary>Marks a DaskPS task: the Task's func, or the first argument of a tuple task.</summary>
        internal const string Marker = "daskps/v1";

        private static readonly PickleGlobal ToPickle = new PickleGlobal("distributed.protocol.serialize", "ToPickle");
        private static readonly PickleGlobal HighLevelGraphType = new PickleGlobal("dask.highlevelgraph", "HighLevelGraph");
        private static readonly PickleGlobal MaterializedLayer = new PickleGlobal("dask.highlevelgraph", "MaterializedLayer");
        private static readonly PickleGlobal TaskType = new PickleGlobal("dask._task_spec", "Task");
        private static readonly PickleGlobal AliasType = new PickleGlobal("dask._task_spec", "Alias");
        private static readonly PickleGlobal WrappedKey = new PickleGlobal("distributed.utils_comm", "WrappedKey");

        // A callable only so that dask counts the tuple as a task; never called (DaskPS tasks go only to DaskPS workers).
        private static readonly PickleGlobal TupleTaskFunction = new PickleGlobal("builtins", "tuple");

        /// <summary>
        /// ToPickle(HighLevelGraph): one MaterializedLayer per run of nodes with the same options, the options as the
        /// layer's annotations; each task written by <paramref name="task"/>.
        /// </summary>
        public static PickleObject HighLevelGraph(IReadOnlyList<DaskNode> nodes, Func<DaskNode, object> task)
        {
            var layers = new MsgMap();
            foreach (IReadOnlyList<DaskNode> run in RunsOfEqualOptions(nodes))
            {
                var mapping = new MsgMap(run.Count);
                foreach (DaskNode node in run)
                {
                    mapping[node.Key] = task(node);
                }

                layers[$"daskps-{layers.Count}"] = new PickleObject(MaterializedLayer, null, new MsgMap()
                    .With("annotations", Annotations(run[0].Options))
                    .With("collection_annotations", null)
                    .With("mapping", mapping));
            }

            var layerDependencies = new MsgMap();
            foreach (object name in layers.Keys)
            {
                layerDependencies[name] = new PickleSet(new List<object?>());
            }

            return new PickleObject(ToPickle, null, new MsgMap().With("data", new PickleObject(HighLevelGraphType, null, new MsgMap()
                .With("layers", layers)
                .With("dependencies", layerDependencies)
                .With("key_dependencies", new MsgMap()))));
        }

        /// <summary>
        /// Consecutive runs of nodes with equal options, in order, so each run's dependencies are in it or earlier
        /// (the node list has dependencies first).
        /// </summary>
        public static IEnumerable<IReadOnlyList<DaskNode>> RunsOfEqualOptions(IReadOnlyList<DaskNode> nodes)
        {
            var run = new List<DaskNode>();
            string? signature = null;
            foreach (DaskNode node in nodes)
            {
                string next = Signature(node.Options);
                if (run.Count > 0 && next != signature)
                {
                    yield return run;
                    run = new List<DaskNode>();
                }

                signature = next;
                run.Add(node);
            }

            if (run.Count > 0)
            {
                yield return run;
            }
        }

        /// <summary>
        /// A legacy tuple task (2023.4 to 2024.10): <c>(tuple, marker, payload, WrappedKey(dependency)…)</c>. dask
        /// unwraps each WrappedKey into a dependency, whether or not that key is in the same graph.
        /// </summary>
        public static object?[] TupleTask(DaskNode node)
        {
            var task = new List<object?> { TupleTaskFunction, Marker, Payload(node) };
            task.AddRange(Dependencies(node).Select(key => (object?)new PickleObject(WrappedKey, null, new MsgMap().With("key", key))));
            return task.ToArray();
        }

        /// <summary>
        /// A dask Task (2024.11 and later) with func = marker and args = (payload, Alias(dependency)…), every slot set
        /// by setattr (a missing slot fails only later, e.g. <c>_token</c> when the key is submitted again).
        /// <paramref name="dataProducerSlot"/>: the release's Task has the <c>_data_producer</c> slot (2025.1 and later).
        /// </summary>
        public static PickleInstance TaskObject(DaskNode node, bool dataProducerSlot)
        {
            List<object?> dependencies = Dependencies(node).Cast<object?>().ToList();
            var args = new List<object?> { Payload(node) };
            args.AddRange(dependencies.Select(key => (object?)new PickleInstance(AliasType, PickleFill.Attributes, new[]
            {
                Field("key", key), Field("target", key), Field("_dependencies", new PickleFrozenSet(new[] { key })),
            })));

            var slots = new List<KeyValuePair<string, object?>>
            {
                Field("key", node.Key),
                Field("func", Marker),
                Field("args", args.ToArray()),
                Field("kwargs", new MsgMap()),
                Field("_dependencies", new PickleFrozenSet(dependencies)),
                Field("_token", null),
                Field("_is_coro", null),
                Field("_repr", null),
            };
            if (dataProducerSlot)
            {
                slots.Add(Field("_data_producer", false));
            }

            return new PickleInstance(TaskType, PickleFill.Attributes, slots);
        }

        /// <summary>A node's scheduling options as dask annotations (resources always: DaskPS tasks need a DaskPS worker).</summary>
        public static MsgMap Annotations(DaskTaskOptions options)
        {
            var annotations = new MsgMap().With("resources", SchedulerDialect.ResourceRestrictions(options));
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

        /// <summary>
        /// The update-graph fields both pickle generations send besides the graph itself (which the caller adds): every
        /// node is a key, user_priority holds only nodes with a priority set.
        /// </summary>
        public static MsgMap UpdateGraph(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId, MsgMap annotations)
        {
            var priorities = new MsgMap();
            foreach (DaskNode node in nodes.Where(n => n.Options.Priority != 0))
            {
                priorities[node.Key] = (long)node.Options.Priority;
            }

            return new MsgMap()
                .With("op", "update-graph")
                .With("client", clientId)
                .With("keys", nodes.Select(n => (object?)n.Key).ToArray())
                .With("internal_priority", null)
                .With("submitting_task", null)
                .With("user_priority", priorities)
                .With("actors", null)
                .With("fifo_timeout", 0.0)
                .With("annotations", annotations)
                .With("stimulus_id", stimulusId);
        }

        /// <summary>The sub-header of a graph pickle sent in frames of its own.</summary>
        public static MsgMap PickleHeader() => new MsgMap().With("serializer", "pickle").With("writeable", Array.Empty<object?>());

        /// <summary>
        /// The DaskPS task in a run_spec as the scheduler sends it: a pickled Task (2024.11 and later, its state by slot
        /// name or, from 2025.3, positional) or a pickled (func, args, kwargs) tuple (2023.8 to 2024.10).
        /// </summary>
        public static TaskSpec FromRunSpec(object? runSpecField)
        {
            if (runSpecField is not PickledPayload pickled || pickled.Pickle is not byte[] bytes)
            {
                throw new TaskNotRunnableException("The task carries no pickled run_spec; it was not submitted by DaskPS.");
            }

            object? runSpec = Unpickle(bytes, pickled.Buffers);
            object?[]? args = runSpec switch
            {
                PickleObject task when task.IsA("dask._task_spec", "Task") => TaskArguments(task),
                object?[] { Length: 3 } legacy when legacy[1] is object?[] { Length: > 1 } tupleArgs && tupleArgs[0] is Marker => tupleArgs.Skip(1).ToArray(),
                _ => null,
            };
            return FromArguments(args);
        }

        /// <summary>The DaskPS task in a compute-task's legacy <c>args</c> field (2023.4 to 2023.8): a pickled tuple.</summary>
        public static TaskSpec FromLegacyArguments(object? argsField)
        {
            object?[]? args = argsField is byte[] bytes && Unpickle(bytes, null) is object?[] { Length: > 1 } tuple && tuple[0] is Marker
                ? tuple.Skip(1).ToArray()
                : null;
            return FromArguments(args);
        }

        private static object? Unpickle(byte[] bytes, IReadOnlyList<ReadOnlyMemory<byte>>? buffers)
        {
            try
            {
                return PickleReader.Read(bytes, buffers);
            }
            catch (DaskProtocolException e)
            {
                throw new TaskNotRunnableException($"The task is not a DaskPS task (probably a Python function from a Python client): its pickle cannot be read ({e.Message})");
            }
        }

        // The Task's state: (None, {slot: value}) by name, or the slot values in sorted slot order (2025.3+); either
        // way DaskPS's Task is the one whose func is the marker, and its args start with the payload.
        private static object?[]? TaskArguments(PickleObject task)
        {
            IEnumerable<object?> values = task.Attributes is IDictionary<object, object?> slots ? slots.Values : task.State as object?[] ?? Array.Empty<object?>();
            List<object?> state = values.ToList();
            return state.Contains(Marker) ? state.OfType<object?[]>().FirstOrDefault(a => a.Length > 0 && a[0] is byte[]) : null;
        }

        private static TaskSpec FromArguments(object?[]? args)
        {
            if (args is null)
            {
                throw new TaskNotRunnableException("The task is a Python function (submitted by a Python client); DaskPS workers run only DaskPS tasks.");
            }

            if (args.Length == 0 || args[0] is not byte[] payload)
            {
                throw new TaskNotRunnableException("The DaskPS task in the pickle has no payload argument.");
            }

            return TaskSpec.FromPayload(MsgPackSerializer.Deserialize(payload));
        }

        private static byte[] Payload(DaskNode node) => node.Spec!.ToPayload().Frames[0].ToArray();

        private static IEnumerable<object> Dependencies(DaskNode node) => node.Dependencies.Select(d => (object)d.Key).Distinct();

        private static KeyValuePair<string, object?> Field(string name, object? value) => new KeyValuePair<string, object?>(name, value);

        private static string Signature(DaskTaskOptions options) =>
            string.Join("|", string.Join(",", options.Workers ?? Array.Empty<string>()), options.Retries,
                string.Join(",", (options.Resources ?? new Dictionary<string, double>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")));
    }
}
