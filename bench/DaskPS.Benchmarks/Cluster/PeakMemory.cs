using System;
using System.IO;
using System.Linq;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>Peak resident memory (VmHWM) of a process, from /proc.</summary>
    internal static class PeakMemory
    {
        public static double Megabytes(int processId)
        {
            try
            {
                string? line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
            }
            catch (IOException)
            {
                return double.NaN;
            }
        }
    }
}
