using System;
using System.Buffers;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using MessagePack;

namespace DaskPS.Protocol.MessagePack
{
    /// <summary>Hooks that let a protocol layer add its own value shapes on top of plain msgpack.</summary>
    public interface IMsgPackConverter
    {
        /// <summary>Writes a value the serializer does not know; returns false to let it fail.</summary>
        bool TryWrite(ref MessagePackWriter writer, object value, int depthLeft);

        /// <summary>
        /// Lets a decoded map stand for something else (dask's placeholders); return the map to keep it. Called only for
        /// maps with a str key that starts with two underscores, as every placeholder's does: most maps are not looked at.
        /// </summary>
        object? ConvertMap(MsgMap map);
    }

    /// <summary>
    /// Converts between msgpack and a plain object tree: null, bool, long (ulong above long.MaxValue), double,
    /// float, string (str), byte[] (bin), object?[] (array), <see cref="MsgMap"/> and <see cref="MsgPackExtension"/>.
    /// MessagePack-CSharp's reader and writer do the bytes; this adds what dask needs on top: str and bin kept apart,
    /// strict UTF-8, limits on depth and on claimed counts, and <see cref="DaskProtocolException"/> for every malformed input.
    /// </summary>
    /// <remarks>
    /// The library's <see cref="MessagePackSecurity"/> is not used: it is consulted only by its formatters, and this
    /// reads with the bare reader. The depth limit is passed down the recursion here instead, where the stack is spent.
    /// </remarks>
    public static class MsgPackSerializer
    {
        /// <summary>Deeper than any dask message; shallow enough that hostile nesting cannot exhaust the stack.</summary>
        public const int DefaultMaxDepth = 100;

        public static void Serialize(IBufferWriter<byte> output, object? value, IMsgPackConverter? converter = null)
        {
            var writer = new MessagePackWriter(output);
            Write(ref writer, value, converter, DefaultMaxDepth);
            writer.Flush();
        }

        public static byte[] Serialize(object? value, IMsgPackConverter? converter = null)
        {
            using var buffer = new Buffers.PooledBufferWriter();
            Serialize(buffer, value, converter);
            return buffer.ToArray();
        }

        /// <summary>Decodes exactly one value that must use every byte.</summary>
        public static object? Deserialize(ReadOnlyMemory<byte> data, IMsgPackConverter? converter = null, int maxDepth = DefaultMaxDepth)
        {
            var reader = new MessagePackReader(data);
            object? value = Read(ref reader, converter, maxDepth);
            if (!reader.End)
            {
                throw new DaskProtocolException($"Malformed msgpack: {data.Length - reader.Consumed} bytes follow the value.");
            }

            return value;
        }

