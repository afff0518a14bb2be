using System;
using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>
    /// The C# mirror of roundtrip.py's canon(): how Python prints a value after msgpack.unpackb(raw=False,
    /// use_list=False). Used where expected strings are too many to write by hand (real messages, random trees);
    /// the hand-written cases check this mirror too.
    /// </summary>
    internal static class MsgPackPythonCanon
    {
        private const int Short = 64;

        public static string Of(object? value)
        {
            var builder = new StringBuilder();
            Append(builder, value);
            return builder.ToString();
        }

        /// <summary>The summary canon() prints for a str longer than 64 code points.</summary>
        public static string LongString(string value)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            return $"str(chars={CodePoints(value)},bytes={utf8.Length},sha256={Digest(utf8)})";
        }

        public static string Bytes(byte[] data) =>
            data.Length <= Short ? "b'" + Convert.ToHexString(data).ToLowerInvariant() + "'" : $"bin(len={data.Length},sha256={Digest(data)})";

        public static string String(string value) => CodePoints(value) <= Short ? "s" + Quote(value) : LongString(value);

        /// <summary>Python's repr(float): shortest round-trip digits, exponent form outside 1e-4 .. 1e16.</summary>
        public static string Float(double value)
        {
            if (double.IsNaN(value))
            {
                return "nan";
            }

            if (double.IsInfinity(value))
            {
                return value > 0 ? "inf" : "-inf";
            }

            string sign = value < 0 || (value == 0 && BitConverter.DoubleToInt64Bits(value) < 0) ? "-" : string.Empty;
            if (value == 0)
            {
                return sign + "0.0";
            }

            // .NET's "R" is also shortest round-trip; only the layout differs, so take its digits and exponent.
            string r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
            int exponent = 0;
            int e = r.IndexOf('E');
            if (e >= 0)
            {
                exponent = int.Parse(r.Substring(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                r = r.Substring(0, e);
            }

            int dot = r.IndexOf('.');
            string whole = dot >= 0 ? r.Substring(0, dot) : r;
            string digits = whole + (dot >= 0 ? r.Substring(dot + 1) : string.Empty);
            int point = whole.Length + exponent; // value = 0.DIGITS * 10^point
            int leading = digits.Length - digits.TrimStart('0').Length;
            digits = digits.Substring(leading).TrimEnd('0');
            point -= leading;

            if (point > -4 && point <= 16)
            {
                if (point <= 0)
                {
                    return sign + "0." + new string('0', -point) + digits;
                }

                return point >= digits.Length
                    ? sign + digits + new string('0', point - digits.Length) + ".0"
                    : sign + digits.Substring(0, point) + "." + digits.Substring(point);
            }

            string mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits.Substring(1);
            int shown = point - 1;
            return sign + mantissa + "e" + (shown < 0 ? "-" : "+") + Math.Abs(shown).ToString("00", CultureInfo.InvariantCulture);
        }

        private static void Append(StringBuilder builder, object? value)
        {
            switch (value)
            {
                case null:
                    builder.Append("None");
                    break;
                case bool b:
                    builder.Append(b ? "True" : "False");
                    break;
                case long or int or short or sbyte or byte or ushort or uint or ulong:
                    builder.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                    break;
                case char c:
                    builder.Append(String(c.ToString()));
                    break;
                case double d:
                    builder.Append(Float(d));
                    break;
                case float f:
                    builder.Append(Float(f));
                    break;
                case string s:
                    builder.Append(String(s));
                    break;
                case byte[] bytes:
                    builder.Append(Bytes(bytes));
                    break;
                case MsgPackExtension ext when ext.TypeCode == -1:
                    builder.Append(Timestamp(ext.Data));
                    break;
                case MsgPackExtension ext:
                    builder.Append("ext(").Append(ext.TypeCode).Append(", ").Append(Bytes(ext.Data)).Append(')');
                    break;
                case MsgMap map:
                    builder.Append('{');
                    bool first = true;
                    foreach (var entry in map)
                    {
                        if (!first)
                        {
                            builder.Append(", ");
                        }

                        first = false;
                        Append(builder, entry.Key);
                        builder.Append(": ");
                        Append(builder, entry.Value);
                    }

                    builder.Append('}');
                    break;
                case object?[] array:
                    builder.Append('[');
                    for (int i = 0; i < array.Length; i++)
                    {
                        if (i > 0)
                        {
                            builder.Append(", ");
                        }

                        Append(builder, array[i]);
                    }

                    builder.Append(']');
                    break;
                case IList list:
                    // A CLR list the serializer writes as an array (not something the decoder produces).
                    Append(builder, list.Cast<object?>().ToArray());
                    break;
                default:
                    throw new ArgumentException($"No Python form for {value.GetType()}.");
            }
        }

        /// <summary>msgpack's timestamp extension (type -1) in its 32-, 64- and 96-bit layouts.</summary>
        private static string Timestamp(byte[] data)
        {
            long seconds;
            long nanoseconds;
            switch (data.Length)
            {
                case 4:
                    seconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                    nanoseconds = 0;
                    break;
                case 8:
                    ulong packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                    nanoseconds = (long)(packed >> 34);
                    seconds = (long)(packed & 0x3_ffff_ffffUL);
                    break;
                case 12:
                    nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                    seconds = BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(4));
                    break;
                default:
                    throw new ArgumentException($"A {data.Length}-byte timestamp is not valid.");
            }

            return string.Create(CultureInfo.InvariantCulture, $"timestamp({seconds}, {nanoseconds})");
        }

        /// <summary>json.dumps-style quoting: printable ASCII as is, the rest as UTF-16 \uXXXX escapes.</summary>
        private static string Quote(string value)
        {
            var builder = new StringBuilder(value.Length + 2);
            builder.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': builder.Append("\\\""); break;
                    case '\\': builder.Append("\\\\"); break;
                    case '\b': builder.Append("\\b"); break;
                    case '\f': builder.Append("\\f"); break;
                    case '\n': builder.Append("\\n"); break;
                    case '\r': builder.Append("\\r"); break;
                    case '\t': builder.Append("\\t"); break;
                    default:
                        if (c >= ' ' && c <= '~')
                        {
                            builder.Append(c);
                        }
                        else
                        {
                            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }

                        break;
                }
            }

            return builder.Append('"').ToString();
        }

        private static int CodePoints(string value) => value.EnumerateRunes().Count();

        private static string Digest(byte[] data) => Convert.ToHexString(SHA256.HashData(data), 0, 8).ToLowerInvariant();
    }
}
