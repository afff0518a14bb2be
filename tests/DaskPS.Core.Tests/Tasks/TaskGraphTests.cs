using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Dialects;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Core.Tests.Tasks
{
    public sealed class TaskGraphTests
    {
        [Fact]
        public void IdenticalNodesShareAKeyAndDifferentOnesDoNot()
        {
            DaskNode a1 = DaskNode.Call(typeof(Math), "Abs", -3L);
            DaskNode a2 = DaskNode.Call(typeof(Math), "Abs", -3L);
            DaskNode b = DaskNode.Call(typeof(Math), "Abs", -4L);

            Assert.Equal(a1.Key, a2.Key);
            Assert.NotEqual(a1.Key, b.Key);
            Assert.StartsWith("Abs-", a1.Key);
            Assert.Equal(DaskNode.Call(typeof(Math), "Max", a1, b).Key, DaskNode.Call(typeof(Math), "Max", a2, b).Key);
        }

        [Fact]
        public void ACallerKeyWins()
        {
            DaskNode node = DaskNode.Call("System.Math", "Abs", new object?[] { -3L }, new DaskTaskOptions { Key = "my-key" });

            Assert.Equal("my-key", node.Key);
        }

        [Fact]
        public void NodesInArgumentsBecomeDependenciesAtAnyDepth()
        {
            DaskNode a = DaskNode.Call(typeof(Math), "Abs", -1L);
            DaskNode b = DaskNode.Call(typeof(Math), "Abs", -2L);
            DaskNode c = DaskNode.Task("dotnet", DotNetRuntime.Describe("X", "Y"), new object?[] { new object?[] { a, 5L }, new System.Collections.Hashtable { ["k"] = b } });

            Assert.Equal(new[] { a.Key, b.Key }, c.Dependencies.Select(d => d.Key).OrderBy(k => k == b.Key));
            Assert.Equal(new object[] { a.Key, b.Key }, c.Spec!.DependencyKeys());
        }

        [Fact]
        public void TopologicalOrderPutsDependenciesFirstAndSkipsKnownKeys()
        {
            DaskNode a = DaskNode.Call(typeof(Math), "Abs", -1L);
            DaskNode b = DaskNode.Call(typeof(Math), "Abs", -2L);
            DaskNode c = DaskNode.Call(typeof(Math), "Max", a, b);
            DaskNode d = DaskNode.Call(typeof(Math), "Max", c, a);

            var all = DaskNode.TopologicalOrder(new[] { d }, _ => false).Select(n => n.Key).ToList();
            var fresh = DaskNode.TopologicalOrder(new[] { d }, k => k == a.Key).Select(n => n.Key).ToList();

            Assert.Equal(4, all.Count);
            Assert.True(all.IndexOf(a.Key) < all.IndexOf(c.Key) && all.IndexOf(b.Key) < all.IndexOf(c.Key) && all.IndexOf(c.Key) < all.IndexOf(d.Key));
            Assert.DoesNotContain(a.Key, fresh);
            Assert.Equal(d.Key, fresh.Last());
        }

        [Fact]
        public void ALongChainDoesNotExhaustTheStack()
        {
            DaskNode node = DaskNode.Call(typeof(Math), "Abs", 0L);
            for (int i = 0; i < 20_000; i++)
            {
                node = DaskNode.Call(typeof(Math), "Max", node, (long)i);
            }

            Assert.Equal(20_001, DaskNode.TopologicalOrder(new[] { node }, _ => false).Count);
        }

        [Fact]
        public void TaskSpecsRoundTripWithReferences()
        {
            DaskNode a = DaskNode.Call(typeof(Math), "Abs", -3L);
            DaskNode c = DaskNode.Call(typeof(Math), "Max", a, 2L);

            TaskSpec back = TaskSpec.FromPayload(c.Spec!.ToPayload());
            object? substituted = TaskSpec.Substitute(back.Args.ToArray(), key => key.Equals(a.Key) ? 3L : throw new InvalidOperationException());

            Assert.Equal("dotnet", back.Runtime);
            Assert.Equal("Max", back.Function.Get("method"));
            Assert.Equal(new object?[] { 3L, 2L }, (object?[])substituted!);
        }

        [Fact]
        public void TaskSpecsCarryCliXmlArgumentsAtAnyDepth()
        {
            // Objects that are not plain values (PowerShell's CliXml) travel as task arguments too.
            var xml = new CliXmlValue("<Objs Version=\"1.1.0.1\"><S>x</S></Objs>");
            DaskNode node = DaskNode.Task("powershell", new MsgMap().With("script", "$args"), new object?[] { xml, new object?[] { xml } }, null);

            TaskSpec back = TaskSpec.FromPayload(node.Spec!.ToPayload());

            Assert.Equal(xml.Xml, Assert.IsType<CliXmlValue>(back.Args[0]).Xml);
            Assert.Equal(xml.Xml, Assert.IsType<CliXmlValue>(((object?[])back.Args[1]!)[0]).Xml);
        }

        [Fact]
        public void APythonTaskIsRefusedWithTheReason()
        {
            var error = Assert.Throws<TaskNotRunnableException>(() => TaskSpec.FromPayload(null));

            Assert.Contains("Python client", error.Message);
            Assert.Throws<TaskNotRunnableException>(() => TaskSpec.FromPayload(DaskSerialization.ToPayload(new object?[] { 1L })));
        }

        [Fact]
        public async Task TheDotNetRuntimeBindsOverloadsAndConvertsArguments()
        {
            var runtime = new DotNetRuntime();

            Assert.Equal(4L, await runtime.RunAsync(DotNetRuntime.Describe("System.Math", "Max"), new object?[] { 3L, 4L }, null, TaskRun.Detached("t")));
            Assert.Equal(2.5, await runtime.RunAsync(DotNetRuntime.Describe("System.Math", "Max"), new object?[] { 2.5, 1L }, null, TaskRun.Detached("t")));
            Assert.Equal("a-b", await runtime.RunAsync(DotNetRuntime.Describe("System.String", "Join"), new object?[] { "-", new object?[] { "a", "b" } }, null, TaskRun.Detached("t")));
            await Assert.ThrowsAsync<TaskNotRunnableException>(() => runtime.RunAsync(DotNetRuntime.Describe("No.Such.Type", "X"), Array.Empty<object?>(), null, TaskRun.Detached("t")));
            await Assert.ThrowsAsync<TaskNotRunnableException>(() => runtime.RunAsync(DotNetRuntime.Describe("System.Math", "Max"), new object?[] { "x", 1L }, null, TaskRun.Detached("t")));
            await Assert.ThrowsAsync<DivideByZeroException>(() => runtime.RunAsync(DotNetRuntime.Describe("System.Math", "DivRem"), new object?[] { 1L, 0L }, null, TaskRun.Detached("t")));
        }

        [Fact]
        public void UpdateGraphCarriesOnlyFieldsTheSchedulerAccepts()
        {
            DaskNode a = DaskNode.Call(typeof(Math), "Abs", -3L);
            DaskNode c = DaskNode.Call("System.Math", "Max", new object?[] { a, 1L }, new DaskTaskOptions { Workers = new[] { "tcp://127.0.0.1:1" }, Retries = 2, Priority = 5, Resources = new System.Collections.Generic.Dictionary<string, double> { ["GPU"] = 1 } });

            MsgMap message = SchedulerDialect.ForVersions(new MsgMap().With("packages", new MsgMap().With("distributed", "2022.12.1+ds.1")))
                .UpdateGraph("client-1", new[] { a, c }, "s-1");

            string[] accepted = { "op", "tasks", "keys", "dependencies", "restrictions", "priority", "loose_restrictions", "resources", "submitting_task", "retries", "user_priority", "actors", "fifo_timeout", "annotations", "code", "stimulus_id", "client" };
            Assert.All(message.Keys, k => Assert.Contains((string)k, accepted));
            Assert.False(message.ContainsKey("loose_restrictions"));
            var resources = (MsgMap)((MsgMap)message.Get("resources")!).Get(c.Key)!;
            Assert.Equal(1.0, resources.Get(Routing.Resource));
            Assert.Equal(1.0, resources.Get("GPU"));
            Assert.Equal(new object?[] { a.Key }, (object?[])((MsgMap)message.Get("dependencies")!).Get(c.Key)!);
            Assert.Equal(2L, ((MsgMap)message.Get("retries")!).Get(c.Key));
            Assert.False(((MsgMap)message.Get("restrictions")!).ContainsKey(a.Key));
        }

        [Fact]
        public void TaskValuesRoundTripThroughTheWire()
        {
            var output = new TaskOutput(new object?[] { 1L, new CliXmlValue("<Objs/>") }, new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<string>> { ["warning"] = new[] { "careful" } });

            object? back = TaskValues.FromWire(DaskSerialization.FromPayload(DaskSerialization.ToPayload(TaskValues.ToWire(output))));

            var decoded = Assert.IsType<TaskOutput>(back);
            Assert.Equal(new[] { "careful" }, decoded.Streams["warning"]);
            var items = Assert.IsType<object?[]>(decoded.Output);
            Assert.Equal(1L, items[0]);
            Assert.Equal("<Objs/>", Assert.IsType<CliXmlValue>(items[1]).Xml);
            Assert.Equal(1L, TaskValues.AsArgument(new TaskOutput(1L, new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<string>>())));
        }
    }
}
