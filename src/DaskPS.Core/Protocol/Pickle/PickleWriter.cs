using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using DaskPS.Buffers;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Pickle
{
    /// <summary>
    /// Writes inert pickles (protocol 4) from a small object model: no REDUCE and no memo, so unpickling runs no
    /// code but <c>object.__new__</c> and attribute or slot assignment. Tuples are object?[], lists List&lt;object?&gt;,
    /// dicts any IDictionary, plus <see cref="PickleGlobal"/>, <see cref="PickleObject"/>, sets and frozensets.
    /// </summary>
    public static class PickleWriter
    {
        private const int MaxDepth = 100;

        public static byte[] Write(object? value)
        {
            using var output = new PooledBufferWriter(1024);
            Byte(output, 0x80);
            Byte(output, 4);
            Value(output, value, MaxDepth);
            Byte(output, (byte)'.');
            return output.ToArray();
        }

        private static void Value(PooledBufferWriter output, object? value, int depth)
        {
            if (depth <= 0)
            {
                throw new ArgumentException("The value nests too deeply to pickle.");
            }

            switch (value)
            {
                case null:
                    Byte(output, (byte)'N');
                    break;
                case bool b:
                    Byte(output, b ? (byte)0x88 : (byte)0x89);
                    break;
                case int i:
                    Integer(output, i);
                    break;
                case long l:
                    Integer(output, l);
                    break;
                case double d:
                    Byte(output, (byte)'G');
                    BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), BitConverter.DoubleToInt64Bits(d));
                    output.Advance(8);
                    break;
                case string s:
                    byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(s);
                    Byte(output, (byte)'X');
                    Length(output, utf8.Length);
                    Raw(output, utf8);
                    break;
                case byte[] bytes:
                    Byte(output, (byte)'B');
                    Length(output, bytes.Length);
                    Raw(output, bytes);
                    break;
                case PickleGlobal global:
                    Byte(output, (byte)'c');
                    Raw(output, System.Text.Encoding.UTF8.GetBytes(global.Module + "\n" + global.Name + "\n"));
                    break;
                case PickleObject obj:
                    Value(output, obj.Type, depth - 1);
                    if (obj.Args is object?[] { Length: > 0 } args)
                    {
                        Value(output, args, depth - 1);
                    }
                    else
                    {
                        Byte(output, (byte)')');
                    }

                    Byte(output, 0x81);
                    if (obj.State is not null)
                    {
                        Value(output, obj.State, depth - 1);
                        Byte(output, (byte)'b');
                    }

                    break;
                case PickleFrozenSet frozen:
                    Byte(output, (byte)'(');
                    Items(output, frozen.Items, depth);
                    Byte(output, 0x91);
                    break;
                case PickleSet set:
                    Byte(output, 0x8f);
                    if (set.Items.Count > 0)
                    {
                        Byte(output, (byte)'(');
                        Items(output, set.Items, depth);
                        Byte(output, 0x90);
                    }

                    break;
                case object?[] tuple:
                    if (tuple.Length == 0)
                    {
                        Byte(output, (byte)')');
                        break;
                    }

                    Byte(output, (byte)'(');
                    Items(output, tuple, depth);
                    Byte(output, (byte)'t');
                    break;
                case IDictionary map:
                    Byte(output, (byte)'}');
                    if (map.Count > 0)
                    {
                        Byte(output, (byte)'(');
                        foreach (DictionaryEntry entry in map)
                        {
                            Value(output, entry.Key, depth - 1);
                            Value(output, entry.Value, depth - 1);
                        }

                        Byte(output, (byte)'u');
                    }

                    break;
                case IList list:
                    Byte(output, (byte)']');
                    if (list.Count > 0)
                    {
                        Byte(output, (byte)'(');
                        foreach (object? item in list)
                        {
                            Value(output, item, depth - 1);
                        }

                        Byte(output, (byte)'e');
                    }

                    break;
                default:
                    throw new ArgumentException($"A value of type {value.GetType().Name} has no inert pickle form.");
            }
        }

        private static void Items(PooledBufferWriter output, IEnumerable<object?> items, int depth)
        {
            foreach (object? item in items)
            {
                Value(output, item, depth - 1);
            }
        }

        private static void Integer(PooledBufferWriter output, long value)
        {
            if (value >= int.MinValue && value <= int.MaxValue)
            {
                Byte(output, (byte)'J');
                BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), (int)value);
                output.Advance(4);
                return;
            }

            Byte(output, 0x8a);
            Byte(output, 8);
            BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
            output.Advance(8);
        }

        private static void Length(PooledBufferWriter output, int length)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), (uint)length);
            output.Advance(4);
        }

        private static void Byte(PooledBufferWriter output, byte value)
        {
            output.GetSpan(1)[0] = value;
            output.Advance(1);
        }

        private static void Raw(PooledBufferWriter output, byte[] bytes)
        {
            bytes.CopyTo(output.GetSpan(bytes.Length));
            output.Advance(bytes.Length);
        }
    }
}
