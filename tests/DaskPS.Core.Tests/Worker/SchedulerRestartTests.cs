using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Diagnostics;
using DaskPS.Hosting;
using DaskPS.Testing;
using DaskPS.Worker;

namespace DaskPS.Core.Tests.Worker
{
    /// <summary>A worker whose scheduler goes away: it waits for one to come back, for up to its death timeout.</summary>
    public sealed class SchedulerRestartTests
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

        [Fact]
        public async Task AWorkerRegistersAgainWithASchedulerBackOnTheSameAddressAndRunsItsTasks()
        {
            int port = LoopbackPorts.Unused();
            var log = new ConcurrentQueue<string>();
            LocalScheduler first = await LocalScheduler.StartAsync(Options(port));
            await using var worker = new DaskWorker(new DaskWorkerOptions(first.Address) { DeathTimeout = TimeSpan.FromSeconds(60), Logger = Logger(log) });
            await worker.StartAsync();
            await first.DisposeAsync();
            await Eventually.TrueAsync(() => worker.Status == "reconnecting", Deadline, "the worker to notice");

            await using LocalScheduler second = await LocalScheduler.StartAsync(Options(port));
            await using DaskClient client = await DaskClient.ConnectAsync(second.Address);
            await client.WaitForWorkersAsync(1, Deadline);
            DaskNode node = client.Submit(DaskNode.Call("System.Math", "Max", new object?[] { 3L, 4L }));

            Assert.Equal(4L, await client.ResultAsync(node).WaitAsync(Deadline));
            Assert.Equal("running", worker.Status);
            Assert.Contains(log, line => line.Contains("lost the scheduler", StringComparison.Ordinal));
        }

        [Fact]
        public async Task AWorkerWhoseSchedulerStaysAwayStopsWithAnErrorAfterItsDeathTimeout()
        {
            var log = new ConcurrentQueue<string>();
            LocalScheduler scheduler = await LocalScheduler.StartAsync(Options(LoopbackPorts.Unused()));
            await using var worker = new DaskWorker(new DaskWorkerOptions(scheduler.Address) { DeathTimeout = TimeSpan.FromSeconds(2), Logger = Logger(log) });
            await worker.StartAsync();

            await scheduler.DisposeAsync();

            var error = await Assert.ThrowsAnyAsync<DaskException>(async () =>
            {
                try
                {
                    await worker.Completion.WaitAsync(Deadline);
                }
                catch (TimeoutException)
                {
                    Assert.Fail("The worker did not stop. Its log:\n" + string.Join("\n", log));
                }
            });
            Assert.Contains("within 2 s (death timeout)", error.Message);
            Assert.Equal("closed", worker.Status);
        }

        private static LocalSchedulerOptions Options(int port)
        {
            LocalSchedulerOptions options = DaskInstallation.Selected.SchedulerOptions();
            options.Port = port;
            return options;
        }

        private static DaskLogger Logger(ConcurrentQueue<string> log) => new DaskLogger((_, line) => log.Enqueue(line), DaskLogLevel.Debug);

    }
}