        public static void Write(ref MessagePackWriter writer, object? value, IMsgPackConverter? converter, int depthLeft)
        {
            switch (value)
            {
                case null: writer.WriteNil(); return;
                case string s: WriteString(ref writer, s); return;
                case bool b: writer.Write(b); return;
                case long l: writer.Write(l); return;
                case int i: writer.Write(i); return;
                case double d: writer.Write(d); return;
                case byte[] bytes: writer.Write(bytes.AsSpan()); return;
                case ulong ul: writer.Write(ul); return;
                case uint ui: writer.Write(ui); return;
                case short sh: writer.Write(sh); return;
                case ushort us: writer.Write(us); return;
                case sbyte sb: writer.Write(sb); return;
                case byte by: writer.Write(by); return;
                case float f: writer.Write(f); return;
                case char c: WriteString(ref writer, c.ToString()); return;
                case ReadOnlyMemory<byte> rom: writer.Write(rom.Span); return;
                case Memory<byte> mem: writer.Write(mem.Span); return;
                case ArraySegment<byte> seg: writer.Write(seg.AsSpan()); return;
                case MsgPackExtension ext:
                    writer.WriteExtensionFormatHeader(new ExtensionHeader(ext.TypeCode, ext.Data.Length));
                    writer.WriteRaw(ext.Data);
                    return;
            }

            if (converter is not null && converter.TryWrite(ref writer, value, depthLeft))
            {
                return;
            }

            if (depthLeft <= 0)
            {
                throw new ArgumentException($"The value nests deeper than {DefaultMaxDepth} levels (is it cyclic?).");
            }

            // The messages' own maps and arrays first: enumerated as themselves, not through IDictionary and IList,
            // which box every entry and the enumerator.
            switch (value)
            {
                case MsgMap map:
                    writer.WriteMapHeader(map.Count);
                    foreach (KeyValuePair<object, object?> entry in map)
                    {
                        Write(ref writer, entry.Key, converter, depthLeft - 1);
                        Write(ref writer, entry.Value, converter, depthLeft - 1);
                    }

                    return;
                case object?[] array:
                    writer.WriteArrayHeader(array.Length);
                    foreach (object? item in array)
                    {
                        Write(ref writer, item, converter, depthLeft - 1);
                    }

                    return;
                case IDictionary map:
                    writer.WriteMapHeader(map.Count);
                    foreach (DictionaryEntry entry in map)
                    {
                        Write(ref writer, entry.Key, converter, depthLeft - 1);
                        Write(ref writer, entry.Value, converter, depthLeft - 1);
                    }

                    return;
                case IList list:
                    writer.WriteArrayHeader(list.Count);
                    foreach (object? item in list)
                    {
                        Write(ref writer, item, converter, depthLeft - 1);
                    }

                    return;
                case IEnumerable sequence:
                    var items = new ArrayList();
                    foreach (object? item in sequence)
                    {
                        items.Add(item);
                    }

                    Write(ref writer, items, converter, depthLeft);
                    return;
                default:
                    throw new ArgumentException(
                        $"A value of type {value.GetType().FullName} has no msgpack form; use null, bool, numbers, strings, byte arrays, lists or maps.");
            }
        }

        /// <summary>
        /// Writes a str with strict UTF-8, so a lone surrogate fails at the sender (an <see cref="ArgumentException"/>)
        /// instead of arriving as U+FFFD, which is what the library's own string writer would send.
        /// </summary>
        private static void WriteString(ref MessagePackWriter writer, string value)
        {
            int length = Utf8.GetByteCount(value);
            writer.WriteStringHeader(length);
            Utf8.GetBytes(value, writer.GetSpan(length));
            writer.Advance(length);
        }

        /// <summary>
        /// Reads one value; whatever is malformed is a <see cref="DaskProtocolException"/>, including what the library
        /// refuses in its own exceptions (bad codes, truncation, and lengths above 2^31-1 or beyond the input).
        /// </summary>
        public static object? Read(ref MessagePackReader reader, IMsgPackConverter? converter, int depthLeft)
        {
            try
            {
                return ReadValue(ref reader, converter, depthLeft, reader.Sequence.Length);
            }
            catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentOutOfRangeException)
            {
                throw new DaskProtocolException($"Malformed msgpack at byte {reader.Consumed}: {e.Message}", e);
            }
        }

