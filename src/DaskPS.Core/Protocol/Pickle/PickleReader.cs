using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Numerics;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Pickle
{
    /// <summary>
    /// Reads pickles (protocols 2–5) into inert values, executing nothing: module globals become
    /// <see cref="PickleGlobal"/>, NEWOBJ/BUILD a <see cref="PickleObject"/>, REDUCE a <see cref="PickleCall"/>.
    /// Tuples come back as object?[], lists as List&lt;object?&gt;, dicts as <see cref="MsgMap"/>. A parser of untrusted
    /// bytes: every length is checked, the stack, marks and memo are bounded, unknown opcodes are refused by name.
    /// </summary>
    public static class PickleReader
    {
        public const int MaxStack = 1_000_000;
        public const int MaxMarks = 1_000;
        public const int MaxMemo = 1_000_000;

        public static object? Read(ReadOnlySpan<byte> data, IReadOnlyList<ReadOnlyMemory<byte>>? buffers = null)
        {
            var stack = new List<object?>();
            var marks = new Stack<int>();
            var memo = new Dictionary<long, object?>();
            int nextBuffer = 0;
            int position = 0;
            while (true)
            {
                if (position >= data.Length)
                {
                    throw Error(position, "the pickle ends without STOP");
                }

                int at = position;
                byte op = data[position++];
                switch (op)
                {
                    case 0x80: // PROTO
                        Take(data, ref position, 1);
                        break;
                    case 0x95: // FRAME: framing is advisory; the data follows inline
                        Take(data, ref position, 8);
                        break;
                    case 0x8c: // SHORT_BINUNICODE
                        Push(stack, Text(data, ref position, Take(data, ref position, 1)[0]));
                        break;
                    case (byte)'X': // BINUNICODE
                        Push(stack, Text(data, ref position, Length32(data, ref position)));
                        break;
                    case 0x8d: // BINUNICODE8
                        Push(stack, Text(data, ref position, Length64(data, ref position)));
                        break;
                    case (byte)'C': // SHORT_BINBYTES
                        Push(stack, Take(data, ref position, Take(data, ref position, 1)[0]).ToArray());
                        break;
                    case (byte)'B': // BINBYTES
                        Push(stack, Take(data, ref position, Length32(data, ref position)).ToArray());
                        break;
                    case 0x8e: // BINBYTES8
                    case 0x96: // BYTEARRAY8
                        Push(stack, Take(data, ref position, Length64(data, ref position)).ToArray());
                        break;
                    case 0x97: // NEXT_BUFFER (protocol 5, out of band)
                        if (buffers is null || nextBuffer >= buffers.Count)
                        {
                            throw Error(at, "NEXT_BUFFER without an out-of-band buffer");
                        }

                        Push(stack, buffers[nextBuffer++].ToArray());
                        break;
                    case 0x98: // READONLY_BUFFER
                        break;
                    case 0x94: // MEMOIZE
                        Memo(memo, memo.Count, Top(stack, at), at);
                        break;
                    case (byte)'q': // BINPUT
                        Memo(memo, Take(data, ref position, 1)[0], Top(stack, at), at);
                        break;
                    case (byte)'r': // LONG_BINPUT
                        Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref position, 4)), Top(stack, at), at);
                        break;
                    case (byte)'h': // BINGET
                        Push(stack, Recall(memo, Take(data, ref position, 1)[0], at));
                        break;
                    case (byte)'j': // LONG_BINGET
                        Push(stack, Recall(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref position, 4)), at));
                        break;
                    case 0x93: // STACK_GLOBAL
                        {
                            object? name = Pop(stack, marks, at);
                            object? module = Pop(stack, marks, at);
                            if (module is not string m || name is not string n)
                            {
                                throw Error(at, "STACK_GLOBAL needs a module and a name string");
                            }

                            Push(stack, new PickleGlobal(m, n));
                            break;
                        }

                    case (byte)'c': // GLOBAL
                        Push(stack, new PickleGlobal(Line(data, ref position), Line(data, ref position)));
                        break;
                    case (byte)'0': // POP
                        if (stack.Count > (marks.Count > 0 ? marks.Peek() : 0))
                        {
                            stack.RemoveAt(stack.Count - 1);
                        }
                        else
                        {
                            PopMark(stack, marks, at);
                        }

                        break;
                    case (byte)'1': // POP_MARK
                        PopMark(stack, marks, at);
                        break;
                    case (byte)'2': // DUP
                        Push(stack, Top(stack, at));
                        break;
                    case (byte)'(': // MARK
                        if (marks.Count >= MaxMarks)
                        {
                            throw Error(at, $"more than {MaxMarks} nested marks");
                        }

                        marks.Push(stack.Count);
                        break;
                    case (byte)')': // EMPTY_TUPLE
                        Push(stack, Array.Empty<object?>());
                        break;
                    case 0x85: // TUPLE1
                        Push(stack, new[] { Pop(stack, marks, at) });
                        break;
                    case 0x86: // TUPLE2
                        {
                            object? b = Pop(stack, marks, at);
                            object? a = Pop(stack, marks, at);
                            Push(stack, new[] { a, b });
                            break;
                        }

                    case 0x87: // TUPLE3
                        {
                            object? c = Pop(stack, marks, at);
                            object? b = Pop(stack, marks, at);
                            object? a = Pop(stack, marks, at);
                            Push(stack, new[] { a, b, c });
                            break;
                        }

                    case (byte)'t': // TUPLE
                        Push(stack, PopMark(stack, marks, at).ToArray());
                        break;
                    case (byte)'N':
                        Push(stack, null);
                        break;
                    case 0x88:
                        Push(stack, true);
                        break;
                    case 0x89:
                        Push(stack, false);
                        break;
                    case (byte)'J': // BININT
                        Push(stack, (long)BinaryPrimitives.ReadInt32LittleEndian(Take(data, ref position, 4)));
                        break;
                    case (byte)'K': // BININT1
                        Push(stack, (long)Take(data, ref position, 1)[0]);
                        break;
                    case (byte)'M': // BININT2
                        Push(stack, (long)BinaryPrimitives.ReadUInt16LittleEndian(Take(data, ref position, 2)));
                        break;
                    case 0x8a: // LONG1
                        Push(stack, Long(Take(data, ref position, Take(data, ref position, 1)[0])));
                        break;
                    case 0x8b: // LONG4
                        Push(stack, Long(Take(data, ref position, Length32(data, ref position))));
                        break;
                    case (byte)'G': // BINFLOAT
                        Push(stack, BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Take(data, ref position, 8))));
                        break;
                    case (byte)'}': // EMPTY_DICT
                        Push(stack, new MsgMap());
                        break;
                    case (byte)'s': // SETITEM
                        {
                            object? value = Pop(stack, marks, at);
                            object? key = Pop(stack, marks, at);
                            Target<MsgMap>(stack, marks, at, "SETITEM")[Key(key, at)] = value;
                            break;
                        }

                    case (byte)'u': // SETITEMS
                        {
                            List<object?> items = PopMark(stack, marks, at);
                            MsgMap map = Target<MsgMap>(stack, marks, at, "SETITEMS");
                            if (items.Count % 2 != 0)
                            {
                                throw Error(at, "SETITEMS with an odd number of items");
                            }

                            for (int i = 0; i < items.Count; i += 2)
                            {
                                map[Key(items[i], at)] = items[i + 1];
                            }

                            break;
                        }

                    case (byte)']': // EMPTY_LIST
                        Push(stack, new List<object?>());
                        break;
                    case (byte)'a': // APPEND
                        {
                            object? item = Pop(stack, marks, at);
                            Target<List<object?>>(stack, marks, at, "APPEND").Add(item);
                            break;
                        }

                    case (byte)'e': // APPENDS
                        {
                            List<object?> items = PopMark(stack, marks, at);
                            Target<List<object?>>(stack, marks, at, "APPENDS").AddRange(items);
                            break;
                        }

                    case 0x8f: // EMPTY_SET
                        Push(stack, new PickleSet(new List<object?>()));
                        break;
                    case 0x90: // ADDITEMS
                        {
                            List<object?> items = PopMark(stack, marks, at);
                            Target<PickleSet>(stack, marks, at, "ADDITEMS").Items.AddRange(items);
                            break;
                        }

                    case 0x91: // FROZENSET
                        Push(stack, new PickleFrozenSet(PopMark(stack, marks, at)));
                        break;
                    case 0x81: // NEWOBJ
                        {
                            object? args = Pop(stack, marks, at);
                            object? type = Pop(stack, marks, at);
                            Push(stack, new PickleObject(type, args));
                            break;
                        }

                    case 0x92: // NEWOBJ_EX
                        {
                            object? kwargs = Pop(stack, marks, at);
                            object? args = Pop(stack, marks, at);
                            object? type = Pop(stack, marks, at);
                            Push(stack, new PickleObject(type, new[] { args, kwargs }));
                            break;
                        }

                    case (byte)'R': // REDUCE: recorded, never called
                        {
                            object? args = Pop(stack, marks, at);
                            object? function = Pop(stack, marks, at);
                            Push(stack, new PickleCall(function, args));
                            break;
                        }

                    case (byte)'b': // BUILD
                        {
                            object? state = Pop(stack, marks, at);
                            switch (Top(stack, at))
                            {
                                case PickleObject obj:
                                    obj.State = state;
                                    break;
                                case PickleCall call:
                                    call.State = state;
                                    break;
                                default:
                                    throw Error(at, "BUILD on something that is not an object");
                            }

                            break;
                        }

                    case (byte)'.': // STOP
                        if (stack.Count != 1 || marks.Count != 0)
                        {
                            throw Error(at, $"STOP with {stack.Count} values on the stack and {marks.Count} open marks");
                        }

                        return stack[0];
                    default:
                        throw Error(at, $"opcode 0x{op:x2} ('{(op >= 32 && op < 127 ? (char)op : '?')}') is not in the subset DaskPS reads");
                }
            }
        }

        private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int position, long count)
        {
            if (count < 0 || count > data.Length - position)
            {
                throw Error(position, $"{count} bytes needed, {data.Length - position} left");
            }

            ReadOnlySpan<byte> slice = data.Slice(position, (int)count);
            position += (int)count;
            return slice;
        }

        private static long Length32(ReadOnlySpan<byte> data, ref int position) => BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref position, 4));

        private static long Length64(ReadOnlySpan<byte> data, ref int position)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(Take(data, ref position, 8));
            return length > int.MaxValue ? -1 : (long)length;
        }

        private static string Text(ReadOnlySpan<byte> data, ref int position, long length) =>
            MessagePack.Utf8.GetString(Take(data, ref position, length));

        private static string Line(ReadOnlySpan<byte> data, ref int position)
        {
            int end = data.Slice(position).IndexOf((byte)'\n');
            if (end < 0 || end > 1024)
            {
                throw Error(position, "a GLOBAL name has no end of line");
            }

            string text = MessagePack.Utf8.GetString(data.Slice(position, end));
            position += end + 1;
            return text;
        }

        private static object Long(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length == 0)
            {
                return 0L;
            }

            if (bytes.Length > 64)
            {
                throw Error(0, $"an integer of {bytes.Length} bytes is larger than DaskPS reads");
            }

            var value = new BigInteger(bytes.ToArray());
            return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
        }

        private static void Push(List<object?> stack, object? value)
        {
            if (stack.Count >= MaxStack)
            {
                throw Error(0, $"more than {MaxStack} values on the stack");
            }

            stack.Add(value);
        }

        private static object? Pop(List<object?> stack, Stack<int> marks, int at)
        {
            int floor = marks.Count > 0 ? marks.Peek() : 0;
            if (stack.Count <= floor)
            {
                throw Error(at, "a value is needed but the stack is empty");
            }

            object? value = stack[stack.Count - 1];
            stack.RemoveAt(stack.Count - 1);
            return value;
        }

        private static object? Top(List<object?> stack, int at) =>
            stack.Count > 0 ? stack[stack.Count - 1] : throw Error(at, "the stack is empty");

        private static T Target<T>(List<object?> stack, Stack<int> marks, int at, string op)
            where T : class
        {
            int floor = marks.Count > 0 ? marks.Peek() : 0;
            return stack.Count > floor && stack[stack.Count - 1] is T target
                ? target
                : throw Error(at, $"{op} has no {typeof(T).Name} to work on");
        }

        private static List<object?> PopMark(List<object?> stack, Stack<int> marks, int at)
        {
            if (marks.Count == 0)
            {
                throw Error(at, "no MARK to pop to");
            }

            int start = marks.Pop();
            var items = stack.GetRange(start, stack.Count - start);
            stack.RemoveRange(start, stack.Count - start);
            return items;
        }

        private static void Memo(Dictionary<long, object?> memo, long index, object? value, int at)
        {
            if (memo.Count >= MaxMemo && !memo.ContainsKey(index))
            {
                throw Error(at, $"more than {MaxMemo} memo entries");
            }

            memo[index] = value;
        }

        private static object? Recall(Dictionary<long, object?> memo, long index, int at) =>
            memo.TryGetValue(index, out object? value) ? value : throw Error(at, $"memo entry {index} was never stored");

        private static object Key(object? key, int at) =>
            key ?? throw Error(at, "a dict key is None, which DaskPS does not accept");

        private static DaskProtocolException Error(int at, string what) =>
            new DaskProtocolException($"Malformed pickle at byte {at}: {what}.");
    }
}
