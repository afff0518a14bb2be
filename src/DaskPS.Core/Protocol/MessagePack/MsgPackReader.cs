using System;
using System.Buffers;
using System.Buffers.Binary;

namespace DaskPS.Protocol.MessagePack
{
    /// <summary>
    /// Reads MessagePack values from contiguous bytes. Every length prefix is checked against the bytes
    /// actually left, so hostile input fails with <see cref="DaskProtocolException"/> before it can drive
    /// an allocation.
    /// </summary>
    public ref struct MsgPackReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _position;

        public MsgPackReader(ReadOnlySpan<byte> data)
        {
            _data = data;
            _position = 0;
        }

        /// <summary>Reads from a sequence; one that spans several segments is copied once to make it contiguous.</summary>
        public MsgPackReader(in ReadOnlySequence<byte> data)
            : this(data.IsSingleSegment ? data.First.Span : data.ToArray())
        {
        }

        public int Consumed => _position;

        public int Remaining => _data.Length - _position;

        public bool End => _position >= _data.Length;

        public MsgPackType NextType
        {
            get
            {
                byte code = PeekCode();
                if (code <= MsgPackCode.MaxPositiveFixInt || code >= MsgPackCode.MinNegativeFixInt)
                {
                    return MsgPackType.Integer;
                }

                if (code <= MsgPackCode.MaxFixMap)
                {
                    return MsgPackType.Map;
                }

                if (code <= MsgPackCode.MaxFixArray)
                {
                    return MsgPackType.Array;
                }

                if (code <= MsgPackCode.MaxFixStr)
                {
                    return MsgPackType.String;
                }

                switch (code)
                {
                    case MsgPackCode.Nil: return MsgPackType.Nil;
                    case MsgPackCode.False:
                    case MsgPackCode.True: return MsgPackType.Boolean;
                    case MsgPackCode.Bin8:
                    case MsgPackCode.Bin16:
                    case MsgPackCode.Bin32: return MsgPackType.Binary;
                    case MsgPackCode.Ext8:
                    case MsgPackCode.Ext16:
                    case MsgPackCode.Ext32:
                    case MsgPackCode.FixExt1:
                    case MsgPackCode.FixExt2:
                    case MsgPackCode.FixExt4:
                    case MsgPackCode.FixExt8:
                    case MsgPackCode.FixExt16: return MsgPackType.Extension;
                    case MsgPackCode.Float32:
                    case MsgPackCode.Float64: return MsgPackType.Float;
                    case MsgPackCode.UInt8:
                    case MsgPackCode.UInt16:
                    case MsgPackCode.UInt32:
                    case MsgPackCode.UInt64:
                    case MsgPackCode.Int8:
                    case MsgPackCode.Int16:
                    case MsgPackCode.Int32:
                    case MsgPackCode.Int64: return MsgPackType.Integer;
                    case MsgPackCode.Str8:
                    case MsgPackCode.Str16:
                    case MsgPackCode.Str32: return MsgPackType.String;
                    case MsgPackCode.Array16:
                    case MsgPackCode.Array32: return MsgPackType.Array;
                    case MsgPackCode.Map16:
                    case MsgPackCode.Map32: return MsgPackType.Map;
                    default: throw Error($"byte 0x{code:x2} is not a valid msgpack type code");
                }
            }
        }

        /// <summary>True when the next value is a float32 (kept as float so it round-trips).</summary>
        public bool NextIsSingle => PeekCode() == MsgPackCode.Float32;

        public bool TryReadNil()
        {
            if (PeekCode() != MsgPackCode.Nil)
            {
                return false;
            }

            _position++;
            return true;
        }

        public bool ReadBoolean()
        {
            byte code = ReadCode();
            return code switch
            {
                MsgPackCode.True => true,
                MsgPackCode.False => false,
                _ => throw Unexpected(code, "bool"),
            };
        }

        /// <summary>Reads any integer format as a signed value; uint64 values above long.MaxValue are rejected.</summary>
        public long ReadInt64()
        {
            byte code = PeekCode();
            if (code == MsgPackCode.UInt64)
            {
                ulong u = ReadUInt64Core();
                if (u > long.MaxValue)
                {
                    throw Error($"integer {u} does not fit in a signed 64-bit value");
                }

                return (long)u;
            }

            return ReadSignedCore();
        }

