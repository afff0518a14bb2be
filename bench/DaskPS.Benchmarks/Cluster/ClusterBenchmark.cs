using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
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
    /// worker processes, doing the same work; prints a table of both and their ratio. Every task workload also reports
    /// the scheduler's CPU time per task in that run and the share of the scheduler's limit it reached; the transfers
    /// are compared with a plain loopback socket moving the same bytes in the same run.
    /// </summary>
    internal sealed class ClusterBenchmark
    {
        /// <summary>
        /// Between idle round trips: dask's scheduler batches messages to a worker every 5 ms, so a trip that starts
        /// within 5 ms of the last message waits for the next batch; after twice that the cluster is idle.
        /// </summary>
        public const int IdlePauseMilliseconds = 10;

        private const string SystemPython = DaskInstallation.SystemPython;
        private readonly bool _full;
        private readonly DaskInstallation _dask;

        public ClusterBenchmark(bool full, DaskInstallation dask)
        {
            _full = full;
            _dask = dask;
        }

        private int Tasks => _full ? 10_000 : 200;

        private int RoundTrips => _full ? 200 : 30;

        private int FanWidth => _full ? 1_000 : 50;

        private long BigBytes => _full ? 1_000_000_000 : 1_000_000;

        /// <summary>Transfers and gathers of the big value, best of these, as the loopback socket's figure is; peaks from the first.</summary>
        public const int BigRounds = 3;

        public async Task<int> RunAsync()
        {
            await using LocalScheduler scheduler = await LocalScheduler.StartAsync(_dask.SchedulerOptions());
            var meter = new SchedulerMeter(scheduler.ProcessId);
            Table.PrintMachine(await DaskVersionAsync(_dask));
            Console.WriteLine($"scheduler {scheduler.Address}, size {(_full ? "full" : "smoke")}");
            Dictionary<string, double> python = await PythonSideAsync(scheduler);
            Dictionary<string, double> daskps = await DaskPSSideAsync(scheduler, meter);
            // After both sides' memory peaks were read: this process holds the bytes twice while it measures.
            double loopback = await LoopbackSocket.BytesPerSecondAsync(BenchFunctions.MakeBytes(BigBytes));
            foreach (Dictionary<string, double> side in new[] { python, daskps })
            {
                side["loopback_mb_s"] = loopback / 1e6;
                foreach (string transfer in new[] { "transfer", "gather_big" })
                {
                    side[transfer + "_mb_s"] = BigBytes / side[transfer + "_seconds"] / 1e6;
                    side[transfer + "_loopback_share"] = BigBytes / side[transfer + "_seconds"] / loopback;
                }
            }

            (python["codec_encode_us"], python["codec_decode_us"], daskps["codec_encode_us"], daskps["codec_decode_us"]) = await CodecAsync();
            Print(python, daskps);
            return 0;
        }

        /// <summary>The release of dask.distributed an installation holds.</summary>
        internal static async Task<string> DaskVersionAsync(DaskInstallation dask)
        {
            await using ChildProcess python = ChildProcess.Start(SystemPython, new[] { "-c", "import distributed; print(distributed.__version__)" }, dask.Environment);
            return (await python.CompleteAsync(TimeSpan.FromMinutes(1))).Trim();
        }

        /// <summary>python_side.py's one "RESULT {json}" line.</summary>
        internal static Dictionary<string, double> PythonResult(string line) =>
            JsonSerializer.Deserialize<Dictionary<string, double>>(line.Substring("RESULT ".Length))!;

        private async Task<Dictionary<string, double>> PythonSideAsync(LocalScheduler scheduler)
        {
            await using WorkerGroup workers = await WorkerGroup.StartPythonAsync(scheduler, _dask, 2);
            string script = Path.Combine(AppContext.BaseDirectory, "python", "python_side.py");
            await using ChildProcess client = ChildProcess.Start(SystemPython, new[]
            {
                script, "standard", scheduler.Address, Invariant(scheduler.ProcessId), workers.Addresses[0], workers.Addresses[1],
                Invariant(Tasks), Invariant(RoundTrips), Invariant(FanWidth), Invariant(BigBytes), Invariant(BigRounds), Invariant(IdlePauseMilliseconds),
            }, _dask.Environment);
            string output = await client.CompleteAsync(TimeSpan.FromMinutes(10));
            Dictionary<string, double> result = PythonResult(output.Split('\n').First(l => l.StartsWith("RESULT ", StringComparison.Ordinal)));
            result["workers_peak_rss_mb"] = workers.PeakMegabytes;
            return result;
        }

        private async Task<Dictionary<string, double>> DaskPSSideAsync(LocalScheduler scheduler, SchedulerMeter meter)
        {
            await using WorkerGroup workers = await WorkerGroup.StartDaskPSAsync(scheduler, 2);
            string[] addresses = workers.Addresses;
            await using DaskClient client = await DaskClient.ConnectAsync(scheduler.Address);
            var result = new Dictionary<string, double>();

            DaskNode[] nodes = Incs(0, Tasks);
            IReadOnlyList<object?> values = Array.Empty<object?>();
            Measured map = await meter.MeasureAsync(Tasks, async () =>
            {
                client.Submit(nodes);
                values = await client.GatherAsync(nodes);
            });
            map.AddTo(result, "map");
            Check(values.Select(v => (long)v!).SequenceEqual(Enumerable.Range(1, Tasks).Select(i => (long)i)), "map results");
            client.Release(nodes);

            await RoundTripsAsync(client, meter, result, "rtt_idle", 1_000_000, IdlePauseMilliseconds);
            await RoundTripsAsync(client, meter, result, "rtt_b2b", 2_000_000, 0);

            // Busy: the trips run while a map of Tasks keeps both workers occupied; only trips that ended before it did count.
            DaskNode[] background = Incs(3_000_000, Tasks);
            client.Submit(background);
            Task<IReadOnlyList<object?>> backgroundDone = client.GatherAsync(background);
            var busy = new List<double>();
            var watch = new Stopwatch();
            for (int i = 0; i < RoundTrips; i++)
            {
                watch.Restart();
                DaskNode node = client.Submit(Inc(4_000_000 + i));
                Check(Equals(await client.ResultAsync(node), 4_000_001L + i), "busy round trip result");
                double milliseconds = watch.Elapsed.TotalMilliseconds;
                client.Release(new[] { node });
                if (backgroundDone.IsCompleted)
                {
                    break;
                }

                busy.Add(milliseconds);
            }

            await backgroundDone;
            client.Release(background);
            Percentiles(result, "rtt_busy", busy);
            result["rtt_busy_trips"] = busy.Count;

            DaskNode[] leaves = Incs(5_000_000, FanWidth);
            DaskNode total = DaskNode.Call(Functions, nameof(BenchFunctions.Total), new object?[] { leaves });
            (await meter.MeasureAsync(FanWidth + 1, async () =>
            {
                client.Submit(total);
                Check(Equals(await client.ResultAsync(total), Enumerable.Range(0, FanWidth).Sum(i => 5_000_001L + i)), "fan-in total");
            })).AddTo(result, "fan");

            int holder = workers.Processes[0].Id, receiver = workers.Processes[1].Id;
            double holderBaseline = ProcessMemory.ResidentBytes(holder), receiverBaseline = ProcessMemory.ResidentBytes(receiver);
            result["transfer_seconds"] = result["gather_big_seconds"] = double.MaxValue;
            for (int round = 0; round < BigRounds; round++)
            {
                DaskNode big = client.Submit(DaskNode.Call(Functions, nameof(BenchFunctions.MakeBytes), new object?[] { BigBytes }, new DaskTaskOptions { Key = $"big-{round}", Workers = new[] { addresses[0] } }));
                await client.WaitAsync(big);
                watch.Restart();
                DaskNode length = client.Submit(DaskNode.Call(Functions, nameof(BenchFunctions.Length), new object?[] { big }, new DaskTaskOptions { Workers = new[] { addresses[1] } }));
                Check(Equals(await client.ResultAsync(length), BigBytes), "transfer length");
                result["transfer_seconds"] = Math.Min(result["transfer_seconds"], watch.Elapsed.TotalSeconds);
                double clientBaseline = ProcessMemory.ResidentBytes(Environment.ProcessId);
                watch.Restart();
                Check(((byte[])(await client.ResultAsync(big))!).Length == BigBytes, "gathered length");
                result["gather_big_seconds"] = Math.Min(result["gather_big_seconds"], watch.Elapsed.TotalSeconds);
                if (round == 0)
                {
                    // Peaks only rise: the later rounds' would count garbage of the earlier ones.
                    result["client_big_peak_x"] = (ProcessMemory.PeakBytes(Environment.ProcessId) - clientBaseline) / BigBytes;
                    result["holder_big_peak_x"] = (ProcessMemory.PeakBytes(holder) - holderBaseline) / BigBytes;
                    result["receiver_big_peak_x"] = (ProcessMemory.PeakBytes(receiver) - receiverBaseline) / BigBytes;
                }

                client.Release(new[] { big, length });
                // The gathered value is dropped: the next round's lands on the same pages, as the loopback socket's does.
                GC.Collect();
            }

            result["client_peak_rss_mb"] = ProcessMemory.PeakMegabytes(Environment.ProcessId);
            result["workers_peak_rss_mb"] = workers.PeakMegabytes;
            return result;
        }

        private static string Functions => typeof(BenchFunctions).FullName!;

        /// <summary>Inc of <paramref name="first"/> onwards: distinct arguments, since identical tasks would share a key and not run again.</summary>
        private static DaskNode[] Incs(long first, int count) => Enumerable.Range(0, count).Select(i => Inc(first + i)).ToArray();

        private static DaskNode Inc(long x) => DaskNode.Call(Functions, nameof(BenchFunctions.Inc), new object?[] { x });

        /// <summary>One task at a time, <paramref name="pauseMilliseconds"/> apart; p50 and p90 of submit → result.</summary>
        private async Task RoundTripsAsync(DaskClient client, SchedulerMeter meter, Dictionary<string, double> result, string name, long first, int pauseMilliseconds)
        {
            var samples = new List<double>();
            (await meter.MeasureAsync(RoundTrips, async () =>
            {
                var watch = new Stopwatch();
                for (int i = 0; i < RoundTrips; i++)
                {
                    if (pauseMilliseconds > 0)
                    {
                        await Task.Delay(pauseMilliseconds);
                    }

                    watch.Restart();
                    DaskNode node = client.Submit(Inc(first + i));
                    Check(Equals(await client.ResultAsync(node), first + i + 1), "round trip result");
                    samples.Add(watch.Elapsed.TotalMilliseconds);
                    client.Release(new[] { node });
                }
            })).AddTo(result, name);
            Percentiles(result, name, samples);
        }

        /// <summary>p50 and p90 in milliseconds; python_side.py's percentiles() writes the same keys.</summary>
        private static void Percentiles(Dictionary<string, double> result, string name, List<double> milliseconds)
        {
            if (milliseconds.Count == 0)
            {
                return;
            }

            milliseconds.Sort();
            result[name + "_p50_ms"] = milliseconds[milliseconds.Count / 2];
            result[name + "_p90_ms"] = milliseconds[Math.Min(milliseconds.Count - 1, (int)(milliseconds.Count * 0.9))];
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

        internal static void Check(bool condition, string what)
        {
            if (!condition)
            {
                throw new InvalidOperationException($"Wrong result: {what}.");
            }
        }

        internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

        private void Print(Dictionary<string, double> python, Dictionary<string, double> daskps)
        {
            // "advantage": DaskPS's figure over Python's where higher is better, Python's over DaskPS's elsewhere.
            var rows = new (string Key, string Label, bool HigherIsBetter)[]
            {
                ("map_tasks_per_s", $"map of {Tasks}: tasks/s", true),
                ("map_sched_cpu_us", "map: scheduler CPU per task (us)", false),
                ("map_sched_share", "map: share of scheduler limit", true),
                ("fan_seconds", $"fan-out/fan-in of {FanWidth}: s", false),
                ("fan_sched_cpu_us", "fan: scheduler CPU per task (us)", false),
                ("fan_sched_share", "fan: share of scheduler limit", true),
                ("rtt_idle_p50_ms", "round trip idle p50 (ms)", false),
                ("rtt_idle_p90_ms", "round trip idle p90 (ms)", false),
                ("rtt_idle_sched_cpu_us", "round trip: scheduler CPU per trip (us)", false),
                ("rtt_b2b_p50_ms", "round trip back-to-back p50 (ms)", false),
                ("rtt_b2b_p90_ms", "round trip back-to-back p90 (ms)", false),
                ("rtt_busy_p50_ms", "round trip busy p50 (ms)", false),
                ("rtt_busy_p90_ms", "round trip busy p90 (ms)", false),
                ("rtt_busy_trips", "busy trips that ended before the map", true),
                ("loopback_mb_s", "raw loopback socket (MB/s)", true),
                ("transfer_mb_s", "worker-to-worker transfer (MB/s)", true),
                ("transfer_loopback_share", "transfer: share of loopback", true),
                ("gather_big_mb_s", "gather of the big value (MB/s)", true),
                ("gather_big_loopback_share", "gather: share of loopback", true),
                ("client_big_peak_x", "gather: client peak / value", false),
                ("holder_big_peak_x", "sending worker peak / value", false),
                ("receiver_big_peak_x", "receiving worker peak / value", false),
                ("codec_encode_us", "codec encode compute-task (us)", false),
                ("codec_decode_us", "codec decode compute-task (us)", false),
                ("client_peak_rss_mb", "client peak RSS (MB)", false),
                ("workers_peak_rss_mb", "workers peak RSS, both (MB)", false),
            };
            Console.WriteLine($"big value {BigBytes:#,0} bytes; {RoundTrips} round trips each; idle trips {IdlePauseMilliseconds} ms apart");
            Table.Print(new[] { "measure", "Python", "DaskPS", "DaskPS advantage" }, rows.Select(row =>
            {
                double p = python.TryGetValue(row.Key, out double pv) ? pv : double.NaN;
                double d = daskps.TryGetValue(row.Key, out double dv) ? dv : double.NaN;
                return (IReadOnlyList<string>)new[] { row.Label, Table.Figure(p), Table.Figure(d), Table.Ratio(row.HigherIsBetter ? d / p : p / d) };
            }));
        }
    }
}
