using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using DaskPS.Client;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Values
{
    /// <summary>
    /// PowerShell values on the wire: plain values (null, bool, numbers, strings, byte arrays, lists, string-keyed
    /// hashtables) as msgpack that any dask client reads; everything else as CliXml of an explicit depth, which
    /// comes back as Deserialized.* objects, exactly like Start-Job.
    /// </summary>
    public static class PSValueConverter
    {
        public const int DefaultDepth = 2;

        public static object? ToWire(object? value, int depth = DefaultDepth)
        {
            object? inner = Unwrap(value);
            switch (inner)
            {
                case null:
                case string:
                case bool:
                case byte[]:
                case long:
                case int:
                case short:
                case sbyte:
                case byte:
                case ushort:
                case uint:
                case ulong:
                case double:
                case float:
                case DaskNode:
                    return inner;
                case char c:
                    return c.ToString();
                case IDictionary map when IsPlainMap(map):
                    var wire = new MsgMap(map.Count);
                    foreach (DictionaryEntry entry in map)
                    {
                        wire[(string)Unwrap(entry.Key)!] = ToWire(entry.Value, depth);
                    }

                    return wire;
                case IList list when inner is Array || inner is ArrayList || IsGenericList(inner):
                    var items = new object?[list.Count];
                    for (int i = 0; i < items.Length; i++)
                    {
                        items[i] = ToWire(list[i], depth);
                    }

                    return items;
                default:
                    return new CliXmlValue(PSSerializer.Serialize(value, depth));
            }
        }

        /// <summary>Rebuilds PowerShell values: maps become hashtables, CliXml becomes Deserialized objects.</summary>
        public static object? FromWire(object? value)
        {
            switch (value)
            {
                case CliXmlValue xml:
                    return PSSerializer.Deserialize(xml.Xml);
                case MsgMap map:
                    var table = new Hashtable(map.Count);
                    foreach (KeyValuePair<object, object?> entry in map)
                    {
                        table[FromWire(entry.Key) ?? string.Empty] = FromWire(entry.Value);
                    }

                    return table;
                case object?[] array:
                    var items = new object?[array.Length];
                    for (int i = 0; i < array.Length; i++)
                    {
                        items[i] = FromWire(array[i]);
                    }

                    return items;
                case Protocol.PySet set:
                    return FromWire(new List<object?>(set.Items).ToArray());
                default:
                    return value;
            }
        }

        private static object? Unwrap(object? value) =>
            value is PSObject ps && !(ps.BaseObject is PSCustomObject) ? ps.BaseObject : value;

        private static bool IsPlainMap(IDictionary map)
        {
            foreach (object key in map.Keys)
            {
                if (Unwrap(key) is not string)
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsGenericList(object value)
        {
            Type type = value.GetType();
            return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>);
        }
    }
}
