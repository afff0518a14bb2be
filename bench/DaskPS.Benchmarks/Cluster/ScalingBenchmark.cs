using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Hosting;
using DaskPS.Testing;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>
    /// How time per task grows with the graph: an independent map, a chain, and a fan-out/fan-in (one root, its
    /// dependents, one sink) of each size, for the Python client and workers and for DaskPS's, two one-thread workers
    /// each, on one scheduler; then 16 DaskPS workers in four processes run one map, and the scheduler's log of that
    /// part is searched for errors.
    /// </summary>
    internal sealed class ScalingBenchmark
    {
        private static readonly string[] Shapes = { "map", "chain", "fan" };

        private readonly bool _full;
        private readonly DaskInstallation _dask;

        public ScalingBenchmark(bool full, DaskInstallation dask, TimeSpan? budget)
        {
            _full = full;
            _dask = dask;
            Budget = budget ?? (full ? TimeSpan.FromMinutes(2) : TimeSpan.FromSeconds(30));
        }

        private int[] Sizes => _full ? new[] { 1_000, 10_000, 100_000 } : new[] { 50, 500 };

        /// <summary>
        /// Each side's time per shape: a size whose expected time (the shape's last time per task times the size) would
        /// overrun it is left out, as python_side.py does. A chain cannot beat the scheduler's 5 ms batches to the workers
        /// per task, so its 100,000 takes over 8 minutes: the default budget (2 minutes with --full) leaves it out.
        /// </summary>
        private TimeSpan Budget { get; }

        private const int ManyWorkerProcesses = 4;

        private const int WorkersPerProcess = 4;

        private int ManyWorkersTasks => _full ? 10_000 : 500;

        public async Task<int> RunAsync()
        {
            await using LocalScheduler scheduler = await LocalScheduler.StartAsync(_dask.SchedulerOptions());
            var meter = new SchedulerMeter(scheduler.ProcessId);
            Table.PrintMachine(await ClusterBenchmark.DaskVersionAsync(_dask));
            Console.WriteLine($"scheduler {scheduler.Address}, scaling, size {(_full ? "full" : "smoke")}");
            Dictionary<(string, int), Measured> python = await PythonSideAsync(scheduler);
            Dictionary<(string, int), Measured> daskps = await DaskPSSideAsync(scheduler, meter);
            PrintScaling(python, daskps);
            await ManyWorkersAsync(scheduler, meter);
            return 0;
        }

        private async Task<Dictionary<(string, int), Measured>> PythonSideAsync(LocalScheduler scheduler)
        {
            await using WorkerGroup workers = await WorkerGroup.StartPythonAsync(scheduler, _dask, 2);
            string script = Path.Combine(AppContext.BaseDirectory, "python", "python_side.py");
            await using ChildProcess client = ChildProcess.Start(DaskInstallation.SystemPython, new[]
            {
                script, "scaling", scheduler.Address, ClusterBenchmark.Invariant(scheduler.ProcessId), "2",
                string.Join(",", Sizes.Select(s => ClusterBenchmark.Invariant(s))), ClusterBenchmark.Invariant((long)Budget.TotalSeconds),
            }, _dask.Environment);
            string output;
            try
            {
                output = await client.CompleteAsync((Budget * Shapes.Length) + TimeSpan.FromMinutes(1));
            }
            catch (DaskTimeoutException)
            {
                // What finished in time is reported; the rest shows as not finished.
                output = client.Output;
            }

            var results = new Dictionary<(string, int), Measured>();
            foreach (string line in output.Split('\n').Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal)))
            {
                using var json = System.Text.Json.JsonDocument.Parse(line.Substring("RESULT ".Length));
                System.Text.Json.JsonElement r = json.RootElement;
                int tasks = r.GetProperty("tasks").GetInt32();
                results[(r.GetProperty("shape").GetString()!, tasks)] = new Measured(tasks, r.GetProperty("seconds").GetDouble(), r.GetProperty("cpu").GetDouble());
            }

            return results;
        }

        private async Task<Dictionary<(string, int), Measured>> DaskPSSideAsync(LocalScheduler scheduler, SchedulerMeter meter)
        {
            await using WorkerGroup workers = await WorkerGroup.StartDaskPSAsync(scheduler, 2);
            await using DaskClient client = await DaskClient.ConnectAsync(scheduler.Address);
            var results = new Dictionary<(string, int), Measured>();
            long run = 0;
            foreach (string shape in Shapes)
            {
                DateTime deadline = DateTime.UtcNow + Budget;
                double perTask = 0;
                foreach (int size in Sizes.Where(s => DateTime.UtcNow.AddSeconds(perTask * s) <= deadline))
                {
                    // Each graph starts from its own value, so no key repeats one of an earlier graph.
                    long origin = ++run * 1_000_000_000L;
                    Measured measured = await meter.MeasureAsync(size, () => RunShapeAsync(client, shape, size, origin));
                    results[(shape, size)] = measured;
                    perTask = measured.Seconds / size;
                }
            }

            return results;
        }

        /// <summary>One graph of <paramref name="size"/> tasks, submitted at once; its result is checked.</summary>
        private static async Task RunShapeAsync(DaskClient client, string shape, int size, long origin)
        {
            string functions = typeof(BenchFunctions).FullName!;
            DaskNode Call(string method, params object?[] args) => DaskNode.Call(functions, method, args);
            switch (shape)
            {
                case "map":
                    DaskNode[] nodes = Enumerable.Range(0, size).Select(i => Call(nameof(BenchFunctions.Inc), origin + i)).ToArray();
                    client.Submit(nodes);
                    IReadOnlyList<object?> values = await client.GatherAsync(nodes);
                    ClusterBenchmark.Check(values.Select((v, i) => (long)v! == origin + i + 1).All(ok => ok), shape);
                    client.Release(nodes);
                    break;
                case "chain":
                    DaskNode last = Call(nameof(BenchFunctions.Inc), origin);
                    for (int i = 1; i < size; i++)
                    {
                        last = Call(nameof(BenchFunctions.Inc), last);
                    }

                    client.Submit(last);
                    ClusterBenchmark.Check(Equals(await client.ResultAsync(last), origin + size), shape);
                    client.Release(new[] { last });
                    break;
                case "fan":
                    DaskNode root = Call(nameof(BenchFunctions.Inc), origin);
                    DaskNode[] leaves = Enumerable.Range(0, size - 2).Select(i => Call(nameof(BenchFunctions.Add), root, (long)i)).ToArray();
                    DaskNode sink = Call(nameof(BenchFunctions.Total), new object?[] { leaves });
                    client.Submit(sink);
                    ClusterBenchmark.Check(Equals(await client.ResultAsync(sink), ((origin + 1) * (size - 2)) + Enumerable.Range(0, size - 2).Sum(i => (long)i)), shape);
                    client.Release(new[] { sink });
                    break;
                default:
                    throw new ArgumentException($"Unknown shape '{shape}'.", nameof(shape));
            }
        }

        private void PrintScaling(Dictionary<(string, int), Measured> python, Dictionary<(string, int), Measured> daskps)
        {
            Console.WriteLine($"time per task (ms), scheduler CPU per task (us) and share of the scheduler limit; two one-thread workers each; "
                + $"growth: time per task at {Sizes[^1]:#,0} over {Sizes[0]:#,0}; sizes that would overrun {Budget.TotalSeconds} s per shape and side are left out (–)");
            var rows = new List<IReadOnlyList<string>>();
            foreach (string shape in Shapes)
            {
                foreach (int size in Sizes)
                {
                    Measured? p = python.TryGetValue((shape, size), out Measured pm) ? pm : null;
                    Measured? d = daskps.TryGetValue((shape, size), out Measured dm) ? dm : null;
                    rows.Add(new[]
                    {
                        $"{shape} {size:#,0}",
                        PerTask(p), Table.Figure(p?.SchedulerCpuPerTask * 1e6 ?? double.NaN), Table.Figure(p?.SchedulerShare ?? double.NaN),
                        PerTask(d), Table.Figure(d?.SchedulerCpuPerTask * 1e6 ?? double.NaN), Table.Figure(d?.SchedulerShare ?? double.NaN),
                        Table.Ratio((p?.Seconds ?? double.NaN) / (d?.Seconds ?? double.NaN)),
                    });
                }

                rows.Add(new[] { $"{shape} growth", Growth(python, shape), string.Empty, string.Empty, Growth(daskps, shape), string.Empty, string.Empty, string.Empty });
            }

            Table.Print(new[] { "graph", "Python ms/task", "Python sched us/task", "Python share", "DaskPS ms/task", "DaskPS sched us/task", "DaskPS share", "DaskPS advantage" }, rows);
        }

        private static string PerTask(Measured? m) => Table.Figure(m is Measured v ? v.Seconds / v.Tasks * 1000 : double.NaN);

        /// <summary>Time per task at the largest size that ran over that at the smallest, with that largest size when it is not the last.</summary>
        private string Growth(Dictionary<(string, int), Measured> results, string shape)
        {
            int[] ran = Sizes.Where(s => results.ContainsKey((shape, s))).ToArray();
            if (ran.Length < 2)
            {
                return Table.Ratio(double.NaN);
            }

            Measured small = results[(shape, ran[0])], large = results[(shape, ran[^1])];
            string growth = Table.Ratio((large.Seconds / large.Tasks) / (small.Seconds / small.Tasks));
            return ran[^1] == Sizes[^1] ? growth : $"{growth} (to {ran[^1]:#,0})";
        }

        /// <summary>16 DaskPS workers in four processes on this scheduler run one map; the scheduler's log of this part must hold no error.</summary>
        private async Task ManyWorkersAsync(LocalScheduler scheduler, SchedulerMeter meter)
        {
            int logStart = scheduler.Output.Length;
            await using WorkerGroup workers = await WorkerGroup.StartDaskPSAsync(scheduler, ManyWorkerProcesses, WorkersPerProcess);
            await using DaskClient client = await DaskClient.ConnectAsync(scheduler.Address);
            DaskNode[] nodes = Enumerable.Range(0, ManyWorkersTasks).Select(i => DaskNode.Call(typeof(BenchFunctions).FullName!, nameof(BenchFunctions.Inc), new object?[] { 7_000_000_000L + i })).ToArray();
            IReadOnlyList<object?> values = Array.Empty<object?>();
            Measured map = await meter.MeasureAsync(ManyWorkersTasks, async () =>
            {
                client.Submit(nodes);
                values = await client.GatherAsync(nodes);
            });
            ClusterBenchmark.Check(values.Select((v, i) => (long)v! == 7_000_000_001L + i).All(ok => ok), "16-worker map");
            client.Release(nodes);
            string[] errors = scheduler.Output.Substring(logStart).Split('\n')
                .Where(l => l.Contains(" - ERROR - ", StringComparison.Ordinal) || l.Contains(" - CRITICAL - ", StringComparison.Ordinal) || l.StartsWith("Traceback", StringComparison.Ordinal))
                .ToArray();
            double[] perWorker = workers.Processes.Select(p => ProcessMemory.ResidentBytes(p.Id) / 1024 / 1024 / WorkersPerProcess).ToArray();
            double[] peakPerWorker = workers.Processes.Select(p => ProcessMemory.PeakMegabytes(p.Id) / WorkersPerProcess).ToArray();
            Table.Print(new[] { $"{workers.Addresses.Length} DaskPS workers in {ManyWorkerProcesses} processes", "figure" }, new[]
            {
                new[] { $"map of {ManyWorkersTasks:#,0}: tasks/s", Table.Figure(map.TasksPerSecond) },
                new[] { "scheduler CPU per task (us)", Table.Figure(map.SchedulerCpuPerTask * 1e6) },
                new[] { "share of scheduler limit", Table.Figure(map.SchedulerShare) },
                new[] { "errors in the scheduler log", ClusterBenchmark.Invariant(errors.Length) },
                new[] { "RSS per worker, mean (MB)", Table.Figure(perWorker.Average()) },
                new[] { "peak RSS per worker, max (MB)", Table.Figure(peakPerWorker.Max()) },
            });
            foreach (string error in errors.Take(5))
            {
                Console.WriteLine("scheduler: " + error);
            }
        }
    }
}
