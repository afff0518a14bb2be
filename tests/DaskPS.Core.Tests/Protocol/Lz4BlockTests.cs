using System;
using DaskPS.Protocol;

namespace DaskPS.Core.Tests.Protocol
{
    /// <summary>The lz4 block decoder on hand-made blocks; real Python-compressed frames are covered in DaskSerializationTests.</summary>
    public sealed class Lz4BlockTests
    {
        [Fact]
        public void DecodesLiteralsAndOverlappingMatches()
        {
            // size 12 | token 0x13: 1 literal, match 3+4=7 | 'a' | offset 1 | token 0x40: 4 literals | "bcde"
            byte[] block = { 12, 0, 0, 0, 0x13, (byte)'a', 1, 0, 0x40, (byte)'b', (byte)'c', (byte)'d', (byte)'e' };

            Assert.Equal("aaaaaaaabcde", System.Text.Encoding.ASCII.GetString(Lz4Block.Decompress(block, 100)));
        }

        [Theory]
        [InlineData(new byte[] { 1, 0 }, "too short")]
        [InlineData(new byte[] { 0xff, 0xff, 0xff, 0x7f, 0x10, 1 }, "the limit is")]
        [InlineData(new byte[] { 8, 0, 0, 0, 0x14, (byte)'a', 0, 0 }, "offset of 0")]
        [InlineData(new byte[] { 8, 0, 0, 0, 0x14, (byte)'a', 5, 0 }, "offset of 5")]
        [InlineData(new byte[] { 4, 0, 0, 0, 0x50, (byte)'a', (byte)'b' }, "literal run")]
        [InlineData(new byte[] { 3, 0, 0, 0, 0x10, (byte)'a' }, "decodes to 1")]
        [InlineData(new byte[] { 8, 0, 0, 0, 0x1f, (byte)'a', 1, 0, 0xff }, "length is cut off")]
        public void MalformedBlocksFailWithAClearError(byte[] block, string problem)
        {
            var error = Assert.Throws<DaskProtocolException>(() => Lz4Block.Decompress(block, 1 << 20));

            Assert.Contains(problem, error.Message);
        }

        [Fact]
        public void MutatedBlocksNeverEscapeAsOtherErrors()
        {
            byte[] seed = { 44, 0, 0, 0, 0x13, (byte)'x', 1, 0, 0x2f, (byte)'y', (byte)'z', 2, 0, 10, 0x50, (byte)'1', (byte)'2', (byte)'3', (byte)'4', (byte)'5' };
            Assert.Equal(44, Lz4Block.Decompress(seed, 100).Length);
            var random = new Random(0x1a4);
            for (int i = 0; i < 20_000; i++)
            {
                byte[] mutated = (byte[])seed.Clone();
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                try
                {
                    Lz4Block.Decompress(mutated, 1 << 16);
                }
                catch (DaskProtocolException)
                {
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutation {i} (seed 0x1a4) threw {e.GetType().Name}: {Convert.ToHexString(mutated)}");
                }
            }
        }
    }
}
