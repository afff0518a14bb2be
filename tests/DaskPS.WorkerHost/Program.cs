using System;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Diagnostics;
using DaskPS.Worker;

namespace DaskPS.WorkerHost
{
    /// <summary>Functions for tasks run by this host.</summary>
    public static class HostFunctions
    {
        public static long Slow(long value, long milliseconds)
        {
            System.Threading.Thread.Sleep((int)milliseconds);
            return value;
        }

        public static long Sum(long[] values)
        {
            long total = 0;
            foreach (long value in values)
            {
                total += value;
            }

            return total;
        }
    }

    /// <summary>
    /// Usage: DaskPS.WorkerHost &lt;scheduler&gt; &lt;name&gt; [slots [listen-address [contact-address]]]. Prints
    /// "ADDRESS &lt;address&gt;" (the contact address) once registered. TLS files come from the variables a dask worker
    /// reads them from (DASK_DISTRIBUTED__COMM__TLS__CA_FILE, __WORKER__CERT, __WORKER__KEY).
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            if (args.Length < 2)
            {
                Console.Error.WriteLine("usage: DaskPS.WorkerHost <scheduler> <name> [slots [listen-address [contact-address]]]");
                return 2;
            }

            var options = new DaskWorkerOptions(args[0])
            {
                Name = args[1],
                Slots = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1,
                ListenAddress = args.Length > 3 ? args[3] : null,
                ContactAddress = args.Length > 4 ? args[4] : null,
                Logger = new DaskLogger((level, message) => Console.WriteLine($"{level}: {message}")),
            };
            new DaskSecurity
            {
                CAFile = Setting("CA_FILE"),
                CertificateFile = Setting("WORKER__CERT"),
                KeyFile = Setting("WORKER__KEY"),
            }.ApplyTo(options.Comm);
            await using var worker = new DaskWorker(options);
            await worker.StartAsync();
            Console.WriteLine($"ADDRESS {worker.Address}");
            Console.Out.Flush();
            await worker.Completion;
            return 0;
        }

        private static string? Setting(string name) => Environment.GetEnvironmentVariable("DASK_DISTRIBUTED__COMM__TLS__" + name);
    }
}
