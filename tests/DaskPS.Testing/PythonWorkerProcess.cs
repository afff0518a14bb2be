using System.Collections.Generic;
using System.Threading.Tasks;

namespace DaskPS.Testing
{
    /// <summary>A real Python dask-worker (no nanny, one thread, loopback only) attached to a scheduler.</summary>
    public static class PythonWorkerProcess
    {
        public static PythonProcess Start(DaskSchedulerProcess scheduler, string name, string? resources = null)
        {
            var arguments = new List<string>
            {
                "-m", "distributed.cli.dask_worker", scheduler.Address,
                "--host", "127.0.0.1", "--no-nanny", "--nthreads", "1", "--name", name,
                "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
            };
            if (resources is not null)
            {
                arguments.Add("--resources");
                arguments.Add(resources);
            }

            return PythonProcess.Start(scheduler.Dask, arguments);
        }
    }
}
