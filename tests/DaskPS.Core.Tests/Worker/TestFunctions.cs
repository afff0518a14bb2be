using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Tasks;

namespace DaskPS.Core.Tests.Worker
{
    /// <summary>Public static methods the .NET runtime runs in tests (workers run in the test process).</summary>
    public static class TestFunctions
    {
        private static readonly ConcurrentDictionary<string, int> Calls = new ConcurrentDictionary<string, int>();

        public static long Add(long a, long b) => a + b;

        /// <summary>fib(n) by tasks that submit the two smaller ones and wait for them with their slot given up.</summary>
        public static async Task<long> Fibonacci(long n, TaskRun run)
        {
            if (n < 2)
            {
                return n;
            }

            DaskClient client = await run.GetClientAsync(run.Stopping);
            DaskNode[] parts = { Call(nameof(Fibonacci), n - 1), Call(nameof(Fibonacci), n - 2) };
            client.Submit(parts);
            IReadOnlyList<object?> values = await run.WaitOutsideSlotAsync(() => client.GatherAsync(parts, run.Stopping));
            return (long)values[0]! + (long)values[1]!;
        }

        /// <summary>Marks that it started, then waits until its run is stopped.</summary>
        public static async Task<long> UntilStopped(string tag, TaskRun run)
        {
            Calls.AddOrUpdate(tag, 1, (_, n) => n + 1);
            await Task.Delay(Timeout.Infinite, run.Stopping);
            return 0;
        }

        /// <summary>Marks that it started, then blocks its thread, deaf to its stop (as native code is).</summary>
        public static long IgnoringStop(string tag, long milliseconds)
        {
            Calls.AddOrUpdate(tag, 1, (_, n) => n + 1);
            Thread.Sleep(TimeSpan.FromMilliseconds(milliseconds));
            return milliseconds;
        }

        private static DaskNode Call(string method, params object?[] args) => DaskNode.Call(typeof(TestFunctions).FullName!, method, args);

        public static long Sum(long[] values)
        {
            long total = 0;
            foreach (long value in values)
            {
                total += value;
            }

            return total;
        }

        /// <summary>Counts calls per tag, returns the value.</summary>
        public static long Counted(string tag, long value)
        {
            Calls.AddOrUpdate(tag, 1, (_, n) => n + 1);
            return value;
        }

        public static int CallsOf(string tag) => Calls.TryGetValue(tag, out int n) ? n : 0;

        /// <summary>Fails the first <paramref name="failures"/> calls for a tag, then returns the number of calls.</summary>
        public static long Flaky(string tag, long failures)
        {
            int call = Calls.AddOrUpdate(tag, 1, (_, n) => n + 1);
            if (call <= failures)
            {
                throw new InvalidOperationException($"flaky failure {call} of {failures}");
            }

            return call;
        }

        public static long Sleep(long value, long milliseconds)
        {
            Thread.Sleep((int)milliseconds);
            return value;
        }

        public static byte[] RandomBytes(long count)
        {
            var bytes = new byte[count];
            new Random((int)count).NextBytes(bytes);
            return bytes;
        }

        public static long Fail(string message) => throw new ArgumentException(message);

        /// <summary>Blocks until released, to hold a slot.</summary>
        public static long Block(string tag)
        {
            Gates.GetOrAdd(tag, _ => new ManualResetEventSlim()).Wait(TimeSpan.FromSeconds(60));
            return 1;
        }

        public static void Release(string tag) => Gates.GetOrAdd(tag, _ => new ManualResetEventSlim()).Set();

        private static readonly ConcurrentDictionary<string, ManualResetEventSlim> Gates = new ConcurrentDictionary<string, ManualResetEventSlim>();
    }
}
