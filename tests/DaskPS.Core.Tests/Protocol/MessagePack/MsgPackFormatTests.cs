using System;
using System.Buffers;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using DaskPS.Buffers;
using DaskPS.Core.Tests.Support;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using MessagePack;
using static DaskPS.Core.Tests.Protocol.MessagePack.MsgPackTestData;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>
    /// Every msgpack format family, with the exact bytes Python's msgpack.packb(v, use_bin_type=True) produces
    /// for the boundary values (MsgPackPythonCrossCheckTests confirms the same bytes against Python itself).
    /// </summary>
    public class MsgPackFormatTests
    {
        [Fact]
        public void NilAndBooleans()
        {
            Assert.Equal("c0", Encode(null));
            Assert.Equal("c2", Encode(false));
            Assert.Equal("c3", Encode(true));
            Assert.Null(Decode("c0"));
            Assert.Equal(false, Decode("c2"));
            Assert.Equal(true, Decode("c3"));
        }

        [Theory]
        [InlineData(0L, "00")]
        [InlineData(1L, "01")]
        [InlineData(127L, "7f")]
        [InlineData(128L, "cc80")]
        [InlineData(255L, "ccff")]
        [InlineData(256L, "cd0100")]
        [InlineData(65535L, "cdffff")]
        [InlineData(65536L, "ce00010000")]
        [InlineData(2147483647L, "ce7fffffff")]
        [InlineData(4294967295L, "ceffffffff")]
        [InlineData(4294967296L, "cf0000000100000000")]
        [InlineData(long.MaxValue, "cf7fffffffffffffff")]
        [InlineData(-1L, "ff")]
        [InlineData(-32L, "e0")]
        [InlineData(-33L, "d0df")]
        [InlineData(-128L, "d080")]
        [InlineData(-129L, "d1ff7f")]
        [InlineData(-32768L, "d18000")]
        [InlineData(-32769L, "d2ffff7fff")]
        [InlineData(-2147483648L, "d280000000")]
        [InlineData(-2147483649L, "d3ffffffff7fffffff")]
        [InlineData(long.MinValue, "d38000000000000000")]
        public void IntegersUseTheSmallestFormat(long value, string hex)
        {
            Assert.Equal(hex, Encode(value));
            object? back = Decode(hex);
            Assert.IsType<long>(back);
            Assert.Equal(value, (long)back!);
        }

        [Theory]
        [InlineData(9223372036854775808UL, "cf8000000000000000")]
        [InlineData(ulong.MaxValue, "cfffffffffffffffff")]
        public void UnsignedAboveLongMaxDecodesAsUlong(ulong value, string hex)
        {
            Assert.Equal(hex, Encode(value));
            object? back = Decode(hex);
            Assert.IsType<ulong>(back);
            Assert.Equal(value, (ulong)back!);
        }

        [Fact]
        public void SmallUnsignedValuesDecodeAsLong()
        {
            // ulong is only for values long cannot hold; a uint64 with a small value is an ordinary long.
            Assert.Equal("05", Encode(5UL));
            Assert.Equal("cf7fffffffffffffff", Encode((ulong)long.MaxValue));
            ObjectTree.AssertEqual(5L, Decode("cf0000000000000005"));
            ObjectTree.AssertEqual(long.MaxValue, Decode("cf7fffffffffffffff"));
        }

        [Theory]
        [InlineData("cc00", 0L)]
        [InlineData("cd0000", 0L)]
        [InlineData("ce00000000", 0L)]
        [InlineData("cf0000000000000000", 0L)]
        [InlineData("d000", 0L)]
        [InlineData("d07f", 127L)]
        [InlineData("cd00ff", 255L)]
        [InlineData("d0ff", -1L)]
        [InlineData("d1ffff", -1L)]
        [InlineData("d2ffffffff", -1L)]
        [InlineData("d3ffffffffffffffff", -1L)]
        [InlineData("d30000000000000080", 128L)]
        public void NonMinimalIntegerEncodingsAreAccepted(string hex, long expected)
        {
            // Python's msgpack accepts them too; only the writer is minimal.
            ObjectTree.AssertEqual(expected, Decode(hex));
        }

        [Fact]
        public void OtherClrIntegerTypesEncodeByValue()
        {
            Assert.Equal("ff", Encode(-1));
            Assert.Equal("d280000000", Encode(int.MinValue));
            Assert.Equal("ce7fffffff", Encode(int.MaxValue));
            Assert.Equal("d1ff7f", Encode((short)-129));
            Assert.Equal("d080", Encode(sbyte.MinValue));
            Assert.Equal("ccff", Encode(byte.MaxValue));
            Assert.Equal("cdffff", Encode(ushort.MaxValue));
            Assert.Equal("ceffffffff", Encode(uint.MaxValue));
            Assert.Equal("a141", Encode('A'));
        }

        public static IEnumerable<object[]> DoubleCases() => new[]
        {
            new object[] { 0L, "cb0000000000000000" },
            new object[] { unchecked((long)0x8000000000000000UL), "cb8000000000000000" }, // -0.0
            new object[] { BitConverter.DoubleToInt64Bits(1.5), "cb3ff8000000000000" },
            new object[] { BitConverter.DoubleToInt64Bits(-2.5), "cbc004000000000000" },
            new object[] { BitConverter.DoubleToInt64Bits(0.1), "cb3fb999999999999a" },
            new object[] { BitConverter.DoubleToInt64Bits(double.PositiveInfinity), "cb7ff0000000000000" },
            new object[] { BitConverter.DoubleToInt64Bits(double.NegativeInfinity), "cbfff0000000000000" },
            new object[] { 0x7ff8000000000000L, "cb7ff8000000000000" }, // Python's float('nan')
            new object[] { BitConverter.DoubleToInt64Bits(double.NaN), "cbfff8000000000000" }, // .NET's NaN has the sign bit set
            new object[] { 0x7ff0000000000001L, "cb7ff0000000000001" }, // signalling NaN payload survives
            new object[] { BitConverter.DoubleToInt64Bits(double.MaxValue), "cb7fefffffffffffff" },
            new object[] { BitConverter.DoubleToInt64Bits(double.Epsilon), "cb0000000000000001" },
            new object[] { BitConverter.DoubleToInt64Bits(1.0), "cb3ff0000000000000" }, // integral doubles stay float64
        };

        [Theory]
        [MemberData(nameof(DoubleCases))]
        public void DoublesAreFloat64WithExactBits(long bits, string hex)
        {
            double value = BitConverter.Int64BitsToDouble(bits);
            Assert.Equal(hex, Encode(value));
            ObjectTree.AssertEqual(value, Decode(hex));
        }

        public static IEnumerable<object[]> SingleCases() => new[]
        {
            new object[] { BitConverter.SingleToInt32Bits(1.5f), "ca3fc00000" },
            new object[] { unchecked((int)0x80000000), "ca80000000" }, // -0.0f
            new object[] { BitConverter.SingleToInt32Bits(float.PositiveInfinity), "ca7f800000" },
            new object[] { BitConverter.SingleToInt32Bits(float.NegativeInfinity), "caff800000" },
            new object[] { 0x7fc00000, "ca7fc00000" },
            new object[] { BitConverter.SingleToInt32Bits(float.Epsilon), "ca00000001" },
            new object[] { BitConverter.SingleToInt32Bits(float.MaxValue), "ca7f7fffff" },
        };

        [Theory]
        [MemberData(nameof(SingleCases))]
        public void SinglesStayFloat32(int bits, string hex)
        {
            float value = BitConverter.Int32BitsToSingle(bits);
            Assert.Equal(hex, Encode(value));
            ObjectTree.AssertEqual(value, Decode(hex));
        }

        /// <summary>The header Python writes for a str of n UTF-8 bytes.</summary>
        private static readonly Dictionary<int, string> StrHeaders = new Dictionary<int, string>
        {
            [0] = "a0",
            [1] = "a1",
            [31] = "bf",
            [32] = "d920",
            [255] = "d9ff",
            [256] = "da0100",
            [65535] = "daffff",
            [65536] = "db00010000",
        };

        public static IEnumerable<object[]> StringCases() =>
            from length in StrHeaders.Keys
            from unit in new[] { "a", "é", "€", "😀" }
            select new object[] { length, unit };

        [Theory]
        [MemberData(nameof(StringCases))]
        public void StringsUseTheSmallestStrFormat(int utf8Length, string unit)
        {
            string value = Text(utf8Length, unit);
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            Assert.Equal(utf8Length, utf8.Length);
            string expected = StrHeaders[utf8Length] + Hex(utf8);

            Assert.Equal(expected, Encode(value));
            ObjectTree.AssertEqual(value, Decode(expected));
        }

        [Theory]
        [InlineData(10, "€", "a", "bf")] // 31 bytes in 11 chars: fixstr after the in-place shift
        [InlineData(11, "€", "", "d921")] // 33 bytes in 11 chars: str8
        [InlineData(85, "€", "", "d9ff")] // 255 bytes in 85 chars: the largest the short path handles
        [InlineData(85, "€", "a", "da0100")] // 86 chars: the general path
        [InlineData(42, "😀", "", "d9a8")] // surrogate pairs: 84 chars, 168 bytes
        [InlineData(0, "", "\u0000\u007f", "a2")]
        public void ShortAndLongStringPathsAgree(int repeat, string unit, string suffix, string header)
        {
            string value = string.Concat(Enumerable.Repeat(unit, repeat)) + suffix;
            Assert.Equal(header + Hex(Encoding.UTF8.GetBytes(value)), Encode(value));
            ObjectTree.AssertEqual(value, Decode(Encode(value)));
        }

        [Fact]
        public void LoneSurrogateCannotBeWritten()
        {
            // Strict UTF-8: a broken string fails at the sender instead of arriving as U+FFFD.
            Assert.ThrowsAny<ArgumentException>(() => MsgPackSerializer.Serialize("a\ud800b"));
            Assert.ThrowsAny<ArgumentException>(() => MsgPackSerializer.Serialize(new string('x', 100) + "\udc00"));
        }

        private static readonly Dictionary<int, string> BinHeaders = new Dictionary<int, string>
        {
            [0] = "c400",
            [1] = "c401",
            [31] = "c41f",
            [32] = "c420",
            [255] = "c4ff",
            [256] = "c50100",
            [65535] = "c5ffff",
            [65536] = "c600010000",
        };

        public static IEnumerable<object[]> BinLengths() => BinHeaders.Keys.Select(n => new object[] { n });

        [Theory]
        [MemberData(nameof(BinLengths))]
        public void BinariesUseTheSmallestBinFormat(int length)
        {
            byte[] value = Blob(length);
            string expected = BinHeaders[length] + Hex(value);
            Assert.Equal(expected, Encode(value));
            Assert.Equal(expected, Encode(new ReadOnlyMemory<byte>(value)));
            Assert.Equal(expected, Encode(new Memory<byte>(value)));
            Assert.Equal(expected, Encode(new ArraySegment<byte>(value)));
            ObjectTree.AssertEqual(value, Decode(expected));
        }

        [Fact]
        public void ByteSlicesEncodeOnlyTheirRange()
        {
            byte[] bytes = { 1, 2, 3, 4, 5 };
            Assert.Equal("c403020304", Encode(new ArraySegment<byte>(bytes, 1, 3)));
            Assert.Equal("c403020304", Encode(new ReadOnlyMemory<byte>(bytes, 1, 3)));
            Assert.Equal("c400", Encode(default(ArraySegment<byte>)));
        }

        [Fact]
        public void StrAndBinStayDistinct()
        {
            Assert.Equal("a3616263", Encode("abc"));
            Assert.Equal("c403616263", Encode(Encoding.ASCII.GetBytes("abc")));
            Assert.Equal("a0", Encode(string.Empty));
            Assert.Equal("c400", Encode(System.Array.Empty<byte>()));

            object?[] decoded = Assert.IsType<object?[]>(Decode("94a3616263c403616263a0c400"));
            Assert.Equal("abc", Assert.IsType<string>(decoded[0]));
            Assert.Equal(new byte[] { 0x61, 0x62, 0x63 }, Assert.IsType<byte[]>(decoded[1]));
            Assert.Equal(string.Empty, Assert.IsType<string>(decoded[2]));
            Assert.Empty(Assert.IsType<byte[]>(decoded[3]));
            Assert.Equal("94a3616263c403616263a0c400", Encode(decoded));
        }

        public static IEnumerable<object[]> ArrayCounts() => new[]
        {
            new object[] { 0, "90" },
            new object[] { 1, "91" },
            new object[] { 15, "9f" },
            new object[] { 16, "dc0010" },
            new object[] { 65535, "dcffff" },
            new object[] { 65536, "dd00010000" },
        };

        [Theory]
        [MemberData(nameof(ArrayCounts))]
        public void ArraysUseTheSmallestArrayFormat(int count, string header)
        {
            var array = new object?[count];
            string expected = header + Repeat("c0", count);
            Assert.Equal(expected, Encode(array));
            Assert.Equal(expected, Encode(new List<object?>(array)));
            ObjectTree.AssertEqual(array, Decode(expected));
        }

        public static IEnumerable<object[]> MapCounts() => new[]
        {
            new object[] { 0, "80" },
            new object[] { 1, "81" },
            new object[] { 15, "8f" },
            new object[] { 16, "de0010" },
            new object[] { 65535, "deffff" },
            new object[] { 65536, "df00010000" },
        };

        [Theory]
        [MemberData(nameof(MapCounts))]
        public void MapsUseTheSmallestMapFormat(int count, string header)
        {
            var map = new MsgMap();
            var body = new StringBuilder();
            for (int i = 0; i < count; i++)
            {
                map.Add((long)i, null);
                body.Append(Encode((long)i)).Append("c0");
            }

            string expected = header + body;
            Assert.Equal(expected, Encode(map));
            ObjectTree.AssertEqual(map, Decode(expected));
        }

        public static IEnumerable<object[]> ExtensionCases() => new[]
        {
            new object[] { 1, "d405" },
            new object[] { 2, "d505" },
            new object[] { 4, "d605" },
            new object[] { 8, "d705" },
            new object[] { 16, "d805" },
            new object[] { 0, "c70005" },
            new object[] { 3, "c70305" },
            new object[] { 17, "c71105" },
            new object[] { 255, "c7ff05" },
            new object[] { 256, "c8010005" },
            new object[] { 65535, "c8ffff05" },
            new object[] { 65536, "c90001000005" },
        };

        [Theory]
        [MemberData(nameof(ExtensionCases))]
        public void ExtensionsUseTheSmallestExtFormat(int length, string header)
        {
            var value = new MsgPackExtension(5, Blob(length));
            string expected = header + Hex(value.Data);
            Assert.Equal(expected, Encode(value));
            ObjectTree.AssertEqual(value, Decode(expected));
            Assert.Equal(value, Decode(expected));
        }

        [Fact]
        public void ExtensionTypeCodesKeepTheirSign()
        {
            // -1 is msgpack's timestamp type: timestamp32 of one second.
            Assert.Equal("d6ff00000001", Encode(new MsgPackExtension(-1, new byte[] { 0, 0, 0, 1 })));
            ObjectTree.AssertEqual(new MsgPackExtension(-128, new byte[] { 9 }), Decode("d48009"));
            ObjectTree.AssertEqual(new MsgPackExtension(127, System.Array.Empty<byte>()), Decode("c7007f"));
            Assert.Throws<ArgumentNullException>(() => new MsgPackExtension(1, null!));
        }

        [Fact]
        public void MapKeysCompareByValue()
        {
            // Python peers key maps by int, tuple and bytes as well as str.
            MsgMap map = Map(
                1L, "one",
                -1L, "minus one",
                Arr("x", 1L), "tuple",
                Arr(Arr(1L, 2L), "y"), "nested tuple",
                new byte[] { 1, 2 }, "bytes",
                "1", "string one",
                ulong.MaxValue, "umax");
            byte[] bytes = MsgPackSerializer.Serialize(map);
            var decoded = Assert.IsType<MsgMap>(MsgPackSerializer.Deserialize(bytes));
            ObjectTree.AssertEqual(map, decoded);

            // Fresh key objects, and other CLR integer types, find the same entries.
            Assert.Equal("one", decoded[1L]);
            Assert.Equal("one", decoded[1]);
            Assert.Equal("one", decoded[(byte)1]);
            Assert.Equal("one", decoded[1UL]);
            Assert.Equal("minus one", decoded[(short)-1]);
            Assert.Equal("tuple", decoded[Arr("x", 1)]);
            Assert.Equal("nested tuple", decoded[Arr(Arr(1, 2UL), "y")]);
            Assert.Equal("bytes", decoded[new byte[] { 1, 2 }]);
            Assert.Equal("string one", decoded["1"]);
            Assert.Equal("string one", decoded.Get("1"));
            Assert.Equal("umax", decoded[ulong.MaxValue]);
            Assert.Equal("minus one", decoded[-1L]);
            Assert.False(decoded.ContainsKey(Arr("x")));
            Assert.False(decoded.ContainsKey(new byte[] { 1 }));
            Assert.False(decoded.ContainsKey(1.0));
            Assert.Null(decoded.Get("absent"));
        }

        [Fact]
        public void MapWithNonStringKeysHasPythonsExactBytes()
        {
            // msgpack.packb({1: "a", (1, 2): "b", b"k": "c"}, use_bin_type=True)
            MsgMap map = Map(1L, "a", Arr(1L, 2L), "b", new byte[] { 0x6b }, "c");
            Assert.Equal("8301a161920102a162c4016ba163", Encode(map));
            ObjectTree.AssertEqual(map, Decode("8301a161920102a162c4016ba163"));
        }

        [Fact]
        public void KeyComparerHashesAgreeWithEquality()
        {
            MsgKeyComparer comparer = MsgKeyComparer.Instance;
            var pairs = new (object A, object B)[]
            {
                (1L, 1), (1L, (ushort)1), ("k", "k"), (new byte[] { 1, 2, 3 }, new byte[] { 1, 2, 3 }),
                (Arr("a", 1L, Arr(new byte[] { 9 })), Arr("a", 1, Arr(new byte[] { 9 }))),
                (Arr(), Arr()), (Arr((object?)null), Arr((object?)null)), (ulong.MaxValue, ulong.MaxValue),
                (new MsgPackExtension(3, new byte[] { 1 }), new MsgPackExtension(3, new byte[] { 1 })),
            };
            foreach ((object a, object b) in pairs)
            {
                Assert.True(comparer.Equals(a, b), $"{ObjectTree.Describe(a)} should equal {ObjectTree.Describe(b)}");
                Assert.Equal(comparer.GetHashCode(a), comparer.GetHashCode(b));
            }

            Assert.False(comparer.Equals(-1L, ulong.MaxValue));
            Assert.False(comparer.Equals("1", 1L));
            Assert.False(comparer.Equals(1L, "1"));
            Assert.False(comparer.Equals(Arr(1L), Arr(1L, 2L)));
            Assert.False(comparer.Equals(new byte[] { 1 }, Arr(1L)));
            Assert.False(comparer.Equals(null, 1L));
            Assert.True(comparer.Equals(null, null));
        }

        [Fact]
        public void MsgMapWithReplacesAndChains()
        {
            MsgMap map = new MsgMap().With("op", "x").With("n", 1L).With("op", "y");
            Assert.Equal("82a26f70a179a16e01", Encode(map));
        }

        [Fact]
        public void ClrCollectionsEncodeAsArraysAndMaps()
        {
            Assert.Equal("93010203", Encode(new List<int> { 1, 2, 3 }));
            Assert.Equal("93010203", Encode(Enumerable.Range(1, 3)));
            Assert.Equal("92a178c0", Encode(new object?[] { "x", null }));
            Assert.Equal("81a16101", Encode(new Dictionary<string, int> { ["a"] = 1 }));
            Assert.Equal("81a16101", Encode(new SortedList { ["a"] = 1 }));
        }

        [Fact]
        public void UnsupportedAndCyclicValuesFailAtTheSender()
        {
            Assert.Throws<ArgumentException>(() => MsgPackSerializer.Serialize(new object()));
            Assert.Throws<ArgumentException>(() => MsgPackSerializer.Serialize(12.5m));
            Assert.Throws<ArgumentException>(() => MsgPackSerializer.Serialize(Tuple.Create(1, 2)));

            var cycle = new object?[1];
            cycle[0] = cycle;
            Assert.Throws<ArgumentException>(() => MsgPackSerializer.Serialize(cycle));
        }

        [Fact]
        public void NestingLimitIsTheSameForWritingAndReading()
        {
            int depth = MsgPackSerializer.DefaultMaxDepth;
            string deepest = Repeat("91", depth - 1) + "90"; // exactly DefaultMaxDepth arrays
            string tooDeep = "91" + deepest;

            object? value = Decode(deepest);
            Assert.Equal(deepest, Encode(value));

            Assert.Throws<DaskProtocolException>(() => Decode(tooDeep));
            Assert.Throws<ArgumentException>(() => MsgPackSerializer.Serialize(new object?[] { value }));

            Assert.Throws<DaskProtocolException>(() => MsgPackSerializer.Deserialize(Bytes("919190"), maxDepth: 2));
            ObjectTree.AssertEqual(new object?[] { Arr() }, MsgPackSerializer.Deserialize(Bytes("9190"), maxDepth: 2));
            ObjectTree.AssertEqual(5L, MsgPackSerializer.Deserialize(Bytes("05"), maxDepth: 0));
        }

        [Theory]
        [InlineData("c0", MessagePackType.Nil)]
        [InlineData("c2", MessagePackType.Boolean)]
        [InlineData("c3", MessagePackType.Boolean)]
        [InlineData("00", MessagePackType.Integer)]
        [InlineData("7f", MessagePackType.Integer)]
        [InlineData("e0", MessagePackType.Integer)]
        [InlineData("ff", MessagePackType.Integer)]
        [InlineData("cc", MessagePackType.Integer)]
        [InlineData("d3", MessagePackType.Integer)]
        [InlineData("ca", MessagePackType.Float)]
        [InlineData("cb", MessagePackType.Float)]
        [InlineData("a0", MessagePackType.String)]
        [InlineData("bf", MessagePackType.String)]
        [InlineData("d9", MessagePackType.String)]
        [InlineData("db", MessagePackType.String)]
        [InlineData("c4", MessagePackType.Binary)]
        [InlineData("c6", MessagePackType.Binary)]
        [InlineData("90", MessagePackType.Array)]
        [InlineData("9f", MessagePackType.Array)]
        [InlineData("dc", MessagePackType.Array)]
        [InlineData("dd", MessagePackType.Array)]
        [InlineData("80", MessagePackType.Map)]
        [InlineData("8f", MessagePackType.Map)]
        [InlineData("de", MessagePackType.Map)]
        [InlineData("df", MessagePackType.Map)]
        [InlineData("c7", MessagePackType.Extension)]
        [InlineData("c9", MessagePackType.Extension)]
        [InlineData("d4", MessagePackType.Extension)]
        [InlineData("d8", MessagePackType.Extension)]
        public void NextTypeClassifiesEveryFirstByte(string hex, MessagePackType expected)
        {
            // The decoder dispatches on the library's classification, which looks only at the first byte.
            Assert.Equal(expected, new MessagePackReader(Bytes(hex)).NextMessagePackType);
        }

        [Fact]
        public void FieldNamesAreOneStringAcrossMessages()
        {
            string atLimit = new string('n', FieldNames.MaxBytes);
            string beyond = atLimit + "x";
            string accented = "\u00e9t\u00e9";
            string lookalike = "\u00c3\u00a9t\u00c3\u00a9"; // its chars are the UTF-8 bytes of the one above
            var message = new MsgMap().With("op", "task-finished").With(atLimit, 1L).With(beyond, 2L).With(accented, 3L).With(lookalike, 4L);
            byte[] bytes = MsgPackSerializer.Serialize(message);
            var first = (MsgMap)MsgPackSerializer.Deserialize(bytes)!;
            var second = (MsgMap)MsgPackSerializer.Deserialize(bytes)!;

            string[] firstKeys = first.Keys.Cast<string>().ToArray();
            string[] secondKeys = second.Keys.Cast<string>().ToArray();
            string[] expected = { "op", atLimit, beyond, accented, lookalike };
            Assert.Equal(expected, firstKeys);
            Assert.Equal(expected, secondKeys);
            Assert.Same(firstKeys[0], secondKeys[0]);
            Assert.Same(firstKeys[1], secondKeys[1]);
            Assert.NotSame(firstKeys[2], secondKeys[2]);
            Assert.Equal(new object[] { 3L, 4L }, new[] { second[accented], second[lookalike] });
        }

        [Fact]
        public void SegmentedSequencesDecodeLikeContiguousBytes()
        {
            foreach (var message in MsgPackSampleMessages.All())
            {
                byte[] bytes = MsgPackSerializer.Serialize(message.Value);
                foreach (int segment in new[] { 1, 7, 4096 })
                {
                    ReadOnlySequence<byte> sequence = Segmented(bytes, segment);
                    var reader = new MessagePackReader(sequence);
                    object? decoded = MsgPackSerializer.Read(ref reader, null, MsgPackSerializer.DefaultMaxDepth);
                    Assert.True(reader.End);
                    ObjectTree.AssertEqual(message.Value, decoded, $"{message.Key}, segments of {segment}");
                }
            }
        }

        [Fact]
        public void SampleMessagesRoundTripByteForByte()
        {
            foreach (var message in MsgPackSampleMessages.All())
            {
                byte[] bytes = MsgPackSerializer.Serialize(message.Value);
                object? decoded = MsgPackSerializer.Deserialize(bytes);
                ObjectTree.AssertEqual(message.Value, decoded, message.Key);
                Assert.Equal(Hex(bytes), Encode(decoded));
            }
        }

        [Fact]
        public void SerializeIntoACallersBufferAppends()
        {
            var buffer = new PooledBufferWriter(1);
            MsgPackSerializer.Serialize(buffer, 1L);
            MsgPackSerializer.Serialize(buffer, "x");
            Assert.Equal("01a178", Hex(buffer.WrittenSpan));
            buffer.Dispose();
        }
    }
}
