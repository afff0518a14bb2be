using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Running;
using DaskPS.Benchmarks.Cluster;
using DaskPS.Testing;
using DaskPS.Worker;

namespace DaskPS.Benchmarks
{
    /// <summary>
    /// <c>cluster [--full] [--dask 2022.12|2024.12]</c>: DaskPS vs the Python client and workers on one scheduler.
    /// <c>worker &lt;scheduler&gt; &lt;name&gt; &lt;slots&gt;</c>: a DaskPS worker process (used by cluster).
    /// <c>values [--sizes 1MB,10MB,100MB,1GB]</c>: peak memory of the client and a worker per byte[] value, as a multiple of its size.
    /// <c>values-client &lt;scheduler&gt; &lt;task|scatter&gt; &lt;bytes&gt; &lt;worker pid&gt;</c>: the client process of one measurement (used by values).
    /// <c>lz4</c>: what lz4 on payload frames gains and costs for a 100 MB value.
    /// Anything else: the BenchmarkDotNet codec benchmarks.
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "cluster")
            {
                bool full = Array.IndexOf(args, "--full") >= 0;
                int at = Array.IndexOf(args, "--dask");
                return await new ClusterBenchmark(full, DaskInstallation.ForVersion(at >= 0 && at + 1 < args.Length ? args[at + 1] : "2022.12")).RunAsync();
            }

            if (args.Length > 0 && args[0] == "lz4")
            {
                return await Lz4Benchmark.RunAsync();
            }

            if (args.Length > 0 && args[0] == "values")
            {
                int at = Array.IndexOf(args, "--sizes");
                return await ValueMemoryBenchmark.RunAsync(ValueMemoryBenchmark.ParseSizes(at >= 0 && at + 1 < args.Length ? args[at + 1] : "1MB,10MB,100MB,1GB"));
            }

            if (args.Length == 5 && args[0] == ValueMemoryBenchmark.ClientCommand)
            {
                return await ValueMemoryBenchmark.RunClientAsync(args[1], args[2], long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
            }

            if (args.Length == 4 && args[0] == "worker")
            {
                await using var worker = new DaskWorker(new DaskWorkerOptions(args[1]) { Name = args[2], Slots = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) });
                await worker.StartAsync();
                await worker.Completion;
                return 0;
            }

            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
            return 0;
        }
    }
}
