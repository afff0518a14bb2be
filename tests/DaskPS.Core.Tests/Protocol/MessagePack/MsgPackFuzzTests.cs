using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using DaskPS.Core.Tests.Support;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>
    /// Mutation fuzzing over real dask messages: whatever the damage, decoding either succeeds or throws
    /// DaskProtocolException, allocates in proportion to the input, and the whole run stays fast.
    /// </summary>
    public class MsgPackFuzzTests
    {
        private const int Seed = 0x5eed_da5c;
        private const int Mutations = 20_000;

        private static readonly byte[] InterestingBytes =
        {
            0x00, 0xff, 0xc1, 0xdb, 0xdd, 0xdf, 0xc6, 0xc9, 0xda, 0xdc, 0xde, 0xd9, 0xc4, 0xc7, 0x7f, 0x80, 0x8f, 0x90,
            0x9f, 0xa0, 0xbf, 0xc0, 0xcf, 0xd3, 0xe0,
        };

        [Fact]
        public void MutatedMessagesDecodeOrFailWithProtocolException()
        {
            byte[][] originals = MsgPackSampleMessages.All().Select(m => MsgPackSerializer.Serialize(m.Value)).ToArray();
            var random = new Random(Seed);
            int decoded = 0;
            int rejected = 0;
            var stopwatch = Stopwatch.StartNew();

            for (int iteration = 0; iteration < Mutations; iteration++)
            {
                byte[] input = originals[random.Next(originals.Length)];
                int rounds = random.Next(1, 4);
                for (int round = 0; round < rounds; round++)
                {
                    input = Mutate(random, input);
                }

                string context = $"seed 0x{Seed:x}, iteration {iteration}, input {MsgPackTestData.Hex(input.AsSpan(0, Math.Min(input.Length, 256)))}";
                if (TryDecode(input, context, out object? value))
                {
                    decoded++;

                    // Whatever decoded must re-encode to bytes that decode to the same tree.
                    byte[] again = MsgPackSerializer.Serialize(value);
                    ObjectTree.AssertEqual(value, MsgPackSerializer.Deserialize(again), context);
                }
                else
                {
                    rejected++;
                }

            }

            stopwatch.Stop();
            Assert.True(decoded > 100 && rejected > 100, $"seed 0x{Seed:x}: mutations did not exercise both outcomes ({decoded} decoded, {rejected} rejected)");
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"seed 0x{Seed:x}: {Mutations} mutations took {stopwatch.Elapsed}");
        }

        private static bool TryDecode(byte[] input, string context, out object? value)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Exception? unexpected = null;
            bool ok = false;
            value = null;
            try
            {
                value = MsgPackSerializer.Deserialize(input);
                ok = true;
            }
            catch (DaskProtocolException)
            {
            }
            catch (Exception e)
            {
                unexpected = e;
            }

            if (unexpected is not null)
            {
                Assert.Fail($"{context}: {unexpected}");
            }

            // Generous for a legitimate tree (an empty map costs ~100 bytes for its 1-byte encoding), yet far below
            // what nested length claims could force.
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long limit = (64 * 1024) + (160L * input.Length);
            Assert.True(allocated <= limit, $"{context}: {allocated} bytes allocated for {input.Length} input bytes");
            return ok;
        }

        private static byte[] Mutate(Random random, byte[] input)
        {
            var bytes = new List<byte>(input);
            int Position() => bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(8))
            {
                case 0 when bytes.Count > 0:
                    {
                        int at = Position();
                        bytes[at] ^= (byte)(1 << random.Next(8));
                        break;
                    }

                case 1 when bytes.Count > 0:
                    bytes[Position()] = InterestingBytes[random.Next(InterestingBytes.Length)];
                    break;
                case 2:
                    if (bytes.Count > 0)
                    {
                        int keep = random.Next(bytes.Count);
                        bytes.RemoveRange(keep, bytes.Count - keep);
                    }

                    break;
                case 3:
                    {
                        int at = random.Next(bytes.Count + 1);
                        int count = random.Next(1, 5);
                        for (int i = 0; i < count; i++)
                        {
                            byte b = random.Next(2) == 0 ? InterestingBytes[random.Next(InterestingBytes.Length)] : (byte)random.Next(256);
                            bytes.Insert(at, b);
                        }

                        break;
                    }

                case 4 when bytes.Count > 1:
                    {
                        int at = Position();
                        bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 16)));
                        break;
                    }

                case 5 when bytes.Count > 1:
                    {
                        // Copy a slice elsewhere: plausible-looking structure in the wrong place.
                        int from = Position();
                        int length = Math.Min(bytes.Count - from, random.Next(1, 32));
                        byte[] slice = bytes.GetRange(from, length).ToArray();
                        bytes.InsertRange(random.Next(bytes.Count + 1), slice);
                        break;
                    }

                default:
                    InflateLength(random, bytes);
                    break;
            }

            return bytes.ToArray();
        }

        /// <summary>Finds a length-carrying header and makes it claim far more than follows.</summary>
        private static void InflateLength(Random random, List<byte> bytes)
        {
            for (int attempt = 0; attempt < 32 && bytes.Count > 0; attempt++)
            {
                int at = random.Next(bytes.Count);
                byte code = bytes[at];
                int width = code switch
                {
                    0xd9 or 0xc4 or 0xc7 => 1,
                    0xda or 0xc5 or 0xc8 or 0xdc or 0xde => 2,
                    0xdb or 0xc6 or 0xc9 or 0xdd or 0xdf => 4,
                    _ => 0,
                };

                if (code >= 0x80 && code <= 0xbf)
                {
                    // fixmap/fixarray/fixstr: max out the count, or widen to a 32-bit header with a huge count.
                    if (random.Next(2) == 0)
                    {
                        bytes[at] = (byte)(code | (code >= 0xa0 ? 0x1f : 0x0f));
                    }
                    else
                    {
                        byte wide = code >= 0xa0 ? (byte)0xdb : code >= 0x90 ? (byte)0xdd : (byte)0xdf;
                        bytes[at] = wide;
                        bytes.InsertRange(at + 1, BigCount(random, bytes.Count - at));
                    }

                    return;
                }

                if (width > 0 && at + width < bytes.Count)
                {
                    byte[] count = BigCount(random, bytes.Count - at);
                    for (int i = 0; i < width; i++)
                    {
                        bytes[at + 1 + i] = count[4 - width + i];
                    }

                    return;
                }
            }
        }

        /// <summary>A big-endian 32-bit count: the maximum, 2^31-1, or just over / exactly what is left.</summary>
        private static byte[] BigCount(Random random, int left)
        {
            uint value = random.Next(4) switch
            {
                0 => uint.MaxValue,
                1 => int.MaxValue,
                2 => (uint)left,
                _ => (uint)(left + random.Next(1, 100)),
            };
            return new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value };
        }
    }
}
