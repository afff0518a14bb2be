using System;
using System.Collections.Generic;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DaskPS.Buffers;
using DaskPS.Protocol.MessagePack;
using MessagePack;

namespace DaskPS.Protocol
{
    /// <summary>
    /// A value DaskPS cannot decode (a pickle, a numpy buffer, ...). It says what it is, and keeps the payload
    /// so it can be handed back to Python peers unchanged.
    /// </summary>
    public sealed class OpaqueValue
    {
        public OpaqueValue(string serializer, string description, SerializedPayload payload)
        {
            Serializer = serializer;
            Description = description;
            Payload = payload;
        }

        /// <summary>dask's serializer family: pickle, dask, error, cuda, ...</summary>
        public string Serializer { get; }

        public string Description { get; }

        public SerializedPayload Payload { get; }

        public override string ToString() => $"<opaque {Serializer} value: {Description}>";
    }

    /// <summary>
    /// dask's serializer families for values: DaskPS writes plain values with the <c>msgpack</c> family (which
    /// Python clients read), and reads msgpack, collections, dask bytes, lz4-compressed and split frames.
    /// </summary>
    public static class DaskSerialization
    {
        /// <summary>Wraps a plain value (see <see cref="MsgPackSerializer"/>) as a msgpack payload.</summary>
        public static SerializedPayload ToPayload(object? value) =>
            value is byte[] bytes && bytes.Length >= LargeBytes
                ? BytesAsSplitFrames(bytes)
                : new SerializedPayload(new MsgMap(1).With("serializer", "msgpack"), new ReadOnlyMemory<byte>[] { value is byte[] small ? BinFrame(small) : MsgPackSerializer.Serialize(value) });

        /// <summary>Byte values from this size on travel as a bin header frame plus the bytes themselves.</summary>
        private const int LargeBytes = 64 * 1024;

        /// <summary>A msgpack bin in one exactly sized array.</summary>
        private static byte[] BinFrame(byte[] bytes)
        {
            byte[] header = BinHeader(bytes.Length);
            var frame = new byte[header.Length + bytes.Length];
            Buffer.BlockCopy(header, 0, frame, 0, header.Length);
            Buffer.BlockCopy(bytes, 0, frame, header.Length, bytes.Length);
            return frame;
        }

        /// <summary>
        /// A large byte value as one msgpack bin split into two frames, its header and the bytes, so neither side copies
        /// the bytes (dask peers join split frames before decoding, as for any split payload).
        /// </summary>
        private static SerializedPayload BytesAsSplitFrames(byte[] bytes) => new SerializedPayload(
            new MsgMap(3).With("serializer", "msgpack").With("split-num-sub-frames", new object?[] { 2L }).With("split-offsets", new object?[] { 0L }),
            new ReadOnlyMemory<byte>[] { BinHeader(bytes.Length), bytes });

