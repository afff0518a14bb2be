using System;
using System.Buffers;
using System.Buffers.Binary;

namespace DaskPS.Protocol.MessagePack
{
    /// <summary>
    /// Writes MessagePack values straight into a buffer writer, choosing the smallest format as Python's
    /// msgpack does (positive integers as uint families, str8 for short strings, float64 for doubles).
    /// </summary>
    public ref struct MsgPackWriter
    {
        private readonly IBufferWriter<byte> _output;

        public MsgPackWriter(IBufferWriter<byte> output)
        {
            _output = output ?? throw new ArgumentNullException(nameof(output));
        }

        public void WriteNil() => WriteByte(MsgPackCode.Nil);

        public void Write(bool value) => WriteByte(value ? MsgPackCode.True : MsgPackCode.False);

        public void Write(long value)
        {
            if (value >= 0)
            {
                Write((ulong)value);
                return;
            }

            Span<byte> span;
            if (value >= -32)
            {
                WriteByte(unchecked((byte)(sbyte)value));
            }
            else if (value >= sbyte.MinValue)
            {
                span = _output.GetSpan(2);
                span[0] = MsgPackCode.Int8;
                span[1] = unchecked((byte)(sbyte)value);
                _output.Advance(2);
            }
            else if (value >= short.MinValue)
            {
                span = _output.GetSpan(3);
                span[0] = MsgPackCode.Int16;
                BinaryPrimitives.WriteInt16BigEndian(span.Slice(1), (short)value);
                _output.Advance(3);
            }
            else if (value >= int.MinValue)
            {
                span = _output.GetSpan(5);
                span[0] = MsgPackCode.Int32;
                BinaryPrimitives.WriteInt32BigEndian(span.Slice(1), (int)value);
                _output.Advance(5);
            }
            else
            {
                span = _output.GetSpan(9);
                span[0] = MsgPackCode.Int64;
                BinaryPrimitives.WriteInt64BigEndian(span.Slice(1), value);
                _output.Advance(9);
            }
        }

        public void Write(ulong value)
        {
            Span<byte> span;
            if (value <= MsgPackCode.MaxPositiveFixInt)
            {
                WriteByte((byte)value);
            }
            else if (value <= byte.MaxValue)
            {
                span = _output.GetSpan(2);
                span[0] = MsgPackCode.UInt8;
                span[1] = (byte)value;
                _output.Advance(2);
            }
            else if (value <= ushort.MaxValue)
            {
                span = _output.GetSpan(3);
                span[0] = MsgPackCode.UInt16;
                BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)value);
                _output.Advance(3);
            }
            else if (value <= uint.MaxValue)
            {
                span = _output.GetSpan(5);
                span[0] = MsgPackCode.UInt32;
                BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)value);
                _output.Advance(5);
            }
            else
            {
                span = _output.GetSpan(9);
                span[0] = MsgPackCode.UInt64;
                BinaryPrimitives.WriteUInt64BigEndian(span.Slice(1), value);
                _output.Advance(9);
            }
        }

        public void Write(double value)
        {
            Span<byte> span = _output.GetSpan(9);
            span[0] = MsgPackCode.Float64;
            BinaryPrimitives.WriteInt64BigEndian(span.Slice(1), BitConverter.DoubleToInt64Bits(value));
            _output.Advance(9);
        }

        public void Write(float value)
        {
            Span<byte> span = _output.GetSpan(5);
            span[0] = MsgPackCode.Float32;
            BinaryPrimitives.WriteInt32BigEndian(span.Slice(1), SingleToInt32Bits(value));
            _output.Advance(5);
        }

        /// <summary>Writes a msgpack str; null writes nil.</summary>
        public void Write(string? value)
        {
            if (value is null)
            {
                WriteNil();
                return;
            }

            // Short strings: encode in place after a worst-case header, then fix the header if needed.
            if (value.Length <= 85)
            {
                int max = value.Length * 3;
                Span<byte> span = _output.GetSpan(2 + max);
                int count = Utf8.GetBytes(value, span.Slice(2));
                if (count <= 31)
                {
                    span[0] = (byte)(MsgPackCode.MinFixStr | count);
                    span.Slice(2, count).CopyTo(span.Slice(1));
                    _output.Advance(1 + count);
                }
                else
                {
                    span[0] = MsgPackCode.Str8;
                    span[1] = (byte)count;
                    _output.Advance(2 + count);
                }

                return;
            }

            int length = Utf8.GetByteCount(value);
            WriteStringHeader(length);
            Span<byte> body = _output.GetSpan(length);
            Utf8.GetBytes(value, body);
            _output.Advance(length);
        }

        /// <summary>Writes a msgpack str from bytes that are already UTF-8.</summary>
        public void WriteString(ReadOnlySpan<byte> utf8)
        {
            WriteStringHeader(utf8.Length);
            WriteRaw(utf8);
        }

        public void WriteStringHeader(int byteCount)
        {
            if (byteCount < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(byteCount));
            }

            if (byteCount <= 31)
            {
                WriteByte((byte)(MsgPackCode.MinFixStr | byteCount));
            }
            else if (byteCount <= byte.MaxValue)
            {
                Span<byte> span = _output.GetSpan(2);
                span[0] = MsgPackCode.Str8;
                span[1] = (byte)byteCount;
                _output.Advance(2);
            }
            else
            {
                WriteHeader16or32(MsgPackCode.Str16, MsgPackCode.Str32, byteCount);
            }
        }

        /// <summary>Writes a msgpack bin (never str: dask tells bytes and text apart by this).</summary>
        public void WriteBinary(ReadOnlySpan<byte> value)
        {
            WriteBinaryHeader(value.Length);
            WriteRaw(value);
        }

        public void WriteBinaryHeader(int byteCount)
        {
            if (byteCount < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(byteCount));
            }

            if (byteCount <= byte.MaxValue)
            {
                Span<byte> span = _output.GetSpan(2);
                span[0] = MsgPackCode.Bin8;
                span[1] = (byte)byteCount;
                _output.Advance(2);
            }
            else
            {
                WriteHeader16or32(MsgPackCode.Bin16, MsgPackCode.Bin32, byteCount);
            }
        }

        public void WriteArrayHeader(int count) =>
            WriteContainerHeader(MsgPackCode.MinFixArray, MsgPackCode.Array16, MsgPackCode.Array32, count);

        public void WriteMapHeader(int count) =>
            WriteContainerHeader(MsgPackCode.MinFixMap, MsgPackCode.Map16, MsgPackCode.Map32, count);

        public void WriteExtension(sbyte typeCode, ReadOnlySpan<byte> data)
        {
            int length = data.Length;
            Span<byte> span;
            byte fixCode = length switch
            {
                1 => MsgPackCode.FixExt1,
                2 => MsgPackCode.FixExt2,
                4 => MsgPackCode.FixExt4,
                8 => MsgPackCode.FixExt8,
                16 => MsgPackCode.FixExt16,
                _ => 0,
            };
            if (fixCode != 0)
            {
                span = _output.GetSpan(2);
                span[0] = fixCode;
                span[1] = unchecked((byte)typeCode);
                _output.Advance(2);
            }
            else if (length <= byte.MaxValue)
            {
                span = _output.GetSpan(3);
                span[0] = MsgPackCode.Ext8;
                span[1] = (byte)length;
                span[2] = unchecked((byte)typeCode);
                _output.Advance(3);
            }
            else if (length <= ushort.MaxValue)
            {
                span = _output.GetSpan(4);
                span[0] = MsgPackCode.Ext16;
                BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)length);
                span[3] = unchecked((byte)typeCode);
                _output.Advance(4);
            }
            else
            {
                span = _output.GetSpan(6);
                span[0] = MsgPackCode.Ext32;
                BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)length);
                span[5] = unchecked((byte)typeCode);
                _output.Advance(6);
            }

            WriteRaw(data);
        }

        /// <summary>Copies bytes that are already valid MessagePack.</summary>
        public void WriteRaw(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                Span<byte> span = _output.GetSpan(Math.Min(bytes.Length, 1 << 20));
                int n = Math.Min(span.Length, bytes.Length);
                bytes.Slice(0, n).CopyTo(span);
                _output.Advance(n);
                bytes = bytes.Slice(n);
            }
        }

        private void WriteByte(byte value)
        {
            Span<byte> span = _output.GetSpan(1);
            span[0] = value;
            _output.Advance(1);
        }

        private void WriteContainerHeader(byte fixCode, byte code16, byte code32, int count)
        {
            if (count < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            if (count <= 15)
            {
                WriteByte((byte)(fixCode | count));
            }
            else
            {
                WriteHeader16or32(code16, code32, count);
            }
        }

        private void WriteHeader16or32(byte code16, byte code32, int count)
        {
            Span<byte> span;
            if (count <= ushort.MaxValue)
            {
                span = _output.GetSpan(3);
                span[0] = code16;
                BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)count);
                _output.Advance(3);
            }
            else
            {
                span = _output.GetSpan(5);
                span[0] = code32;
                BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)count);
                _output.Advance(5);
            }
        }

        private static unsafe int SingleToInt32Bits(float value) => *(int*)&value;
    }
}
