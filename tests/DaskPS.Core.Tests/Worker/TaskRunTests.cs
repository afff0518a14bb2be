using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Worker
{
    /// <summary>Tasks that submit tasks, and stopping running tasks, on a real scheduler with two one-slot DaskPS workers.</summary>
    public sealed class TaskRunTests : IAsyncLifetime
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
        private static readonly string Functions = typeof(TestFunctions).FullName!;

        private TestCluster _cluster = null!;

        private DaskClient Client => _cluster.Client;

        public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(2, slots: 1);

        public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

        [Fact]
        public async Task ARecursiveFanOutOnOneSlotWorkersFinishesBecauseWaitingTasksSecede()
        {
            DaskNode fib = Client.Submit(DaskNode.Call(Functions, "Fibonacci", new object?[] { 10L }));

            Assert.Equal(55L, await Client.ResultAsync(fib).WaitAsync(Deadline));
            Assert.DoesNotContain("ERROR", _cluster.SchedulerOutput);
        }

        [Fact]
        public async Task StoppingReportsHowEachRunEndedAndGivingUpFreesTheSlot()
        {
            string cooperative = Guid.NewGuid().ToString("N"), deaf = Guid.NewGuid().ToString("N");
            string[] workers = _cluster.Workers.Select(w => w.Address).ToArray();
            DaskNode stops = Client.Submit(DaskNode.Call(Functions, "UntilStopped", new object?[] { cooperative }, new DaskTaskOptions { Workers = new[] { workers[0] } }));
            DaskNode ignores = Client.Submit(DaskNode.Call(Functions, "IgnoringStop", new object?[] { deaf, 30_000L }, new DaskTaskOptions { Workers = new[] { workers[1] } }));
            await Eventually.TrueAsync(() => TestFunctions.CallsOf(cooperative) == 1 && TestFunctions.CallsOf(deaf) == 1, Deadline, "both tasks to start");

            IReadOnlyList<DaskRunStop> first = await Client.StopAsync(new[] { stops, ignores }, force: false, giveUpStuck: false, TimeSpan.FromSeconds(1));

            // A run that obeyed may have ended before the question arrived: then its worker has nothing to say of it.
            Assert.All(first.Where(s => s.Key == stops.Key), s => Assert.Equal(new DaskRunStop(stops.Key, workers[0], DaskRunStopOutcome.Stopped), s));
            Assert.Equal(new[] { new DaskRunStop(ignores.Key, workers[1], DaskRunStopOutcome.Stuck) }, first.Where(s => s.Key == ignores.Key));
            Assert.Equal(DaskNodeState.Cancelled, stops.State);
            DaskNode after = Client.Submit(DaskNode.Call(Functions, "Add", new object?[] { 1L, 1L }, new DaskTaskOptions { Workers = new[] { workers[0] } }));
            Assert.Equal(2L, await Client.ResultAsync(after).WaitAsync(Deadline));

            IReadOnlyList<DaskRunStop> second = await Client.StopAsync(new[] { ignores }, force: true, giveUpStuck: true, TimeSpan.FromMilliseconds(100));

            Assert.Equal(new[] { new DaskRunStop(ignores.Key, workers[1], DaskRunStopOutcome.GivenUp) }, second);
            DaskNode next = Client.Submit(DaskNode.Call(Functions, "Add", new object?[] { 20L, 22L }, new DaskTaskOptions { Workers = new[] { workers[1] } }));
            // Long before the deaf task's 30 s are up, its worker's only slot runs the next task.
            Assert.Equal(42L, await Client.ResultAsync(next).WaitAsync(TimeSpan.FromSeconds(15)));
        }

        [Fact]
        public async Task NodeStatesFollowTheSchedulersReports()
        {
            string tag = Guid.NewGuid().ToString("N");
            DaskNode running = Client.Submit(DaskNode.Call(Functions, "UntilStopped", new object?[] { tag }));
            DaskNode done = Client.Submit(DaskNode.Call(Functions, "Add", new object?[] { 1L, 2L }));
            Assert.Equal(DaskNodeState.New, DaskNode.Call(Functions, "Add", new object?[] { 5L, 5L }).State);

            await Client.WaitAsync(done).WaitAsync(Deadline);
            await Eventually.TrueAsync(() => TestFunctions.CallsOf(tag) == 1, Deadline, "the long task to start");
            Assert.Equal(DaskNodeState.Pending, running.State);
            await Client.RefreshStatesAsync(new[] { running, done });

            Assert.Equal(DaskNodeState.Processing, running.State);
            Assert.Equal(DaskNodeState.Memory, done.State);
            Assert.Contains(running, Client.Nodes);
            await Client.CancelAsync(new[] { running });
            Assert.Equal(DaskNodeState.Cancelled, running.State);
        }
    }
}
