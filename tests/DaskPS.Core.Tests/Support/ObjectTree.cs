using System;
using System.Globalization;
using System.Text;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Core.Tests.Support
{
    /// <summary>
    /// Structural equality for the object trees MsgPackSerializer produces. Stricter than value equality on
    /// purpose: runtime types must match (long is not ulong, double is not float), floats compare by bits
    /// (so NaN payloads and -0.0 count), and map entries compare in wire order.
    /// </summary>
    internal static class ObjectTree
    {
        public static bool Equal(object? expected, object? actual) => FindDifference(expected, actual) is null;

        public static void AssertEqual(object? expected, object? actual, string? context = null)
        {
            string? difference = FindDifference(expected, actual);
            if (difference is not null)
            {
                Assert.Fail((context is null ? string.Empty : context + ": ") + difference);
            }
        }

        /// <summary>Null when the trees are equal, else where and how they first differ.</summary>
        public static string? FindDifference(object? expected, object? actual, string path = "$")
        {
            if (expected is null || actual is null)
            {
                return expected is null && actual is null ? null : Mismatch(path, expected, actual);
            }

            if (expected.GetType() != actual.GetType())
            {
                return $"{path}: expected {expected.GetType().Name} {Describe(expected)}, got {actual.GetType().Name} {Describe(actual)}";
            }

            switch (expected)
            {
                case double d:
                    return BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits((double)actual)
                        ? null
                        : Mismatch(path, expected, actual);
                case float f:
                    return BitConverter.SingleToInt32Bits(f) == BitConverter.SingleToInt32Bits((float)actual)
                        ? null
                        : Mismatch(path, expected, actual);
                case byte[] bytes:
                    return bytes.AsSpan().SequenceEqual((byte[])actual) ? null : Mismatch(path, expected, actual);
                case MsgPackExtension ext:
                    var other = (MsgPackExtension)actual;
                    return ext.TypeCode == other.TypeCode && ext.Data.AsSpan().SequenceEqual(other.Data)
                        ? null
                        : Mismatch(path, expected, actual);
                case object?[] array:
                    {
                        var actualArray = (object?[])actual;
                        if (array.Length != actualArray.Length)
                        {
                            return $"{path}: expected {array.Length} elements, got {actualArray.Length}";
                        }

                        for (int i = 0; i < array.Length; i++)
                        {
                            string? difference = FindDifference(array[i], actualArray[i], $"{path}[{i}]");
                            if (difference is not null)
                            {
                                return difference;
                            }
                        }

                        return null;
                    }

                case MsgMap map:
                    {
                        var actualMap = (MsgMap)actual;
                        if (map.Count != actualMap.Count)
                        {
                            return $"{path}: expected {map.Count} entries, got {actualMap.Count}";
                        }

                        // Dictionary enumerates in insertion order when nothing was removed, which is wire order here.
                        int index = 0;
                        using var actualEntries = actualMap.GetEnumerator();
                        foreach (var entry in map)
                        {
                            actualEntries.MoveNext();
                            string entryPath = $"{path}{{{Describe(entry.Key, 40)}}}";
                            string? difference = FindDifference(entry.Key, actualEntries.Current.Key, $"{path}.key#{index}")
                                ?? FindDifference(entry.Value, actualEntries.Current.Value, entryPath);
                            if (difference is not null)
                            {
                                return difference;
                            }

                            index++;
                        }

                        return null;
                    }

                default:
                    return expected.Equals(actual) ? null : Mismatch(path, expected, actual);
            }
        }

        /// <summary>A short, type-revealing rendering for failure messages.</summary>
        public static string Describe(object? value, int maxLength = 200)
        {
            var builder = new StringBuilder();
            Append(builder, value, maxLength);
            return builder.Length > maxLength ? builder.ToString(0, maxLength) + "…" : builder.ToString();
        }

        private static string Mismatch(string path, object? expected, object? actual) =>
            $"{path}: expected {Describe(expected)}, got {Describe(actual)}";

        private static void Append(StringBuilder builder, object? value, int budget)
        {
            if (builder.Length > budget)
            {
                return;
            }

            switch (value)
            {
                case null:
                    builder.Append("nil");
                    break;
                case bool b:
                    builder.Append(b ? "true" : "false");
                    break;
                case long l:
                    builder.Append(l.ToString(CultureInfo.InvariantCulture));
                    break;
                case ulong ul:
                    builder.Append(ul.ToString(CultureInfo.InvariantCulture)).Append("UL");
                    break;
                case double d:
                    builder.Append(d.ToString("R", CultureInfo.InvariantCulture))
                        .Append("(0x").Append(BitConverter.DoubleToInt64Bits(d).ToString("x16", CultureInfo.InvariantCulture)).Append(')');
                    break;
                case float f:
                    builder.Append(f.ToString("R", CultureInfo.InvariantCulture))
                        .Append("f(0x").Append(BitConverter.SingleToInt32Bits(f).ToString("x8", CultureInfo.InvariantCulture)).Append(')');
                    break;
                case string s:
                    builder.Append('"').Append(s.Length > 60 ? s.Substring(0, 60) + "…" : s).Append("\"(").Append(s.Length).Append(" chars)");
                    break;
                case byte[] bytes:
                    builder.Append("bin[").Append(bytes.Length).Append("]:")
                        .Append(Convert.ToHexString(bytes, 0, Math.Min(bytes.Length, 24)).ToLowerInvariant());
                    break;
                case MsgPackExtension ext:
                    builder.Append("ext(").Append(ext.TypeCode).Append(", ")
                        .Append(Convert.ToHexString(ext.Data, 0, Math.Min(ext.Data.Length, 24)).ToLowerInvariant()).Append(')');
                    break;
                case object?[] array:
                    builder.Append('[');
                    for (int i = 0; i < array.Length && builder.Length <= budget; i++)
                    {
                        if (i > 0)
                        {
                            builder.Append(", ");
                        }

                        Append(builder, array[i], budget);
                    }

                    builder.Append(']');
                    break;
                case MsgMap map:
                    builder.Append('{');
                    bool first = true;
                    foreach (var entry in map)
                    {
                        if (builder.Length > budget)
                        {
                            break;
                        }

                        if (!first)
                        {
                            builder.Append(", ");
                        }

                        first = false;
                        Append(builder, entry.Key, budget);
                        builder.Append(": ");
                        Append(builder, entry.Value, budget);
                    }

                    builder.Append('}');
                    break;
                default:
                    builder.Append(value.GetType().Name).Append(':').Append(value);
                    break;
            }
        }
    }
}
