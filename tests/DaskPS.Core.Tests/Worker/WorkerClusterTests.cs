using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Diagnostics;
using DaskPS.Protocol.MessagePack;
using DaskPS.Testing;
using DaskPS.Worker;

namespace DaskPS.Core.Tests.Worker
{
    /// <summary>A real scheduler with two DaskPS workers (in this process) and a DaskPS client.</summary>
    public sealed class WorkerClusterTests : IAsyncLifetime
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
        private static readonly string Functions = typeof(TestFunctions).FullName!;

        private TestCluster _cluster = null!;

        private DaskWorker Worker1 => _cluster.Workers[0];

        private DaskWorker Worker2 => _cluster.Workers[1];

        private DaskClient Client => _cluster.Client;

        private string SchedulerAddress => _cluster.Address;

        public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(2);

        public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

        [Fact]
        public async Task MaxOfTwoPinnedValuesNeedsAPeerTransfer()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L }, new DaskTaskOptions { Workers = new[] { Worker1.Address } });
            DaskNode b = DaskNode.Call("System.Math", "Abs", new object?[] { -4L }, new DaskTaskOptions { Workers = new[] { Worker2.Address } });
            DaskNode c = DaskNode.Call("System.Math", "Max", new object?[] { a, b }, new DaskTaskOptions { Workers = new[] { Worker1.Address } });

            Client.Submit(c);

            Assert.Equal(4L, await Client.ResultAsync(c).WaitAsync(Deadline));
            IReadOnlyDictionary<string, IReadOnlyList<string>> whoHas = await Client.WhoHasAsync(new[] { b });
            Assert.Contains(Worker1.Address, whoHas[b.Key]);
        }

        [Fact]
        public async Task SubmissionsMadeOneByOneReachTheSchedulerAsFewUpdateGraphs()
        {
            var log = new ConcurrentQueue<string>();
            var options = new DaskClientOptions { Logger = new DaskLogger((_, line) => log.Enqueue(line), DaskLogLevel.Debug) };
            await using DaskClient client = await DaskClient.ConnectAsync(SchedulerAddress, options);

            // As a pipeline submits: one node per call. A node made by hand with its own key is encoded only with its
            // graph; one that cannot be fails alone.
            DaskNode[] nodes = Enumerable.Range(0, 300).Select(i => client.Submit(DaskNode.Call(Functions, "Add", new object?[] { (long)i, 1L }))).ToArray();
            DaskNode unsendable = client.Submit(DaskNode.Task("dotnet", new MsgMap().With("method", new System.IO.MemoryStream()), Array.Empty<object?>(), new DaskTaskOptions { Key = "unsendable" }));
            DaskNode after = client.Submit(DaskNode.Call(Functions, "Add", new object?[] { 1000L, 1L }));

            object?[] results = await Task.WhenAll(nodes.Append(after).Select(n => client.ResultAsync(n))).WaitAsync(Deadline);
            Assert.Equal(Enumerable.Range(1, 300).Select(i => (object?)(long)i).Append(1001L), results);
            DaskException refused = await Assert.ThrowsAnyAsync<DaskException>(() => client.ResultAsync(unsendable).WaitAsync(Deadline));
            Assert.Contains("could not be sent to the scheduler", refused.Message);

            int[] graphs = log.Where(l => l.StartsWith("update-graph: ", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ')[1])).ToArray();
            Assert.Equal(302, graphs.Sum());
            Assert.True(graphs.Length <= nodes.Length / 4, $"{graphs.Length} update-graphs for {nodes.Length + 2} submissions");
        }

        [Fact]
        public async Task AThousandNodeFanOutFanIn()
        {
            DaskNode[] leaves = Enumerable.Range(0, 1000).Select(i => DaskNode.Call(Functions, "Add", new object?[] { (long)i, 1L })).ToArray();
            DaskNode total = DaskNode.Call(Functions, "Sum", new object?[] { leaves });

            Client.Submit(total);

            Assert.Equal(Enumerable.Range(1, 1000).Sum(), (long)(await Client.ResultAsync(total).WaitAsync(Deadline))!);
            Assert.True(Worker1.TasksRun > 0 && Worker2.TasksRun > 0, $"work was not shared: {Worker1.TasksRun} / {Worker2.TasksRun}");
        }

        [Fact]
        public async Task KeysNoNodeRefersToAreReleasedAndTheWorkersDropThem()
        {
            string[] dropped = await RunAndForgetAsync(20);
            long seed = Environment.TickCount64;
            DaskNode kept = DaskNode.Call(Functions, "Add", new object?[] { seed, 1L });
            await Client.ResultAsync(Client.Submit(kept)).WaitAsync(Deadline);

            await Eventually.TrueAsync(() =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return !HeldKeys().Intersect(dropped).Any();
            }, Deadline, "the forgotten nodes' keys to leave the workers");

            // A node still referred to keeps its key and value.
            Assert.Contains(kept.Key, HeldKeys());
            Assert.Equal(seed + 1, await Client.ResultAsync(kept));
        }

        // Apart, so that nothing on the caller's stack refers to the nodes afterwards.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private async Task<string[]> RunAndForgetAsync(int count)
        {
            DaskNode[] nodes = Enumerable.Range(0, count).Select(i => DaskNode.Call(Functions, "Add", new object?[] { (long)i, Environment.TickCount64 })).ToArray();
            Client.Submit(nodes);
            await Client.GatherAsync(nodes).WaitAsync(Deadline);
            Assert.Subset(HeldKeys().ToHashSet(), nodes.Select(n => n.Key).ToHashSet());
            return nodes.Select(n => n.Key).ToArray();
        }

        private IEnumerable<string> HeldKeys() => Worker1.Keys.Concat(Worker2.Keys).Select(k => k.ToString()!).ToArray();

        [Fact]
        public async Task AFailureSurfacesAndItsDependentsNameIt()
        {
            DaskNode bad = DaskNode.Call(Functions, "Fail", new object?[] { "boom-" + Guid.NewGuid().ToString("N") });
            DaskNode dependent = DaskNode.Call(Functions, "Add", new object?[] { bad, 1L });

            Client.Submit(dependent);

            var error = await Assert.ThrowsAsync<DaskTaskException>(() => Client.WaitAsync(bad).WaitAsync(Deadline));
            Assert.Equal("System.ArgumentException", error.RemoteType);
            Assert.StartsWith("boom-", error.RemoteMessage);
            Assert.Contains("TestFunctions.Fail", error.RemoteTraceback);
            var dependency = await Assert.ThrowsAsync<DaskDependencyException>(() => Client.WaitAsync(dependent).WaitAsync(Deadline));
            Assert.Equal(bad.Key, dependency.Root.Key);
            Assert.Contains(bad.Key, dependency.Message);
        }

        [Fact]
        public async Task ALongRunOfTasksThatFailBeforeTheyStartFailsEachAndTheWorkersGoOn()
        {
            // Names of their own: not one task group, so the scheduler sends them all at once rather than queueing them.
            string run = Guid.NewGuid().ToString("N");
            DaskNode[] unrunnable = Enumerable.Range(0, 2000)
                .Select(i => DaskNode.Task("no-such-runtime", new MsgMap().With("i", (long)i), Array.Empty<object?>(), name: $"unrunnable{i}x{run}"))
                .ToArray();

            Client.Submit(unrunnable);

            foreach (DaskNode node in unrunnable)
            {
                var error = await Assert.ThrowsAsync<DaskTaskException>(() => Client.WaitAsync(node).WaitAsync(Deadline));
                Assert.Contains("no 'no-such-runtime' runtime", error.RemoteMessage);
            }

            Assert.Equal(3L, await Client.ResultAsync(Client.Submit(DaskNode.Call(Functions, "Add", new object?[] { 1L, 2L }))).WaitAsync(Deadline));
        }

        [Fact]
        public async Task DaskRetriesRerunAFlakyTask()
        {
            string tag = "flaky-" + Guid.NewGuid().ToString("N");
            DaskNode flaky = DaskNode.Call(Functions, "Flaky", new object?[] { tag, 2L }, new DaskTaskOptions { Retries = 2 });

            Client.Submit(flaky);

            Assert.Equal(3L, await Client.ResultAsync(flaky).WaitAsync(Deadline));
        }

        [Fact]
        public async Task ClientRetriesRerunAFlakyTaskWhenTheConditionHolds()
        {
            string tag = "client-flaky-" + Guid.NewGuid().ToString("N");
            var options = new DaskClientOptions { Retries = 1, RetryOn = e => e.RemoteType == "System.InvalidOperationException" };
            await using DaskClient client = await DaskClient.ConnectAsync(SchedulerAddress, options);
            DaskNode flaky = DaskNode.Call(Functions, "Flaky", new object?[] { tag, 1L });

            client.Submit(flaky);

            Assert.Equal(2L, await client.ResultAsync(flaky).WaitAsync(Deadline));
        }

        [Fact]
        public async Task IdenticalNodesAreComputedOnce()
        {
            string tag = "once-" + Guid.NewGuid().ToString("N");
            DaskNode first = DaskNode.Call(Functions, "Counted", new object?[] { tag, 7L });
            DaskNode second = DaskNode.Call(Functions, "Counted", new object?[] { tag, 7L });
            DaskNode both = DaskNode.Call(Functions, "Add", new object?[] { first, second });

            Client.Submit(new[] { first, second, both });

            Assert.Equal(14L, await Client.ResultAsync(both).WaitAsync(Deadline));
            Assert.Equal(1, TestFunctions.CallsOf(tag));
        }

        [Fact]
        public async Task ASecondClientSubmittingTheSameKeysGetsTheSameResults()
        {
            // The scheduler compares a resubmitted task with the one it has (2024.12 tokenizes it: every slot must be set).
            DaskNode a = DaskNode.Call(Functions, "Add", new object?[] { 40L, 1L });
            DaskNode b = DaskNode.Call(Functions, "Add", new object?[] { a, 1L });
            Client.Submit(b);
            Assert.Equal(42L, await Client.ResultAsync(b).WaitAsync(Deadline));

            await using DaskClient second = await DaskClient.ConnectAsync(SchedulerAddress);
            second.Submit(DaskNode.Call(Functions, "Add", new object?[] { DaskNode.Call(Functions, "Add", new object?[] { 40L, 1L }), 1L }));

            Assert.Equal(42L, await second.ResultAsync(b).WaitAsync(Deadline));
        }

        [Fact]
        public async Task AResultWhoseHolderLeavesIsRecomputed()
        {
            DaskNode node = Client.Submit(DaskNode.Call(Functions, "Add", new object?[] { 1000L, 1L }));
            await Client.WaitAsync(node).WaitAsync(Deadline);
            string holder = (await Client.WhoHasAsync(new[] { node }))[node.Key].Single();

            // Closed without retiring: the scheduler loses the only copy, reports lost-data and computes it again.
            await (holder == Worker1.Address ? Worker1 : Worker2).CloseAsync();

            Assert.Equal(1001L, await Client.ResultAsync(node).WaitAsync(Deadline));
            Assert.NotEqual(holder, (await Client.WhoHasAsync(new[] { node }))[node.Key].Single());
        }

        [Fact]
        public async Task TheNextValueOfTheWorkerThatGaveTheLastTwoNeedsNoAnswerFromTheScheduler()
        {
            var onWorker1 = new DaskTaskOptions { Workers = new[] { Worker1.Address } };
            DaskNode OnWorker1(long x) => Client.Submit(DaskNode.Call(Functions, "Add", new object?[] { x, 1L }, onWorker1));
            Assert.Equal(2L, await Client.ResultAsync(OnWorker1(1L)).WaitAsync(Deadline));
            Assert.Equal(3L, await Client.ResultAsync(OnWorker1(2L)).WaitAsync(Deadline));
            DaskNode third = OnWorker1(3L);
            await Client.WaitAsync(third).WaitAsync(Deadline);

            using (_cluster.PauseScheduler())
            {
                Assert.Equal(4L, await Client.ResultAsync(third).WaitAsync(TimeSpan.FromSeconds(10)));
            }
        }

        [Fact]
        public async Task ValuesComeFromTheirHoldersWhenTheWorkerThatGaveTheLastHasThemNotOrLeft()
        {
            DaskNode OnWorker(DaskWorker worker, long x) =>
                Client.Submit(DaskNode.Call(Functions, "Add", new object?[] { x, 1L }, new DaskTaskOptions { Workers = new[] { worker.Address } }));

            // Two from worker 1 make it the guess; the next values are on worker 2, then worker 1 again.
            Assert.Equal(11L, await Client.ResultAsync(OnWorker(Worker1, 10L)).WaitAsync(Deadline));
            Assert.Equal(12L, await Client.ResultAsync(OnWorker(Worker1, 11L)).WaitAsync(Deadline));
            Assert.Equal(21L, await Client.ResultAsync(OnWorker(Worker2, 20L)).WaitAsync(Deadline));
            Assert.Equal(31L, await Client.ResultAsync(OnWorker(Worker1, 30L)).WaitAsync(Deadline));
            Assert.Equal(32L, await Client.ResultAsync(OnWorker(Worker1, 31L)).WaitAsync(Deadline));

            DaskNode onWorker2 = OnWorker(Worker2, 40L);
            await Client.WaitAsync(onWorker2).WaitAsync(Deadline);
            await Worker1.CloseAsync();
            Assert.Equal(41L, await Client.ResultAsync(onWorker2).WaitAsync(Deadline));
        }

        [Fact]
        public async Task ScatteredDataFeedsTasks()
        {
            IReadOnlyList<DaskNode> data = await Client.ScatterAsync(new object?[] { 40L }, new[] { Worker2.Address });
            DaskNode sum = DaskNode.Call(Functions, "Add", new object?[] { data[0], 2L });

            Client.Submit(sum);

            Assert.Equal(42L, await Client.ResultAsync(sum).WaitAsync(Deadline));
        }

        [Fact]
        public async Task LargeByteValuesOfOneLengthGetTheirOwnKeys()
        {
            // Large byte values travel as a bin header frame plus the bytes: the key must hash the bytes, not the header.
            byte[] zeros = new byte[1_000_000];
            byte[] ones = Enumerable.Repeat((byte)1, 1_000_000).ToArray();

            IReadOnlyList<DaskNode> data = await Client.ScatterAsync(new object?[] { zeros, ones });

            Assert.NotEqual(data[0].Key, data[1].Key);
            Assert.Equal(ones, (byte[])(await Client.ResultAsync(data[1]).WaitAsync(Deadline))!);
        }

        [Fact]
        public async Task ReplicatePutsAKeyOnBothWorkers()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -11L }, new DaskTaskOptions { Workers = new[] { Worker1.Address } });
            Client.Submit(a);
            await Client.WaitAsync(a).WaitAsync(Deadline);

            await Client.ReplicateAsync(new[] { a }, copies: 2);

            Assert.Equal(2, (await Client.WhoHasAsync(new[] { a }))[a.Key].Count);
        }

        [Fact]
        public async Task ReplicateWaitsForANodeStillRunning()
        {
            string gate = "gate-" + Guid.NewGuid().ToString("N");
            DaskNode running = DaskNode.Call(Functions, "Block", new object?[] { gate }, new DaskTaskOptions { Workers = new[] { Worker1.Address } });
            Client.Submit(running);

            Task replicated = Client.ReplicateAsync(new[] { running }, copies: 2);
            Assert.False(replicated.IsCompleted);
            TestFunctions.Release(gate);
            await replicated.WaitAsync(Deadline);

            Assert.Equal(2, (await Client.WhoHasAsync(new[] { running }))[running.Key].Count);
        }

        [Fact]
        public async Task ReplicateOntoNamedWorkersCopiesThere()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -12L }, new DaskTaskOptions { Workers = new[] { Worker1.Address } });
            Client.Submit(a);
            await Client.WaitAsync(a).WaitAsync(Deadline);

            await Client.ReplicateAsync(new[] { a }, workers: new[] { Worker2.Address }).WaitAsync(Deadline);

            Assert.Contains(Worker2.Address, (await Client.WhoHasAsync(new[] { a }))[a.Key]);
        }

        [Fact]
        public async Task CancellingAQueuedTaskNeverReportsIt()
        {
            string gate = "gate-" + Guid.NewGuid().ToString("N");
            DaskNode[] blockers = Enumerable.Range(0, 4).Select(i => DaskNode.Call(Functions, "Block", new object?[] { gate + "-" + i })).ToArray();
            Client.Submit(blockers);
            DaskNode queued = DaskNode.Call(Functions, "Add", new object?[] { 1L, 2L });
            Client.Submit(queued);

            await Client.CancelAsync(new[] { queued });
            for (int i = 0; i < 4; i++)
            {
                TestFunctions.Release(gate + "-" + i);
            }

            await Assert.ThrowsAsync<DaskCancelledException>(() => Client.WaitAsync(queued).WaitAsync(Deadline));
            await Client.GatherAsync(blockers).WaitAsync(Deadline);
            Assert.Equal(2, (await Client.GetWorkersAsync()).Count);
        }
    }
}