        /// <param name="end">
        /// Where this value must end at the latest: the end of the input, less one byte for every value the enclosing
        /// containers still expect after this one.
        /// </param>
        private static object? ReadValue(ref MessagePackReader reader, IMsgPackConverter? converter, int depthLeft, long end)
        {
            byte code = reader.NextCode;
            switch (MessagePackCode.ToMessagePackType(code))
            {
                case MessagePackType.Nil:
                    reader.ReadNil();
                    return null;
                case MessagePackType.Boolean:
                    return reader.ReadBoolean() ? True : False;
                case MessagePackType.Integer:
                    if (code == MessagePackCode.UInt64)
                    {
                        ulong u = reader.ReadUInt64();
                        return u <= long.MaxValue ? BoxedInt.Get((long)u) : u;
                    }

                    return BoxedInt.Get(reader.ReadInt64());
                case MessagePackType.Float:
                    return code == MessagePackCode.Float32 ? reader.ReadSingle() : (object)reader.ReadDouble();
                case MessagePackType.String:
                    return ReadString(ref reader);
                case MessagePackType.Binary:
                    return reader.ReadBytes()!.Value.ToArray();
                case MessagePackType.Extension:
                    ExtensionResult extension = reader.ReadExtensionFormat();
                    return new MsgPackExtension(extension.TypeCode, extension.Data.ToArray());
                case MessagePackType.Array:
                    {
                        CheckDepth(depthLeft, ref reader);
                        int count = reader.ReadArrayHeader();
                        CheckClaim(count, end, ref reader);
                        object?[] array = count == 0 ? Array.Empty<object?>() : new object?[count];
                        for (int i = 0; i < count; i++)
                        {
                            array[i] = ReadValue(ref reader, converter, depthLeft - 1, end - (count - 1 - i));
                        }

                        return array;
                    }

                case MessagePackType.Map:
                    {
                        CheckDepth(depthLeft, ref reader);
                        int count = reader.ReadMapHeader();
                        long items = 2L * count;
                        CheckClaim(items, end, ref reader);
                        var map = new MsgMap(count);
                        bool placeholderKey = false;
                        for (int i = 0; i < count; i++)
                        {
                            long entriesAfter = 2L * (count - 1 - i);
                            object key = (reader.NextMessagePackType == MessagePackType.String ? ReadFieldName(ref reader) : ReadValue(ref reader, converter, depthLeft - 1, end - entriesAfter - 1))
                                ?? throw new DaskProtocolException("Malformed msgpack: a map key is nil, which DaskPS does not accept.");
                            placeholderKey |= key is string { Length: > 2 } name && name[0] == '_' && name[1] == '_';
                            map[key] = ReadValue(ref reader, converter, depthLeft - 1, end - entriesAfter);
                        }

                        return converter is null || !placeholderKey ? map : converter.ConvertMap(map);
                    }

                default:
                    throw new DaskProtocolException($"Malformed msgpack at byte {reader.Consumed}: byte 0x{code:x2} is not a valid msgpack type code.");
            }
        }

        /// <summary>The library's string reader replaces invalid UTF-8 with U+FFFD; dask's peers never send it, so it is an error here.</summary>
        private static string ReadString(ref MessagePackReader reader)
        {
            if (reader.TryReadStringSpan(out ReadOnlySpan<byte> contiguous))
            {
                return Utf8.GetString(contiguous);
            }

            ReadOnlySequence<byte> pieces = reader.ReadStringSequence()!.Value;
            return Utf8.GetString(pieces.ToArray());
        }

        /// <summary>A str map key: usually one of dask's field names (<see cref="FieldNames"/>).</summary>
        private static string ReadFieldName(ref MessagePackReader reader) =>
            reader.TryReadStringSpan(out ReadOnlySpan<byte> utf8) ? FieldNames.Get(utf8) : ReadString(ref reader);

        private static readonly object True = true;
        private static readonly object False = false;

        /// <summary>
        /// The reader checks each header against the bytes left on its own, but nested headers could each claim nearly
        /// all of them, and every level would allocate for the whole input (about DefaultMaxDepth times its size).
        /// Every value still owed needs at least one byte, so a container's items must fit before its <paramref name="end"/>.
        /// </summary>
        private static void CheckClaim(long items, long end, ref MessagePackReader reader)
        {
            if (reader.Consumed + items > end)
            {
                throw new DaskProtocolException(
                    $"Malformed msgpack at byte {reader.Consumed}: a container claims {items} items, but only {end - reader.Consumed} bytes are left for them.");
            }
        }

        private static void CheckDepth(int depthLeft, ref MessagePackReader reader)
        {
            if (depthLeft <= 0)
            {
                throw new DaskProtocolException($"Malformed msgpack at byte {reader.Consumed}: containers nested deeper than allowed.");
            }
        }
    }

    /// <summary>Shared boxes for small integers, which dominate dask messages (counts, flags, frame indexes).</summary>
    internal static class BoxedInt
    {
        private const int Min = -16;
        private const int Max = 1024;
        private static readonly object[] Cache = Create();

        public static object Get(long value) =>
            value >= Min && value <= Max ? Cache[value - Min] : value;

        private static object[] Create()
        {
            var boxes = new object[Max - Min + 1];
            for (int i = 0; i < boxes.Length; i++)
            {
                boxes[i] = (long)(i + Min);
            }

            return boxes;
        }
    }
}
