using System;
using System.Collections.Generic;
using DaskPS.Protocol.MessagePack;
using MessagePack;

namespace DaskPS.Protocol
{
    /// <summary>
    /// Maps dask's frame-0 placeholders to payload objects and back. One instance serves one message:
    /// when writing it collects the extra frames the placeholders point at; when reading it resolves them.
    /// </summary>
    internal sealed class DaskMessageConverter : IMsgPackConverter
    {
        public const string SerializedKey = "__Serialized__";
        public const string PickledKey = "__Pickled__";
        public const string SetKey = "__Set__";
        public const string SetItemsKey = "as-list";
        public const string SubFrameCountKey = "num-sub-frames";
        public const string CompressionKey = "compression";

        private readonly IReadOnlyList<ReadOnlyMemory<byte>>? _incoming;
        private readonly List<ReadOnlyMemory<byte>>? _outgoing;
        private readonly bool _compress;

        private DaskMessageConverter(IReadOnlyList<ReadOnlyMemory<byte>>? incoming, List<ReadOnlyMemory<byte>>? outgoing, bool compress)
        {
            _incoming = incoming;
            _outgoing = outgoing;
            _compress = compress;
        }

        /// <summary>
        /// For writing: frames after frame 0 are appended to <paramref name="frames"/>. With <paramref name="compress"/>
        /// (the peer offered lz4), the frames of DaskPS's own payloads are lz4-compressed where dask's rule says it pays.
        /// </summary>
        public static DaskMessageConverter ForWriting(List<ReadOnlyMemory<byte>> frames, bool compress) => new DaskMessageConverter(null, frames, compress);

        /// <summary>For reading a message whose frames (frame 0 included) are <paramref name="frames"/>.</summary>
        public static DaskMessageConverter ForReading(IReadOnlyList<ReadOnlyMemory<byte>> frames) => new DaskMessageConverter(frames, null, false);

        public bool TryWrite(ref MessagePackWriter writer, object value, int depthLeft)
        {
            switch (value)
            {
                case SerializedPayload serialized:
                    // A payload that says how its frames are compressed (one forwarded from a Python peer) goes as it came.
                    bool compress = _compress && !serialized.Header.ContainsKey(CompressionKey);
                    WritePlaceholder(ref writer, SerializedKey, serialized.Header, serialized.Frames, compress);
                    return true;
                case PickledPayload pickled:
                    // dask unpickles these buffers as they arrive, without decompressing them.
                    WritePlaceholder(ref writer, PickledKey, pickled.Header, pickled.Buffers, compress: false);
                    return true;
                case PySet set:
                    writer.WriteMapHeader(2);
                    writer.Write(SetKey);
                    writer.Write(true);
                    writer.Write(SetItemsKey);
                    MsgPackSerializer.Write(ref writer, set.Items, this, depthLeft - 1);
                    return true;
                default:
                    return false;
            }
        }

        public object? ConvertMap(MsgMap map)
        {
            if (map.TryGetValue(SerializedKey, out object? serializedIndex))
            {
                (MsgMap header, ReadOnlyMemory<byte>[] frames) = Resolve(serializedIndex, SerializedKey);
                return new SerializedPayload(header, frames);
            }

            if (map.TryGetValue(PickledKey, out object? pickledIndex))
            {
                (MsgMap header, ReadOnlyMemory<byte>[] frames) = Resolve(pickledIndex, PickledKey);
                return new PickledPayload(header, frames);
            }

            if (map.TryGetValue(SetKey, out object? isSet) && isSet is true)
            {
                return map.Get(SetItemsKey) is object?[] items
                    ? new PySet(items)
                    : throw new DaskProtocolException("A __Set__ map has no 'as-list' array.");
            }

            return map;
        }

        private void WritePlaceholder(ref MessagePackWriter writer, string key, MsgMap header, IReadOnlyList<ReadOnlyMemory<byte>> frames, bool compress)
        {
            if (_outgoing is null)
            {
                throw new InvalidOperationException("This converter reads messages; it cannot write payloads.");
            }

            // Frame 0 is the message itself, so the sub-header lands at index Count + 1.
            int index = _outgoing.Count + 1;
            var fullHeader = new MsgMap(header.Count + 2);
            foreach (KeyValuePair<object, object?> entry in header)
            {
                fullHeader[entry.Key] = entry.Value;
            }

            fullHeader[SubFrameCountKey] = (long)frames.Count;
            IReadOnlyList<ReadOnlyMemory<byte>> sent = compress ? Compress(frames, fullHeader) : frames;
            _outgoing.Add(MsgPackSerializer.Serialize(fullHeader));
            foreach (ReadOnlyMemory<byte> frame in sent)
            {
                _outgoing.Add(frame);
            }

            writer.WriteMapHeader(1);
            writer.Write(key);
            writer.Write(index);
        }

        /// <summary>Compresses the frames worth it and, if any was, records per frame what was done in the header.</summary>
        private static IReadOnlyList<ReadOnlyMemory<byte>> Compress(IReadOnlyList<ReadOnlyMemory<byte>> frames, MsgMap header)
        {
            var sent = new ReadOnlyMemory<byte>[frames.Count];
            var algorithms = new object?[frames.Count];
            bool any = false;
            for (int i = 0; i < frames.Count; i++)
            {
                byte[]? compressed = Lz4Block.CompressIfWorthwhile(frames[i].Span);
                sent[i] = compressed ?? frames[i];
                algorithms[i] = compressed is null ? null : "lz4";
                any |= compressed is not null;
            }

            if (!any)
            {
                return frames;
            }

            header[CompressionKey] = algorithms;
            return sent;
        }

        private (MsgMap Header, ReadOnlyMemory<byte>[] Frames) Resolve(object? indexValue, string key)
        {
            if (_incoming is null)
            {
                throw new InvalidOperationException("This converter writes messages; it cannot resolve payloads.");
            }

            if (indexValue is not long index || index < 1 || index >= _incoming.Count)
            {
                throw new DaskProtocolException(
                    $"A {key} placeholder points at frame {indexValue ?? "nil"}, but the message has frames 1..{_incoming.Count - 1}.");
            }

            if (MsgPackSerializer.Deserialize(_incoming[(int)index]) is not MsgMap header)
            {
                throw new DaskProtocolException($"The sub-header in frame {index} is not a msgpack map.");
            }

            if (header.Get(SubFrameCountKey) is not long count || count < 0 || index + count > _incoming.Count - 1)
            {
                throw new DaskProtocolException(
                    $"The sub-header in frame {index} has no valid 'num-sub-frames' for a message of {_incoming.Count} frames.");
            }

            var frames = new ReadOnlyMemory<byte>[count];
            for (int i = 0; i < count; i++)
            {
                frames[i] = _incoming[(int)index + 1 + i];
            }

            header.Remove(SubFrameCountKey);
            return (header, frames);
        }
    }
}
