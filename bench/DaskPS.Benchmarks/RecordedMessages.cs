using System;
using System.Collections.Generic;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Benchmarks
{
    /// <summary>
    /// Messages shaped as the ones captured from dask 2022.12.1 (the protocol notes, sections 4.2 and 5.3):
    /// a scheduler-to-worker compute-task batch and a client's update-graph of 100 tasks.
    /// </summary>
    internal static class RecordedMessages
    {
        public static object?[] ComputeTaskBatch()
        {
            var task = new MsgMap()
                .With("op", "compute-task")
                .With("key", "f-y-6a0b3c1d2e")
                .With("priority", new object?[] { 0L, 3L, 0L })
                .With("duration", 0.5)
                .With("stimulus_id", "compute-task-1795337520.79")
                .With("who_has", new MsgMap().With("py-x-11ab", new object?[] { "tcp://127.0.0.1:8801" }).With("py-z-22cd", new object?[] { "tcp://127.0.0.1:8802" }))
                .With("nbytes", new MsgMap().With("py-x-11ab", 28L).With("py-z-22cd", 28L))
                .With("run_spec", Payload(new MsgMap().With("runtime", "dotnet").With("method", "System.Math.Max").With("args", new object?[] { "py-x-11ab", "py-z-22cd" })))
                .With("function", null)
                .With("args", null)
                .With("kwargs", null)
                .With("resource_restrictions", new MsgMap().With("DaskPS", 1L))
                .With("actor", false)
                .With("annotations", new MsgMap());
            return new object?[] { task };
        }

        public static object?[] UpdateGraph(int taskCount = 100)
        {
            var tasks = new MsgMap(taskCount);
            var dependencies = new MsgMap(taskCount);
            var priority = new MsgMap(taskCount);
            var resources = new MsgMap(taskCount);
            var keys = new List<object?>();
            for (int i = 0; i < taskCount; i++)
            {
                string key = $"inc-{i:x8}";
                tasks[key] = Payload(new MsgMap().With("runtime", "dotnet").With("method", "Samples.Inc").With("args", new object?[] { (long)i }));
                dependencies[key] = i == 0 ? Array.Empty<object?>() : new object?[] { $"inc-{i - 1:x8}" };
                priority[key] = (long)i;
                resources[key] = new MsgMap().With("DaskPS", 1L);
                keys.Add(key);
            }

            var message = new MsgMap()
                .With("op", "update-graph")
                .With("tasks", tasks)
                .With("keys", keys.ToArray())
                .With("dependencies", dependencies)
                .With("priority", priority)
                .With("resources", resources)
                .With("client", "DaskPS-Client-5b0e7b8f")
                .With("fifo_timeout", "100 ms");
            return new object?[] { message };
        }

        private static SerializedPayload Payload(MsgMap spec) =>
            new SerializedPayload(new MsgMap().With("serializer", "msgpack"), new ReadOnlyMemory<byte>[] { MsgPackSerializer.Serialize(spec) });
    }
}
