using System;
using System.Buffers;
using System.Buffers.Binary;
using DaskPS.Buffers;
using K4os.Compression.LZ4;

namespace DaskPS.Protocol
{
    /// <summary>
    /// python-lz4's default block format (<c>lz4.block.compress</c>), which dask uses for payload frames: a 4-byte
    /// little-endian uncompressed size, then one raw LZ4 block. K4os does the LZ4 itself; this adds the size prefix,
    /// the checks on untrusted blocks, and dask's rule for which frames are worth compressing.
    /// </summary>
    internal static class Lz4Block
    {
        /// <summary>Frames below this are never compressed (dask's <c>min_size</c>).</summary>
        public const int MinCompressedSize = 10_000;

        // dask samples nsamples pieces of sample_size bytes before compressing a whole frame.
        private const int SampleSize = 10_000;
        private const int SampleCount = 5;

        /// <summary>
        /// A frame (and its sample) is sent compressed only if compression brings it to at most this fraction: dask
        /// 2024.12's <c>min_ratio</c> (2022.12 used 0.9; receivers of either release decode whatever they are sent).
        /// </summary>
        private const double MaxRatio = 0.7;

        /// <summary>Decodes a size-prefixed block; a declared size above <paramref name="maxOutputBytes"/> is refused before allocating.</summary>
        public static byte[] Decompress(ReadOnlySpan<byte> source, int maxOutputBytes)
        {
            if (maxOutputBytes < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxOutputBytes), maxOutputBytes, "The output limit cannot be negative.");
            }

            if (source.Length < 4)
            {
                throw new DaskProtocolException($"An lz4 frame of {source.Length} bytes is too short for its size prefix.");
            }

            uint size = BinaryPrimitives.ReadUInt32LittleEndian(source);
            if (size > (uint)maxOutputBytes)
            {
                throw new DaskProtocolException($"An lz4 frame declares {size} uncompressed bytes; the limit is {maxOutputBytes}.");
            }

            ReadOnlySpan<byte> block = source.Slice(4);
            if (size == 0)
            {
                // K4os refuses an empty target; the empty input's block is the single token 0x00.
                return block.Length == 1 && block[0] == 0
                    ? Array.Empty<byte>()
                    : throw new DaskProtocolException($"Corrupt lz4 block: {block.Length} bytes where an empty input's block is one zero byte.");
            }

            byte[] output = LargeArrays.Allocate((int)size);
            int written = LZ4Codec.Decode(block, output);
            if (written < 0)
            {
                throw new DaskProtocolException($"Corrupt lz4 block: it does not decode into the {size} bytes its frame declares.");
            }

            if (written != size)
            {
                throw new DaskProtocolException($"An lz4 frame declares {size} bytes but decodes to {written}; the block is truncated.");
            }

            return output;
        }

        /// <summary>
        /// The frame as a size-prefixed block when dask's rule says it is worth it (at least
        /// <see cref="MinCompressedSize"/> bytes, evenly spread samples and then the whole frame shrinking to
        /// <see cref="MaxRatio"/> or less); null to send it as it is.
        /// </summary>
        public static byte[]? CompressIfWorthwhile(ReadOnlySpan<byte> frame)
        {
            if (frame.Length < MinCompressedSize || !SampleCompresses(frame))
            {
                return null;
            }

            byte[] scratch = ArrayPool<byte>.Shared.Rent(4 + LZ4Codec.MaximumOutputSize(frame.Length));
            try
            {
                int encoded = LZ4Codec.Encode(frame, scratch.AsSpan(4));
                if (encoded < 0 || 4 + encoded > MaxRatio * frame.Length)
                {
                    return null;
                }

                BinaryPrimitives.WriteInt32LittleEndian(scratch, frame.Length);
                return scratch.AsSpan(0, 4 + encoded).ToArray();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        /// <summary>dask draws its samples at random offsets; evenly spread ones make the choice repeatable.</summary>
        private static bool SampleCompresses(ReadOnlySpan<byte> frame)
        {
            int pieceSize = Math.Min(SampleSize, frame.Length / SampleCount);
            int sampleLength = pieceSize * SampleCount;
            byte[] sample = ArrayPool<byte>.Shared.Rent(sampleLength);
            byte[] encoded = ArrayPool<byte>.Shared.Rent(4 + LZ4Codec.MaximumOutputSize(sampleLength));
            try
            {
                long stride = (frame.Length - pieceSize) / (SampleCount - 1);
                for (int i = 0; i < SampleCount; i++)
                {
                    frame.Slice((int)(i * stride), pieceSize).CopyTo(sample.AsSpan(i * pieceSize));
                }

                // Counted with the size prefix, as dask counts python-lz4's output.
                int length = LZ4Codec.Encode(sample.AsSpan(0, sampleLength), encoded.AsSpan(4));
                return length >= 0 && 4 + length <= MaxRatio * sampleLength;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sample);
                ArrayPool<byte>.Shared.Return(encoded);
            }
        }
    }
}
