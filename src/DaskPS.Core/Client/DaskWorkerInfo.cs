using System.Collections.Generic;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Client
{
    /// <summary>A worker as the scheduler sees it.</summary>
    public sealed class DaskWorkerInfo
    {
        public string Address { get; private set; } = string.Empty;

        public string? Name { get; private set; }

        /// <summary>Task slots (dask's nthreads).</summary>
        public int Slots { get; private set; }

        public IReadOnlyDictionary<string, double> Resources { get; private set; } = new Dictionary<string, double>();

        public long MemoryLimit { get; private set; }

        public IReadOnlyList<string> Keys { get; private set; } = new string[0];

        /// <summary>Whether it advertises the DaskPS routing resource (i.e. runs DaskPS tasks).</summary>
        public bool IsDaskPS => Resources.ContainsKey(Tasks.Routing.Resource);

        internal static DaskWorkerInfo From(string address, MsgMap info, IReadOnlyList<string> keys)
        {
            var resources = new Dictionary<string, double>();
            foreach (KeyValuePair<object, object?> entry in info.Get("resources") as MsgMap ?? new MsgMap())
            {
                if (entry.Key is string name && entry.Value is long or double)
                {
                    resources[name] = System.Convert.ToDouble(entry.Value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            return new DaskWorkerInfo
            {
                Address = address,
                Name = info.Get("name")?.ToString(),
                Slots = info.Get("nthreads") is long n ? (int)n : 0,
                Resources = resources,
                MemoryLimit = info.Get("memory_limit") is long m ? m : 0,
                Keys = keys,
            };
        }

        public override string ToString() => $"{Name ?? Address} ({Address}, {Slots} slots, {Keys.Count} keys)";
    }
}
