using System;
using System.Collections.Generic;
using System.Linq;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    /// <summary>Readers for fields that several messages share, as Python peers send them.</summary>
    internal static class WireFields
    {
        public static object?[] Priority(object? value) => value as object?[] ?? Array.Empty<object?>();

        /// <summary>A who_has map: each key to the addresses that hold it.</summary>
        public static IReadOnlyDictionary<object, IReadOnlyList<string>> WhoHas(object? value)
        {
            var whoHas = new Dictionary<object, IReadOnlyList<string>>(MsgKeyComparer.Instance);
            if (value is MsgMap map)
            {
                foreach (KeyValuePair<object, object?> entry in map)
                {
                    whoHas[entry.Key] = KeyLists.Of(entry.Value).OfType<string>().ToArray();
                }
            }

            return whoHas;
        }
    
        /// <summary>A short rendering of a reply for error messages: a map's first entries, long values cut.</summary>
        public static string Describe(object? value) => value switch
        {
            null => "nothing",
            MsgMap map => "{" + string.Join(", ", map.Take(4).Select(e => $"{e.Key}: {Short(e.Value)}")) + (map.Count > 4 ? ", …" : string.Empty) + "}",
            _ => Short(value),
        };

        private static string Short(object? value)
        {
            string text = value switch { null => "nil", object?[] a => $"[{a.Length} items]", _ => value.ToString() ?? string.Empty };
            return text.Length > 120 ? text.Substring(0, 120) + "…" : text;
        }
    }
}
