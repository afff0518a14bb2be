using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Hosting;
using DaskPS.Testing;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>
    /// Worker processes attached to one scheduler, Python's or DaskPS's (this same program, "worker"); disposing stops
    /// them and waits until the scheduler has seen them go, so the next group starts on an empty cluster.
    /// </summary>
    internal sealed class WorkerGroup : IAsyncDisposable
    {
        private readonly LocalScheduler _scheduler;
        private readonly List<ChildProcess> _processes = new List<ChildProcess>();

        private WorkerGroup(LocalScheduler scheduler, int workersPerProcess)
        {
            _scheduler = scheduler;
            WorkersPerProcess = workersPerProcess;
        }

        public IReadOnlyList<ChildProcess> Processes => _processes;

        public int WorkersPerProcess { get; }

        /// <summary>The workers' addresses, in order.</summary>
        public string[] Addresses { get; private set; } = Array.Empty<string>();

        /// <summary>Peak resident memory of all the processes together.</summary>
        public double PeakMegabytes => Processes.Sum(p => ProcessMemory.PeakMegabytes(p.Id));

        /// <summary><paramref name="count"/> one-thread Python workers, one per process.</summary>
        public static Task<WorkerGroup> StartPythonAsync(LocalScheduler scheduler, DaskInstallation dask, int count) =>
            StartAsync(scheduler, count, 1, i => ChildProcess.Start(DaskInstallation.SystemPython, new[]
            {
                "-m", "distributed.cli.dask_worker", scheduler.Address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                "--name", $"py{i}", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
            }, dask.Environment));

        /// <summary><paramref name="processes"/> DaskPS worker processes of <paramref name="workersPerProcess"/> one-slot workers each.</summary>
        public static Task<WorkerGroup> StartDaskPSAsync(LocalScheduler scheduler, int processes, int workersPerProcess = 1) =>
            StartAsync(scheduler, processes, workersPerProcess, i => ChildProcess.Start(Environment.ProcessPath!, new[]
            {
                Program.WorkerCommand, scheduler.Address, $"daskps{i}", "1", workersPerProcess.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }));

        public async ValueTask DisposeAsync()
        {
            foreach (ChildProcess process in _processes)
            {
                await process.DisposeAsync();
            }

            await ClusterBenchmark.WorkerAddressesAsync(_scheduler, 0);
        }

        private static async Task<WorkerGroup> StartAsync(LocalScheduler scheduler, int processes, int workersPerProcess, Func<int, ChildProcess> start)
        {
            var group = new WorkerGroup(scheduler, workersPerProcess);
            try
            {
                for (int i = 0; i < processes; i++)
                {
                    group._processes.Add(start(i));
                }

                group.Addresses = await ClusterBenchmark.WorkerAddressesAsync(scheduler, processes * workersPerProcess);
                return group;
            }
            catch
            {
                await group.DisposeAsync();
                throw;
            }
        }
    }
}
