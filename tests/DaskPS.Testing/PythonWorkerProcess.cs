using System.Collections.Generic;
using System.Threading.Tasks;

namespace DaskPS.Testing
{
    /// <summary>A real Python dask-worker (no nanny, one thread, loopback only) attached to a scheduler.</summary>
    public static class PythonWorkerProcess
    {
        public static PythonProcess Start(DaskSchedulerProcess scheduler, string name, string? resources = null) =>
            Start(scheduler.Dask, scheduler.Address, name, resources);

        public static PythonProcess Start(DaskInstallation dask, string schedulerAddress, string name, string? resources = null)
        {
            var arguments = new List<string>
            {
                "-m", "distributed.cli.dask_worker", schedulerAddress,
                "--host", "127.0.0.1", "--no-nanny", "--nthreads", "1", "--name", name,
                "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
            };
            if (resources is not null)
            {
                arguments.Add("--resources");
                arguments.Add(resources);
            }

            return PythonProcess.Start(dask, arguments);
        }
    }
}
