using System;

namespace DaskPS.Protocol.MessagePack
{
    /// <summary>An application-defined MessagePack ext value, kept as its type code and raw bytes.</summary>
    public sealed class MsgPackExtension : IEquatable<MsgPackExtension>
    {
        public MsgPackExtension(sbyte typeCode, byte[] data)
        {
            TypeCode = typeCode;
            Data = data ?? throw new ArgumentNullException(nameof(data));
        }

        public sbyte TypeCode { get; }

        public byte[] Data { get; }

        public bool Equals(MsgPackExtension? other) =>
            other is not null && other.TypeCode == TypeCode && Data.AsSpan().SequenceEqual(other.Data);

        public override bool Equals(object? obj) => Equals(obj as MsgPackExtension);

        public override int GetHashCode() => TypeCode ^ (Data.Length * 397);

        public override string ToString() => $"ext({TypeCode}, {Data.Length} bytes)";
    }
}
