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
    /// the frame lengths, each checked against <see cref="CommOptions.MaxMessageSize"/>; memory follows the bytes
    /// that arrive, not the lengths declared.
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
        /// buffer once the pipe's buffered bytes are used up, instead of 16 KiB at a time through the pipe.
        /// </param>
        /// <param name="budget">Shared by the process's connections for large frames; <see cref="ReadBudget.Shared"/> unless a test gives its own.</param>
        public static async ValueTask<(bool Ok, object? Message)> ReadAsync(
            PipeReader reader, CommOptions options, CancellationToken cancellationToken, Stream? source = null, ReadBudget? budget = null)
        {
            // Waiting for a message to begin is not bounded here (servers bound it with their idle timeout);
            // once its first bytes are in, the whole message must arrive within the read timeout.
            ReadResult first = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            reader.AdvanceTo(first.Buffer.Start);
            if (first.Buffer.IsEmpty && first.IsCompleted)
            {
                return (false, null);
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.ReadTimeout);
            var incoming = new IncomingMessage(reader, source, budget ?? ReadBudget.Shared, deadline.Token);
            try
            {
                return (true, await incoming.ReadAsync(options).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DaskTimeoutException(
                    $"A message did not arrive whole within {options.ReadTimeout.TotalSeconds:0.###} s (CommOptions.ReadTimeout): {incoming.Received} bytes of it came.");
            }
            finally
            {
                incoming.Dispose();
            }
        }

        /// <summary>The longest byte array the runtime allocates (Array.MaxLength, which netstandard2.0 lacks).</summary>
        private const int MaxFrameLength = 0x7FFFFFC7;

        /// <summary>Frames at least this large grow with the bytes that arrive and bypass the pipe once its buffered bytes are copied.</summary>
        private const int LargeFrame = 256 * 1024;

        /// <summary>
        /// A large frame's buffer grows at most this many times over: it never holds more than 8 × the bytes received,
        /// and a 100 MB frame is copied only about 0.2 times over on its way (256 KiB, 2 MiB, 16 MiB, then whole).
        /// </summary>
        private const int GrowthFactor = 8;

        /// <summary>One message being received: frames are filled as bytes arrive, large ones under the budget.</summary>
        private sealed class IncomingMessage : IDisposable
        {
            private readonly PipeReader _reader;
            private readonly Stream? _source;
            private readonly ReadBudget _budget;
            private readonly CancellationToken _cancellationToken;
            private ReadBudget.Lease? _lease;

            public IncomingMessage(PipeReader reader, Stream? source, ReadBudget budget, CancellationToken cancellationToken)
            {
                _reader = reader;
                _source = source;
                _budget = budget;
                _cancellationToken = cancellationToken;
            }

            /// <summary>Bytes of the message taken so far, for the error when it stalls.</summary>
            public long Received { get; private set; }

            public async ValueTask<object?> ReadAsync(CommOptions options)
            {
                // Prelude: count and lengths, then the frames one by one, copied out as they arrive.
                ReadResult result;
                long frameCount;
                while (true)
                {
                    result = await _reader.ReadAsync(_cancellationToken).ConfigureAwait(false);
                    ReadOnlySequence<byte> buffer = result.Buffer;
                    Received = buffer.Length;
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
                        _reader.AdvanceTo(buffer.End);
                        throw new DaskProtocolException($"The connection closed in the middle of a message header ({buffer.Length} bytes received).");
                    }

                    _reader.AdvanceTo(buffer.Start, buffer.End);
                }

                var lengths = new long[frameCount];
                long totalLength = 0;
                ReadOnlySequence<byte> lengthBytes = result.Buffer.Slice(16, 8 * frameCount);
                for (int i = 0; i < frameCount; i++)
                {
                    lengths[i] = (long)Math.Min(ReadUInt64(lengthBytes.Slice(8 * i, 8)), long.MaxValue);
                    totalLength += lengths[i];
                    if (lengths[i] > MaxFrameLength)
                    {
                        throw new DaskProtocolException($"A message declares a frame of {lengths[i]} bytes; the largest a .NET array holds is {MaxFrameLength}.");
                    }

                    if (totalLength > options.MaxMessageSize)
                    {
                        throw new DaskProtocolException(
                            $"A message declares at least {totalLength} bytes of frames; the limit is {options.MaxMessageSize} (CommOptions.MaxMessageSize).");
                    }
                }

                Received = 16 + (8 * frameCount);
                _reader.AdvanceTo(result.Buffer.GetPosition(Received));

                var frames = new ReadOnlyMemory<byte>[frameCount];
                byte[]? frame0 = null;
                try
                {
                    for (int i = 0; i < frameCount; i++)
                    {
                        int length = (int)lengths[i];
                        byte[] target;
                        if (length >= LargeFrame)
                        {
                            target = await ReadLargeFrameAsync(length).ConfigureAwait(false);
                        }
                        else
                        {
                            // Small frames cost at most 256 KiB ahead of their bytes; frame 0 is decoded right away and goes back to the pool.
                            target = i == 0 ? (frame0 = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1))) : (length == 0 ? Array.Empty<byte>() : new byte[length]);
                            await FillAsync(target, 0, length).ConfigureAwait(false);
                        }

                        frames[i] = new ReadOnlyMemory<byte>(target, 0, length);
                    }

                    return MsgPackSerializer.Deserialize(frames[0], DaskMessageConverter.ForReading(frames), options.MaxDepth);
                }
                finally
                {
                    if (frame0 is not null)
                    {
                        ArrayPool<byte>.Shared.Return(frame0);
                    }
                }
            }

            public void Dispose() => _lease?.Dispose();

            /// <summary>
            /// Receives a large frame into a buffer that grows by <see cref="GrowthFactor"/> as it fills, reserving each size
            /// from the budget. The steps before the last are pooled arrays: warm memory, and nothing left for the GC.
            /// </summary>
            private async ValueTask<byte[]> ReadLargeFrameAsync(int length)
            {
                _lease ??= _budget.Open();
                byte[]? step = null;
                int filled = 0;
                try
                {
                    while (true)
                    {
                        int size = (int)Math.Min(length, Math.Max(LargeFrame, (long)filled * GrowthFactor));
                        await _lease.ReserveAsync(size, _cancellationToken).ConfigureAwait(false);
                        byte[] grown = size == length ? LargeArrays.Allocate(length) : LargeArrays.Steps.Rent(size);
                        if (step is not null)
                        {
                            Buffer.BlockCopy(step, 0, grown, 0, filled);
                            LargeArrays.Steps.Return(step);
                            _lease.Release(filled);
                        }

                        step = grown;
                        await FillAsync(step, filled, size).ConfigureAwait(false);
                        filled = size;
                        if (size == length)
                        {
                            byte[] frame = step;
                            step = null;
                            return frame;
                        }
                    }
                }
                finally
                {
                    if (step is not null)
                    {
                        LargeArrays.Steps.Return(step);
                    }
                }
            }

            /// <summary>Fills <paramref name="target"/> from <paramref name="filled"/> up to <paramref name="end"/>.</summary>
            private async ValueTask FillAsync(byte[] target, int filled, int end)
            {
                while (filled < end)
                {
                    ReadResult result;
                    if (_source is not null && end - filled >= LargeFrame)
                    {
                        // TryRead issues no I/O: take what the pipe already holds, then read the rest ourselves.
                        if (_reader.TryRead(out result))
                        {
                            if (!result.Buffer.IsEmpty)
                            {
                                filled += Take(result, target, filled, end);
                                continue;
                            }

                            _reader.AdvanceTo(result.Buffer.Start);
                        }

                        int read = await _source.ReadAsync(target, filled, end - filled, _cancellationToken).ConfigureAwait(false);
                        if (read == 0)
                        {
                            throw ClosedInFrame();
                        }

                        filled += read;
                        Received += read;
                        continue;
                    }

                    result = await _reader.ReadAsync(_cancellationToken).ConfigureAwait(false);
                    int taken = Take(result, target, filled, end);
                    filled += taken;
                    if (filled < end && result.IsCompleted && taken == 0)
                    {
                        throw ClosedInFrame();
                    }
                }
            }

            /// <summary>Copies buffered bytes into the frame and consumes them from the pipe.</summary>
            private int Take(ReadResult result, byte[] target, int filled, int end)
            {
                ReadOnlySequence<byte> buffer = result.Buffer;
                long take = Math.Min(buffer.Length, end - filled);
                buffer.Slice(0, take).CopyTo(target.AsSpan(filled));
                _reader.AdvanceTo(buffer.GetPosition(take));
                Received += take;
                return (int)take;
            }

            private DaskProtocolException ClosedInFrame() =>
                new DaskProtocolException($"The connection closed in the middle of a message ({Received} bytes of it received).");
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
