using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Core.Tests.Support;
using DaskPS.Dialects;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Pickle;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Protocol.Pickle
{
    public sealed class PickleTests
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

        [Fact]
        public async Task ReadsWhatPythonPicklesWithEveryProtocol()
        {
            string output = await PythonProcess.RunAsync(DaskInstallation.ForVersion("2022.12"), new[] { Script("pickles.py") }, Deadline);
            using JsonDocument vectors = JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith("[", StringComparison.Ordinal)));

            int count = 0;
            foreach (JsonElement vector in vectors.RootElement.EnumerateArray())
            {
                object? value = PickleReader.Read(Convert.FromHexString(vector.GetProperty("hex").GetString()!));
                Assert.True(vector.GetProperty("canon").GetString() == Canon(value), $"{vector.GetProperty("name").GetString()}: {Canon(value)}");
                count++;
            }

            Assert.Equal(12, count);
        }

        [Fact]
        public void SharedReferencesStayShared()
        {
            // [x, x] where x is one list: the memo must hand back the same object, not a copy.
            byte[] pickle = Convert.FromHexString("80045d94285d94284b014b0265680165" + "2e");
            var outer = (List<object?>)PickleReader.Read(pickle)!;

            Assert.Same(outer[0], outer[1]);
        }

        [Fact]
        public async Task TheGraphPickleLoadsInDask202412WithoutRunningPythonCode()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L }, new DaskTaskOptions { Workers = new[] { "tcp://127.0.0.1:1" } });
            DaskNode c = DaskNode.Call("System.Math", "Max", new object?[] { a, 2L }, new DaskTaskOptions { Retries = 2 });
            MsgMap message = Dialect2024().UpdateGraph("client", new[] { a, c }, "s");
            byte[] pickle = (byte[])((object?[])message.Get("graph_frames")!)[0]!;

            string output = await PythonProcess.RunAsync(DaskInstallation.ForVersion("2024.12"), new[] { Script("load_graph.py") }, Deadline, stdin: Convert.ToHexString(pickle));
            using JsonDocument result = JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith("{", StringComparison.Ordinal)));
            JsonElement root = result.RootElement;

            Assert.Equal(0, root.GetProperty("python_calls").GetArrayLength());
            Assert.Equal("ToPickle", root.GetProperty("holder").GetString());
            Assert.Equal("HighLevelGraph", root.GetProperty("graph").GetString());
            JsonElement task = root.GetProperty("tasks").GetProperty(c.Key);
            Assert.Equal("Task", task.GetProperty("type").GetString());
            Assert.Equal(new[] { a.Key }, task.GetProperty("deps").EnumerateArray().Select(d => d.GetString()));
            Assert.Equal(new[] { "Alias" }, task.GetProperty("aliases").EnumerateArray().Select(d => d.GetString()));
            Assert.Contains("\"retries\": 2", task.GetProperty("annotations").GetRawText());
            Assert.Contains("tcp://127.0.0.1:1", root.GetProperty("tasks").GetProperty(a.Key).GetProperty("annotations").GetRawText());
        }

        [Fact]
        public void TheWorkerReadsTheTaskBackOutOfTheSchedulersPickle()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L });
            DaskNode c = DaskNode.Call("System.Math", "Max", new object?[] { a, 2L });
            MsgMap message = Dialect2024().UpdateGraph("client", new[] { a, c }, "s");
            var graph = (PickleObject)PickleReader.Read((byte[])((object?[])message.Get("graph_frames")!)[0]!)!;
            var layers = (MsgMap)((PickleObject)graph.Attributes!["data"]!).Attributes!["layers"]!;
            PickleObject task = layers.Values.Cast<PickleObject>().Select(l => (MsgMap)l.Attributes!["mapping"]!).First(m => m.ContainsKey(c.Key))[c.Key] as PickleObject ?? throw new InvalidOperationException();
            var computeTask = new MsgMap().With("run_spec", new PickledPayload(new MsgMap().With("pickled-obj", PickleWriter.Write(task)), Array.Empty<ReadOnlyMemory<byte>>()));

            DaskPS.Tasks.TaskSpec spec = Dialect2024().DecodeComputeTask(computeTask).ReadSpec();

            Assert.Equal("Max", spec.Function.Get("method"));
            Assert.Equal(new object[] { a.Key }, spec.DependencyKeys());
        }

        [Fact]
        public void APythonFunctionIsRefusedWithTheReason()
        {
            // A pickled Python callable: GLOBAL builtins.max.
            byte[] pythonFunction = Encoding.ASCII.GetBytes("\u0080\u0004cbuiltins\nmax\n.").Select(c => c).ToArray();
            pythonFunction[0] = 0x80;
            var computeTask = new MsgMap().With("run_spec", new PickledPayload(new MsgMap().With("pickled-obj", pythonFunction), Array.Empty<ReadOnlyMemory<byte>>()));

            var error = Assert.Throws<DaskPS.Tasks.TaskNotRunnableException>(() => Dialect2024().DecodeComputeTask(computeTask).ReadSpec());

            Assert.Contains("Python", error.Message);
        }

        [Fact]
        public void MalformedPicklesFailWithAClearErrorOnly()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L });
            DaskNode c = DaskNode.Call("System.Math", "Max", new object?[] { a, new object?[] { "x", 1.5, new byte[] { 1, 2 } } });
            byte[] seed = (byte[])((object?[])Dialect2024().UpdateGraph("client", new[] { a, c }, "s").Get("graph_frames")!)[0]!;
            var random = new Random(0x9c1e);
            for (int i = 0; i < 20_000; i++)
            {
                byte[] mutated = Mutations.Apply(seed, random, HugeNumber);
                try
                {
                    PickleReader.Read(mutated);
                }
                catch (DaskProtocolException)
                {
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutation {i} (seed 0x9c1e) threw {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(mutated)}");
                }
            }

            var unknown = Assert.Throws<DaskProtocolException>(() => PickleReader.Read(new byte[] { 0x80, 0x04, (byte)'i', (byte)'.' }));
            Assert.Contains("0x69", unknown.Message);
            Assert.Throws<DaskProtocolException>(() => PickleReader.Read(new byte[] { 0x80, 0x04, (byte)'B', 0xff, 0xff, 0xff, 0x7f }));
            Assert.Throws<DaskProtocolException>(() => PickleReader.Read(Enumerable.Repeat((byte)'(', 5000).ToArray()));
        }

        private static SchedulerDialect Dialect2024() =>
            SchedulerDialect.ForVersions(new MsgMap().With("packages", new MsgMap().With("distributed", "2024.12.1+ds")));

        /// <summary>Two 0xff bytes somewhere: huge lengths and memo indexes.</summary>
        private static void HugeNumber(byte[] pickle, Random random)
        {
            int at = random.Next(pickle.Length - 1);
            pickle[at] = 0xff;
            pickle[at + 1] = 0xff;
        }

        private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Protocol", "Pickle", "python", name);

        private static string Canon(object? value) => value switch
        {
            null => "N",
            true => "T",
            false => "F",
            long l => "i" + l.ToString(CultureInfo.InvariantCulture),
            BigInteger b => "i" + b.ToString(CultureInfo.InvariantCulture),
            double d => "f" + d.ToString("R", CultureInfo.InvariantCulture),
            string s => "s" + JsonSerializer.Serialize(s, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
            byte[] bytes => "b" + Convert.ToHexString(bytes).ToLowerInvariant(),
            object?[] tuple => "(" + string.Join(",", tuple.Select(Canon)) + ")",
            List<object?> list => "[" + string.Join(",", list.Select(Canon)) + "]",
            MsgMap map => "{" + string.Join(",", map.Select(e => Canon(e.Key) + ":" + Canon(e.Value))) + "}",
            PickleFrozenSet fz => "fz{" + string.Join(",", fz.Items.Select(Canon).OrderBy(x => x, StringComparer.Ordinal)) + "}",
            PickleSet set => "set{" + string.Join(",", set.Items.Select(Canon).OrderBy(x => x, StringComparer.Ordinal)) + "}",
            _ => value.ToString() ?? "?",
        };
    }
}
