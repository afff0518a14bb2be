using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Hosting;
using DaskPS.Worker;

namespace DaskPS.Testing
{
    /// <summary>
    /// A <see cref="LocalCluster"/> of the selected dask installation. Disposing stops it and fails if the
    /// scheduler logged an error: a protocol mistake often shows only there (it drops a worker and carries on).
    /// </summary>
    public sealed class TestCluster : IAsyncDisposable
    {
        private readonly LocalCluster _cluster;

        private TestCluster(LocalCluster cluster, DaskInstallation dask)
        {
            _cluster = cluster;
            Dask = dask;
        }

        public DaskInstallation Dask { get; }

        public string Address => _cluster.Address;

        public IReadOnlyList<DaskWorker> Workers => _cluster.Workers;

        public DaskClient Client => _cluster.Client;

        public string SchedulerOutput => _cluster.Scheduler.Output;

        /// <summary>Stops the scheduler process (SIGSTOP) until disposed (SIGCONT): it answers nothing meanwhile.</summary>
        public IDisposable PauseScheduler()
        {
            Signal("STOP");
            return new Resume(this);
        }

        private void Signal(string signal)
        {
            using var kill = System.Diagnostics.Process.Start("kill", $"-{signal} {_cluster.Scheduler.ProcessId}");
            kill.WaitForExit();
        }

        public static async Task<TestCluster> StartAsync(int workers, int slots = 2)
        {
            DaskInstallation dask = DaskInstallation.Selected;
            LocalCluster cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
                Workers = workers,
                SlotsPerWorker = slots,
                Scheduler = dask.SchedulerOptions(),
            }).ConfigureAwait(false);
            return new TestCluster(cluster, dask);
        }

        private sealed class Resume : IDisposable
        {
            private readonly TestCluster _cluster;

            public Resume(TestCluster cluster) => _cluster = cluster;

            public void Dispose() => _cluster.Signal("CONT");
        }

        public async ValueTask DisposeAsync()
        {
            string errors = string.Join("\n", SchedulerOutput.Split('\n').Where(l => l.Contains(" - ERROR - ", StringComparison.Ordinal)));
            await _cluster.DisposeAsync().ConfigureAwait(false);
            if (errors.Length > 0)
            {
                throw new InvalidOperationException("The scheduler logged errors:\n" + errors);
            }
        }
    }
}
