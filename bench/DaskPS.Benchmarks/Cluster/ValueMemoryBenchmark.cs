using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Hosting;
using DaskPS.Testing;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>
    /// What one byte[] value of N bytes costs in memory: peak resident memory above the baseline, as a multiple of N,
    /// in the client and in the worker. Two workloads: a task on the worker makes the value and the client gathers it;
    /// the client scatters the value to the worker and gathers it back. VmHWM cannot be lowered again, so every size
    /// and workload runs in a fresh worker process and a fresh client process.
    /// </summary>
    internal static class ValueMemoryBenchmark
    {
        public const string ClientCommand = "values-client";

        /// <summary>What the issue allows a value to cost, as a multiple of its size.</summary>
        private const double Allowed = 3.0;

        private static readonly string[] Workloads = { "task", "scatter" };

        public static async Task<int> RunAsync(IReadOnlyList<long> sizes)
        {
            await using LocalScheduler scheduler = await LocalScheduler.StartAsync(DaskInstallation.ForVersion("2022.12").SchedulerOptions());
            string self = Environment.ProcessPath!;
            Console.WriteLine("| value | workload | client peak / N | worker peak / N | within 3×N |");
            Console.WriteLine("|---:|---|---:|---:|---|");
            foreach (long size in sizes)
            {
                foreach (string workload in Workloads)
                {
                    (double client, double worker) = await MeasureAsync(scheduler, self, workload, size);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {Label(size)} | {workload} | {client:0.00} | {worker:0.00} | {(client <= Allowed && worker <= Allowed ? "yes" : "no")} |"));
                }
            }

            return 0;
        }

        /// <summary>Client and worker peak above their baselines, as multiples of <paramref name="size"/>, from fresh processes.</summary>
        private static async Task<(double Client, double Worker)> MeasureAsync(LocalScheduler scheduler, string self, string workload, long size)
        {
            string output;
            await using (ChildProcess worker = ChildProcess.Start(self, new[] { Program.WorkerCommand, scheduler.Address, "values", "1" }))
            {
                await ClusterBenchmark.WorkerAddressesAsync(scheduler, 1);
                await using ChildProcess client = ChildProcess.Start(self, new[] { ClientCommand, scheduler.Address, workload, Invariant(size), Invariant(worker.Id) });
                output = await client.CompleteAsync(TimeSpan.FromMinutes(10));
            }

            await ClusterBenchmark.WorkerAddressesAsync(scheduler, 0);
            double[] multiples = output.Split('\n').First(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                .Split(' ').Skip(1).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            return (multiples[0], multiples[1]);
        }

        /// <summary>
        /// The client process: runs <paramref name="workload"/> once at 100 KB (past 64 KB, on the large-value code path, so
        /// loading that code is in the baseline), then at <paramref name="size"/>; prints "RESULT client-multiple worker-multiple".
        /// </summary>
        public static async Task<int> RunClientAsync(string scheduler, string workload, long size, int workerId)
        {
            await using DaskClient client = await DaskClient.ConnectAsync(scheduler);
            await RunWorkloadAsync(client, workload, 100_000);
            double clientBaseline = ProcessMemory.ResidentBytes(Environment.ProcessId);
            double workerBaseline = ProcessMemory.ResidentBytes(workerId);
            await RunWorkloadAsync(client, workload, size);
            double clientMultiple = (ProcessMemory.PeakBytes(Environment.ProcessId) - clientBaseline) / size;
            double workerMultiple = (ProcessMemory.PeakBytes(workerId) - workerBaseline) / size;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {clientMultiple} {workerMultiple}"));
            return 0;
        }

        /// <summary>Sizes such as 1MB,10MB,100MB,1GB (decimal units, as BigBytes in the cluster benchmark).</summary>
        public static long[] ParseSizes(string sizes) => sizes.Split(',').Select(ParseSize).ToArray();

        private static async Task RunWorkloadAsync(DaskClient client, string workload, long size)
        {
            byte[] value;
            switch (workload)
            {
                case "task":
                    DaskNode made = client.Submit(DaskNode.Call(typeof(BenchFunctions).FullName!, nameof(BenchFunctions.MakeBytes), new object?[] { size }));
                    value = (byte[])(await client.ResultAsync(made))!;
                    Check(value.Length == size);
                    client.Release(new[] { made });
                    break;
                case "scatter":
                    value = BenchFunctions.MakeBytes(size);
                    DaskNode scattered = (await client.ScatterAsync(new object?[] { value }))[0];
                    Check(((byte[])(await client.ResultAsync(scattered))!).AsSpan().SequenceEqual(value));
                    client.Release(new[] { scattered });
                    break;
                default:
                    throw new ArgumentException($"Unknown workload '{workload}'; expected task or scatter.", nameof(workload));
            }
        }

        private static long ParseSize(string text)
        {
            string upper = text.Trim().ToUpperInvariant();
            long unit = upper.EndsWith("GB", StringComparison.Ordinal) ? 1_000_000_000 : upper.EndsWith("MB", StringComparison.Ordinal) ? 1_000_000 : 1;
            return long.Parse(unit == 1 ? upper : upper.Substring(0, upper.Length - 2), CultureInfo.InvariantCulture) * unit;
        }

        private static string Label(long size) =>
            size >= 1_000_000_000 ? Invariant(size / 1_000_000_000) + " GB" : Invariant(size / 1_000_000) + " MB";

        private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

        private static void Check(bool condition)
        {
            if (!condition)
            {
                throw new InvalidOperationException("The value came back different.");
            }
        }
    }
}
