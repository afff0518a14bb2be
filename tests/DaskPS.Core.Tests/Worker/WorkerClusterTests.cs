using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Testing;
using DaskPS.Worker;

namespace DaskPS.Core.Tests.Worker
{
    /// <summary>A real scheduler with two DaskPS workers (in this process) and a DaskPS client.</summary>
    public sealed class WorkerClusterTests : IAsyncLifetime
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
        private static readonly string Functions = typeof(TestFunctions).FullName!;

        private DaskSchedulerProcess _scheduler = null!;
        private DaskWorker _worker1 = null!;
        private DaskWorker _worker2 = null!;
        private DaskClient _client = null!;

        public async Task InitializeAsync()
        {
            _scheduler = await DaskSchedulerProcess.StartAsync();
            _worker1 = new DaskWorker(new DaskWorkerOptions(_scheduler.Address) { Name = "w1", Slots = 2 });
            _worker2 = new DaskWorker(new DaskWorkerOptions(_scheduler.Address) { Name = "w2", Slots = 2 });
            await Task.WhenAll(_worker1.StartAsync(), _worker2.StartAsync());
            _client = await DaskClient.ConnectAsync(_scheduler.Address);
            await _client.WaitForWorkersAsync(2, Deadline);
        }

        public async Task DisposeAsync()
        {
            // A protocol mistake makes the scheduler log an error and drop a worker, often without failing the test.
            string schedulerErrors = string.Join("\n", _scheduler.Output.Split('\n').Where(l => l.Contains(" - ERROR - ", StringComparison.Ordinal)));
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }

