using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Hosting;
using DaskPS.Testing;
using DaskPS.Worker;

namespace DaskPS.Core.Tests.Worker
{
    /// <summary>DaskPS workers as citizens of a dask cluster: Python clients, Python workers, crashes and retirement.</summary>
    public sealed class WorkerInteropTests
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
        private static readonly string Functions = typeof(TestFunctions).FullName!;

        [Fact]
        public async Task APythonClientGathersADaskPSResult()
        {
            await using var cluster = await TestCluster.StartAsync(1);
            DaskNode node = cluster.Client.Submit(DaskNode.Call("System.Math", "Abs", new object?[] { -42L }));
            await cluster.Client.WaitAsync(node).WaitAsync(Deadline);

            string output = await Python("gather", cluster.Address, node.Key);

            Assert.Contains("VALUE 42", output);
        }

        [Fact]
        public async Task APythonClientReadsALargeByteValueSentAsSplitFrames()
        {
            await using var cluster = await TestCluster.StartAsync(1);
            DaskNode node = cluster.Client.Submit(DaskNode.Call(Functions, "RandomBytes", new object?[] { 3_000_000L }));
            byte[] bytes = (byte[])(await cluster.Client.ResultAsync(node).WaitAsync(Deadline))!;

            string output = await Python("gather-bytes", cluster.Address, node.Key);

            string sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();
            Assert.Contains($"BYTES bytes 3000000 {sha}", output);
        }

        [Fact]
        public async Task APythonClientGetsBackThePickledObjectItScatteredToADaskPSWorker()
        {
            await using var cluster = await TestCluster.StartAsync(1);

            string output = await Python("scatter-roundtrip", cluster.Address, cluster.Workers[0].Address);

            Assert.Contains($"HOLDERS {cluster.Workers[0].Address}", output);
            Assert.Contains("EQUAL True", output);
        }

        [Fact]
        public async Task APythonTaskFailsCleanlyAndTheWorkerCarriesOn()
        {
            await using var cluster = await TestCluster.StartAsync(1);

            string output = await Python("python-task", cluster.Address, cluster.Workers[0].Address);

            Assert.Contains("ERROR", output);
            Assert.Contains("Python", output.Split('\n').First(l => l.StartsWith("ERROR", StringComparison.Ordinal)));
            Assert.Single(await cluster.Client.GetWorkersAsync());
            DaskNode after = cluster.Client.Submit(DaskNode.Call(Functions, "Add", new object?[] { 20L, 1L }));
            Assert.Equal(21L, await cluster.Client.ResultAsync(after).WaitAsync(Deadline));
        }

        [Fact]
        public async Task PythonAndDaskPSGraphsRunSideBySideEachOnItsOwnWorkers()
        {
            await using var cluster = await TestCluster.StartAsync(2);
            await using PythonProcess pythonWorker = PythonWorkerProcess.Start(cluster.Dask, cluster.Address, "py", "PY=1");
            await cluster.Client.WaitForWorkersAsync(3, Deadline);
            string pythonAddress = (await cluster.Client.GetWorkersAsync()).Single(w => !w.IsDaskPS).Address;

            Task<string> python = Python("python-graph", cluster.Address);
            DaskNode[] parts = Enumerable.Range(0, 200).Select(i => DaskNode.Call(Functions, "Add", new object?[] { (long)i, 0L })).ToArray();
            DaskNode total = cluster.Client.Submit(DaskNode.Call(Functions, "Sum", new object?[] { parts }));

            Assert.Equal(Enumerable.Range(0, 200).Sum(), (long)(await cluster.Client.ResultAsync(total).WaitAsync(Deadline))!);
            string output = await python;
            Assert.Contains($"TOTAL {Enumerable.Range(0, 100).Sum(i => i * 3)}", output);
            Assert.Contains($"HOLDERS {pythonAddress}", output);
            IEnumerable<string> daskpsHolders = (await cluster.Client.WhoHasAsync(parts)).Values.SelectMany(h => h);
            Assert.DoesNotContain(pythonAddress, daskpsHolders);
        }

