using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>The one place that prints the benchmarks' tables (Markdown) and the machine they came from.</summary>
    internal static class Table
    {
        public static void Print(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
        {
            List<IReadOnlyList<string>> all = rows.Prepend(header).ToList();
            int[] widths = Enumerable.Range(0, header.Count).Select(c => all.Max(r => r[c].Length)).ToArray();
            Console.WriteLine();
            for (int r = 0; r < all.Count; r++)
            {
                // The first column (labels) is left-aligned, the figures right-aligned.
                Console.WriteLine("| " + string.Join(" | ", all[r].Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))) + " |");
                if (r == 0)
                {
                    Console.WriteLine("|" + string.Join("|", widths.Select((w, c) => c == 0 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
                }
            }
        }

        /// <summary>A figure for a table: NaN (not measured, or did not finish) prints as a dash.</summary>
        public static string Figure(double value) =>
            double.IsNaN(value) || double.IsInfinity(value) ? "–"
            : Math.Abs(value) >= 100 ? value.ToString("#,0", CultureInfo.InvariantCulture)
            : Math.Abs(value) >= 1 ? value.ToString("0.##", CultureInfo.InvariantCulture)
            : value.ToString("0.####", CultureInfo.InvariantCulture);

        public static string Ratio(double value) => double.IsNaN(value) || double.IsInfinity(value) ? "–" : value.ToString("0.00", CultureInfo.InvariantCulture) + "×";

        /// <summary>Cores, CPU model, load at the time, dask release: the figures mean little without them.</summary>
        public static void PrintMachine(string daskVersion)
        {
            string model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
            string load = File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {model}; load average {load}; dask.distributed {daskVersion}; .NET {Environment.Version}");
        }
    }
}
