using System;
using System.Collections.Generic;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol
{
    /// <summary>
    /// A value serialized outside frame 0: dask's <c>{"__Serialized__": i}</c> placeholder, its sub-header and
    /// its sub-frames. Kept exactly as received (compression included) so it can be stored, forwarded and
    /// served back byte-identical; <see cref="DaskSerialization"/> turns it into a value when wanted.
    /// </summary>
    public sealed class SerializedPayload
    {
        public SerializedPayload(MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames)
        {
            Header = header ?? throw new ArgumentNullException(nameof(header));
            Frames = frames ?? throw new ArgumentNullException(nameof(frames));
        }

        /// <summary>The sub-header; <c>num-sub-frames</c> is set from <see cref="Frames"/> when written.</summary>
        public MsgMap Header { get; }

        public IReadOnlyList<ReadOnlyMemory<byte>> Frames { get; }

        public string? Serializer => Header.Get("serializer") as string;

        /// <summary>The bytes the frames occupy on the wire.</summary>
        public long WireLength
        {
            get
            {
                long total = 0;
                foreach (ReadOnlyMemory<byte> frame in Frames)
                {
                    total += frame.Length;
                }

                return total;
            }
        }

        public override string ToString() => $"Serialized({Serializer ?? "?"}, {Frames.Count} frames, {WireLength} bytes)";
    }

    /// <summary>
    /// dask's <c>{"__Pickled__": i}</c> placeholder: a pickle (and its out-of-band buffers) that DaskPS
    /// never executes, only keeps and forwards.
    /// </summary>
    public sealed class PickledPayload
    {
        public PickledPayload(MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
        {
            Header = header ?? throw new ArgumentNullException(nameof(header));
            Buffers = buffers ?? throw new ArgumentNullException(nameof(buffers));
        }

        /// <summary>The sub-header: <c>pickled-obj</c> (the pickle bytes) and <c>num-sub-frames</c>.</summary>
        public MsgMap Header { get; }

        public IReadOnlyList<ReadOnlyMemory<byte>> Buffers { get; }

        public byte[]? Pickle => Header.Get("pickled-obj") as byte[];

        public override string ToString() => $"Pickled({Pickle?.Length ?? 0} bytes, {Buffers.Count} buffers)";
    }

    /// <summary>A Python set, sent as <c>{"__Set__": true, "as-list": [...]}</c>.</summary>
    public sealed class PySet
    {
        public PySet(IReadOnlyList<object?> items)
        {
            Items = items ?? throw new ArgumentNullException(nameof(items));
        }

        public IReadOnlyList<object?> Items { get; }

        public override string ToString() => $"set({Items.Count} items)";
    }
}
