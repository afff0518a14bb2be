using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DaskPS.Core.Tests.Support;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using MessagePack;
using static DaskPS.Core.Tests.Protocol.MessagePack.MsgPackTestData;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>
    /// Bytes from a peer are untrusted: anything malformed must end in DaskProtocolException, quickly, without
    /// a large allocation and without exhausting the stack.
    /// </summary>
    public class MsgPackHostileInputTests
    {
        private const long AllocationLimit = 64 * 1024;

        [Fact]
        public void EveryTruncationOfARealMessageIsAProtocolError()
        {
            foreach (var message in MsgPackSampleMessages.All())
            {
                byte[] bytes = MsgPackSerializer.Serialize(message.Value);
                for (int length = 0; length < bytes.Length; length++)
                {
                    // msgpack is prefix-free: no proper prefix of one value is itself a whole value.
                    ExpectProtocolError(bytes.AsMemory(0, length), message.Key, length);
                }
            }
        }

        [Fact]
        public void EveryTruncationFailsWhenReadFromASegmentedSequence()
        {
            foreach (var message in MsgPackSampleMessages.All().Where(m => !m.Key.StartsWith("large-", StringComparison.Ordinal)))
            {
                byte[] bytes = MsgPackSerializer.Serialize(message.Value);
                for (int length = 0; length < bytes.Length; length++)
                {
                    var sequence = Segmented(bytes.AsSpan(0, length).ToArray(), 5);
                    try
                    {
                        var reader = new MessagePackReader(sequence);
                        MsgPackSerializer.Read(ref reader, null, MsgPackSerializer.DefaultMaxDepth);
                        Assert.Fail($"{message.Key} cut to {length} bytes decoded");
                    }
                    catch (DaskProtocolException)
                    {
                    }
                }
            }
        }

        public static IEnumerable<object[]> HugeLengthHeaders()
        {
            foreach (string code in new[] { "db", "c6", "dd", "df", "c9" })
            {
                foreach (string length in new[] { "7fffffff", "ffffffff", "80000000", "00100000" })
                {
                    yield return new object[] { code + length };
                }
            }

            // 8- and 16-bit lengths that overrun the input.
            yield return new object[] { "d9ff" };
            yield return new object[] { "daffff" };
            yield return new object[] { "c4ff" };
            yield return new object[] { "c5ffff" };
            yield return new object[] { "dcffff" };
            yield return new object[] { "deffff" };
            yield return new object[] { "c7ff01" };
            yield return new object[] { "c8ffff01" };
        }

        [Theory]
        [MemberData(nameof(HugeLengthHeaders))]
        public void LengthsClaimingMoreThanIsLeftFailWithoutAllocating(string header)
        {
            // A few real bytes after the header: enough to start decoding, far too few for the claim.
            byte[] bytes = Bytes(header + "c0c0c0c0c0c0c0c0");
            ExpectProtocolError(bytes, header); // warms up the paths so JIT work is not measured

            long before = GC.GetAllocatedBytesForCurrentThread();
            ExpectProtocolError(bytes, header);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < AllocationLimit, $"{header}: {allocated} bytes allocated");
        }

        [Theory]
        [InlineData("dd", 8)] // array32 elements take 8 bytes each as object?[] slots
        [InlineData("df", 32)] // map32 entries take about 28 bytes each in a Dictionary
        public void NestedContainersCannotEachClaimTheWholeInput(string code, int bytesPerClaim)
        {
            // Each level's count passes the "no more than the bytes left" check on its own, but all of them
            // together promise far more values than the input can hold. Decoding must not allocate for the
            // sum of the claims (about DefaultMaxDepth times the input size).
            const int size = 64 * 1024;
            var hex = new System.Text.StringBuilder();
            int levels = MsgPackSerializer.DefaultMaxDepth - 1;
            for (int level = 0; level < levels; level++)
            {
                int remaining = size - ((level + 1) * 5);
                int count = code == "dd" ? remaining : remaining / 2;
                hex.Append(code).Append(count.ToString("x8"));
            }

            hex.Append(Repeat("c0", size - (levels * 5)));
            byte[] bytes = Bytes(hex.ToString());
            Assert.Equal(size, bytes.Length);
            ExpectProtocolError(bytes, "warm-up");

            long before = GC.GetAllocatedBytesForCurrentThread();
            ExpectProtocolError(bytes, code + " nest");
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long limit = (long)bytesPerClaim * size * 2;
            Assert.True(allocated < limit, $"{code}: {allocated:N0} bytes allocated for a {size:N0}-byte input (limit {limit:N0})");
        }

        [Theory]
        [InlineData("91", "c0")] // arrays
        [InlineData("81a0", "c0")] // maps nested in values
        [InlineData("81", "a0c0")] // maps nested in keys
        [InlineData("dc0001", "c0")] // array16
        [InlineData("de000181", "c0c0")] // map16 whose key is a map
        public void DeepNestingIsRefusedWithoutExhaustingTheStack(string open, string innermost)
        {
            byte[] bytes = Bytes(Repeat(open, 100_000) + innermost);

            // A deliberately small stack: the depth limit, not luck with the stack size, must stop the recursion.
            Exception? failure = null;
            var thread = new Thread(
                () =>
                {
                    try
                    {
                        ExpectProtocolError(bytes, "deep " + open);
                    }
                    catch (Exception e)
                    {
                        failure = e;
                    }
                },
                256 * 1024);
            thread.Start();
            thread.Join();
            if (failure is not null)
            {
                throw failure;
            }
        }

        [Theory]
        [InlineData("c1")]
        [InlineData("91c1")]
        [InlineData("81c1c0")]
        [InlineData("81a0c1")]
        [InlineData("93c0c0c1")]
        public void NeverUsedTypeCodeIsAnError(string hex)
        {
            ExpectProtocolError(Bytes(hex), hex);
        }

        [Theory]
        [InlineData("a1ff")] // 0xff never appears in UTF-8
        [InlineData("a1c3")] // a lead byte without its continuation
        [InlineData("a180")] // a continuation without a lead byte
        [InlineData("a2c0af")] // overlong '/'
        [InlineData("a3e08080")] // overlong NUL
        [InlineData("a3eda080")] // an encoded surrogate (CESU-8)
        [InlineData("a4f4900000")] // above U+10FFFF
        [InlineData("d904616263ff")] // invalid last byte of a str8
        [InlineData("81a1ffc0")] // invalid key
        [InlineData("91d90461bcde62")] // invalid inside an array, str8
        public void InvalidUtf8IsAProtocolError(string hex)
        {
            ExpectProtocolError(Bytes(hex), hex);
        }

        [Theory]
        [InlineData("a2c328", 1)]
        [InlineData("d904616263ff", 2)] // the str's bytes span segments: decoded from a copy, just as strictly
        [InlineData("91d90461bcde62", 3)]
        public void InvalidUtf8InASegmentedSequenceIsAProtocolError(string hex, int segment)
        {
            var reader = new MessagePackReader(Segmented(Bytes(hex), segment));
            try
            {
                MsgPackSerializer.Read(ref reader, null, MsgPackSerializer.DefaultMaxDepth);
                Assert.Fail($"{hex} decoded");
            }
            catch (DaskProtocolException)
            {
            }
        }

        [Theory]
        [InlineData("c0c0")]
        [InlineData("9000")]
        [InlineData("80c0")]
        [InlineData("a161ff")]
        [InlineData("cb3ff800000000000000")]
        public void TrailingBytesAreAnError(string hex)
        {
            ExpectProtocolError(Bytes(hex), hex);
        }

        [Theory]
        [InlineData("")]
        [InlineData("81c0c0")] // nil key
        [InlineData("82c0c0a0")]
        [InlineData("cc")]
        [InlineData("cd00")]
        [InlineData("cf00000000000000")]
        [InlineData("cb3ff80000000000")]
        [InlineData("ca3fc000")]
        [InlineData("d4")]
        [InlineData("d401")]
        [InlineData("c7")]
        [InlineData("c701")]
        [InlineData("c70101")]
        [InlineData("db000000")]
        [InlineData("dd0000")]
        [InlineData("9201")]
        [InlineData("8201c0")]
        public void MalformedScalarsAndHeadersAreProtocolErrors(string hex)
        {
            ExpectProtocolError(Bytes(hex), hex);
        }

        [Fact]
        public void HeadersCannotClaimMoreItemsThanBytesLeft()
        {
            ExpectProtocolError(Bytes("92c0"), "array of 2 with 1 byte left");
            ExpectProtocolError(Bytes("81c0"), "map of 1 with 1 byte left");
            ObjectTree.AssertEqual(Arr(null, null), MsgPackSerializer.Deserialize(Bytes("92c0c0")));
            ObjectTree.AssertEqual(Map(string.Empty, null), MsgPackSerializer.Deserialize(Bytes("81a0c0")));
        }

        /// <summary>Deserialize must throw DaskProtocolException and nothing else.</summary>
        internal static void ExpectProtocolError(ReadOnlyMemory<byte> bytes, string what)
        {
            object? value;
            try
            {
                value = MsgPackSerializer.Deserialize(bytes);
            }
            catch (DaskProtocolException)
            {
                return;
            }

            Assert.Fail($"{what}: decoded to {ObjectTree.Describe(value)} instead of failing");
        }

        private static void ExpectProtocolError(ReadOnlyMemory<byte> prefix, string message, int length)
        {
            object? value;
            try
            {
                value = MsgPackSerializer.Deserialize(prefix);
            }
            catch (DaskProtocolException)
            {
                return;
            }

            // The context string is only built on failure: this runs for every byte of every message.
            Assert.Fail($"{message} cut to {length} bytes decoded to {ObjectTree.Describe(value)}");
        }
    }
}
