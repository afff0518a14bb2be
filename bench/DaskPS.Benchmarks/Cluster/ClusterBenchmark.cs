using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Hosting;
using DaskPS.Protocol.MessagePack;
using DaskPS.Testing;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>
    /// One run, one scheduler: the Python client with two Python workers, then the DaskPS client with two DaskPS
    /// worker processes, doing the same work; prints a table of both and their ratio.
    /// </summary>
    internal sealed class ClusterBenchmark
    {
        private const string SystemPython = DaskInstallation.SystemPython;
        private readonly bool _full;
        private readonly DaskInstallation _dask;

        public ClusterBenchmark(bool full, DaskInstallation dask)
        {
            _full = full;
            _dask = dask;
        }

        private int Tasks => _full ? 10_000 : 200;

        private int RoundTrips => _full ? 200 : 20;

        private int FanWidth => _full ? 1_000 : 50;

        private long BigBytes => _full ? 100_000_000 : 1_000_000;

        public async Task<int> RunAsync()
        {
            await using LocalScheduler scheduler = await LocalScheduler.StartAsync(_dask.SchedulerOptions());
            Console.WriteLine($"scheduler {scheduler.Address}, size {(_full ? "full" : "smoke")}");
            Dictionary<string, double> python = await PythonSideAsync(scheduler);
            Dictionary<string, double> daskps = await DaskPSSideAsync(scheduler);
            (double pyEncode, double pyDecode, double csEncode, double csDecode) = await CodecAsync();
            python["codec_encode_us"] = pyEncode;
            python["codec_decode_us"] = pyDecode;
            daskps["codec_encode_us"] = csEncode;
            daskps["codec_decode_us"] = csDecode;
            Print(python, daskps);
            return 0;
        }

        private async Task<Dictionary<string, double>> PythonSideAsync(LocalScheduler scheduler)
        {
            var workers = new List<ChildProcess>();
            try
            {
                for (int i = 0; i < 2; i++)
                {
                    workers.Add(ChildProcess.Start(SystemPython, new[]
                    {
                        "-m", "distributed.cli.dask_worker", scheduler.Address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                        "--name", $"py{i}", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                    }, _dask.Environment));
                }

                string[] addresses = await WorkerAddressesAsync(scheduler, 2);
                string script = Path.Combine(AppContext.BaseDirectory, "python", "python_side.py");
                await using ChildProcess client = ChildProcess.Start(SystemPython, new[] { script, scheduler.Address, _full ? "full" : "smoke", addresses[0], addresses[1] }, _dask.Environment);
                string output = await client.CompleteAsync(TimeSpan.FromMinutes(10));
                string json = output.Split('\n').First(l => l.StartsWith("RESULT ", StringComparison.Ordinal)).Substring(7);
                var result = JsonSerializer.Deserialize<Dictionary<string, double>>(json)!;
                result["workers_peak_rss_mb"] = workers.Sum(w => ProcessMemory.PeakMegabytes(w.Id));
                return result;
            }
            finally
            {
                foreach (ChildProcess worker in workers)
                {
                    await worker.DisposeAsync();
                }

                await WorkerAddressesAsync(scheduler, 0);
            }
        }

        private async Task<Dictionary<string, double>> DaskPSSideAsync(LocalScheduler scheduler)
        {
            var workers = new List<ChildProcess>();
            try
            {
                string self = Environment.ProcessPath!;
                for (int i = 0; i < 2; i++)
                {
                    workers.Add(ChildProcess.Start(self, new[] { "worker", scheduler.Address, $"daskps{i}", "1" }));
                }

                string[] addresses = await WorkerAddressesAsync(scheduler, 2);
                await using DaskClient client = await DaskClient.ConnectAsync(scheduler.Address);
                var result = new Dictionary<string, double>();
                string functions = typeof(BenchFunctions).FullName!;

                var watch = Stopwatch.StartNew();
                DaskNode[] nodes = Enumerable.Range(0, Tasks).Select(i => DaskNode.Call(functions, "Inc", new object?[] { (long)i })).ToArray();
                client.Submit(nodes);
                IReadOnlyList<object?> values = await client.GatherAsync(nodes);
                result["throughput"] = Tasks / watch.Elapsed.TotalSeconds;
                Check(values.Select(v => (long)v!).SequenceEqual(Enumerable.Range(1, Tasks).Select(i => (long)i)), "throughput results");
                client.Release(nodes);

                var samples = new List<double>();
                for (int i = 0; i < RoundTrips; i++)
                {
                    // A distinct argument per trip: identical tasks would share a key and not run again.
                    watch.Restart();
                    DaskNode node = client.Submit(DaskNode.Call(functions, "Inc", new object?[] { 1_000_000L + i }));
                    Check(Equals(await client.ResultAsync(node), 1_000_001L + i), "round trip result");
                    samples.Add(watch.Elapsed.TotalMilliseconds);
                    client.Release(new[] { node });
                }

                samples.Sort();
                result["rtt_median_ms"] = samples[samples.Count / 2];
                result["rtt_p99_ms"] = samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.99))];

                watch.Restart();
                DaskNode[] leaves = Enumerable.Range(0, FanWidth).Select(i => DaskNode.Call(functions, "Inc", new object?[] { 2_000_000L + i })).ToArray();
                DaskNode total = client.Submit(DaskNode.Call(functions, "Total", new object?[] { leaves }));
                Check(Equals(await client.ResultAsync(total), Enumerable.Range(0, FanWidth).Sum(i => 2_000_001L + i)), "fan-in total");
                result["fan_seconds"] = watch.Elapsed.TotalSeconds;

                DaskNode big = client.Submit(DaskNode.Call(functions, "MakeBytes", new object?[] { BigBytes }, new DaskTaskOptions { Workers = new[] { addresses[0] } }));
                await client.WaitAsync(big);
                watch.Restart();
                DaskNode length = client.Submit(DaskNode.Call(functions, "Length", new object?[] { big }, new DaskTaskOptions { Workers = new[] { addresses[1] } }));
                Check(Equals(await client.ResultAsync(length), BigBytes), "transfer length");
                result["transfer_seconds"] = watch.Elapsed.TotalSeconds;
                watch.Restart();
                Check(((byte[])(await client.ResultAsync(big))!).Length == BigBytes, "gathered length");
                result["gather_big_seconds"] = watch.Elapsed.TotalSeconds;

                result["client_peak_rss_mb"] = ProcessMemory.PeakMegabytes(Environment.ProcessId);
                result["workers_peak_rss_mb"] = workers.Sum(w => ProcessMemory.PeakMegabytes(w.Id));
                return result;
            }
            finally
            {
                foreach (ChildProcess worker in workers)
                {
                    await worker.DisposeAsync();
                }
            }
        }

        /// <summary>Per-message encode and decode of a recorded compute-task batch, DaskPS vs Python's C msgpack.</summary>
        private async Task<(double PyEncode, double PyDecode, double CsEncode, double CsDecode)> CodecAsync()
        {
            // Frame 0 as dask sends it: payloads replaced by their placeholders.
            byte[] frame = MsgPackSerializer.Serialize(RecordedMessages.ComputeTaskBatch(), Protocol.DaskMessageConverter.ForWriting(new List<ReadOnlyMemory<byte>>(), compress: false));
            string file = Path.Combine(Path.GetTempPath(), $"daskps-codec-{Guid.NewGuid():N}.bin");
            await File.WriteAllBytesAsync(file, frame);
            try
            {
                const int rounds = 200_000;
                string code = "import msgpack,sys,timeit;b=open(sys.argv[1],'rb').read();o=msgpack.unpackb(b,raw=False,use_list=False,strict_map_key=False);" +
                              $"n={rounds};d=timeit.timeit(lambda:msgpack.unpackb(b,raw=False,use_list=False,strict_map_key=False),number=n)/n*1e6;" +
                              "e=timeit.timeit(lambda:msgpack.packb(o,use_bin_type=True),number=n)/n*1e6;print('CODEC',e,d)";
                await using ChildProcess python = ChildProcess.Start(SystemPython, new[] { "-c", code, file });
                string[] parts = (await python.CompleteAsync(TimeSpan.FromMinutes(2))).Split('\n').First(l => l.StartsWith("CODEC", StringComparison.Ordinal)).Split(' ');

                object? tree = MsgPackSerializer.Deserialize(frame);
                using var buffer = new Buffers.PooledBufferWriter(frame.Length * 2);
                for (int i = 0; i < 20_000; i++)
                {
                    buffer.Clear();
                    MsgPackSerializer.Serialize(buffer, tree);
                    MsgPackSerializer.Deserialize(frame);
                }

                var watch = Stopwatch.StartNew();
                for (int i = 0; i < rounds; i++)
                {
                    buffer.Clear();
                    MsgPackSerializer.Serialize(buffer, tree);
                }

                double encode = watch.Elapsed.TotalMilliseconds * 1000 / rounds;
                watch.Restart();
                for (int i = 0; i < rounds; i++)
                {
                    MsgPackSerializer.Deserialize(frame);
                }

                double decode = watch.Elapsed.TotalMilliseconds * 1000 / rounds;
                return (double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), encode, decode);
            }
            finally
            {
                File.Delete(file);
            }
        }

        internal static async Task<string[]> WorkerAddressesAsync(LocalScheduler scheduler, int count)
        {
            await using var pool = new Rpc.ConnectionPool();
            DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                var identity = (MsgMap)(await pool[scheduler.Address].CallAsync("identity"))!;
                string[] workers = ((MsgMap?)identity.Get("workers") ?? new MsgMap()).Keys.Cast<string>().OrderBy(a => a, StringComparer.Ordinal).ToArray();
                if (workers.Length == count)
                {
                    return workers;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The scheduler has {workers.Length} workers, expected {count}.");
                }

                await Task.Delay(50);
            }
        }

        private static void Check(bool condition, string what)
        {
            if (!condition)
            {
                throw new InvalidOperationException($"Wrong result: {what}.");
            }
        }

        private static void Print(Dictionary<string, double> python, Dictionary<string, double> daskps)
        {
            // Higher is better only for throughput; for the rest DaskPS's advantage is Python / DaskPS.
            var rows = new (string Key, string Label, bool HigherIsBetter)[]
            {
                ("throughput", "throughput (tasks/s)", true),
                ("rtt_median_ms", "round trip median (ms)", false),
                ("rtt_p99_ms", "round trip p99 (ms)", false),
                ("fan_seconds", "fan-out/fan-in (s)", false),
                ("transfer_seconds", "worker-to-worker transfer (s)", false),
                ("gather_big_seconds", "gather of the big value (s)", false),
                ("codec_encode_us", "codec encode compute-task (us)", false),
                ("codec_decode_us", "codec decode compute-task (us)", false),
                ("client_peak_rss_mb", "client peak RSS (MB)", false),
                ("workers_peak_rss_mb", "workers peak RSS, both (MB)", false),
            };
            Console.WriteLine();
            Console.WriteLine($"| {"measure",-32} | {"Python",12} | {"DaskPS",12} | {"DaskPS advantage",16} |");
            Console.WriteLine($"|{new string('-', 34)}|{new string('-', 14)}|{new string('-', 14)}|{new string('-', 18)}|");
            foreach ((string key, string label, bool higher) in rows)
            {
                double p = python.TryGetValue(key, out double pv) ? pv : double.NaN;
                double d = daskps.TryGetValue(key, out double dv) ? dv : double.NaN;
                double advantage = higher ? d / p : p / d;
                Console.WriteLine($"| {label,-32} | {p,12:0.###} | {d,12:0.###} | {advantage,15:0.00}x |");
            }
        }
    }
}
