using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Hosting;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Hosting
{
    /// <summary>
    /// A cluster across hosts: the scheduler and two worker hosts in network namespaces of their own, and this test
    /// process as the client host, so every connection crosses a link that can be cut (needs root, as CI runs).
    /// </summary>
    public sealed class MultiHostTests
    {
        private const string Functions = "DaskPS.WorkerHost.HostFunctions";
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

        [Fact]
        public async Task DataMovesBetweenWorkerHostsAndAGraphSurvivesACutLink()
        {
            await using HostNetwork network = await HostNetwork.CreateAsync("scheduler", "a", "b");
            await using ChildProcess scheduler = StartScheduler(network);
            string schedulerAddress = $"tcp://{network.AddressOf("scheduler")}:8786";
            await scheduler.WaitForLineAsync(l => l.Contains("Scheduler at:", StringComparison.Ordinal), Deadline);
            // a listens on every interface and advertises its own address (the port it got stands in for 0); b listens
            // on its address and advertises that.
            await using ChildProcess a = StartWorker(network, "a", schedulerAddress, "tcp://0.0.0.0:0", $"tcp://{network.AddressOf("a")}");
            await using ChildProcess b = StartWorker(network, "b", schedulerAddress, $"tcp://{network.AddressOf("b")}:0");
            string aAddress = await ContactAddressAsync(a);
            string bAddress = await ContactAddressAsync(b);
            Assert.StartsWith($"tcp://{network.AddressOf("a")}:", aAddress);
            Assert.StartsWith($"tcp://{network.AddressOf("b")}:", bAddress);
            await using DaskClient client = await DaskClient.ConnectAsync(schedulerAddress);
            await client.WaitForWorkersAsync(2, Deadline);

            // A value made on a and a task on b that needs it: the value crosses from host to host.
            DaskNode onA = DaskNode.Call(Functions, "Slow", new object?[] { 40L, 0L }, new DaskTaskOptions { Workers = new[] { aAddress } });
            DaskNode onB = DaskNode.Call(Functions, "Slow", new object?[] { 2L, 0L }, new DaskTaskOptions { Workers = new[] { bAddress } });
            DaskNode sum = client.Submit(DaskNode.Call(Functions, "Sum", new object?[] { new[] { onA, onB } }, new DaskTaskOptions { Workers = new[] { bAddress } }));
            Assert.Equal(42L, await client.ResultAsync(sum).WaitAsync(Deadline));
            Assert.Equal(new[] { bAddress }, (await client.WhoHasAsync(new[] { sum }))[sum.Key]);
            await Eventually.TrueAsync(
                async () => (await client.WhoHasAsync(new[] { onA }))[onA.Key].OrderBy(h => h, StringComparer.Ordinal).SequenceEqual(new[] { aAddress, bAddress }.OrderBy(h => h, StringComparer.Ordinal)),
                Deadline, "b holds a replica of a's value");

            // Slow parts on both hosts; once a holds some, its link is cut. The scheduler loses a by its heartbeat
            // timeout and b computes again what a held.
            DaskNode[] parts = Enumerable.Range(0, 40).Select(i => DaskNode.Call(Functions, "Slow", new object?[] { (long)i, 200L })).ToArray();
            DaskNode total = client.Submit(DaskNode.Call(Functions, "Sum", new object?[] { parts }));
            await Eventually.TrueAsync(
                async () => (await client.WhoHasAsync(parts)).Values.Count(holders => holders.Contains(aAddress)) >= 4,
                Deadline, "a holds some of the parts");

            await network.CutAsync("a");

            Assert.Equal(Enumerable.Range(0, 40).Sum(), (long)(await client.ResultAsync(total).WaitAsync(Deadline))!);
            Assert.Equal(new[] { bAddress }, (await client.GetWorkersAsync()).Select(w => w.Address));
            Assert.Equal(new[] { bAddress }, (await client.WhoHasAsync(new[] { total }))[total.Key]);
        }

        private static ChildProcess StartScheduler(HostNetwork network)
        {
            // The selected dask release's environment; a worker that stops answering is dropped after 5 s.
            LocalSchedulerOptions options = DaskInstallation.Selected.SchedulerOptions(new Dictionary<string, string>
            {
                ["DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL"] = "5s",
                [LocalScheduler.ActiveMemoryManagerSetting] = "False",
            });
            return network.Start("scheduler", DaskInstallation.SystemPython, new[]
            {
                "-m", "distributed.cli.dask_scheduler", "--host", network.AddressOf("scheduler"), "--port", "8786", "--no-dashboard",
            }, options.Environment.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        }

        private static ChildProcess StartWorker(HostNetwork network, string host, string scheduler, params string[] addresses) =>
            network.Start(host, Path.Combine(AppContext.BaseDirectory, "DaskPS.WorkerHost"), new[] { scheduler, host, "2" }.Concat(addresses));

        private static async Task<string> ContactAddressAsync(ChildProcess worker) =>
            (await worker.WaitForLineAsync(l => l.StartsWith("ADDRESS ", StringComparison.Ordinal), Deadline)).Substring("ADDRESS ".Length);
    }
}
