using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Hosting;

namespace DaskPS.Demo
{
    /// <summary>Functions the demo's tasks call; the workers run in this process, so they find them.</summary>
    public static class Numbers
    {
        public static long Square(long x) => x * x;

        public static long Sum(long[] values) => values.Sum();
    }

    public static class Program
    {
        public static async Task<int> Main()
        {
            var watch = Stopwatch.StartNew();
            await using LocalCluster cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2 });
            DaskClient client = cluster.Client;
            Console.WriteLine($"Local cluster: dask-scheduler {cluster.Address} (dask.distributed {client.Dialect.Name}), workers {string.Join(", ", cluster.Workers.Select(w => w.Address))}");

            // a = 3 on one worker, b = 4 on the other: c = max(a, b) needs one of them moved to the other worker.
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L }, new DaskTaskOptions { Workers = new[] { cluster.Workers[0].Address } });
            DaskNode b = DaskNode.Call("System.Math", "Abs", new object?[] { -4L }, new DaskTaskOptions { Workers = new[] { cluster.Workers[1].Address } });
            DaskNode c = client.Submit(DaskNode.Call(typeof(Math), "Max", a, b));
            Console.WriteLine($"max(a, b) = {await client.ResultAsync(c)}   (key {c.Key})");

            // Fan-out/fan-in: 100 squares, then their sum.
            DaskNode[] squares = Enumerable.Range(1, 100).Select(i => DaskNode.Call(typeof(Numbers), "Square", (long)i)).ToArray();
            DaskNode total = client.Submit(DaskNode.Call(typeof(Numbers), "Sum", new object?[] { squares }));
            long expected = Enumerable.Range(1, 100).Sum(i => (long)i * i);
            object? sum = await client.ResultAsync(total);
            Console.WriteLine($"sum of squares 1..100 = {sum}   (expected {expected}; {cluster.Workers[0].TasksRun} + {cluster.Workers[1].TasksRun} tasks per worker)");

            Console.WriteLine($"Done in {watch.Elapsed.TotalSeconds:0.0} s; stopping the cluster.");
            return Equals(sum, expected) && Equals(await client.ResultAsync(c), 4L) ? 0 : 1;
        }
    }
}