        /// <summary>Reads any non-negative integer format.</summary>
        public ulong ReadUInt64()
        {
            if (PeekCode() == MsgPackCode.UInt64)
            {
                return ReadUInt64Core();
            }

            long value = ReadSignedCore();
            if (value < 0)
            {
                throw Error($"integer {value} is negative where an unsigned value is expected");
            }

            return (ulong)value;
        }

        /// <summary>Reads an integer; returns a boxed long, or a boxed ulong when it exceeds long.MaxValue.</summary>
        public object ReadInteger()
        {
            if (PeekCode() == MsgPackCode.UInt64)
            {
                ulong u = ReadUInt64Core();
                return u <= long.MaxValue ? BoxedInt.Get((long)u) : (object)u;
            }

            return BoxedInt.Get(ReadSignedCore());
        }

        public double ReadDouble()
        {
            byte code = PeekCode();
            switch (code)
            {
                case MsgPackCode.Float64:
                    return BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Take(9).Slice(1)));
                case MsgPackCode.Float32:
                    return ReadSingle();
                default:
                    if (NextType == MsgPackType.Integer)
                    {
                        return PeekCode() == MsgPackCode.UInt64 ? ReadUInt64Core() : ReadSignedCore();
                    }

                    throw Unexpected(code, "float");
            }
        }

        public float ReadSingle()
        {
            byte code = PeekCode();
            if (code != MsgPackCode.Float32)
            {
                throw Unexpected(code, "float32");
            }

            return Int32BitsToSingle(BinaryPrimitives.ReadInt32BigEndian(Take(5).Slice(1)));
        }

        public string ReadString() => Utf8.GetString(ReadStringSpan());

        /// <summary>The UTF-8 bytes of a str, without decoding them.</summary>
        public ReadOnlySpan<byte> ReadStringSpan()
        {
            byte code = ReadCode();
            int length;
            if (code >= MsgPackCode.MinFixStr && code <= MsgPackCode.MaxFixStr)
            {
                length = code & 0x1f;
            }
            else
            {
                length = code switch
                {
                    MsgPackCode.Str8 => Take(1)[0],
                    MsgPackCode.Str16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
                    MsgPackCode.Str32 => ReadLength32("str"),
                    _ => throw Unexpected(code, "str"),
                };
            }

            return TakeBody(length, "str");
        }

        public ReadOnlySpan<byte> ReadBinarySpan()
        {
            byte code = ReadCode();
            int length = code switch
            {
                MsgPackCode.Bin8 => Take(1)[0],
                MsgPackCode.Bin16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
                MsgPackCode.Bin32 => ReadLength32("bin"),
                _ => throw Unexpected(code, "bin"),
            };
            return TakeBody(length, "bin");
        }

        /// <summary>Reads an array header; the count is at most the bytes left, as every element takes one.</summary>
        public int ReadArrayHeader()
        {
            byte code = ReadCode();
            int count;
            if (code >= MsgPackCode.MinFixArray && code <= MsgPackCode.MaxFixArray)
            {
                count = code & 0x0f;
            }
            else
            {
                count = code switch
                {
                    MsgPackCode.Array16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
                    MsgPackCode.Array32 => ReadLength32("array"),
                    _ => throw Unexpected(code, "array"),
                };
            }

            if (count > Remaining)
            {
                throw Error($"array claims {count} elements but only {Remaining} bytes are left");
            }

            return count;
        }

        /// <summary>Reads a map header; the count is at most half the bytes left.</summary>
        public int ReadMapHeader()
        {
            byte code = ReadCode();
            int count;
            if (code >= MsgPackCode.MinFixMap && code <= MsgPackCode.MaxFixMap)
            {
                count = code & 0x0f;
            }
            else
            {
                count = code switch
                {
                    MsgPackCode.Map16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
                    MsgPackCode.Map32 => ReadLength32("map"),
                    _ => throw Unexpected(code, "map"),
                };
            }

            if ((long)count * 2 > Remaining)
            {
                throw Error($"map claims {count} entries but only {Remaining} bytes are left");
            }

            return count;
        }

        public ReadOnlySpan<byte> ReadExtension(out sbyte typeCode)
        {
            byte code = ReadCode();
            int length = code switch
            {
                MsgPackCode.FixExt1 => 1,
                MsgPackCode.FixExt2 => 2,
                MsgPackCode.FixExt4 => 4,
                MsgPackCode.FixExt8 => 8,
                MsgPackCode.FixExt16 => 16,
                MsgPackCode.Ext8 => Take(1)[0],
                MsgPackCode.Ext16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
                MsgPackCode.Ext32 => ReadLength32("ext"),
                _ => throw Unexpected(code, "ext"),
            };
            typeCode = unchecked((sbyte)Take(1)[0]);
            return TakeBody(length, "ext");
        }

        /// <summary>Skips one value, containers included, refusing nesting deeper than <paramref name="maxDepth"/>.</summary>
        public void Skip(int maxDepth)
        {
            switch (NextType)
            {
                case MsgPackType.Array:
                case MsgPackType.Map:
                    if (maxDepth <= 0)
                    {
                        throw Error("containers nested deeper than the allowed depth");
                    }

                    long items = NextType == MsgPackType.Array ? ReadArrayHeader() : 2L * ReadMapHeader();
                    for (long i = 0; i < items; i++)
                    {
                        Skip(maxDepth - 1);
                    }

                    break;
                case MsgPackType.String:
                    ReadStringSpan();
                    break;
                case MsgPackType.Binary:
                    ReadBinarySpan();
                    break;
                case MsgPackType.Extension:
                    ReadExtension(out _);
                    break;
                case MsgPackType.Float:
                    ReadDouble();
                    break;
                case MsgPackType.Integer:
                    ReadInteger();
                    break;
                default:
                    ReadCode();
                    break;
            }
        }

        private long ReadSignedCore()
        {
            byte code = PeekCode();
            if (code <= MsgPackCode.MaxPositiveFixInt)
            {
                _position++;
                return code;
            }

            if (code >= MsgPackCode.MinNegativeFixInt)
            {
                _position++;
                return unchecked((sbyte)code);
            }

            return code switch
            {
                MsgPackCode.UInt8 => Take(2)[1],
                MsgPackCode.UInt16 => BinaryPrimitives.ReadUInt16BigEndian(Take(3).Slice(1)),
                MsgPackCode.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(Take(5).Slice(1)),
                MsgPackCode.Int8 => unchecked((sbyte)Take(2)[1]),
                MsgPackCode.Int16 => BinaryPrimitives.ReadInt16BigEndian(Take(3).Slice(1)),
                MsgPackCode.Int32 => BinaryPrimitives.ReadInt32BigEndian(Take(5).Slice(1)),
                MsgPackCode.Int64 => BinaryPrimitives.ReadInt64BigEndian(Take(9).Slice(1)),
                _ => throw Unexpected(code, "integer"),
            };
        }

        private ulong ReadUInt64Core() => BinaryPrimitives.ReadUInt64BigEndian(Take(9).Slice(1));

        private int ReadLength32(string what)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            if (length > int.MaxValue)
            {
                throw Error($"{what} length {length} exceeds the 2^31-1 limit");
            }

            return (int)length;
        }

        private ReadOnlySpan<byte> TakeBody(int length, string what)
        {
            if (length > Remaining)
            {
                throw Error($"{what} claims {length} bytes but only {Remaining} are left");
            }

            return Take(length);
        }

        private byte PeekCode()
        {
            if (_position >= _data.Length)
            {
                throw Error("the data ended where a value was expected");
            }

            return _data[_position];
        }

        private byte ReadCode()
        {
            byte code = PeekCode();
            _position++;
            return code;
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _data.Length - _position)
            {
                throw Error($"the data ended: {count} bytes needed, {_data.Length - _position} left");
            }

            ReadOnlySpan<byte> slice = _data.Slice(_position, count);
            _position += count;
            return slice;
        }

        private DaskProtocolException Unexpected(byte code, string expected) =>
            Error($"expected {expected} but found type code 0x{code:x2}");

        private DaskProtocolException Error(string what) =>
            new DaskProtocolException($"Malformed msgpack at byte {_position}: {what}.");

        private static unsafe float Int32BitsToSingle(int value) => *(float*)&value;
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
