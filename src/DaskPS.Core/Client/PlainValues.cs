using System;
using System.Collections;
using System.Collections.Generic;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Client
{
    /// <summary>
    /// The rules for what travels as plain msgpack (readable by any dask client): null, bool, numbers, strings,
    /// byte arrays, lists and string-keyed maps of those, at any depth. Anything else goes through the caller's
    /// fallback (PowerShell: CliXml). Hosts pass <c>unwrap</c> for their wrapper objects (PowerShell's PSObject).
    /// </summary>
    public static class PlainValues
    {
        /// <summary>How deep a value may nest: the codec's limit, less the levels of the message that carries it.</summary>
        public const int MaxDepth = 64;

        /// <exception cref="DaskValueTooDeepException">The value nests deeper than <see cref="MaxDepth"/> (a cycle does).</exception>
        public static object? ToWire(object? value, Func<object, object> unwrap, Func<object, object?> fallback) =>
            ToWire(value, unwrap, fallback, MaxDepth);

        private static object? ToWire(object? value, Func<object, object> unwrap, Func<object, object?> fallback, int depthLeft)
        {
            if (value is null)
            {
                return null;
            }

            object inner = unwrap(value);
            switch (inner)
            {
                case string or bool or byte[] or long or int or short or sbyte or byte or ushort or uint or ulong or double or float:
                    return inner;
                case char c:
                    return c.ToString();
                case TaskRef or DaskNode:
                    // Dependencies stay as they are: the graph layer turns them into references.
                    return inner;
                case IDictionary map when StringKeys(map, unwrap):
                    depthLeft = Descend(depthLeft);
                    var wire = new MsgMap(map.Count);
                    foreach (DictionaryEntry entry in map)
                    {
                        wire[(string)unwrap(entry.Key)] = ToWire(entry.Value, unwrap, fallback, depthLeft);
                    }

                    return wire;
                case Array or ArrayList:
                case IList when inner.GetType().IsGenericType && inner.GetType().GetGenericTypeDefinition() == typeof(List<>):
                    depthLeft = Descend(depthLeft);
                    var list = (IList)inner;
                    var items = new object?[list.Count];
                    for (int i = 0; i < items.Length; i++)
                    {
                        items[i] = ToWire(list[i], unwrap, fallback, depthLeft);
                    }

                    return items;
                default:
                    return fallback(value);
            }
        }

        /// <summary>Rebuilds host values: maps become hashtables, arrays object[], CliXml through the caller's decoder.</summary>
        public static object? FromWire(object? value, Func<CliXmlValue, object?> decodeCliXml)
        {
            switch (value)
            {
                case CliXmlValue xml:
                    return decodeCliXml(xml);
                case MsgMap map:
                    var table = new Hashtable(map.Count);
                    foreach (KeyValuePair<object, object?> entry in map)
                    {
                        table[FromWire(entry.Key, decodeCliXml) ?? string.Empty] = FromWire(entry.Value, decodeCliXml);
                    }

                    return table;
                case object?[] array:
                    var items = new object?[array.Length];
                    for (int i = 0; i < array.Length; i++)
                    {
                        items[i] = FromWire(array[i], decodeCliXml);
                    }

                    return items;
                case PySet set:
                    return FromWire(new List<object?>(set.Items).ToArray(), decodeCliXml);
                default:
                    return value;
            }
        }

        private static int Descend(int depthLeft) => depthLeft > 0
            ? depthLeft - 1
            : throw new DaskValueTooDeepException(
                $"The value nests more than {MaxDepth} levels deep (does a hashtable or list contain itself?); DaskPS sends values of up to {MaxDepth} levels.");

        private static bool StringKeys(IDictionary map, Func<object, object> unwrap)
        {
            foreach (object key in map.Keys)
            {
                if (unwrap(key) is not string)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>A value nests deeper than <see cref="PlainValues.MaxDepth"/> levels, or contains itself.</summary>
    public sealed class DaskValueTooDeepException : DaskException
    {
        public DaskValueTooDeepException(string message) : base(message) { }
    }
}
