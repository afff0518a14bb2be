using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using DaskPS.Client;
using DaskPS.Core.Tests.Support;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Core.Tests.Dialects
{
    /// <summary>
    /// The graph pickles DaskPS writes for each generation, loaded by a restricted unpickler in the system Python
    /// (dask's classes become recorders: no dask needed, no code runs) and compared with the graphs the real scheduler
    /// accepted from Python clients (recorded traffic).
    /// </summary>
    public sealed class GraphShapeTests
    {
        private static readonly string[] TaskSlots2025 = { "_data_producer", "_dependencies", "_is_coro", "_repr", "_token", "args", "func", "key", "kwargs" };

        [Fact]
        public void TheSecondGenerationWritesTheHighLevelGraphAPythonClientSent()
        {
            (DaskNode a, DaskNode c) = Graph();
            JsonElement ours = Load(Pickle(DialectTests.Dialect("2023.12.1").UpdateGraph("client", new[] { a, c }, "s")));
            JsonElement python = Load(Pickle(RecordedUpdateGraph("2023.12.1")));

            Assert.Empty(Calls(ours));
            JsonElement ourLayer = Layer(ours);
            JsonElement pythonLayer = Layer(python);
            Assert.Equal(FieldNames(pythonLayer), FieldNames(ourLayer));
            Assert.Equal(FieldNames(Field(Shape(python), "data")), FieldNames(Field(Shape(ours), "data")));

            // Legacy tuple tasks, as the Python client writes them: a callable first, the dependency as a WrappedKey.
            JsonElement pythonTask = Mapping(pythonLayer).First().Value.GetProperty("tuple");
            Assert.True(pythonTask[0].TryGetProperty("global", out _));
            JsonElement task = Tasks(ours)[c.Key].GetProperty("tuple");
            Assert.Equal("builtins.tuple", task[0].GetProperty("global").GetString());
            Assert.Equal("distributed.utils_comm.WrappedKey", task[3].GetProperty("class").GetString());
            Assert.Equal(new[] { "key" }, FieldNames(task[3]));
        }

        [Theory]
        [InlineData("2024.12.1", 8)]
        [InlineData("2025.3.1", 9)]
        public void TaskObjectsInTheHighLevelGraphSetEverySlotOfTheirReleaseByBuiltinsOnly(string release, int slots)
        {
            (DaskNode a, DaskNode c) = Graph();
            JsonElement ours = Load(Pickle(DialectTests.Dialect(release).UpdateGraph("client", new[] { a, c }, "s")));

            Assert.Equal(new[] { "builtins.object.__new__", "builtins.setattr" }, Calls(ours));
            JsonElement task = Tasks(ours)[c.Key];
            Assert.Equal("dask._task_spec.Task", task.GetProperty("class").GetString());
            Assert.Equal(slots, FieldNames(task).Length);
            Assert.Equal("dask._task_spec.Alias", Field(task, "args").GetProperty("tuple")[1].GetProperty("class").GetString());
        }

        [Theory]
        [InlineData("2025.4.0")]
        [InlineData("2026.7.1")]
        public void TheThirdGenerationWritesTheExpressionAPythonClientSent(string release)
        {
            (DaskNode a, DaskNode c) = Graph();
            JsonElement ours = Load(Expression(DialectTests.Dialect(release).UpdateGraph("client", new[] { a, c }, "s")));
            JsonElement python = Load(Expression(RecordedUpdateGraph(release)));

            // The Python client calls Expr._reconstruct(LLGExpr, dsk, token, cache); DaskPS builds the same object
            // from builtins: the same class, one operand (the graph), a string token.
            JsonElement reconstruct = Shape(python);
            Assert.Equal("dask._expr.Expr._reconstruct", reconstruct.GetProperty("class").GetString());
            JsonElement[] pythonArgs = reconstruct.GetProperty("args").EnumerateArray().ToArray();
            JsonElement expression = Shape(ours);
            Assert.Equal(pythonArgs[0].GetProperty("global").GetString(), expression.GetProperty("class").GetString());
            Assert.Equal(new[] { "_determ_token", "operands" }, FieldNames(expression));
            Assert.Single(Field(expression, "operands").GetProperty("list").EnumerateArray());
            Assert.True(pythonArgs[1].TryGetProperty("dict", out _));
            Assert.Equal(pythonArgs[2].GetProperty("value").GetString(), Field(expression, "_determ_token").GetProperty("value").GetString());
            Assert.Equal(new[] { "builtins.object.__new__", "builtins.setattr", "builtins.vars" }, Calls(ours));

            // Every Task slot, as many as the scheduler's own Task pickles to workers carry.
            JsonElement task = Field(expression, "operands").GetProperty("list")[0].GetProperty("dict").GetProperty(c.Key);
            Assert.Equal(TaskSlots2025, FieldNames(task));
            int recordedSlots = RecordedTaskStateLength(release);
            Assert.Equal(recordedSlots, FieldNames(task).Length);
        }

        private static (DaskNode A, DaskNode C) Graph()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L });
            return (a, DaskNode.Call("System.Math", "Max", new object?[] { a, 2L }, new DaskTaskOptions { Retries = 1 }));
        }

        private static MsgMap RecordedUpdateGraph(string release) =>
            RecordedTrafficTests.Recorded.Load(release).Where(m => m.Server == "sched" && m.Up).SelectMany(m => m.Maps).First(m => m.Get("op") is "update-graph");

        private static int RecordedTaskStateLength(string release)
        {
            MsgMap computeTask = RecordedTrafficTests.Recorded.Load(release).Where(m => m.Server == "sched" && !m.Up).SelectMany(m => m.Maps).First(m => m.Get("op") is "compute-task");
            var pickled = (PickledPayload)computeTask.Get("run_spec")!;
            var task = (DaskPS.Protocol.Pickle.PickleObject)DaskPS.Protocol.Pickle.PickleReader.Read((byte[])pickled.Pickle!)!;
            return ((object?[])task.State!).Length;
        }

        private static byte[] Pickle(MsgMap updateGraph) => (byte[])((object?[])updateGraph.Get("graph_frames")!)[0]!;

        private static byte[] Expression(MsgMap updateGraph) => ((SerializedPayload)updateGraph.Get("expr_ser")!).Frames[0].ToArray();

        private static JsonElement Load(byte[] pickle)
        {
            string output = SystemPython.RunScript(DialectTests.Script("graph_shape.py"), JsonSerializer.Serialize(new Dictionary<string, string> { ["graph"] = Convert.ToHexString(pickle) }));
            return JsonDocument.Parse(output).RootElement.GetProperty("graph").Clone();
        }

        private static JsonElement Shape(JsonElement loaded) => loaded.GetProperty("shape");

        private static string[] Calls(JsonElement loaded) => loaded.GetProperty("calls").EnumerateArray().Select(c => c.GetString()!).ToArray();

        private static JsonElement Field(JsonElement instance, string name) => instance.GetProperty("fields").GetProperty(name);

        private static string[] FieldNames(JsonElement instance) =>
            instance.TryGetProperty("fields", out JsonElement fields) ? fields.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray() : Array.Empty<string>();

        // ToPickle → HighLevelGraph → its first layer.
        private static JsonElement Layer(JsonElement loaded) =>
            Field(Field(Shape(loaded), "data"), "layers").GetProperty("dict").EnumerateObject().First().Value;

        // Every layer's tasks.
        private static Dictionary<string, JsonElement> Tasks(JsonElement loaded) =>
            Field(Field(Shape(loaded), "data"), "layers").GetProperty("dict").EnumerateObject().SelectMany(l => Mapping(l.Value)).ToDictionary(p => p.Key, p => p.Value);

        private static Dictionary<string, JsonElement> Mapping(JsonElement layer) =>
            Field(layer, "mapping").GetProperty("dict").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
    }
}
