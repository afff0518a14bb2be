using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using DaskPS.Hosting;

namespace DaskPS.Testing
{
    /// <summary>
    /// A real dask-scheduler of the selected dask installation, on 127.0.0.1 and a free port.
    /// Disposing stops it.
    /// </summary>
    public sealed class DaskSchedulerProcess : IAsyncDisposable
    {
        private readonly LocalScheduler _scheduler;

        private DaskSchedulerProcess(LocalScheduler scheduler, DaskInstallation dask)
        {
            _scheduler = scheduler;
            Dask = dask;
        }

        public string Address => _scheduler.Address;

        public DaskInstallation Dask { get; }

        public int ProcessId => _scheduler.ProcessId;

        public string Output => _scheduler.Output;

        public static async Task<DaskSchedulerProcess> StartAsync(DaskInstallation? dask = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
        {
            dask ??= DaskInstallation.Selected;
            LocalSchedulerOptions options = dask.SchedulerOptions(environment);
            options.StartTimeout = timeout ?? TimeSpan.FromSeconds(60);
            return new DaskSchedulerProcess(await LocalScheduler.StartAsync(options).ConfigureAwait(false), dask);
        }

        public ValueTask DisposeAsync() => _scheduler.DisposeAsync();
    }
}