        /// <summary>
        /// A msgpack bin header on its own. Written here because the library's WriteBinHeader reserves room for the body
        /// as well, which for a large value would mean a buffer the size of the value just for these few bytes.
        /// </summary>
        private static byte[] BinHeader(int length)
        {
            if (length <= byte.MaxValue)
            {
                return new[] { MessagePackCode.Bin8, (byte)length };
            }

            if (length <= ushort.MaxValue)
            {
                return new[] { MessagePackCode.Bin16, (byte)(length >> 8), (byte)length };
            }

            var header = new byte[5];
            header[0] = MessagePackCode.Bin32;
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), length);
            return header;
        }

        /// <summary>
        /// The bytes of a payload made by <see cref="BytesAsSplitFrames"/>, once its frames are decompressed, without
        /// copying them; null for any other payload.
        /// </summary>
        private static byte[]? SplitBytes(MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames)
        {
            if (frames.Count != 2 || header.Get("split-num-sub-frames") is not object?[] { Length: 1 } counts || counts[0] is not 2L
                || !MemoryMarshal.TryGetArray(frames[1], out ArraySegment<byte> body) || body.Offset != 0 || body.Count != body.Array!.Length)
            {
                return null;
            }

            return BinHeaderLength(frames[0].Span) == body.Count ? body.Array : null;
        }

        /// <summary>The length a frame that is exactly one bin header announces; -1 for any other frame.</summary>
        private static long BinHeaderLength(ReadOnlySpan<byte> header) => header.Length switch
        {
            2 when header[0] == MessagePackCode.Bin8 => header[1],
            3 when header[0] == MessagePackCode.Bin16 => BinaryPrimitives.ReadUInt16BigEndian(header.Slice(1)),
            5 when header[0] == MessagePackCode.Bin32 => BinaryPrimitives.ReadUInt32BigEndian(header.Slice(1)),
            _ => -1,
        };

        /// <summary>
        /// Decodes a payload; what cannot be decoded becomes an <see cref="OpaqueValue"/>, never an exception,
        /// unless the bytes themselves are malformed (<see cref="DaskProtocolException"/>).
        /// </summary>
        public static object? FromPayload(SerializedPayload payload, int maxBytes = int.MaxValue)
        {
            IReadOnlyList<ReadOnlyMemory<byte>> frames = Decompress(payload.Header, payload.Frames, maxBytes);
            if (payload.Serializer == "msgpack" && SplitBytes(payload.Header, frames) is byte[] bytes)
            {
                return bytes;
            }

            return Decode(payload.Header, MergeSplitFrames(payload.Header, frames, maxBytes), payload, maxBytes);
        }

        /// <summary>The uncompressed size of a payload's data, as dask counts nbytes.</summary>
        public static long SizeOf(SerializedPayload payload)
        {
            long total = 0;
            if (payload.Header.Get("compression") is object?[] compression)
            {
                // Compressed frames carry their uncompressed size in the first four bytes.
                for (int i = 0; i < payload.Frames.Count; i++)
                {
                    ReadOnlySpan<byte> frame = payload.Frames[i].Span;
                    total += i < compression.Length && compression[i] is "lz4" && frame.Length >= 4
                        ? BinaryPrimitives.ReadUInt32LittleEndian(frame)
                        : frame.Length;
                }

                return total;
            }

            return payload.WireLength;
        }

        private static object? Decode(MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames, SerializedPayload original, int maxBytes)
        {
            if (header.Get("is-collection") is true)
            {
                return DecodeCollection(header, frames, original, maxBytes);
            }

            string serializer = header.Get("serializer") as string ?? "?";
            switch (serializer)
            {
                case "msgpack":
                    return MsgPackSerializer.Deserialize(Join(frames, maxBytes));
                case "dask" when header.Get("type") is "bytes" || header.Get("type") is "bytearray":
                    return Join(frames, maxBytes).ToArray();
                case "dask":
                    return new OpaqueValue(serializer, $"a Python {header.Get("type") as string ?? "object"} in dask's own format", original);
                case "pickle":
                    return new OpaqueValue(serializer, "a pickled Python object", original);
                case "error":
                    string reason = frames.Count > 0 ? SafeText(frames[0]) : "no reason given";
                    return new OpaqueValue(serializer, $"the sender could not serialize it: {reason}", original);
                default:
                    return new OpaqueValue(serializer, $"a value in the '{serializer}' format", original);
            }
        }

        private static object? DecodeCollection(MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames, SerializedPayload original, int maxBytes)
        {
            if (header.Get("sub-headers") is not object?[] subHeaders || header.Get("frame-lengths") is not object?[] lengths || subHeaders.Length != lengths.Length)
            {
                throw new DaskProtocolException("A collection payload lacks matching 'sub-headers' and 'frame-lengths'.");
            }

            string kind = header.Get("type-serialized") as string ?? "list";
            var items = new object?[subHeaders.Length];
            var keys = new object?[subHeaders.Length];
            int next = 0;
            for (int i = 0; i < subHeaders.Length; i++)
            {
                if (subHeaders[i] is not MsgMap subHeader || lengths[i] is not long count || count < 0 || next + count > frames.Count)
                {
                    throw new DaskProtocolException($"Element {i} of a collection payload has a bad sub-header or frame count.");
                }

                var slice = new ReadOnlyMemory<byte>[count];
                for (int k = 0; k < count; k++)
                {
                    slice[k] = frames[next + k];
                }

                next += (int)count;
                // Sub-headers inside a collection are already expanded by the outer header.
                items[i] = Decode(subHeader, slice, original, maxBytes);
                keys[i] = subHeader.Get("key");
            }

            if (kind != "dict")
            {
                return kind == "set" ? new PySet(items) : (object)items;
            }

            var map = new MsgMap(items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                map[keys[i] ?? throw new DaskProtocolException("A dict element of a collection payload has no 'key'.")] = items[i];
            }

            return map;
        }

        /// <summary>Decompresses each frame; split frames are joined after that, as dask cuts them before it compresses.</summary>
        private static IReadOnlyList<ReadOnlyMemory<byte>> Decompress(MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames, int maxBytes)
        {
            if (header.Get("compression") is not object?[] compression)
            {
                return frames;
            }

            var decompressed = new ReadOnlyMemory<byte>[frames.Count];
            for (int i = 0; i < frames.Count; i++)
            {
                object? algorithm = i < compression.Length ? compression[i] : null;
                decompressed[i] = algorithm switch
                {
                    null => frames[i],
                    "lz4" => Lz4Block.Decompress(frames[i].Span, maxBytes),
                    _ => throw new DaskProtocolException($"Frame {i} is compressed with '{algorithm}'; DaskPS reads only lz4."),
                };
            }

            return decompressed;
        }

        private static IReadOnlyList<ReadOnlyMemory<byte>> MergeSplitFrames(MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames, int maxBytes)
        {
            if (header.Get("split-num-sub-frames") is not object?[] counts || header.Get("split-offsets") is not object?[] offsets || counts.Length != offsets.Length)
            {
                return frames;
            }

            var joined = new ReadOnlyMemory<byte>[counts.Length];
            for (int j = 0; j < counts.Length; j++)
            {
                if (counts[j] is not long count || offsets[j] is not long offset || count < 0 || offset < 0 || offset + count > frames.Count)
                {
                    throw new DaskProtocolException($"Split frame {j} points outside the payload's {frames.Count} frames.");
                }

                var parts = new ReadOnlyMemory<byte>[count];
                for (int k = 0; k < count; k++)
                {
                    parts[k] = frames[(int)offset + k];
                }

                joined[j] = count == 1 ? parts[0] : Join(parts, maxBytes);
            }

            return joined;
        }

        private static ReadOnlyMemory<byte> Join(IReadOnlyList<ReadOnlyMemory<byte>> frames, int maxBytes)
        {
            if (frames.Count == 1)
            {
                return frames[0];
            }

            long total = 0;
            foreach (ReadOnlyMemory<byte> frame in frames)
            {
                total += frame.Length;
            }

            if (total > maxBytes)
            {
                throw new DaskProtocolException($"A payload of {total} bytes exceeds the limit of {maxBytes}.");
            }

            byte[] joined = LargeArrays.Allocate((int)total);
            int at = 0;
            foreach (ReadOnlyMemory<byte> frame in frames)
            {
                frame.Span.CopyTo(joined.AsSpan(at));
                at += frame.Length;
            }

            return joined;
        }

        private static string SafeText(ReadOnlyMemory<byte> frame)
        {
            try
            {
                return Utf8.GetString(frame.Span.Length > 500 ? frame.Span.Slice(0, 500) : frame.Span);
            }
            catch (DaskProtocolException)
            {
                return $"{frame.Length} bytes of text that are not UTF-8";
            }
        }
    }
}
