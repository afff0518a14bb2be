using System;
using System.Buffers.Binary;

namespace DaskPS.Protocol
{
    /// <summary>
    /// Decodes python-lz4's default block format (<c>lz4.block.compress</c>): a 4-byte little-endian
    /// uncompressed size, then one raw LZ4 block. Python peers' payloads arrive in it even when DaskPS
    /// negotiated no compression, because the scheduler forwards payloads unchanged.
    /// </summary>
    internal static class Lz4Block
    {
        private const int MinMatch = 4;

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

            var output = new byte[size];
            int written = DecompressInto(source.Slice(4), output);
            if (written != size)
            {
                throw new DaskProtocolException($"An lz4 frame declares {size} bytes but decodes to {written}; the block is truncated.");
            }

            return output;
        }

        /// <summary>Decodes one raw block into <paramref name="destination"/>; returns the bytes written.</summary>
        public static int DecompressInto(ReadOnlySpan<byte> block, Span<byte> destination)
        {
            int input = 0;
            int output = 0;
            while (input < block.Length)
            {
                if (output == destination.Length && output > 0)
                {
                    // Every valid block ends with its literals; more bytes after a full output are garbage.
                    throw Corrupt($"{block.Length - input} trailing byte(s) follow the end of the data");
                }

                byte token = block[input++];
                int literals = ReadLength(block, ref input, token >> 4);
                if (literals > block.Length - input || literals > destination.Length - output)
                {
                    throw Corrupt("a literal run goes past the end of the block or the declared size");
                }

                block.Slice(input, literals).CopyTo(destination.Slice(output));
                input += literals;
                output += literals;
                if (input == block.Length)
                {
                    // The last sequence has literals only.
                    break;
                }

                if (block.Length - input < 2)
                {
                    throw Corrupt("a match offset is cut off");
                }

                int offset = block[input] | (block[input + 1] << 8);
                input += 2;
                if (offset == 0 || offset > output)
                {
                    throw Corrupt($"a match offset of {offset} points outside the {output} bytes decoded so far");
                }

                int matchLength = ReadLength(block, ref input, token & 0x0f) + MinMatch;
                if (matchLength > destination.Length - output)
                {
                    throw Corrupt("a match goes past the declared size");
                }

                CopyMatch(destination, output - offset, output, matchLength);
                output += matchLength;
            }

            return output;
        }

        /// <summary>
        /// Copies a match forwards. When it overlaps its own output (offset below length, e.g. a run), the bytes
        /// repeat with period offset, so copying the distance already written never overlaps and doubles each time.
        /// </summary>
        private static void CopyMatch(Span<byte> buffer, int from, int to, int length)
        {
            while (length > 0)
            {
                int chunk = Math.Min(to - from, length);
                buffer.Slice(from, chunk).CopyTo(buffer.Slice(to));
                to += chunk;
                length -= chunk;
            }
        }

        private static int ReadLength(ReadOnlySpan<byte> block, ref int input, int nibble)
        {
            long length = nibble;
            if (nibble == 15)
            {
                byte more;
                do
                {
                    if (input >= block.Length)
                    {
                        throw Corrupt("a length is cut off");
                    }

                    more = block[input++];
                    length += more;
                    if (length > int.MaxValue - MinMatch)
                    {
                        throw Corrupt("a length overflows");
                    }
                }
                while (more == 255);
            }

            return (int)length;
        }

        private static DaskProtocolException Corrupt(string what) => new DaskProtocolException($"Corrupt lz4 block: {what}.");
    }
}
