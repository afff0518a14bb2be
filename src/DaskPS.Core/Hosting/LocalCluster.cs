using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Comm;
using DaskPS.Diagnostics;
using DaskPS.Tasks;
using DaskPS.Worker;

namespace DaskPS.Hosting
{
    public sealed class LocalClusterOptions
    {
        public int Workers { get; set; } = 2;

        public int SlotsPerWorker { get; set; } = 1;

        public LocalSchedulerOptions Scheduler { get; set; } = new LocalSchedulerOptions();

        /// <summary>The runtimes each worker gets besides .NET (e.g. PowerShell), made once per worker.</summary>
        public Func<int, IEnumerable<ITaskRuntime>>? Runtimes { get; set; }

        public DaskLogger Logger { get; set; } = DaskLogger.None;

        public DaskClientOptions Client { get; set; } = new DaskClientOptions();
    }

    /// <summary>
    /// A whole cluster on this machine: the real dask-scheduler, DaskPS workers in this process, and a client.
    /// Disposing stops all of it, client first, scheduler last.
    /// </summary>
    public sealed class LocalCluster : IAsyncDisposable
    {
        private LocalCluster(LocalScheduler scheduler, IReadOnlyList<DaskWorker> workers, DaskClient client)
        {
            Scheduler = scheduler;
            Workers = workers;
            Client = client;
        }

        public LocalScheduler Scheduler { get; }

        public IReadOnlyList<DaskWorker> Workers { get; }

        public DaskClient Client { get; }

        public string Address => Scheduler.Address;

        public static async Task<LocalCluster> StartAsync(LocalClusterOptions? options = null, CancellationToken cancellationToken = default)
        {
            options ??= new LocalClusterOptions();
            if (options.Workers < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(options), options.Workers, "A local cluster needs at least one worker.");
            }

            LocalScheduler scheduler = await LocalScheduler.StartAsync(options.Scheduler, cancellationToken).ConfigureAwait(false);
            var workers = new List<DaskWorker>();
            try
            {
                for (int i = 0; i < options.Workers; i++)
                {
                    var workerOptions = new DaskWorkerOptions(scheduler.Address)
                    {
                        Name = $"local-{scheduler.ProcessId}-{i}",
                        Slots = options.SlotsPerWorker,
                        Logger = options.Logger,
                        // The client's TLS settings serve the workers too (dask's LocalCluster shares one Security).
                        Comm = new CommOptions { Tls = options.Client.Comm.Tls, RequireEncryption = options.Client.Comm.RequireEncryption },
                    };
                    foreach (ITaskRuntime runtime in options.Runtimes?.Invoke(i) ?? Enumerable.Empty<ITaskRuntime>())
                    {
                        workerOptions.Runtimes.Add(runtime);
                    }

                    workers.Add(new DaskWorker(workerOptions));
                }

                await Task.WhenAll(workers.Select(w => w.StartAsync(cancellationToken))).ConfigureAwait(false);
                DaskClient client = await DaskClient.ConnectAsync(scheduler.Address, options.Client, cancellationToken).ConfigureAwait(false);
                await client.WaitForWorkersAsync(workers.Count, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                return new LocalCluster(scheduler, workers, client);
            }
            catch
            {
                await Task.WhenAll(workers.Select(w => w.CloseAsync())).ConfigureAwait(false);
                await scheduler.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Client.ShutdownAsync().ConfigureAwait(false);
                await Task.WhenAll(Workers.Select(w => w.CloseAsync())).ConfigureAwait(false);
            }
            finally
            {
                await Scheduler.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
