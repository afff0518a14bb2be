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

        private static SchedulerDialect Dialect2024() => SchedulerDialect.ForRelease(DaskRelease.Parse("2024.12.1"));

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
