using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Comm;
using DaskPS.Cmdlets.Scripts;
using DaskPS.Hosting;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Sessions
{
    /// <summary>Connect-DaskScheduler -Local: a scheduler and PowerShell-capable workers owned by one session.</summary>
    internal static class LocalSessions
    {
        /// <param name="security">The scheduler's TLS files; the client's and workers' TLS comes from <paramref name="clientOptions"/>.</param>
        public static async Task<DaskSession> StartAsync(int workers, DaskSecurity security, DaskClientOptions clientOptions, CancellationToken cancellationToken)
        {
            LocalCluster cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
                Scheduler = new LocalSchedulerOptions { Security = security },
                Workers = workers,
                SlotsPerWorker = 1,
                Client = clientOptions,
                Runtimes = _ => new ITaskRuntime[] { new PowerShellRuntime(1) },
            }, cancellationToken).ConfigureAwait(false);
            var session = new DaskSession(cluster.Client);
            session.Own(cluster);
            return session;
        }
    }
}
