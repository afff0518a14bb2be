using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Cmdlets.Scripts;
using DaskPS.Hosting;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Sessions
{
    /// <summary>Connect-DaskScheduler -Local: a scheduler and PowerShell-capable workers owned by one session.</summary>
    internal static class LocalSessions
    {
        public static async Task<DaskSession> StartAsync(int workers, DaskClientOptions clientOptions, CancellationToken cancellationToken)
        {
            LocalCluster cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
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
