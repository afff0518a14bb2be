using System;
using System.Buffers;
using System.Collections;

namespace DaskPS.Protocol.MessagePack
{
    /// <summary>Hooks that let a protocol layer add its own value shapes on top of plain msgpack.</summary>
    public interface IMsgPackConverter
    {
        /// <summary>Writes a value the serializer does not know; returns false to let it fail.</summary>
        bool TryWrite(ref MsgPackWriter writer, object value, int depthLeft);

        /// <summary>Lets a decoded map stand for something else (dask's placeholders); return the map to keep it.</summary>
        object? ConvertMap(MsgMap map);
    }

    /// <summary>
    /// Converts between msgpack and a plain object tree: null, bool, long (ulong above long.MaxValue), double,
    /// float, string (str), byte[] (bin), object?[] (array), <see cref="MsgMap"/> and <see cref="MsgPackExtension"/>.
    /// </summary>
    public static class MsgPackSerializer
    {
        /// <summary>Deeper than any dask message; shallow enough that hostile nesting cannot exhaust the stack.</summary>
        public const int DefaultMaxDepth = 100;

        public static void Serialize(IBufferWriter<byte> output, object? value, IMsgPackConverter? converter = null)
        {
            var writer = new MsgPackWriter(output);
            Write(ref writer, value, converter, DefaultMaxDepth);
        }

        public static byte[] Serialize(object? value, IMsgPackConverter? converter = null)
        {
            using var buffer = new Buffers.PooledBufferWriter();
            Serialize(buffer, value, converter);
            return buffer.ToArray();
        }

        /// <summary>Decodes exactly one value that must use every byte.</summary>
        public static object? Deserialize(ReadOnlySpan<byte> data, IMsgPackConverter? converter = null, int maxDepth = DefaultMaxDepth)
        {
            var reader = new MsgPackReader(data);
            object? value = Read(ref reader, converter, maxDepth);
            if (!reader.End)
            {
                throw new DaskProtocolException($"Malformed msgpack: {reader.Remaining} bytes follow the value.");
            }

            return value;
        }

        public static void Write(ref MsgPackWriter writer, object? value, IMsgPackConverter? converter, int depthLeft)
        {
            switch (value)
            {
                case null: writer.WriteNil(); return;
                case string s: writer.Write(s); return;
                case bool b: writer.Write(b); return;
                case long l: writer.Write(l); return;
                case int i: writer.Write(i); return;
                case double d: writer.Write(d); return;
                case byte[] bytes: writer.WriteBinary(bytes); return;
                case ulong ul: writer.Write(ul); return;
                case uint ui: writer.Write((ulong)ui); return;
                case short sh: writer.Write(sh); return;
                case ushort us: writer.Write((ulong)us); return;
                case sbyte sb: writer.Write(sb); return;
                case byte by: writer.Write((ulong)by); return;
                case float f: writer.Write(f); return;
                case char c: writer.Write(c.ToString()); return;
                case ReadOnlyMemory<byte> rom: writer.WriteBinary(rom.Span); return;
                case Memory<byte> mem: writer.WriteBinary(mem.Span); return;
                case ArraySegment<byte> seg: writer.WriteBinary(seg.AsSpan()); return;
                case MsgPackExtension ext: writer.WriteExtension(ext.TypeCode, ext.Data); return;
            }

            if (converter is not null && converter.TryWrite(ref writer, value, depthLeft))
            {
                return;
            }

            if (depthLeft <= 0)
            {
                throw new ArgumentException($"The value nests deeper than {DefaultMaxDepth} levels (is it cyclic?).");
            }

            switch (value)
            {
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

        public static object? Read(ref MsgPackReader reader, IMsgPackConverter? converter, int depthLeft) =>
            ReadValue(ref reader, converter, depthLeft, 0);

        /// <param name="owed">How many more values the enclosing containers still expect after this one.</param>
        private static object? ReadValue(ref MsgPackReader reader, IMsgPackConverter? converter, int depthLeft, long owed)
        {
            switch (reader.NextType)
            {
                case MsgPackType.Nil:
                    reader.TryReadNil();
                    return null;
                case MsgPackType.Boolean:
                    return reader.ReadBoolean() ? True : False;
                case MsgPackType.Integer:
                    return reader.ReadInteger();
                case MsgPackType.Float:
                    return reader.NextIsSingle ? reader.ReadSingle() : (object)reader.ReadDouble();
                case MsgPackType.String:
                    return reader.ReadString();
                case MsgPackType.Binary:
                    return reader.ReadBinarySpan().ToArray();
                case MsgPackType.Extension:
                    ReadOnlySpan<byte> data = reader.ReadExtension(out sbyte type);
                    return new MsgPackExtension(type, data.ToArray());
                case MsgPackType.Array:
                    {
                        CheckDepth(depthLeft, ref reader);
                        int count = reader.ReadArrayHeader();
                        CheckOwed(count, owed, ref reader);
                        object?[] array = count == 0 ? Array.Empty<object?>() : new object?[count];
                        for (int i = 0; i < count; i++)
                        {
                            array[i] = ReadValue(ref reader, converter, depthLeft - 1, owed + (count - 1 - i));
                        }

                        return array;
                    }

                default:
                    {
                        CheckDepth(depthLeft, ref reader);
                        int count = reader.ReadMapHeader();
                        long items = 2L * count;
                        CheckOwed(items, owed, ref reader);
                        var map = new MsgMap(count);
                        for (int i = 0; i < count; i++)
                        {
                            long after = owed + items - (2L * i);
                            object key = ReadValue(ref reader, converter, depthLeft - 1, after - 1)
                                ?? throw new DaskProtocolException("Malformed msgpack: a map key is nil, which DaskPS does not accept.");
                            map[key] = ReadValue(ref reader, converter, depthLeft - 1, after - 2);
                        }

                        return converter is null ? map : converter.ConvertMap(map);
                    }
            }
        }

        private static readonly object True = true;
        private static readonly object False = false;

        /// <summary>
        /// Each header is checked against the bytes left on its own, but nested headers could each claim nearly all
        /// of them, and every level would allocate for the whole input (about DefaultMaxDepth times its size).
        /// Every value still owed needs at least one byte, so together the claims must fit in what is left.
        /// </summary>
        private static void CheckOwed(long items, long owed, ref MsgPackReader reader)
        {
            if (items + owed > reader.Remaining)
            {
                throw new DaskProtocolException(
                    $"Malformed msgpack at byte {reader.Consumed}: a container claims {items} items while {owed} more are owed, but only {reader.Remaining} bytes are left.");
            }
        }

        private static void CheckDepth(int depthLeft, ref MsgPackReader reader)
        {
            if (depthLeft <= 0)
            {
                throw new DaskProtocolException($"Malformed msgpack at byte {reader.Consumed}: containers nested deeper than allowed.");
            }
        }
    }
}
