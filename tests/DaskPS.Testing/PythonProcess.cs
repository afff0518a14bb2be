using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using DaskPS.Hosting;

namespace DaskPS.Testing
{
    /// <summary>A /usr/bin/python3 process with a dask installation's environment.</summary>
    public sealed class PythonProcess : ChildProcess
    {
        private PythonProcess(Process process) : base(process)
        {
        }

        public static PythonProcess Start(DaskInstallation dask, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
        {
            var merged = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, string> pair in dask.Environment)
            {
                merged[pair.Key] = pair.Value;
            }

            if (environment is not null)
            {
                foreach (KeyValuePair<string, string> pair in environment)
                {
                    merged[pair.Key] = pair.Value;
                }
            }

            Launch(DaskInstallation.SystemPython, arguments, merged, stdin, out PythonProcess? process, p => new PythonProcess(p));
            return process!;
        }

        /// <summary>Runs a script to completion and returns its output; fails with the output on a non-zero exit or timeout.</summary>
        public static async Task<string> RunAsync(DaskInstallation dask, IEnumerable<string> arguments, TimeSpan timeout, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
        {
            await using PythonProcess process = Start(dask, arguments, environment, stdin);
            return await process.CompleteAsync(timeout).ConfigureAwait(false);
        }
    }
}
