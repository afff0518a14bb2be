using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Buffers;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Comm
{
    /// <summary>
    /// dask's TCP framing: <c>u64 L | u64 n | n × u64 length | frames</c>, little-endian, frame 0 msgpack.
    /// The reader ignores L (2022.12 counts every byte after it, 2024.12 only some frames) and trusts only
    /// the frame lengths, each checked against <see cref="CommOptions.MaxMessageSize"/> before anything is allocated.
    /// </summary>
    internal static class MessageFraming
    {
        /// <summary>Python joins messages under this size into one write; so do we, larger frames go out as they are.</summary>
        private const int CoalesceLimit = 128 * 1024;

        /// <param name="compressPayloads">The peer offered lz4 in its handshake: payload frames worth it go compressed.</param>
        public static async ValueTask WriteAsync(Stream stream, object? message, bool compressPayloads, CancellationToken cancellationToken)
        {
            var payloadFrames = new List<ReadOnlyMemory<byte>>();
            using var frame0 = new PooledBufferWriter(512);
            MsgPackSerializer.Serialize(frame0, message, DaskMessageConverter.ForWriting(payloadFrames, compressPayloads));

            int frameCount = 1 + payloadFrames.Count;
            long total = frame0.WrittenCount;
            foreach (ReadOnlyMemory<byte> frame in payloadFrames)
            {
                total += frame.Length;
            }

            int preludeLength = 8 * (2 + frameCount);
            using var head = new PooledBufferWriter((int)Math.Min(preludeLength + total, CoalesceLimit + preludeLength));
            Span<byte> prelude = head.GetSpan(preludeLength);
            BinaryPrimitives.WriteUInt64LittleEndian(prelude, (ulong)(preludeLength - 8 + total));
            BinaryPrimitives.WriteUInt64LittleEndian(prelude.Slice(8), (ulong)frameCount);
            BinaryPrimitives.WriteUInt64LittleEndian(prelude.Slice(16), (ulong)frame0.WrittenCount);
            for (int i = 0; i < payloadFrames.Count; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(prelude.Slice(24 + (8 * i)), (ulong)payloadFrames[i].Length);
            }

            head.Advance(preludeLength);
            Append(head, frame0.WrittenSpan);

            // Small frames join the head; from the first large one on, frames are written where they lie.
            int next = 0;
            while (next < payloadFrames.Count && head.WrittenCount + payloadFrames[next].Length <= CoalesceLimit)
            {
                Append(head, payloadFrames[next].Span);
                next++;
            }

            await WriteMemoryAsync(stream, head.WrittenMemory, cancellationToken).ConfigureAwait(false);
            for (; next < payloadFrames.Count; next++)
            {
                await WriteMemoryAsync(stream, payloadFrames[next], cancellationToken).ConfigureAwait(false);
            }

            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Reads one message; returns false at a clean end of stream between messages.</summary>
        /// <param name="source">
        /// The stream under <paramref name="reader"/>, if any: large frames are read from it straight into their
        /// final array once the pipe's buffered bytes are used up, instead of 16 KiB at a time through the pipe.
        /// </param>
        public static async ValueTask<(bool Ok, object? Message)> ReadAsync(PipeReader reader, CommOptions options, CancellationToken cancellationToken, Stream? source = null)
        {
            // Prelude: count and lengths, then the frames one by one, copied out as they arrive.
            ReadResult result;
            long frameCount;
            while (true)
            {
                result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (buffer.Length >= 16)
                {
                    frameCount = CheckFrameCount(ReadUInt64(buffer.Slice(8, 8)), options);
                    if (buffer.Length >= 16 + (8 * frameCount))
                    {
                        break;
                    }
                }

                if (result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.End);
                    if (buffer.Length == 0)
                    {
                        return (false, null);
                    }

                    throw new DaskProtocolException($"The connection closed in the middle of a message header ({buffer.Length} bytes received).");
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            var lengths = new long[frameCount];
            long totalLength = 0;
            ReadOnlySequence<byte> lengthBytes = result.Buffer.Slice(16, 8 * frameCount);
            for (int i = 0; i < frameCount; i++)
            {
                lengths[i] = (long)Math.Min(ReadUInt64(lengthBytes.Slice(8 * i, 8)), long.MaxValue);
                totalLength += lengths[i];
                if (lengths[i] > int.MaxValue || totalLength > options.MaxMessageSize)
                {
                    throw new DaskProtocolException(
                        $"A message declares {(totalLength > options.MaxMessageSize ? "at least " + totalLength : lengths[i].ToString())} bytes of frames; the limit is {options.MaxMessageSize} (CommOptions.MaxMessageSize).");
                }
            }

            reader.AdvanceTo(result.Buffer.GetPosition(16 + (8 * frameCount)));

            var frames = new ReadOnlyMemory<byte>[frameCount];
            byte[]? frame0 = null;
            try
            {
                for (int i = 0; i < frameCount; i++)
                {
                    int length = (int)lengths[i];
                    // Frame 0 is decoded right away and can go back to the pool; payload frames are kept.
                    byte[] target = i == 0 ? (frame0 = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1))) : (length == 0 ? Array.Empty<byte>() : new byte[length]);
                    await FillAsync(reader, source, target, length, cancellationToken).ConfigureAwait(false);
                    frames[i] = new ReadOnlyMemory<byte>(target, 0, length);
                }

                if (frameCount == 0)
                {
                    throw new DaskProtocolException("A message has no frames.");
                }

                object? message = MsgPackSerializer.Deserialize(frames[0], DaskMessageConverter.ForReading(frames), options.MaxDepth);
                return (true, message);
            }
            finally
            {
                if (frame0 is not null)
                {
                    ArrayPool<byte>.Shared.Return(frame0);
                }
            }
        }

        /// <summary>Frames at least this large bypass the pipe once its buffered bytes are copied.</summary>
        private const int DirectReadThreshold = 256 * 1024;

        private static async ValueTask FillAsync(PipeReader reader, Stream? source, byte[] target, int length, CancellationToken cancellationToken)
        {
            int filled = 0;
            while (filled < length)
            {
                ReadResult result;
                if (source is not null && length - filled >= DirectReadThreshold)
                {
                    // TryRead issues no I/O: take what the pipe already holds, then read the rest ourselves.
                    if (reader.TryRead(out result))
                    {
                        if (!result.Buffer.IsEmpty)
                        {
                            filled += Take(reader, result, target, filled, length);
                            continue;
                        }

                        reader.AdvanceTo(result.Buffer.Start);
                    }

                    int read = await source.ReadAsync(target, filled, length - filled, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new DaskProtocolException($"The connection closed in the middle of a frame ({filled} of {length} bytes received).");
                    }

                    filled += read;
                    continue;
                }

                result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                int taken = Take(reader, result, target, filled, length);
                filled += taken;
                if (filled < length && result.IsCompleted && taken == 0)
                {
                    throw new DaskProtocolException($"The connection closed in the middle of a frame ({filled} of {length} bytes received).");
                }
            }
        }

        /// <summary>Copies buffered bytes into the frame and consumes them from the pipe.</summary>
        private static int Take(PipeReader reader, ReadResult result, byte[] target, int filled, int length)
        {
            ReadOnlySequence<byte> buffer = result.Buffer;
            long take = Math.Min(buffer.Length, length - filled);
            buffer.Slice(0, take).CopyTo(target.AsSpan(filled));
            reader.AdvanceTo(buffer.GetPosition(take));
            return (int)take;
        }

        private static long CheckFrameCount(ulong frameCount, CommOptions options)
        {
            // Every frame costs 8 header bytes, so the size limit bounds the count too.
            long most = Math.Min(options.MaxMessageSize / 8, CommOptions.MaxFrameCount);
            if (frameCount < 1 || frameCount > (ulong)most)
            {
                throw new DaskProtocolException($"A message declares {frameCount} frames; expected 1 to {most}.");
            }

            return (long)frameCount;
        }

        private static ulong ReadUInt64(ReadOnlySequence<byte> eight)
        {
            Span<byte> span = stackalloc byte[8];
            eight.CopyTo(span);
            return BinaryPrimitives.ReadUInt64LittleEndian(span);
        }

        private static void Append(PooledBufferWriter writer, ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(writer.GetSpan(bytes.Length));
            writer.Advance(bytes.Length);
        }

        private static Task WriteMemoryAsync(Stream stream, ReadOnlyMemory<byte> memory, CancellationToken cancellationToken)
        {
            if (memory.IsEmpty)
            {
                return Task.CompletedTask;
            }

            if (MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment))
            {
                return stream.WriteAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken);
            }

            byte[] copy = memory.ToArray();
            return stream.WriteAsync(copy, 0, copy.Length, cancellationToken);
        }
    }
}
