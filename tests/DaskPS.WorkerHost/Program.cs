using System;
using System.Threading.Tasks;
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
    /// "ADDRESS &lt;address&gt;" (the contact address) once registered.
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
            await using var worker = new DaskWorker(options);
            await worker.StartAsync();
            Console.WriteLine($"ADDRESS {worker.Address}");
            Console.Out.Flush();
            await worker.Completion;
            return 0;
        }
    }
}
