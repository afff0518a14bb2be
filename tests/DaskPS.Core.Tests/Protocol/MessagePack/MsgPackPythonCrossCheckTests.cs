using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using DaskPS.Core.Tests.Support;
using DaskPS.Protocol.MessagePack;
using static DaskPS.Core.Tests.Protocol.MessagePack.MsgPackTestData;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>
    /// Cross-checks against the reference implementation, Debian's python3-msgpack on /usr/bin/python3:
    /// Python's bytes decode to the expected .NET values and re-encode identically, and Python decodes our
    /// bytes to the expected values and re-encodes them to the same bytes.
    /// </summary>
    public class MsgPackPythonCrossCheckTests
    {
        private static readonly int[] Sizes = { 0, 1, 31, 32, 255, 256, 65535, 65536 };
        private static readonly int[] Counts = { 0, 1, 15, 16, 65535, 65536 };

        [Fact]
        public void PythonVectorsDecodeToTheExpectedValuesAndReencodeIdentically()
        {
            SystemPython.RequireModule("msgpack", "python3-msgpack");
            string json = SystemPython.RunScript(ScriptPath("vectors.py"));
            Dictionary<string, object?> expectations = VectorExpectations();

            var failures = new List<string>();
            var seen = new HashSet<string>();
            using (JsonDocument document = JsonDocument.Parse(json))
            {
                foreach (JsonProperty vector in document.RootElement.EnumerateObject())
                {
                    string name = vector.Name;
                    seen.Add(name);
                    string hex = vector.Value.GetProperty("hex").GetString()!;
                    string repr = vector.Value.GetProperty("repr").GetString()!;
                    if (!expectations.TryGetValue(name, out object? expected))
                    {
                        failures.Add($"{name}: vectors.py has it but the test has no expectation (Python: {repr})");
                        continue;
                    }

                    object? decoded;
                    try
                    {
                        decoded = MsgPackSerializer.Deserialize(Bytes(hex));
                    }
                    catch (Exception e)
                    {
                        failures.Add($"{name}: decoding failed: {e.GetType().Name}: {e.Message} (Python: {repr})");
                        continue;
                    }

                    string? difference = ObjectTree.FindDifference(expected, decoded);
                    if (difference is not null)
                    {
                        failures.Add($"{name}: {difference} (Python: {repr})");
                    }

                    string again = Encode(decoded);
                    if (again != hex)
                    {
                        failures.Add($"{name}: re-encoded as {Abbreviate(again)}, Python packed {Abbreviate(hex)}");
                    }
                }
            }

            failures.AddRange(expectations.Keys.Where(name => !seen.Contains(name)).Select(name => $"{name}: expected but vectors.py did not produce it"));
            Assert.True(failures.Count == 0, $"{failures.Count} of {seen.Count} Python vectors failed:\n" + string.Join("\n", failures));
            Assert.True(seen.Count > 100, $"only {seen.Count} vectors");
        }

        [Fact]
        public void PythonDecodesOurBytesToTheExpectedValuesAndRepacksThemIdentically()
        {
            List<Case> cases = HandWrittenCases();
            var failures = new List<string>();

            // The mirror used for the bulk checks below must agree with every hand-written expectation.
            foreach (Case c in cases)
            {
                string mirror = MsgPackPythonCanon.Of(c.Value);
                if (mirror != c.ExpectedRepr)
                {
                    failures.Add($"{c.Name}: the C# mirror of canon() says {Abbreviate(mirror)}, expected {Abbreviate(c.ExpectedRepr)}");
                }
            }

            failures.AddRange(CompareWithPython(cases));
            Assert.True(failures.Count == 0, $"{failures.Count} failures over {cases.Count} values:\n" + string.Join("\n", failures));
        }

        [Fact]
        public void PythonDecodesRealMessagesAndRandomTreesIdentically()
        {
            var cases = MsgPackSampleMessages.All()
                .Select(m => new Case("message-" + m.Key, m.Value, MsgPackPythonCanon.Of(m.Value)))
                .ToList();
            const int Seed = 4242;
            var trees = new MsgPackRandomTrees(Seed, pythonCompatible: true);
            for (int i = 0; i < 400; i++)
            {
                object? tree = trees.Next();
                cases.Add(new Case($"random-{Seed}-{i}", tree, MsgPackPythonCanon.Of(tree)));
            }

            List<string> failures = CompareWithPython(cases);
            Assert.True(failures.Count == 0, $"{failures.Count} failures over {cases.Count} values:\n" + string.Join("\n", failures));
        }

        [Theory]
        [InlineData(0.0, "0.0")]
        [InlineData(-0.0, "-0.0")]
        [InlineData(1.0, "1.0")]
        [InlineData(100.0, "100.0")]
        [InlineData(0.5, "0.5")]
        [InlineData(1e16, "1e+16")]
        [InlineData(1e15, "1000000000000000.0")]
        [InlineData(1.5e15, "1500000000000000.0")]
        [InlineData(1.2345678901234567e16, "1.2345678901234568e+16")]
        [InlineData(0.0001, "0.0001")]
        [InlineData(0.00012, "0.00012")]
        [InlineData(0.00001, "1e-05")]
        [InlineData(-1.5e-7, "-1.5e-07")]
        [InlineData(1e100, "1e+100")]
        [InlineData(123.456, "123.456")]
        public void FloatMirrorMatchesPythonRepr(double value, string expected)
        {
            // Cases where .NET's and Python's layouts differ most; the cross-checks confirm them against Python.
            Assert.Equal(expected, MsgPackPythonCanon.Float(value));
        }

        /// <summary>Sends every case to roundtrip.py; returns one message per disagreement.</summary>
        private static List<string> CompareWithPython(List<Case> cases)
        {
            SystemPython.RequireModule("msgpack", "python3-msgpack");
            var encoded = new Dictionary<string, string>();
            var stdin = new StringBuilder();
            foreach (Case c in cases)
            {
                string hex = Encode(c.Value);
                encoded.Add(c.Name, hex);
                stdin.Append(c.Name).Append(' ').Append(hex).Append(c.Single ? " single\n" : "\n");
            }

            string stdout = SystemPython.RunScript(ScriptPath("roundtrip.py"), stdin.ToString());

            var failures = new List<string>();
            var answered = new HashSet<string>();
            foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using JsonDocument document = JsonDocument.Parse(line);
                JsonElement result = document.RootElement;
                string name = result.GetProperty("name").GetString()!;
                answered.Add(name);
                Case c = cases.First(x => x.Name == name);
                if (result.TryGetProperty("error", out JsonElement error))
                {
                    failures.Add($"{name}: Python could not decode {Abbreviate(encoded[name])}: {error.GetString()}");
                    continue;
                }

                string repr = result.GetProperty("repr").GetString()!;
                if (repr != c.ExpectedRepr)
                {
                    failures.Add($"{name}: Python decoded {Abbreviate(repr)}, expected {Abbreviate(c.ExpectedRepr)}");
                }

                string repacked = result.GetProperty("repacked").GetString()!;
                if (repacked != encoded[name])
                {
                    failures.Add($"{name}: Python packs {Abbreviate(repacked)}, we wrote {Abbreviate(encoded[name])}");
                }
            }

            failures.AddRange(cases.Where(c => !answered.Contains(c.Name)).Select(c => $"{c.Name}: no answer from Python"));
            return failures;
        }

        private static string Abbreviate(string text) => text.Length <= 300 ? text : text.Substring(0, 300) + $"… ({text.Length} chars)";

        private static List<Case> HandWrittenCases()
        {
            var cases = new List<Case>
            {
                new("nil", null, "None"),
                new("true", true, "True"),
                new("false", false, "False"),
                new("int-0", 0L, "0"),
                new("int-1", 1L, "1"),
                new("int-127", 127L, "127"),
                new("int-128", 128L, "128"),
                new("int-255", 255L, "255"),
                new("int-256", 256L, "256"),
                new("int-65535", 65535L, "65535"),
                new("int-65536", 65536L, "65536"),
                new("int-2p32m1", 4294967295L, "4294967295"),
                new("int-2p32", 4294967296L, "4294967296"),
                new("int64-max", long.MaxValue, "9223372036854775807"),
                new("uint64-2p63", 9223372036854775808UL, "9223372036854775808"),
                new("uint64-max", ulong.MaxValue, "18446744073709551615"),
                new("int-m1", -1L, "-1"),
                new("int-m32", -32L, "-32"),
                new("int-m33", -33L, "-33"),
                new("int-m128", -128L, "-128"),
                new("int-m129", -129L, "-129"),
                new("int-m32768", -32768L, "-32768"),
                new("int-m32769", -32769L, "-32769"),
                new("int32-min", (long)int.MinValue, "-2147483648"),
                new("int32-min-m1", int.MinValue - 1L, "-2147483649"),
                new("int64-min", long.MinValue, "-9223372036854775808"),
                new("clr-int", -5, "-5"),
                new("clr-short", (short)300, "300"),
                new("clr-byte", (byte)200, "200"),
                new("clr-uint", 4000000000U, "4000000000"),
                new("clr-char", 'x', "s\"x\""),
                new("float-0", 0.0, "0.0"),
                new("float-neg0", -0.0, "-0.0"),
                new("float-1", 1.0, "1.0"),
                new("float-1.5", 1.5, "1.5"),
                new("float-0.1", 0.1, "0.1"),
                new("float-third", 1 / 3.0, "0.3333333333333333"),
                new("float-m2.5", -2.5, "-2.5"),
                new("float-1e300", 1e300, "1e+300"),
                new("float-1e16", 1e16, "1e+16"),
                new("float-1e15", 1e15, "1000000000000000.0"),
                new("float-1e-4", 0.0001, "0.0001"),
                new("float-1e-5", 0.00001, "1e-05"),
                new("float-max", double.MaxValue, "1.7976931348623157e+308"),
                new("float-min-normal", 2.2250738585072014E-308, "2.2250738585072014e-308"),
                new("float-epsilon", double.Epsilon, "5e-324"),
                new("float-timestamp", 1700000000.123456, "1700000000.123456"),
                new("float-dotnet-nan", double.NaN, "nan"), // sign bit set; Python keeps the bits
                new("float-python-nan", BitConverter.Int64BitsToDouble(0x7ff8000000000000), "nan"),
                new("float-inf", double.PositiveInfinity, "inf"),
                new("float-ninf", double.NegativeInfinity, "-inf"),
                new("single-1.5", 1.5f, "1.5", Single: true),
                new("single-0.1", 0.1f, "0.10000000149011612", Single: true),
                new("single-max", float.MaxValue, "3.4028234663852886e+38", Single: true),
                new("single-neg0", -0.0f, "-0.0", Single: true),
                new("single-inf", float.PositiveInfinity, "inf", Single: true),
                new("single-nan", float.NaN, "nan", Single: true),
                new("str-empty", string.Empty, "s\"\""),
                new("str-hello", "hello", "s\"hello\""),
                new("str-unicode", "h\u00e9llo w\u00f6rld \u20ac\U0001f600", "s\"h\\u00e9llo w\\u00f6rld \\u20ac\\ud83d\\ude00\""),
                new("str-controls", "\u0000\u007f\t\n\r\"\\/", "s\"\\u0000\\u007f\\t\\n\\r\\\"\\\\/\""),
                new("bin-empty", System.Array.Empty<byte>(), "b''"),
                new("bin-small", new byte[] { 0, 1, 0x7f, 0x80, 0xff }, "b'00017f80ff'"),
                new("array-empty", Arr(), "[]"),
                new("array-mixed", Arr(1L, "a", null, true, 2.5, new byte[] { 9 }), "[1, s\"a\", None, True, 2.5, b'09']"),
                new("array-nested", Arr(Arr(), new object?[] { Arr() }, Arr(1L, Arr(2L))), "[[], [[]], [1, [2]]]"),
                new("array-list", new List<object?> { "x", 1 }, "[s\"x\", 1]"),
                new("map-empty", new MsgMap(), "{}"),
                new("map-str", Map("a", 1L, "b", Map("c", null)), "{s\"a\": 1, s\"b\": {s\"c\": None}}"),
                new("map-int-keys", Map(1L, "one", -1L, "minus one", 1L << 40, "big", long.MinValue, "min", ulong.MaxValue, "umax"),
                    "{1: s\"one\", -1: s\"minus one\", 1099511627776: s\"big\", -9223372036854775808: s\"min\", 18446744073709551615: s\"umax\"}"),
                new("map-tuple-keys", Map(Arr("x", 1L), "a", Arr(), "empty", Arr(1L, Arr(2L, 3L)), "nested"),
                    "{[s\"x\", 1]: s\"a\", []: s\"empty\", [1, [2, 3]]: s\"nested\"}"),
                new("map-bytes-keys", Map(new byte[] { 0x6b }, 1L, System.Array.Empty<byte>(), 2L), "{b'6b': 1, b'': 2}"),
                new("map-get-data-reply", Map("status", "OK", "data", Map("x", Map("__Serialized__", 0L), Arr("y", 1L), Map("__Serialized__", 1L))),
                    "{s\"status\": s\"OK\", s\"data\": {s\"x\": {s\"__Serialized__\": 0}, [s\"y\", 1]: {s\"__Serialized__\": 1}}}"),
                new("ext-timestamp32", new MsgPackExtension(-1, Bytes("00000001")), "timestamp(1, 0)"),
                new("ext-timestamp64", new MsgPackExtension(-1, Bytes("0000001400000001")), "timestamp(1, 5)"),
                new("ext-timestamp96", new MsgPackExtension(-1, Bytes("00000000ffffffffffffffff")), "timestamp(-1, 0)"),
                new("ext-code-0", new MsgPackExtension(0, new byte[] { 0x78 }), "ext(0, b'78')"),
                new("ext-code-127-empty", new MsgPackExtension(127, System.Array.Empty<byte>()), "ext(127, b'')"),
            };

            foreach (int n in Sizes)
            {
                foreach ((string unit, string tag) in new[] { ("a", "ascii"), ("\u00e9", "2byte"), ("\u20ac", "3byte"), ("\U0001f600", "4byte") })
                {
                    string text = Text(n, unit);
                    cases.Add(new($"str-{tag}-{n}", text, MsgPackPythonCanon.String(text)));
                }

                cases.Add(new($"bin-{n}", Blob(n), MsgPackPythonCanon.Bytes(Blob(n))));
            }

            // Spot checks that the summarised forms are what they claim (the rest reuse the same helpers).
            cases.Add(new("str-ascii-65-chars", Text(65, "a"), "str(chars=65,bytes=65,sha256=" + Sha256Prefix(Text(65, "a")) + ")"));
            cases.Add(new("str-4byte-65-chars", Text(260, "\U0001f600"), "str(chars=65,bytes=260,sha256=" + Sha256Prefix(Text(260, "\U0001f600")) + ")"));

            foreach (int n in Counts)
            {
                var array = new object?[n];
                for (int i = 0; i < n; i++)
                {
                    array[i] = (long)i;
                }

                cases.Add(new($"array-{n}", array, "[" + string.Join(", ", Enumerable.Range(0, n)) + "]"));

                var map = new MsgMap();
                for (int i = 0; i < n; i++)
                {
                    map.Add("k" + i, (long)i);
                }

                cases.Add(new($"map-{n}", map, "{" + string.Join(", ", Enumerable.Range(0, n).Select(i => $"s\"k{i}\": {i}")) + "}"));
            }

            foreach (int n in new[] { 1, 2, 4, 8, 16, 0, 3, 17, 255, 256, 65535, 65536 })
            {
                string data = n <= 64 ? "b'" + Hex(Blob(n)) + "'" : $"bin(len={n},sha256={Sha256Prefix(Blob(n))})";
                cases.Add(new($"ext-{n}", new MsgPackExtension(42, Blob(n)), $"ext(42, {data})"));
            }

            return cases;
        }

        private static string Sha256Prefix(string text) => Sha256Prefix(Encoding.UTF8.GetBytes(text));

        private static string Sha256Prefix(byte[] data) =>
            Hex(System.Security.Cryptography.SHA256.HashData(data)).Substring(0, 16);

        /// <summary>What each vector in vectors.py must decode to, by name.</summary>
        private static Dictionary<string, object?> VectorExpectations()
        {
            var expected = new Dictionary<string, object?>
            {
                ["nil"] = null,
                ["true"] = true,
                ["false"] = false,
                ["int_0"] = 0L,
                ["int_1"] = 1L,
                ["int_127"] = 127L,
                ["int_128"] = 128L,
                ["int_255"] = 255L,
                ["int_256"] = 256L,
                ["int_65535"] = 65535L,
                ["int_65536"] = 65536L,
                ["int_2p32m1"] = 4294967295L,
                ["int_2p32"] = 4294967296L,
                ["int64_max"] = long.MaxValue,
                ["uint64_2p63"] = 9223372036854775808UL,
                ["uint64_max"] = ulong.MaxValue,
                ["int_m1"] = -1L,
                ["int_m32"] = -32L,
                ["int_m33"] = -33L,
                ["int_m128"] = -128L,
                ["int_m129"] = -129L,
                ["int_m32768"] = -32768L,
                ["int_m32769"] = -32769L,
                ["int32_min"] = (long)int.MinValue,
                ["int32_min_m1"] = int.MinValue - 1L,
                ["int64_min"] = long.MinValue,
                ["float_0"] = 0.0,
                ["float_neg0"] = -0.0,
                ["float_1"] = 1.0,
                ["float_1_5"] = 1.5,
                ["float_0_1"] = 0.1,
                ["float_m2_5"] = -2.5,
                ["float_nan"] = BitConverter.Int64BitsToDouble(0x7ff8000000000000),
                ["float_inf"] = double.PositiveInfinity,
                ["float_ninf"] = double.NegativeInfinity,
                ["float_max"] = double.MaxValue,
                ["float_min_normal"] = 2.2250738585072014E-308,
                ["float_min_subnormal"] = double.Epsilon,
                ["float_1e300"] = 1e300,
                ["str_mixed"] = "h\u00e9llo w\u00f6rld \u20ac \U0001f600 \u0000\u007f\t\n\"\\ end",
                ["list_empty"] = Arr(),
                ["list_nested"] = Arr(Arr(), new object?[] { Arr() }, Arr(1L, Arr(2L, Arr(3L, null))), Arr(true, "x", new byte[] { 0x79 })),
                ["map_empty"] = new MsgMap(),
                ["map_int_keys"] = Map(1L, "one", -1L, "minus one", 0L, null, 1L << 40, "big", long.MinValue, "min", ulong.MaxValue, "umax"),
                ["map_tuple_keys"] = Map(Arr("x", 1L), "a", Arr(), "empty", Arr(1L, Arr(2L, 3L)), "nested", Arr("inc-123", 0L, 7L), 3.5),
                ["map_bytes_keys"] = Map(new byte[] { 0x6b }, 1L, System.Array.Empty<byte>(), 2L, new byte[] { 0x00, 0xff }, 3L),
                ["map_mixed_keys"] = Map("s", 1L, 2L, "int", new byte[] { 0x62 }, "bytes", Arr(3L), "tuple", 1.5, "float", true, "bool"),
                ["map_nested"] = Map("a", Map("b", Map("c", Map(1L, Arr(1L, 2L, Map("d", null)))))),
                ["dask_compute_task"] = Map(
                    "op", "compute-task",
                    "key", Arr("inc-7c1d2a9b3f", 12L),
                    "priority", Arr(0L, 1L, -3L),
                    "duration", 0.5,
                    "who_has", Map("x-1", Arr("tcp://127.0.0.1:40123")),
                    "nbytes", Map("x-1", 28L, Arr("y", 0L), 8000000L),
                    "run_spec", Map("__Pickled__", 0L),
                    "actor", false,
                    "span_id", null),
                ["dask_get_data_reply"] = Map("status", "OK", "data", Map("x", Map("__Serialized__", 0L), Arr("y", 1L), Map("__Serialized__", 1L))),
                ["dask_batched"] = Arr(
                    Map("op", "task-finished", "key", Arr("inc", 1L), "nbytes", 28L, "type", new byte[] { 0x80, 0x04, 0x95 },
                        "startstops", Arr(Map("action", "compute", "start", 1700000000.25, "stop", 1700000000.5))),
                    Map("op", "free-keys", "keys", Arr("a"), "stimulus_id", "s-1")),
                ["ext_code_0"] = new MsgPackExtension(0, new byte[] { 0x78 }),
                ["ext_code_127_empty"] = new MsgPackExtension(127, System.Array.Empty<byte>()),
                ["ext_timestamp32"] = new MsgPackExtension(-1, Bytes("00000001")),
                ["ext_timestamp64"] = new MsgPackExtension(-1, Bytes("0000001400000001")),
                ["ext_timestamp96"] = new MsgPackExtension(-1, Bytes("00000000ffffffffffffffff")),
            };

            foreach (int n in Sizes)
            {
                expected[$"str_ascii_{n}"] = Text(n, "a");
                expected[$"bin_{n}"] = Blob(n);
            }

            foreach ((string unit, string tag) in new[] { ("\u00e9", "2byte"), ("\u20ac", "3byte"), ("\U0001f600", "4byte") })
            {
                foreach (int n in new[] { 31, 32, 255, 256, 65535, 65536 })
                {
                    expected[$"str_{tag}_{n}"] = Text(n, unit);
                }
            }

            foreach (int n in Counts)
            {
                var array = new object?[n];
                var map = new MsgMap();
                for (int i = 0; i < n; i++)
                {
                    array[i] = (long)i;
                    map.Add("k" + i, (long)i);
                }

                expected[$"array_{n}"] = array;
                expected[$"map_{n}"] = map;
            }

            foreach (int n in new[] { 1, 2, 4, 8, 16, 0, 3, 17, 255, 256, 65535, 65536 })
            {
                expected[$"ext_{n}"] = new MsgPackExtension(42, Blob(n));
            }

            return expected;
        }

        private sealed record Case(string Name, object? Value, string ExpectedRepr, bool Single = false);
    }
}
