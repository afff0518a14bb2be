using System;
using System.Linq;

namespace DaskPS.Protocol.Messages
{
    internal static class KeyLists
    {
        /// <summary>A key list as Python peers send it: a list, a set, a single key, or nothing.</summary>
        public static object?[] Of(object? keys) => keys switch
        {
            object?[] array => array,
            PySet set => set.Items.ToArray(),
            null => Array.Empty<object?>(),
            _ => new[] { keys },
        };
    }
}
