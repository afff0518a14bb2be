using System;
using System.Buffers;
using System.IO;
using System.Text;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>Small builders shared by the msgpack tests; the Python scripts build the same values the same way.</summary>
    internal static class MsgPackTestData
    {
        public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

        public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

        public static string Encode(object? value) => Hex(MsgPackSerializer.Serialize(value));

        public static object? Decode(string hex) => MsgPackSerializer.Deserialize(Bytes(hex));

        /// <summary>Hex of <paramref name="count"/> repetitions of a hex pattern.</summary>
        public static string Repeat(string hex, int count)
        {
            var builder = new StringBuilder(hex.Length * count);
            for (int i = 0; i < count; i++)
            {
                builder.Append(hex);
            }

            return builder.ToString();
        }

        /// <summary>
        /// A string of exactly <paramref name="utf8Bytes"/> UTF-8 bytes: as many copies of <paramref name="unit"/>
        /// as fit, padded with 'a' (vectors.py's text()).
        /// </summary>
        public static string Text(int utf8Bytes, string unit)
        {
            int unitBytes = Encoding.UTF8.GetByteCount(unit);
            var builder = new StringBuilder(utf8Bytes);
            for (int i = 0; i < utf8Bytes / unitBytes; i++)
            {
                builder.Append(unit);
            }

            builder.Append('a', utf8Bytes - (utf8Bytes / unitBytes * unitBytes));
            return builder.ToString();
        }

        /// <summary>Deterministic non-trivial bytes (vectors.py's blob()).</summary>
        public static byte[] Blob(int length)
        {
            var bytes = new byte[length];
            for (int i = 0; i < length; i++)
            {
                bytes[i] = (byte)(i * 7 % 251);
            }

            return bytes;
        }

        /// <summary>An array value. Careful: a single object?[] argument is taken as the params array itself.</summary>
        public static object?[] Arr(params object?[] items) => items;

        public static MsgMap Map(params object?[] keysAndValues)
        {
            var map = new MsgMap();
            for (int i = 0; i < keysAndValues.Length; i += 2)
            {
                map.Add(keysAndValues[i]!, keysAndValues[i + 1]);
            }

            return map;
        }

        /// <summary>The same bytes as a sequence cut into segments of <paramref name="segmentLength"/>.</summary>
        public static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentLength)
        {
            if (bytes.Length <= segmentLength)
            {
                return new ReadOnlySequence<byte>(bytes);
            }

            var first = new Segment(bytes.AsMemory(0, segmentLength), 0);
            Segment last = first;
            for (int offset = segmentLength; offset < bytes.Length; offset += segmentLength)
            {
                last = last.Append(bytes.AsMemory(offset, Math.Min(segmentLength, bytes.Length - offset)));
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }

        /// <summary>The Python helper scripts are copied next to the test assembly.</summary>
        public static string ScriptPath(string name) =>
            Path.Combine(AppContext.BaseDirectory, "Protocol", "MessagePack", name);

        private sealed class Segment : ReadOnlySequenceSegment<byte>
        {
            public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
            {
                Memory = memory;
                RunningIndex = runningIndex;
            }

            public Segment Append(ReadOnlyMemory<byte> memory)
            {
                var next = new Segment(memory, RunningIndex + Memory.Length);
                Next = next;
                return next;
            }
        }
    }
}
