using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using DaskPS.Core.Tests.Support;
using DaskPS.Protocol;

namespace DaskPS.Core.Tests.Protocol
{
    /// <summary>Inputs compressed once per test class by python-lz4, in each of its modes.</summary>
    public sealed class Lz4Vectors
    {
        public Lz4Vectors()
        {
            var random = new Random(0x14);
            byte[] noise = new byte[100_000];
            random.NextBytes(noise);
            byte[] farRepeat = new byte[65_535];
            random.NextBytes(farRepeat);

            var text = new StringBuilder();
            for (int i = 0; text.Length < 60_000; i++)
            {
                text.Append($"{{\"key\": \"task-{i * 7919 % 1000}\", \"state\": \"{(i % 3 == 0 ? "memory" : "waiting")}\", \"nbytes\": {i * i}}}\n");
            }

            var repetitive = new StringBuilder();
            for (int i = 0; repetitive.Length < 5_000_000; i++)
            {
                repetitive.Append($"row {i % 1000}: the quick brown fox jumps over the lazy dog\n");
            }

            Named = new List<(string, byte[])>
            {
                ("empty", Array.Empty<byte>()),
                ("one byte", new byte[] { 0x2a }),
                ("12 bytes", Encoding.ASCII.GetBytes("abcabcabcabc")),
                ("13 bytes", Encoding.ASCII.GetBytes("abcabcabcabca")),
                ("x * 200000", Encoding.ASCII.GetBytes(new string('x', 200_000))),
                ("period 3 run", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("ab\u0000", 5_000)))),
                ("random 100 kB", noise),
                ("random block repeated at offset 65535", farRepeat.Concat(farRepeat).ToArray()),
                ("mixed text", Encoding.UTF8.GetBytes("Grüße, dask! " + text)),
                ("repetitive 5 MB", Encoding.ASCII.GetBytes(repetitive.ToString())),
            };
            byte[][] inputs = Named.Select(n => n.Input).ToArray();
            Default = PythonLz4.Compress(inputs);
            HighCompression = PythonLz4.Compress(inputs, "{'mode': 'high_compression', 'compression': 12}");
            Fast = PythonLz4.Compress(inputs, "{'mode': 'fast', 'acceleration': 8}");
            Raw = PythonLz4.Compress(inputs, "{'store_size': False}");
        }

        public List<(string Name, byte[] Input)> Named { get; }

        public byte[][] Default { get; }

        public byte[][] HighCompression { get; }

        public byte[][] Fast { get; }

        /// <summary>Blocks without the size prefix.</summary>
        public byte[][] Raw { get; }

        public byte[] Block(string name) => Default[Named.FindIndex(n => n.Name == name)];
    }

    public sealed class Lz4BlockTests : IClassFixture<Lz4Vectors>
    {
        private const int Limit = 64 << 20;

        /// <summary>What every block K4os refuses is called; it does not say why.</summary>
        private const string Corrupt = "Corrupt lz4 block";

        private readonly Lz4Vectors _vectors;

        public Lz4BlockTests(Lz4Vectors vectors)
        {
            _vectors = vectors;
        }

        [Theory]
        [InlineData("default")]
        [InlineData("high_compression")]
        [InlineData("fast")]
        public void PythonBlocksDecodeToTheirInputs(string mode)
        {
            byte[][] blocks = mode switch
            {
                "default" => _vectors.Default,
                "high_compression" => _vectors.HighCompression,
                _ => _vectors.Fast,
            };
            for (int i = 0; i < blocks.Length; i++)
            {
                (string name, byte[] input) = _vectors.Named[i];
                byte[] decoded = Lz4Block.Decompress(blocks[i], Limit);

                Assert.True(input.AsSpan().SequenceEqual(decoded), $"{mode} '{name}' decoded to different bytes ({decoded.Length} of {input.Length})");
            }
        }

        [Fact]
        public void RawBlocksWithAPrefixAddedDecodeToTheirInputs()
        {
            for (int i = 0; i < _vectors.Raw.Length; i++)
            {
                (string name, byte[] input) = _vectors.Named[i];
                byte[] output = Lz4Block.Decompress(Prefixed(input.Length, _vectors.Raw[i]), Limit);

                Assert.True(input.AsSpan().SequenceEqual(output), $"raw '{name}' decoded to different bytes");
            }
        }

        [Fact]
        public void PrefixIsTheLittleEndianSize()
        {
            Assert.Equal(new byte[] { 0x40, 0x0d, 0x03, 0x00 }, _vectors.Block("x * 200000").Take(4));
            Assert.True(_vectors.Block("x * 200000").Length < 1_000);
            Assert.Empty(Lz4Block.Decompress(_vectors.Block("empty"), 0));
        }

        [Fact]
        public void DecodesHandMadeLiteralsAndRuns()
        {
            // size 13 | token 0x13: 1 literal, match 3+4=7 | 'a' | offset 1 | token 0x50: 5 literals | "bcdef"
            byte[] block = { 13, 0, 0, 0, 0x13, (byte)'a', 1, 0, 0x50, (byte)'b', (byte)'c', (byte)'d', (byte)'e', (byte)'f' };

            Assert.Equal("aaaaaaaabcdef", Encoding.ASCII.GetString(Lz4Block.Decompress(block, 100)));
        }

        [Theory]
        [InlineData(new byte[] { }, "too short")]
        [InlineData(new byte[] { 1, 0 }, "too short")]
        [InlineData(new byte[] { 0xff, 0xff, 0xff, 0x7f, 0x10, 1 }, "the limit is")]
        [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff, 0x10, 1 }, "the limit is")]
        [InlineData(new byte[] { 8, 0, 0, 0, 0x14, (byte)'a', 0, 0 }, Corrupt)] // offset 0
        [InlineData(new byte[] { 8, 0, 0, 0, 0x14, (byte)'a', 5, 0 }, Corrupt)] // offset beyond the output so far
        [InlineData(new byte[] { 8, 0, 0, 0, 0x04, 1, 0 }, Corrupt)] // a match before any output
        [InlineData(new byte[] { 4, 0, 0, 0, 0x50, (byte)'a', (byte)'b' }, Corrupt)] // literals past the block
        [InlineData(new byte[] { 1, 0, 0, 0, 0x20, (byte)'a', (byte)'b' }, Corrupt)] // literals past the declared size
        [InlineData(new byte[] { 4, 0, 0, 0, 0x10, (byte)'a', 1, 0 }, Corrupt)] // a match past the declared size
        [InlineData(new byte[] { 3, 0, 0, 0, 0x10, (byte)'a' }, "decodes to 1")]
        [InlineData(new byte[] { 3, 0, 0, 0 }, "decodes to 0")]
        [InlineData(new byte[] { 8, 0, 0, 0, 0x1f, (byte)'a', 1, 0, 0xff }, Corrupt)] // a length cut off
        [InlineData(new byte[] { 8, 0, 0, 0, 0xf0, 0xff }, Corrupt)] // a literal length cut off
        [InlineData(new byte[] { 8, 0, 0, 0, 0x14, (byte)'a', 1 }, Corrupt)] // an offset cut off
        [InlineData(new byte[] { 5, 0, 0, 0, 0x10, (byte)'a', 1, 0, 0x00 }, Corrupt)] // a trailing byte
        [InlineData(new byte[] { 2, 0, 0, 0, 0x20, (byte)'a', (byte)'b', 0x00 }, Corrupt)] // a trailing byte
        [InlineData(new byte[] { 0, 0, 0, 0, 0x00, 0x00 }, Corrupt)] // an empty input's block with a byte too many
        [InlineData(new byte[] { 0, 0, 0, 0 }, Corrupt)] // an empty input without its block
        [InlineData(new byte[] { 12, 0, 0, 0, 0x13, (byte)'a', 1, 0, 0x40, (byte)'b', (byte)'c', (byte)'d', (byte)'e' }, Corrupt)] // ends in 4 literals, not 5: python-lz4 refuses it too
        public void MalformedBlocksFailWithAClearError(byte[] block, string problem)
        {
            var error = Assert.Throws<DaskProtocolException>(() => Lz4Block.Decompress(block, 1 << 20));

            Assert.Contains(problem, error.Message);
        }

        [Fact]
        public void AnOverlongLengthFailsInsteadOfOverflowing()
        {
            // 0xf0 then 9 million bytes of 255: a literal length beyond int.MaxValue.
            byte[] block = new byte[4 + 1 + 9_000_000];
            block[0] = 0x10;
            block[4] = 0xf0;
            block.AsSpan(5).Fill(0xff);

            Assert.Contains(Corrupt, Assert.Throws<DaskProtocolException>(() => Lz4Block.Decompress(block, 1 << 20)).Message);
        }

        [Fact]
        public void EveryTruncationOfARealBlockFails()
        {
            foreach (string name in new[] { "mixed text", "x * 200000", "13 bytes", "random block repeated at offset 65535" })
            {
                byte[] block = _vectors.Block(name);
                // Every cut near either end, a sample of those between.
                for (int length = 0; length < block.Length; length += length < 300 || length > block.Length - 300 ? 1 : 13)
                {
                    byte[] cut = block.AsSpan(0, length).ToArray();
                    Assert.Throws<DaskProtocolException>(() => Lz4Block.Decompress(cut, Limit));
                }
            }
        }

        [Fact]
        public void TrailingBytesAfterARealBlockFail()
        {
            foreach (byte[] garbage in new[] { new byte[] { 0 }, new byte[] { 0x10, 0x41 }, new byte[] { 0x00, 0x01, 0x00 } })
            {
                byte[] block = _vectors.Block("mixed text").Concat(garbage).ToArray();

                Assert.Throws<DaskProtocolException>(() => Lz4Block.Decompress(block, Limit));
            }
        }

        [Fact]
        public void ADeclaredSizeTooSmallForTheBlockFails()
        {
            int index = _vectors.Named.FindIndex(n => n.Name == "mixed text");
            byte[] block = Prefixed(_vectors.Named[index].Input.Length - 1, _vectors.Raw[index]);

            Assert.Throws<DaskProtocolException>(() => Lz4Block.Decompress(block, Limit));
        }

        private static byte[] Prefixed(int size, byte[] raw) => BitConverter.GetBytes(size).Concat(raw).ToArray();

        [Fact]
        public void ASizeAboveTheLimitIsRefused()
        {
            byte[] block = _vectors.Block("x * 200000");

            Assert.Contains("the limit is 199999", Assert.Throws<DaskProtocolException>(() => Lz4Block.Decompress(block, 199_999)).Message);
            Assert.Equal(200_000, Lz4Block.Decompress(block, 200_000).Length);
            Assert.Throws<ArgumentOutOfRangeException>(() => Lz4Block.Decompress(block, -1));
        }

        [Fact]
        public void MutatedRealBlocksOnlyEverFailAsProtocolErrors()
        {
            var random = new Random(0x1a4);
            foreach (string name in new[] { "mixed text", "x * 200000", "period 3 run", "13 bytes" })
            {
                byte[] seed = _vectors.Block(name);
                int limit = 4 * BitConverter.ToInt32(seed, 0) + 64;
                for (int i = 0; i < 3_000; i++)
                {
                    byte[] mutated = Mutations.Apply(seed, random, Scribble);
                    try
                    {
                        Lz4Block.Decompress(mutated, limit);
                    }
                    catch (DaskProtocolException)
                    {
                    }
                    catch (Exception e)
                    {
                        Assert.Fail($"'{name}' mutation {i} (seed 0x1a4) threw {e.GetType().Name}: {e.Message}");
                    }
                }
            }
        }

        /// <summary>Overwrites a few bytes after the prefix, or the prefix itself, with random values.</summary>
        private static void Scribble(byte[] block, Random random)
        {
            int start = random.Next(2) == 0 ? 0 : random.Next(block.Length);
            for (int k = start; k < Math.Min(block.Length, start + 1 + random.Next(4)); k++)
            {
                block[k] = (byte)random.Next(256);
            }
        }
    }
}
