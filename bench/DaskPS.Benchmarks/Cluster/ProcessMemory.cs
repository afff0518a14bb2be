using System;
using System.IO;
using System.Linq;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>Resident memory of a process, now (VmRSS) and at its peak (VmHWM), from /proc.</summary>
    internal static class ProcessMemory
    {
        public static double PeakMegabytes(int processId) => Kilobytes(processId, "VmHWM:") / 1024;

        public static double PeakBytes(int processId) => Kilobytes(processId, "VmHWM:") * 1024;

        public static double ResidentBytes(int processId) => Kilobytes(processId, "VmRSS:") * 1024;

        private static double Kilobytes(int processId, string field)
        {
            try
            {
                string? line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
                return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                return double.NaN;
            }
        }
    }
}
