using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Client.Coordination;
using DaskPS.Protocol.MessagePack;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Client
{
    /// <summary>Queues, variables, locks, events and semaphores on the real scheduler, shared with Python clients.</summary>
    public sealed class CoordinationTests : IAsyncLifetime
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

        private DaskSchedulerProcess _scheduler = null!;
        private DaskClient _client = null!;
        private DaskClient _other = null!;

        public async Task InitializeAsync()
        {
            _scheduler = await DaskSchedulerProcess.StartAsync();
            _client = await DaskClient.ConnectAsync(_scheduler.Address);
            _other = await DaskClient.ConnectAsync(_scheduler.Address);
        }

        public async Task DisposeAsync()
        {
            if (_other is not null)
            {
                await _other.DisposeAsync();
            }

            if (_client is not null)
            {
                await _client.DisposeAsync();
            }

            await _scheduler.DisposeAsync();
        }

        [Fact]
        public async Task QueueItemsArriveInOrderAtAnotherClient()
        {
            object?[] items = { 1L, "two", null, new byte[] { 0, 255 }, new object?[] { 1L, new object?[] { "x" } }, new MsgMap().With("k", 2.5) };
            var queue = new DaskQueue(_client, "q");
            foreach (object? item in items)
            {
                Assert.True(await queue.PutAsync(item));
            }

            Assert.Equal(items.Length, await queue.CountAsync());
            var reader = new DaskQueue(_other, "q");
            for (int i = 0; i < items.Length; i++)
            {
                (bool found, object? item) = await reader.GetAsync(TimeSpan.FromSeconds(10));
                Assert.True(found);
                Assert.Equal(Json(items[i]), Json(item));
            }

            Assert.Equal(0, await queue.CountAsync());
        }

        [Fact]
        public async Task AnEmptyQueueTimesOutAndABatchTakesWhatIsThere()
        {
            var queue = new DaskQueue(_client, "empty");
            var watch = Stopwatch.StartNew();
            (bool found, _) = await queue.GetAsync(TimeSpan.FromMilliseconds(300));
            Assert.False(found);
            Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));

            Assert.Empty(await queue.GetAllAsync());
            await queue.PutAsync(1L);
            await queue.PutAsync(2L);
            Assert.Equal(new object?[] { 1L, 2L }, await queue.GetAllAsync());
        }

        [Fact]
        public async Task AWaitingGetEndsOnCancellationAndLosesNoItem()
        {
            var queue = new DaskQueue(_client, "cancelled");
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var watch = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.GetAsync(null, cancel.Token));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the cancelled get took {watch.Elapsed}");

            await queue.PutAsync("kept");
            Assert.Equal((true, (object?)"kept"), await new DaskQueue(_other, "cancelled").GetAsync(TimeSpan.FromSeconds(10)));
        }

        [Fact]
        public async Task ANodeIsSubmittedBeforeItsKeyIsQueuedOrSet()
        {
            await using TestCluster cluster = await TestCluster.StartAsync(workers: 1);
            await using DaskClient reader = await DaskClient.ConnectAsync(cluster.Address);
            DaskNode queued = DaskNode.Call(typeof(Math), "Abs", -5L);
            DaskNode set = DaskNode.Call(typeof(Math), "Abs", -6L);

            Assert.True(await new DaskQueue(cluster.Client, "nodes").PutAsync(queued, TimeSpan.FromSeconds(30)));
            await new DaskVariable(cluster.Client, "node").SetAsync(set).WaitAsync(Deadline);

            (bool found, object? item) = await new DaskQueue(reader, "nodes").GetAsync(Deadline);
            Assert.True(found);
            Assert.Equal(5L, await reader.ResultAsync(Assert.IsType<DaskNode>(item)).WaitAsync(Deadline));
            DaskNode fromVariable = Assert.IsType<DaskNode>((await new DaskVariable(reader, "node").GetAsync(Deadline)).Value);
            Assert.Equal(6L, await reader.ResultAsync(fromVariable).WaitAsync(Deadline));
        }

        [Fact]
        public async Task ValuesOutsideThePlainFamilyAreRefusedByName()
        {
            var queue = new DaskQueue(_client, "refused");
            var error = await Assert.ThrowsAsync<DaskValueNotPlainException>(() => queue.PutAsync(new Version(1, 2)));
            Assert.Contains("System.Version", error.Message);
            await Assert.ThrowsAsync<DaskValueNotPlainException>(() => new DaskVariable(_client, "v").SetAsync(new MsgMap { [1L] = "int key" }));
            await Assert.ThrowsAsync<DaskValueNotPlainException>(() => queue.PutAsync(new object?[] { DaskNode.Data("k") }));
        }

        [Fact]
        public async Task AVariableIsSharedReplacedAndDeleted()
        {
            var variable = new DaskVariable(_client, "v");
            (bool found, _) = await variable.GetAsync(TimeSpan.FromMilliseconds(200));
            Assert.False(found);

            await variable.SetAsync(new MsgMap().With("n", 1L));
            await variable.SetAsync("second");
            Assert.Equal((true, (object?)"second"), await new DaskVariable(_other, "v").GetAsync(TimeSpan.FromSeconds(5)));

            variable.Delete();
            await Eventually.TrueAsync(async () => !(await new DaskVariable(_other, "v").GetAsync(TimeSpan.Zero)).Found, Deadline, "the variable is deleted");
        }

        [Fact]
        public async Task AVariableGetWaitsForTheSet()
        {
            Task<(bool Found, object? Value)> waiting = new DaskVariable(_other, "later").GetAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(200);
            Assert.False(waiting.IsCompleted);
            await new DaskVariable(_client, "later").SetAsync(42L);
            Assert.Equal((true, (object?)42L), await waiting.WaitAsync(Deadline));
        }

        [Fact]
        public async Task ALockExcludesAnotherClientUntilReleased()
        {
            var mine = new DaskLock(_client, "L");
            var theirs = new DaskLock(_other, "L");
            Assert.True(await mine.AcquireAsync(TimeSpan.FromSeconds(5)));
            Assert.False(await theirs.AcquireAsync(TimeSpan.FromMilliseconds(300)));
            await Assert.ThrowsAsync<DaskNotHeldException>(() => theirs.ReleaseAsync());

            Task<bool> waiting = theirs.AcquireAsync(TimeSpan.FromSeconds(30));
            await mine.ReleaseAsync();
            Assert.True(await waiting.WaitAsync(Deadline));
            await theirs.ReleaseAsync();
            await Assert.ThrowsAsync<DaskNotHeldException>(() => theirs.ReleaseAsync());
        }

        [Fact]
        public async Task ACancelledLockWaitLeavesTheLockFree()
        {
            var mine = new DaskLock(_client, "C");
            Assert.True(await mine.AcquireAsync());
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new DaskLock(_other, "C").AcquireAsync(null, cancel.Token));
            await mine.ReleaseAsync();

            var third = new DaskLock(_client, "C");
            Assert.True(await third.AcquireAsync(TimeSpan.FromSeconds(5)));
            await third.ReleaseAsync();
        }

        [Fact]
        public async Task AMultiLockTakesItsLocksTogetherOrAChosenNumber()
        {
            var ab = new DaskMultiLock(_client, new[] { "a", "b" });
            var bc = new DaskMultiLock(_other, new[] { "c", "b" });
            Assert.True(await ab.AcquireAsync(null, TimeSpan.FromSeconds(5)));
            Assert.False(await bc.AcquireAsync(null, TimeSpan.FromMilliseconds(300)));
            Assert.True(await bc.AcquireAsync(1, TimeSpan.FromSeconds(5)));
            await bc.ReleaseAsync();

            Task<bool> waiting = bc.AcquireAsync(null, TimeSpan.FromSeconds(30));
            await new DaskMultiLock(_client, new[] { "b", "a" }).ReleaseAsync();
            Assert.True(await waiting.WaitAsync(Deadline));
            await bc.ReleaseAsync();
            await Assert.ThrowsAsync<DaskNotHeldException>(() => bc.ReleaseAsync());
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ab.AcquireAsync(3, TimeSpan.Zero));
        }

        [Fact]
        public async Task AnEventWakesItsWaiters()
        {
            var setter = new DaskEvent(_client, "E");
            var waiter = new DaskEvent(_other, "E");
            Assert.False(await waiter.IsSetAsync());
            Assert.False(await waiter.WaitAsync(TimeSpan.FromMilliseconds(200)));

            Task<bool> waiting = waiter.WaitAsync(TimeSpan.FromSeconds(30));
            await setter.SetAsync();
            Assert.True(await waiting.WaitAsync(Deadline));
            Assert.True(await waiter.IsSetAsync());

            await setter.ClearAsync();
            Assert.False(await waiter.IsSetAsync());
        }

        [Fact]
        public async Task ASemaphoreGrantsItsLeasesAndNoMore()
        {
            var first = new DaskSemaphore(_client, "S", 2);
            var second = new DaskSemaphore(_other, "S", 2);
            Assert.True(await first.AcquireAsync(TimeSpan.FromSeconds(5)));
            Assert.True(await second.AcquireAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal(2, await first.CountHeldAsync());
            Assert.False(await first.AcquireAsync(TimeSpan.FromMilliseconds(300)));

            await second.ReleaseAsync();
            Assert.True(await first.AcquireAsync(TimeSpan.FromSeconds(5)));
            await first.ReleaseAsync();
            await first.ReleaseAsync();
            await Assert.ThrowsAsync<DaskNotHeldException>(() => first.ReleaseAsync());
            await Assert.ThrowsAsync<ArgumentException>(() => new DaskSemaphore(_client, "S", 3).AcquireAsync(TimeSpan.FromSeconds(1)));
        }

        [Fact]
        public async Task HeldLeasesAreRefreshedAndALostHoldersLeaseExpires()
        {
            // The scheduler drops leases not refreshed for 5 s (the setting before 2024.7.1, what clients register after).
            // Shorter leases made this test fail on a loaded 2-core machine: refreshes every 200 ms of a 1 s lease, and
            // every 400 ms of a 2 s lease, waited behind the busy thread pool of the tests beside it for longer than the
            // 0.8 s and 1.6 s they had.
            var shortLeases = new System.Collections.Generic.Dictionary<string, string>
            {
                ["DASK_DISTRIBUTED__SCHEDULER__LOCKS__LEASE_TIMEOUT"] = "5s",
                ["DASK_DISTRIBUTED__SCHEDULER__LOCKS__LEASE_VALIDATION_INTERVAL"] = "100ms",
            };
            await using DaskSchedulerProcess scheduler = await DaskSchedulerProcess.StartAsync(environment: shortLeases);
            var options = new DaskClientOptions { LeaseTimeout = TimeSpan.FromSeconds(5) };
            await using DaskClient holder = await DaskClient.ConnectAsync(scheduler.Address, options);
            await using DaskClient waiter = await DaskClient.ConnectAsync(scheduler.Address, options);

            var held = new DaskSemaphore(holder, "kept", 1);
            Assert.True(await held.AcquireAsync(TimeSpan.FromSeconds(5)));
            // Two lease timeouts on, the refreshed lease is still held.
            Assert.False(await new DaskSemaphore(waiter, "kept", 1).AcquireAsync(2 * options.LeaseTimeout));
            await held.ReleaseAsync();

            Assert.True(await new DaskSemaphore(holder, "lost", 1).AcquireAsync(TimeSpan.FromSeconds(5)));
            await holder.DisposeAsync();
            var watch = Stopwatch.StartNew();
            Assert.True(await new DaskSemaphore(waiter, "lost", 1).AcquireAsync(Deadline));
            Assert.True(watch.Elapsed < 3 * options.LeaseTimeout, $"the lost holder's lease lasted {watch.Elapsed}");
        }

        [Fact]
        public async Task APythonClientReadsWhatThisClientWroteAndWritesWhatItReads()
        {
            object?[] items = { 1L, "ünï", 2.5, null, false, new byte[] { 1, 2, 3 }, new object?[] { 1L, new object?[] { "x" } }, new MsgMap().With("a", new MsgMap().With("b", 1L)) };
            var queue = new DaskQueue(_client, "from-ps");
            foreach (object? item in items)
            {
                await queue.PutAsync(item);
            }

            await new DaskVariable(_client, "from-ps").SetAsync(new MsgMap().With("list", new object?[] { 1L, 2L }).With("bytes", new byte[] { 9 }));

            string output = await PythonProcess.RunAsync(_scheduler.Dask, new[] { Script(), _scheduler.Address, "data", items.Length.ToString() }, Deadline);

            Assert.Equal(Json(items), Line(output, "QUEUE "));
            Assert.Equal("{\"list\":[1,2],\"bytes\":{\"bytes\":\"09\"}}", Line(output, "VARIABLE "));
            var fromPython = new DaskQueue(_client, "from-py");
            var received = new object?[10];
            for (int i = 0; i < received.Length; i++)
            {
                (bool found, object? item) = await fromPython.GetAsync(TimeSpan.FromSeconds(10));
                Assert.True(found);
                received[i] = item;
            }

            Assert.Equal("[7,\"two\",3.5,null,true,{\"bytes\":\"0001ff\"},[1,[2,\"x\"]],{\"a\":{\"b\":[1,2]},\"e\":{}},\"ünï\",-1099511627776]", Json(received));
            Assert.Equal("{\"x\":[1,2],\"s\":\"ü\"}", Json((await new DaskVariable(_client, "from-py").GetAsync(TimeSpan.FromSeconds(10))).Value));
        }

        [Fact]
        public async Task LocksAndSemaphoresExcludeAPythonClient()
        {
            await using PythonProcess python = PythonProcess.Start(_scheduler.Dask, new[] { Script(), _scheduler.Address, "lock" });
            Assert.True(await new DaskEvent(_client, "py-holds").WaitAsync(Deadline), python.Output);

            var theLock = new DaskLock(_client, "shared");
            var pool = new DaskSemaphore(_client, "pool", 2);
            var multi = new DaskMultiLock(_client, new[] { "m2", "m3" });
            Assert.False(await theLock.AcquireAsync(TimeSpan.FromMilliseconds(300)));
            Assert.False(await multi.AcquireAsync(null, TimeSpan.FromMilliseconds(300)));
            Assert.True(await multi.AcquireAsync(1, TimeSpan.FromSeconds(5)));
            await multi.ReleaseAsync();
            Assert.True(await pool.AcquireAsync(TimeSpan.FromSeconds(5)));
            Assert.False(await pool.AcquireAsync(TimeSpan.FromMilliseconds(300)));

            await new DaskEvent(_client, "ps-done").SetAsync();
            Assert.True(await theLock.AcquireAsync(Deadline));
            Assert.True(await pool.AcquireAsync(Deadline));
            Assert.True(await multi.AcquireAsync(null, Deadline));
            Assert.Contains("RELEASED", await python.CompleteAsync(Deadline));
            await theLock.ReleaseAsync();
            await multi.ReleaseAsync();
        }

        [Fact]
        public async Task APythonFutureInAQueueOrVariableIsANodeOfThisClient()
        {
            await using PythonProcess worker = PythonWorkerProcess.Start(_scheduler, "py");
            await _client.WaitForWorkersAsync(1, Deadline);
            await using PythonProcess python = PythonProcess.Start(_scheduler.Dask, new[] { Script(), _scheduler.Address, "future" });
            string key = (await python.WaitForLineAsync(l => l.StartsWith("KEY ", StringComparison.Ordinal), Deadline)).Substring(4).Trim();

            (bool found, object? item) = await new DaskQueue(_client, "futures").GetAsync(Deadline);
            Assert.True(found);
            DaskNode fromQueue = Assert.IsType<DaskNode>(item);
            DaskNode fromVariable = Assert.IsType<DaskNode>((await new DaskVariable(_client, "future").GetAsync(Deadline)).Value);
            Assert.Equal(key, fromQueue.Key);
            Assert.Equal(key, fromVariable.Key);
            await _client.WaitAsync(fromQueue).WaitAsync(Deadline);
            await new DaskEvent(_client, "ps-has-future").SetAsync();
            await python.CompleteAsync(Deadline);
        }

        private static string Script() => Path.Combine(AppContext.BaseDirectory, "Client", "python", "coordination_peer.py");

        private static string Line(string output, string prefix) =>
            output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?.Substring(prefix.Length)
                ?? throw new Xunit.Sdk.XunitException($"No line starting '{prefix}' in:\n{output}");

        /// <summary>The JSON the Python peer prints for a value: bytes as {"bytes": hex}.</summary>
        private static string Json(object? value) => JsonSerializer.Serialize(Plain(value), new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        private static object? Plain(object? value) => value switch
        {
            byte[] bytes => new System.Collections.Generic.Dictionary<string, string> { ["bytes"] = Convert.ToHexString(bytes).ToLowerInvariant() },
            object?[] items => items.Select(Plain).ToArray(),
            MsgMap map => map.ToDictionary(e => (string)e.Key, e => Plain(e.Value)),
            _ => value,
        };
    }
}
