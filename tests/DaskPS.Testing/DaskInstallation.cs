using System;
using System.Collections.Generic;
using System.IO;

namespace DaskPS.Testing
{
    /// <summary>
    /// Where the real dask of a given version lives on this machine: Debian's 2022.12.1 on /usr/bin/python3,
    /// or Debian 13's 2024.12.1 unpacked privately by scripts/install-dask-2024.12.sh.
    /// </summary>
    public sealed class DaskInstallation
    {
        public const string SystemPython = "/usr/bin/python3";

        private DaskInstallation(string version, IReadOnlyDictionary<string, string> environment)
        {
            Version = version;
            Environment = environment;
        }

        public string Version { get; }

        /// <summary>Variables to set for every Python process of this installation.</summary>
        public IReadOnlyDictionary<string, string> Environment { get; }

        /// <summary>The version chosen by DASKPS_DASK_VERSION (2022.12 by default).</summary>
        public static DaskInstallation Selected => ForVersion(System.Environment.GetEnvironmentVariable("DASKPS_DASK_VERSION") ?? "2022.12");

        /// <summary>Options that start this installation's dask-scheduler, with extra environment variables.</summary>
        public Hosting.LocalSchedulerOptions SchedulerOptions(IReadOnlyDictionary<string, string>? environment = null)
        {
            var options = new Hosting.LocalSchedulerOptions { PythonPath = SystemPython };
            foreach (KeyValuePair<string, string> pair in Environment)
            {
                options.Environment[pair.Key] = pair.Value;
            }

            if (environment is not null)
            {
                foreach (KeyValuePair<string, string> pair in environment)
                {
                    options.Environment[pair.Key] = pair.Value;
                }
            }

            return options;
        }

        public static DaskInstallation ForVersion(string version)
        {
            var environment = new Dictionary<string, string>
            {
                ["PYTHONDONTWRITEBYTECODE"] = "1",
                // Ignore any user dask config on the machine; tests define their own.
                ["DASK_CONFIG"] = Path.Combine(Path.GetTempPath(), "daskps-no-config"),
            };

            switch (version)
            {
                case "2022.12":
                    if (!File.Exists("/usr/bin/dask-scheduler"))
                    {
                        throw new InvalidOperationException("dask 2022.12 is not installed: run 'apt-get install -y python3-distributed'.");
                    }

                    break;
                case "2024.12":
                    // Where scripts/install-dask-2024.12.sh unpacks Debian 13's packages.
                    string cache = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME")
                        ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache");
                    string sitePackages = Path.Combine(cache, "daskps", "dask-2024.12.1", "site-packages");
                    if (!Directory.Exists(Path.Combine(sitePackages, "distributed")))
                    {
                        throw new InvalidOperationException($"dask 2024.12 is not installed in {sitePackages}: run 'bash scripts/install-dask-2024.12.sh'.");
                    }

                    environment["PYTHONPATH"] = sitePackages;
                    break;
                default:
                    throw new ArgumentException($"Unknown dask version '{version}'; expected 2022.12 or 2024.12.", nameof(version));
            }

            return new DaskInstallation(version, environment);
        }
    }
}
