using System.Collections.Generic;
using DaskPS.Client;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Dialects
{
    /// <summary>
    /// dask.distributed 2022.12 to 2023.3: <c>update-graph</c> with opaque task payloads the scheduler passes through
    /// untouched. Only the fields the scheduler's handler accepts: any other field kills the client's stream. From
    /// 2023.1.1 compute-task carries a run_id, which the reports echo (as for every later release); from 2023.3.1 a
    /// client cancels over its stream.
    /// </summary>
    internal sealed class Dialect202212 : SchedulerDialect
    {
        private static readonly DaskRelease CancelKeysOnStream = DaskRelease.Parse("2023.3.1");

        public Dialect202212(DaskRelease release) : base(release) { }

        public override bool CancelsOnStream => Release >= CancelKeysOnStream;

        public override string Name => "2022.12";

        public override MsgMap UpdateGraph(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId)
        {
            var tasks = new MsgMap(nodes.Count);
            var dependencies = new MsgMap(nodes.Count);
            var priority = new MsgMap(nodes.Count);
            var resources = new MsgMap(nodes.Count);
            var userPriority = new MsgMap(nodes.Count);
            var restrictions = new MsgMap();
            var retries = new MsgMap();
            var keys = new object?[nodes.Count];
            for (int i = 0; i < nodes.Count; i++)
            {
                DaskNode node = nodes[i];
                keys[i] = node.Key;
                tasks[node.Key] = node.Spec!.ToPayload();
                var deps = new object?[node.Dependencies.Count];
                for (int d = 0; d < deps.Length; d++)
                {
                    deps[d] = node.Dependencies[d].Key;
                }

                dependencies[node.Key] = deps;
                // Dependencies come first in the list, so the position is a valid topological order.
                priority[node.Key] = (long)i;
                userPriority[node.Key] = (long)node.Options.Priority;
                resources[node.Key] = ResourceRestrictions(node.Options);
                if (node.Options.Workers is { Count: > 0 } workers)
                {
                    restrictions[node.Key] = ToArray(workers);
                }

                if (node.Options.Retries > 0)
                {
                    retries[node.Key] = (long)node.Options.Retries;
                }
            }

            return new MsgMap(12)
                .With("op", "update-graph")
                .With("tasks", tasks)
                .With("keys", keys)
                .With("dependencies", dependencies)
                .With("priority", priority)
                .With("user_priority", userPriority)
                .With("resources", resources)
                .With("restrictions", restrictions)
                .With("retries", retries)
                .With("client", clientId)
                .With("stimulus_id", stimulusId);
        }

        protected override void CompleteRegistration(MsgMap registration)
        {
            // 2022.12 still takes a reconnecting worker's holdings; a new worker has none.
            registration["keys"] = System.Array.Empty<object?>();
            registration["nbytes"] = new MsgMap();
            registration["types"] = new MsgMap();
        }

        protected override TaskSpec ReadTaskSpec(MsgMap computeTask)
        {
            // Python clients' tasks arrive as pickled function/args with no run_spec: not ours to run.
            if (computeTask.Get("function") is not null)
            {
                throw new TaskNotRunnableException("The task is a Python function (submitted by a Python client); DaskPS workers run only DaskPS tasks.");
            }

            return TaskSpec.FromPayload(computeTask.Get("run_spec"));
        }

        private static object?[] ToArray(IReadOnlyList<string> items)
        {
            var array = new object?[items.Count];
            for (int i = 0; i < array.Length; i++)
            {
                array[i] = items[i];
            }

            return array;
        }
    }
}