            await Task.WhenAll(_worker1?.DisposeAsync().AsTask() ?? Task.CompletedTask, _worker2?.DisposeAsync().AsTask() ?? Task.CompletedTask);
            await _scheduler.DisposeAsync();
            Assert.True(schedulerErrors.Length == 0, "The scheduler logged errors:\n" + schedulerErrors);
        }

        [Fact]
        public async Task MaxOfTwoPinnedValuesNeedsAPeerTransfer()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L }, new DaskTaskOptions { Workers = new[] { _worker1.Address } });
            DaskNode b = DaskNode.Call("System.Math", "Abs", new object?[] { -4L }, new DaskTaskOptions { Workers = new[] { _worker2.Address } });
            DaskNode c = DaskNode.Call("System.Math", "Max", new object?[] { a, b }, new DaskTaskOptions { Workers = new[] { _worker1.Address } });

            _client.Submit(c);

            Assert.Equal(4L, await _client.ResultAsync(c).WaitAsync(Deadline));
            IReadOnlyDictionary<string, IReadOnlyList<string>> whoHas = await _client.WhoHasAsync(new[] { b });
            Assert.Contains(_worker1.Address, whoHas[b.Key]);
        }

        [Fact]
        public async Task AThousandNodeFanOutFanIn()
        {
            DaskNode[] leaves = Enumerable.Range(0, 1000).Select(i => DaskNode.Call(Functions, "Add", new object?[] { (long)i, 1L })).ToArray();
            DaskNode total = DaskNode.Call(Functions, "Sum", new object?[] { leaves });

            _client.Submit(total);

            Assert.Equal(Enumerable.Range(1, 1000).Sum(), (long)(await _client.ResultAsync(total).WaitAsync(Deadline))!);
            Assert.True(_worker1.TasksRun > 0 && _worker2.TasksRun > 0, $"work was not shared: {_worker1.TasksRun} / {_worker2.TasksRun}");
        }

        [Fact]
        public async Task AFailureSurfacesAndItsDependentsNameIt()
        {
            DaskNode bad = DaskNode.Call(Functions, "Fail", new object?[] { "boom-" + Guid.NewGuid().ToString("N") });
            DaskNode dependent = DaskNode.Call(Functions, "Add", new object?[] { bad, 1L });

            _client.Submit(dependent);

            var error = await Assert.ThrowsAsync<DaskTaskException>(() => _client.WaitAsync(bad).WaitAsync(Deadline));
            Assert.Equal("System.ArgumentException", error.RemoteType);
            Assert.StartsWith("boom-", error.RemoteMessage);
            Assert.Contains("TestFunctions.Fail", error.RemoteTraceback);
            var dependency = await Assert.ThrowsAsync<DaskDependencyException>(() => _client.WaitAsync(dependent).WaitAsync(Deadline));
            Assert.Equal(bad.Key, dependency.Root.Key);
            Assert.Contains(bad.Key, dependency.Message);
        }

        [Fact]
        public async Task DaskRetriesRerunAFlakyTask()
        {
            string tag = "flaky-" + Guid.NewGuid().ToString("N");
            DaskNode flaky = DaskNode.Call(Functions, "Flaky", new object?[] { tag, 2L }, new DaskTaskOptions { Retries = 2 });

            _client.Submit(flaky);

            Assert.Equal(3L, await _client.ResultAsync(flaky).WaitAsync(Deadline));
        }

        [Fact]
        public async Task ClientRetriesRerunAFlakyTaskWhenTheConditionHolds()
        {
            string tag = "client-flaky-" + Guid.NewGuid().ToString("N");
            var options = new DaskClientOptions { Retries = 1, RetryOn = e => e.RemoteType == "System.InvalidOperationException" };
            await using DaskClient client = await DaskClient.ConnectAsync(_scheduler.Address, options);
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

            _client.Submit(new[] { first, second, both });

            Assert.Equal(14L, await _client.ResultAsync(both).WaitAsync(Deadline));
            Assert.Equal(1, TestFunctions.CallsOf(tag));
        }

        [Fact]
        public async Task ASecondClientSubmittingTheSameKeysGetsTheSameResults()
        {
            // The scheduler compares a resubmitted task with the one it has (2024.12 tokenizes it: every slot must be set).
            DaskNode a = DaskNode.Call(Functions, "Add", new object?[] { 40L, 1L });
            DaskNode b = DaskNode.Call(Functions, "Add", new object?[] { a, 1L });
            _client.Submit(b);
            Assert.Equal(42L, await _client.ResultAsync(b).WaitAsync(Deadline));

            await using DaskClient second = await DaskClient.ConnectAsync(_scheduler.Address);
            second.Submit(DaskNode.Call(Functions, "Add", new object?[] { DaskNode.Call(Functions, "Add", new object?[] { 40L, 1L }), 1L }));

            Assert.Equal(42L, await second.ResultAsync(b).WaitAsync(Deadline));
        }

        [Fact]
        public async Task ScatteredDataFeedsTasks()
        {
            IReadOnlyList<DaskNode> data = await _client.ScatterAsync(new object?[] { 40L }, new[] { _worker2.Address });
            DaskNode sum = DaskNode.Call(Functions, "Add", new object?[] { data[0], 2L });

            _client.Submit(sum);

            Assert.Equal(42L, await _client.ResultAsync(sum).WaitAsync(Deadline));
        }

        [Fact]
        public async Task ReplicatePutsAKeyOnBothWorkers()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -11L }, new DaskTaskOptions { Workers = new[] { _worker1.Address } });
            _client.Submit(a);
            await _client.WaitAsync(a).WaitAsync(Deadline);

            await _client.ReplicateAsync(new[] { a }, copies: 2);

            Assert.Equal(2, (await _client.WhoHasAsync(new[] { a }))[a.Key].Count);
        }

        [Fact]
        public async Task CancellingAQueuedTaskNeverReportsIt()
        {
            string gate = "gate-" + Guid.NewGuid().ToString("N");
            DaskNode[] blockers = Enumerable.Range(0, 4).Select(i => DaskNode.Call(Functions, "Block", new object?[] { gate + "-" + i })).ToArray();
            _client.Submit(blockers);
            DaskNode queued = DaskNode.Call(Functions, "Add", new object?[] { 1L, 2L });
            _client.Submit(queued);

            await _client.CancelAsync(new[] { queued });
            for (int i = 0; i < 4; i++)
            {
                TestFunctions.Release(gate + "-" + i);
            }

            await Assert.ThrowsAsync<DaskCancelledException>(() => _client.WaitAsync(queued).WaitAsync(Deadline));
            await _client.GatherAsync(blockers).WaitAsync(Deadline);
            Assert.Equal(2, (await _client.GetWorkersAsync()).Count);
        }
    }
}