        [Fact]
        public async Task AGraphSurvivesAWorkerProcessKilledMidway()
        {
            await using DaskSchedulerProcess scheduler = await DaskSchedulerProcess.StartAsync();
            await using ChildProcess first = StartHost(scheduler, "victim");
            await using ChildProcess second = StartHost(scheduler, "survivor");
            await first.WaitForLineAsync(l => l.StartsWith("ADDRESS ", StringComparison.Ordinal), Deadline);
            await second.WaitForLineAsync(l => l.StartsWith("ADDRESS ", StringComparison.Ordinal), Deadline);
            await using DaskClient client = await DaskClient.ConnectAsync(scheduler.Address);
            await client.WaitForWorkersAsync(2, Deadline);

            DaskNode[] parts = Enumerable.Range(0, 200)
                .Select(i => DaskNode.Call("DaskPS.WorkerHost.HostFunctions", "Slow", new object?[] { (long)i, 25L }))
                .ToArray();
            DaskNode total = client.Submit(DaskNode.Call("DaskPS.WorkerHost.HostFunctions", "Sum", new object?[] { parts }));
            await Eventually.TrueAsync(() => parts.Count(p => client.WaitAsync(p).IsCompletedSuccessfully) >= 40, Deadline, "40 tasks done");

            first.Kill();

            Assert.Equal(Enumerable.Range(0, 200).Sum(), (long)(await client.ResultAsync(total).WaitAsync(Deadline))!);
            Assert.Single(await client.GetWorkersAsync());
        }

        [Fact]
        public async Task RetiringTheOnlyHolderOfAKeyMovesIt()
        {
            await using var cluster = await TestCluster.StartAsync(2);
            DaskNode only = cluster.Client.Submit(DaskNode.Call("System.Math", "Abs", new object?[] { -77L }, new DaskTaskOptions { Workers = new[] { cluster.Workers[0].Address } }));
            await cluster.Client.WaitAsync(only).WaitAsync(Deadline);

            await cluster.Client.RetireWorkersAsync(new[] { cluster.Workers[0].Address });

            await cluster.Workers[0].Completion.WaitAsync(Deadline);
            Assert.Equal(new[] { cluster.Workers[1].Address }, (await cluster.Client.WhoHasAsync(new[] { only }))[only.Key]);
            Assert.Equal(77L, await cluster.Client.ResultAsync(only).WaitAsync(Deadline));
        }

        [Fact]
        public async Task AnIdleWorkerStealsQueuedTasksAndNothingIsReportedTwice()
        {
            await using var cluster = await TestCluster.StartAsync(1, slots: 1);
            DaskNode[] tasks = Enumerable.Range(0, 60).Select(i => DaskNode.Call(Functions, "Sleep", new object?[] { (long)i, 30L })).ToArray();
            cluster.Client.Submit(tasks);
            await Eventually.TrueAsync(() => cluster.Workers[0].TasksRun >= 3, Deadline, "the first worker started");

            await using var thief = new DaskWorker(new DaskWorkerOptions(cluster.Address) { Name = "thief", Slots = 1 });
            await thief.StartAsync();

            IReadOnlyList<object?> results = await cluster.Client.GatherAsync(tasks).WaitAsync(Deadline);
            Assert.Equal(Enumerable.Range(0, 60).Select(i => (object?)(long)i), results);
            Assert.True(thief.TasksRun > 0, "the new worker stole nothing");
        }

        [Fact]
        public async Task AsCompletedYieldsEveryNodeAsItFinishes()
        {
            await using var cluster = await TestCluster.StartAsync(1, slots: 2);
            // The slow task finishes only once the fast one has been yielded: no timing assumption.
            string gate = "as-completed-" + Guid.NewGuid().ToString("N");
            DaskNode slow = DaskNode.Call(Functions, "Block", new object?[] { gate });
            DaskNode fast = DaskNode.Call(Functions, "Sleep", new object?[] { 2L, 1L });
            cluster.Client.Submit(new[] { slow, fast });

            var order = new List<string>();
            await foreach (DaskNode done in cluster.Client.AsCompleted(new[] { slow, fast }).WithCancellation(default))
            {
                order.Add(done.Key);
                TestFunctions.Release(gate);
            }

            Assert.Equal(new[] { fast.Key, slow.Key }, order);
        }

        private static ChildProcess StartHost(DaskSchedulerProcess scheduler, string name) =>
            ChildProcess.Start(Path.Combine(AppContext.BaseDirectory, "DaskPS.WorkerHost"), new[] { scheduler.Address, name, "2" });

        private static Task<string> Python(params string[] arguments) =>
            PythonProcess.RunAsync(DaskInstallation.Selected, new[] { Path.Combine(AppContext.BaseDirectory, "Worker", "python", "py_interop.py") }.Concat(arguments), Deadline);
    }
}
