using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using DaskPS.Buffers;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Pickle
{
    /// <summary>
    /// Writes inert pickles (protocol 4) from a small object model, so unpickling runs no Python code of any class:
    /// objects are made by NEWOBJ/BUILD (<see cref="PickleObject"/>) or, for classes with their own <c>__new__</c> or
    /// <c>__setstate__</c>, by calls of builtins only (<see cref="PickleInstance"/>: the one use of REDUCE and the memo).
    /// Tuples are object?[], lists List&lt;object?&gt;, dicts any IDictionary, plus <see cref="PickleGlobal"/>, sets and frozensets.
    /// </summary>
    public static class PickleWriter
    {
        private const int MaxDepth = 100;

        private static readonly PickleGlobal NewObject = new PickleGlobal("builtins", "object.__new__");
        private static readonly PickleGlobal Vars = new PickleGlobal("builtins", "vars");
        private static readonly PickleGlobal SetAttribute = new PickleGlobal("builtins", "setattr");

        public static byte[] Write(object? value)
        {
            using var output = new PooledBufferWriter(1024);
            Byte(output, 0x80);
            Byte(output, 4);
            int memo = 0;
            Value(output, value, MaxDepth, ref memo);
            Byte(output, (byte)'.');
            return output.ToArray();
        }

        private static void Value(PooledBufferWriter output, object? value, int depth, ref int memo)
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
                    Value(output, obj.Type, depth - 1, ref memo);
                    if (obj.Args is object?[] { Length: > 0 } args)
                    {
                        Value(output, args, depth - 1, ref memo);
                    }
                    else
                    {
                        Byte(output, (byte)')');
                    }

                    Byte(output, 0x81);
                    if (obj.State is not null)
                    {
                        Value(output, obj.State, depth - 1, ref memo);
                        Byte(output, (byte)'b');
                    }

                    break;
                case PickleInstance instance:
                    Instance(output, instance, depth, ref memo);
                    break;
                case PickleFrozenSet frozen:
                    Byte(output, (byte)'(');
                    Items(output, frozen.Items, depth, ref memo);
                    Byte(output, 0x91);
                    break;
                case PickleSet set:
                    Byte(output, 0x8f);
                    if (set.Items.Count > 0)
                    {
                        Byte(output, (byte)'(');
                        Items(output, set.Items, depth, ref memo);
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
                    Items(output, tuple, depth, ref memo);
                    Byte(output, (byte)'t');
                    break;
                case IDictionary map:
                    Byte(output, (byte)'}');
                    if (map.Count > 0)
                    {
                        Byte(output, (byte)'(');
                        foreach (DictionaryEntry entry in map)
                        {
                            Value(output, entry.Key, depth - 1, ref memo);
                            Value(output, entry.Value, depth - 1, ref memo);
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
                            Value(output, item, depth - 1, ref memo);
                        }

                        Byte(output, (byte)'e');
                    }

                    break;
                default:
                    throw new ArgumentException($"A value of type {value.GetType().Name} has no inert pickle form.");
            }
        }

        private static void Items(PooledBufferWriter output, IEnumerable<object?> items, int depth, ref int memo)
        {
            foreach (object? item in items)
            {
                Value(output, item, depth - 1, ref memo);
            }
        }

        // object.__new__(Type), memoized; then vars(inst) filled by SETITEMS, or one setattr(inst, name, value) per
        // field; each call's result is popped, leaving the instance on the stack.
        private static void Instance(PooledBufferWriter output, PickleInstance instance, int depth, ref int memo)
        {
            Value(output, NewObject, depth - 1, ref memo);
            Value(output, instance.Type, depth - 1, ref memo);
            Byte(output, 0x85); // TUPLE1
            Byte(output, (byte)'R');
            int slot = memo++;
            Byte(output, (byte)'r'); // LONG_BINPUT
            BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), (uint)slot);
            output.Advance(4);
            if (instance.Fill == PickleFill.Dict)
            {
                Value(output, Vars, depth - 1, ref memo);
                Recall(output, slot);
                Byte(output, 0x85);
                Byte(output, (byte)'R');
                if (instance.Fields.Count > 0)
                {
                    Byte(output, (byte)'(');
                    foreach (KeyValuePair<string, object?> field in instance.Fields)
                    {
                        Value(output, field.Key, depth - 1, ref memo);
                        Value(output, field.Value, depth - 1, ref memo);
                    }

                    Byte(output, (byte)'u');
                }

                Byte(output, (byte)'0');
                return;
            }

            foreach (KeyValuePair<string, object?> field in instance.Fields)
            {
                Value(output, SetAttribute, depth - 1, ref memo);
                Recall(output, slot);
                Value(output, field.Key, depth - 1, ref memo);
                Value(output, field.Value, depth - 1, ref memo);
                Byte(output, 0x87); // TUPLE3
                Byte(output, (byte)'R');
                Byte(output, (byte)'0');
            }
        }

        private static void Recall(PooledBufferWriter output, int slot)
        {
            Byte(output, (byte)'j'); // LONG_BINGET
            BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), (uint)slot);
            output.Advance(4);
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
