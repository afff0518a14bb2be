using System;
using DaskPS.Buffers;

namespace DaskPS.Core.Tests.Buffers
{
    /// <summary>The buffer every msgpack encode goes through.</summary>
    public class PooledBufferWriterTests
    {
        [Fact]
        public void GrowsAndKeepsWhatWasWritten()
        {
            using var buffer = new PooledBufferWriter(1);
            var expected = new byte[100_000];
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = (byte)(i * 31);
                Span<byte> span = buffer.GetSpan();
                Assert.False(span.IsEmpty);
                span[0] = expected[i];
                buffer.Advance(1);
            }

            Assert.Equal(expected.Length, buffer.WrittenCount);
            Assert.True(buffer.WrittenSpan.SequenceEqual(expected));
            Assert.True(buffer.WrittenMemory.Span.SequenceEqual(expected));
            Assert.Equal(expected, buffer.ToArray());
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(255)]
        [InlineData(1 << 20)]
        public void SizeHintsAreHonoured(int hint)
        {
            using var buffer = new PooledBufferWriter(16);
            buffer.Advance(3);
            Assert.True(buffer.GetSpan(hint).Length >= Math.Max(hint, 1));
            Assert.True(buffer.GetMemory(hint).Length >= Math.Max(hint, 1));
            Assert.Equal(3, buffer.WrittenCount);
        }

        [Fact]
        public void AdvancingPastTheBufferIsRefused()
        {
            using var buffer = new PooledBufferWriter(16);
            int capacity = buffer.GetSpan().Length;
            Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(capacity + 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(-1));

            // _written + count used to overflow int and slip past the bounds check.
            buffer.Advance(1);
            Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(int.MaxValue));
            Assert.Equal(1, buffer.WrittenCount);
        }

        [Fact]
        public void ClearKeepsTheBufferAndDisposeEmptiesIt()
        {
            var buffer = new PooledBufferWriter();
            buffer.GetSpan(4)[0] = 42;
            buffer.Advance(4);
            buffer.Clear();
            Assert.Equal(0, buffer.WrittenCount);
            Assert.True(buffer.WrittenSpan.IsEmpty);

            buffer.Advance(2);
            buffer.Dispose();
            Assert.Equal(0, buffer.WrittenCount);
            Assert.Empty(buffer.ToArray());
            buffer.Dispose();
        }
    }
}
