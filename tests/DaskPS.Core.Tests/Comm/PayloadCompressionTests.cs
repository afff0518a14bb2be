using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Core.Tests.Comm
{
    /// <summary>dask's rule for which payload frames go lz4-compressed, and how compressed payloads are framed.</summary>
    public sealed class PayloadCompressionTests
    {
        [Fact]
        public void FramesBelowTheMinimumSizeAreNotCompressed()
        {
            Assert.Null(Lz4Block.CompressIfWorthwhile(new byte[Lz4Block.MinCompressedSize - 1]));

            byte[] block = Assert.IsType<byte[]>(Lz4Block.CompressIfWorthwhile(new byte[Lz4Block.MinCompressedSize]));
            Assert.Equal(Lz4Block.MinCompressedSize, BitConverter.ToInt32(block, 0));
            Assert.Equal(new byte[Lz4Block.MinCompressedSize], Lz4Block.Decompress(block, Lz4Block.MinCompressedSize));
        }

        [Fact]
        public void RandomBytesAreNotCompressed()
        {
            Assert.Null(Lz4Block.CompressIfWorthwhile(Noise(1 << 20, seed: 1)));
        }

        [Theory]
        [InlineData(16, true)] // a quarter noise: python-lz4 makes it 32 %
        [InlineData(32, true)] // half noise: 57 %
        [InlineData(48, false)] // three quarters noise: 81 %, above the 70 % threshold
        public void OnlyFramesThatShrinkToSeventyPercentAreCompressed(int noisyBytesOf64, bool compressed)
        {
            byte[] frame = PartlyNoise(1 << 20, noisyBytesOf64);
            byte[]? block = Lz4Block.CompressIfWorthwhile(frame);

            Assert.Equal(compressed, block is not null);
            if (block is not null)
            {
                Assert.True(block.Length <= 0.7 * frame.Length);
                Assert.Equal(frame, Lz4Block.Decompress(block, frame.Length));
            }
        }

        [Fact]
        public void ASampleThatDoesNotCompressSparesTheWholeFrame()
        {
            // Compressible overall, but noise wherever the five evenly spread samples fall: dask's samples decide.
            const int size = 1 << 20;
            byte[] frame = new byte[size];
            long stride = (size - 10_000) / 4;
            for (int i = 0; i < 5; i++)
            {
                Noise(10_000, seed: i).CopyTo(frame, i * stride);
            }

            Assert.Null(Lz4Block.CompressIfWorthwhile(frame));
        }

        [Fact]
        public async Task OwnPayloadsGoCompressedWhenThePeerOfferedLz4()
        {
            byte[] value = PartlyNoise(1 << 20, 16);

            (MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames) = await RoundTripAsync(DaskSerialization.ToPayload(value), compress: true);

            // The bin header frame is too small; the bytes frame is compressed.
            Assert.Equal(new object?[] { null, "lz4" }, Assert.IsType<object?[]>(header.Get("compression")));
            Assert.True(frames[1].Length < 0.7 * value.Length);
            Assert.Equal(value, DaskSerialization.FromPayload(new SerializedPayload(header, frames)));
        }

        [Fact]
        public async Task NothingIsCompressedWithoutTheOffer()
        {
            byte[] value = new byte[1 << 20];

            (MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames) = await RoundTripAsync(DaskSerialization.ToPayload(value), compress: false);

            Assert.False(header.ContainsKey("compression"));
            Assert.Equal(value.Length, frames[1].Length);
        }

        [Fact]
        public async Task PayloadsThatSayHowTheyAreCompressedAreForwardedAsTheyCame()
        {
            // As a Python peer sends them: the compression list is theirs, frames untouched, even the uncompressed one.
            byte[] big = new byte[100_000];
            var header = new MsgMap().With("serializer", "dask").With("type", "bytes").With("compression", new object?[] { null });
            var payload = new SerializedPayload(header, new ReadOnlyMemory<byte>[] { big });

            (MsgMap received, IReadOnlyList<ReadOnlyMemory<byte>> frames) = await RoundTripAsync(payload, compress: true);

            Assert.Equal(new object?[] { null }, Assert.IsType<object?[]>(received.Get("compression")));
            Assert.Equal(big.Length, frames[0].Length);
        }

        [Fact]
        public async Task PickledBuffersAreNeverCompressed()
        {
            // dask unpickles a __Pickled__ placeholder's buffers as they arrive, without a look at any compression.
            var pickled = new PickledPayload(new MsgMap().With("pickled-obj", new byte[] { 0x80, 0x05, 0x4e, 0x2e }), new ReadOnlyMemory<byte>[] { new byte[100_000] });

            byte[] wire = await FrameAsync(new MsgMap().With("value", pickled), compress: true);

            Assert.True(wire.Length > 100_000, $"{wire.Length} bytes on the wire");
        }

        private static async Task<(MsgMap Header, IReadOnlyList<ReadOnlyMemory<byte>> Frames)> RoundTripAsync(SerializedPayload payload, bool compress)
        {
            byte[] wire = await FrameAsync(new MsgMap().With("op", "put").With("value", payload), compress);
            PipeReader reader = PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(wire));
            (bool ok, object? message) = await MessageFraming.ReadAsync(reader, CommOptions.Default, default);
            Assert.True(ok);
            var received = Assert.IsType<SerializedPayload>(Assert.IsType<MsgMap>(message).Get("value"));
            return (received.Header, received.Frames);
        }

        private static async Task<byte[]> FrameAsync(object message, bool compress)
        {
            using var stream = new MemoryStream();
            await MessageFraming.WriteAsync(stream, message, compress, default);
            return stream.ToArray();
        }

        private static byte[] Noise(int length, int seed)
        {
            byte[] bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }

        /// <summary>In every 64 bytes, the first <paramref name="noisy"/> random, the rest zero.</summary>
        private static byte[] PartlyNoise(int length, int noisy)
        {
            byte[] bytes = Noise(length, seed: noisy);
            for (int i = 0; i < length; i++)
            {
                if (i % 64 >= noisy)
                {
                    bytes[i] = 0;
                }
            }

            return bytes;
        }
    }
}
