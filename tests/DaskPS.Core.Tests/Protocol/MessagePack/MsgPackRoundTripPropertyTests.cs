using System;
using DaskPS.Buffers;
using DaskPS.Core.Tests.Support;
using DaskPS.Protocol.MessagePack;
using MessagePack;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>Random trees survive C# → bytes → C# unchanged, and re-encoding them reproduces the bytes.</summary>
    public class MsgPackRoundTripPropertyTests
    {
        private const int Seed = 31337;

        [Fact]
        public void RandomTreesRoundTrip()
        {
            var trees = new MsgPackRandomTrees(Seed);
            for (int i = 0; i < 3000; i++)
            {
                object? tree = trees.Next();
                string context = $"seed {Seed}, tree {i}";
                byte[] bytes = MsgPackSerializer.Serialize(tree);
                object? decoded = MsgPackSerializer.Deserialize(bytes);
                ObjectTree.AssertEqual(tree, decoded, context);
                Assert.True(bytes.AsSpan().SequenceEqual(MsgPackSerializer.Serialize(decoded)), $"{context}: re-encoding changed the bytes");
            }
        }

        [Fact]
        public void RandomTreesRoundTripThroughSegmentedSequences()
        {
            var trees = new MsgPackRandomTrees(Seed + 1);
            var random = new Random(Seed + 1);
            for (int i = 0; i < 500; i++)
            {
                object? tree = trees.Next();
                byte[] bytes = MsgPackSerializer.Serialize(tree);
                var reader = new MessagePackReader(MsgPackTestData.Segmented(bytes, random.Next(1, 64)));
                object? decoded = MsgPackSerializer.Read(ref reader, null, MsgPackSerializer.DefaultMaxDepth);
                Assert.True(reader.End);
                ObjectTree.AssertEqual(tree, decoded, $"seed {Seed + 1}, tree {i}");
            }
        }

        [Fact]
        public void ManyTreesInOneBufferReadBackInOrder()
        {
            // A stream of values written back to back, as frames concatenate them, with a buffer that has to grow.
            var trees = new MsgPackRandomTrees(Seed + 2);
            var values = new object?[400];
            using var buffer = new PooledBufferWriter(16);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = trees.Next(3);
                MsgPackSerializer.Serialize(buffer, values[i]);
            }

            var reader = new MessagePackReader(buffer.WrittenMemory);
            for (int i = 0; i < values.Length; i++)
            {
                ObjectTree.AssertEqual(values[i], MsgPackSerializer.Read(ref reader, null, MsgPackSerializer.DefaultMaxDepth), $"seed {Seed + 2}, value {i}");
            }

            Assert.True(reader.End);
        }

        [Fact]
        public void StructuralEqualityHelperIsStrict()
        {
            // The property tests are only as good as this comparison.
            Assert.True(ObjectTree.Equal(double.NaN, double.NaN));
            Assert.False(ObjectTree.Equal(double.NaN, BitConverter.Int64BitsToDouble(0x7ff8000000000000)));
            Assert.False(ObjectTree.Equal(0.0, -0.0));
            Assert.False(ObjectTree.Equal(0.0f, -0.0f));
            Assert.False(ObjectTree.Equal(1L, 1UL));
            Assert.False(ObjectTree.Equal(1.0, 1.0f));
            Assert.False(ObjectTree.Equal("a", new byte[] { 0x61 }));
            Assert.False(ObjectTree.Equal(new object?[] { 1L }, new object?[] { 1L, null }));
            Assert.False(ObjectTree.Equal(new object?[] { null }, new object?[] { 0L }));
            Assert.False(ObjectTree.Equal(MsgPackTestData.Map("a", 1L, "b", 2L), MsgPackTestData.Map("b", 2L, "a", 1L)));
            Assert.False(ObjectTree.Equal(MsgPackTestData.Map("a", 1L), MsgPackTestData.Map("a", 2L)));
            Assert.False(ObjectTree.Equal(new MsgPackExtension(1, new byte[] { 1 }), new MsgPackExtension(2, new byte[] { 1 })));
            Assert.True(ObjectTree.Equal(
                MsgPackTestData.Map(MsgPackTestData.Arr("k", 1L), new object?[] { new byte[] { 1 }, 2.5, null }),
                MsgPackTestData.Map(MsgPackTestData.Arr("k", 1L), new object?[] { new byte[] { 1 }, 2.5, null })));
        }
    }
}
