using System.Collections.Generic;

namespace DaskPS.Client
{
    /// <summary>A worker as the scheduler sees it: its task slots (dask's nthreads), resources and the keys it holds.</summary>
    public sealed record DaskWorkerInfo(string Address, string? Name, int Slots, IReadOnlyDictionary<string, double> Resources, long MemoryLimit, IReadOnlyList<string> Keys)
    {
        /// <summary>Whether it advertises the DaskPS routing resource (i.e. runs DaskPS tasks).</summary>
        public bool IsDaskPS => Resources.ContainsKey(Tasks.Routing.Resource);

        public override string ToString() => $"{Name ?? Address} ({Address}, {Slots} slots, {Keys.Count} keys)";
    }
}
