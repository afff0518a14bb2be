using System;
using System.Collections;
using System.Collections.Generic;

namespace DaskPS.Protocol.MessagePack
{
    /// <summary>
    /// A decoded msgpack map. Keys are usually strings, but Python peers also send integers and tuples
    /// (arrays) as keys, so keys compare by value.
    /// </summary>
    public sealed class MsgMap : Dictionary<object, object?>
    {
        public MsgMap() : base(MsgKeyComparer.Instance) { }

        public MsgMap(int capacity) : base(capacity, MsgKeyComparer.Instance) { }

        /// <summary>The value of a string key, or null when absent.</summary>
        public object? Get(string key) => TryGetValue(key, out object? value) ? value : null;

        /// <summary>Adds entries fluently: <c>new MsgMap { ... }</c> reads worse for nested messages.</summary>
        public MsgMap With(string key, object? value)
        {
            this[key] = value;
            return this;
        }
    }

    /// <summary>Value equality for map keys: strings ordinally, integers numerically, arrays and bytes element-wise.</summary>
    public sealed class MsgKeyComparer : IEqualityComparer<object>
    {
        public static readonly MsgKeyComparer Instance = new MsgKeyComparer();

        private MsgKeyComparer() { }

        public new bool Equals(object? x, object? y)
        {
            if (ReferenceEquals(x, y))
            {
                return true;
            }

            if (x is null || y is null)
            {
                return false;
            }

            if (x is string sx)
            {
                return y is string sy && string.Equals(sx, sy, StringComparison.Ordinal);
            }

            if (TryInteger(x, out long lx, out bool bigX) && TryInteger(y, out long ly, out bool bigY))
            {
                return bigX == bigY && lx == ly;
            }

            if (x is byte[] bx)
            {
                return y is byte[] by && bx.AsSpan().SequenceEqual(by);
            }

            if (x is object?[] ax)
            {
                if (y is not object?[] ay || ax.Length != ay.Length)
                {
                    return false;
                }

                for (int i = 0; i < ax.Length; i++)
                {
                    if (!Equals(ax[i], ay[i]))
                    {
                        return false;
                    }
                }

                return true;
            }

            return x.Equals(y);
        }

        public int GetHashCode(object obj)
        {
            switch (obj)
            {
                case string s:
                    return StringComparer.Ordinal.GetHashCode(s);
                case byte[] b:
                    return Fnv(b);
                case object?[] a:
                    int h = 17;
                    foreach (object? item in a)
                    {
                        h = unchecked((h * 31) + (item is null ? 0 : GetHashCode(item)));
                    }

                    return h;
                default:
                    return TryInteger(obj, out long l, out _) ? l.GetHashCode() : obj.GetHashCode();
            }
        }

        private static bool TryInteger(object value, out long result, out bool aboveLong)
        {
            aboveLong = false;
            switch (value)
            {
                case long l: result = l; return true;
                case int i: result = i; return true;
                case short s: result = s; return true;
                case sbyte sb: result = sb; return true;
                case byte b: result = b; return true;
                case ushort us: result = us; return true;
                case uint ui: result = ui; return true;
                case ulong ul:
                    aboveLong = ul > long.MaxValue;
                    result = unchecked((long)ul);
                    return true;
                default:
                    result = 0;
                    return false;
            }
        }

        /// <summary>FNV-1a over the bytes: cheap, and spreads the short keys of dask's messages well.</summary>
        internal static int Fnv(ReadOnlySpan<byte> bytes)
        {
            uint hash = 2166136261;
            foreach (byte b in bytes)
            {
                hash = (hash ^ b) * 16777619;
            }

            return unchecked((int)hash);
        }
    }
}
