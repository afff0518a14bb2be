using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using BenchmarkDotNet.Running;
using DaskPS.Benchmarks.Cluster;
using DaskPS.Testing;
using DaskPS.Worker;

namespace DaskPS.Benchmarks
{
    /// <summary>
    /// <c>cluster [--full] [--dask 2022.12|2024.12]</c>: DaskPS vs the Python client and workers on one scheduler.
    /// <c>cluster --scaling [--full] [--dask …] [--minutes N]</c>: map, chain and fan-out/fan-in graphs of growing size (N minutes
    /// per shape and side, 2 with --full), and 16 DaskPS workers on one scheduler.
    /// <c>worker &lt;scheduler&gt; &lt;name&gt; &lt;slots&gt; [&lt;workers&gt;]</c>: a process of one or more DaskPS workers (used by cluster).
    /// <c>values [--sizes 1MB,10MB,100MB,1GB]</c>: peak memory of the client and a worker per byte[] value, as a multiple of its size.
    /// <c>values-client &lt;scheduler&gt; &lt;task|scatter&gt; &lt;bytes&gt; &lt;worker pid&gt;</c>: the client process of one measurement (used by values).
    /// <c>lz4</c>: what lz4 on payload frames gains and costs for a 100 MB value.
    /// Anything else: the BenchmarkDotNet codec benchmarks.
    /// </summary>
    public static class Program
    {
        public const string WorkerCommand = "worker";

        public static async Task<int> Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "cluster")
            {
                bool full = Array.IndexOf(args, "--full") >= 0;
                DaskInstallation dask = DaskInstallation.ForVersion(OptionValue(args, "--dask") ?? "2022.12");
                string? minutes = OptionValue(args, "--minutes");
                TimeSpan? budget = minutes is null ? null : TimeSpan.FromMinutes(double.Parse(minutes, System.Globalization.CultureInfo.InvariantCulture));
                return Array.IndexOf(args, "--scaling") >= 0
                    ? await new ScalingBenchmark(full, dask, budget).RunAsync()
                    : await new ClusterBenchmark(full, dask).RunAsync();
            }

            if (args.Length > 0 && args[0] == "lz4")
            {
                return await Lz4Benchmark.RunAsync();
            }

            if (args.Length > 0 && args[0] == "values")
            {
                return await ValueMemoryBenchmark.RunAsync(ValueMemoryBenchmark.ParseSizes(OptionValue(args, "--sizes") ?? "1MB,10MB,100MB,1GB"));
            }

            if (args.Length == 5 && args[0] == ValueMemoryBenchmark.ClientCommand)
            {
                return await ValueMemoryBenchmark.RunClientAsync(args[1], args[2], long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
            }

            if (args.Length is 4 or 5 && args[0] == WorkerCommand)
            {
                int slots = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
                int count = args.Length == 5 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 1;
                var workers = new List<DaskWorker>();
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        var worker = new DaskWorker(new DaskWorkerOptions(args[1]) { Name = count == 1 ? args[2] : $"{args[2]}-{i}", Slots = slots });
                        workers.Add(worker);
                        await worker.StartAsync();
                    }

                    await Task.WhenAll(workers.Select(w => w.Completion));
                }
                finally
                {
                    foreach (DaskWorker worker in workers)
                    {
                        await worker.DisposeAsync();
                    }
                }

                return 0;
            }

            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
            return 0;
        }

        /// <summary>The value after <paramref name="name"/> in the arguments, or null when the option is not given.</summary>
        private static string? OptionValue(string[] args, string name)
        {
            int at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }
    }
}
