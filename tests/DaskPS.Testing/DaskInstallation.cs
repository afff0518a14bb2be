using System;
using System.Collections.Generic;
using System.IO;

namespace DaskPS.Testing
{
    /// <summary>
    /// Where the real dask of a given version lives on this machine: Debian's 2022.12.1 on /usr/bin/python3,
    /// Debian 13's 2024.12.1 unpacked privately by scripts/install-dask-2024.12.sh, or any other installation for
    /// /usr/bin/python3 named by its PYTHONPATH folder (DASKPS_DASK_PYTHONPATH; README: "Other dask releases").
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

        /// <summary>
        /// The installation at DASKPS_DASK_PYTHONPATH when set (DASKPS_DASK_VERSION then names its release), otherwise
        /// the version chosen by DASKPS_DASK_VERSION (2022.12 by default).
        /// </summary>
        public static DaskInstallation Selected
        {
            get
            {
                string? version = System.Environment.GetEnvironmentVariable("DASKPS_DASK_VERSION");
                string? pythonPath = System.Environment.GetEnvironmentVariable("DASKPS_DASK_PYTHONPATH");
                return string.IsNullOrEmpty(pythonPath) ? ForVersion(version ?? "2022.12") : AtPythonPath(version ?? "(unnamed)", pythonPath!);
            }
        }

        /// <summary>An installation whose packages are in <paramref name="pythonPath"/> (a PYTHONPATH for /usr/bin/python3).</summary>
        public static DaskInstallation AtPythonPath(string version, string pythonPath)
        {
            if (!Directory.Exists(Path.Combine(pythonPath, "distributed")))
            {
                throw new InvalidOperationException($"{pythonPath} holds no dask.distributed (no 'distributed' folder).");
            }

            Dictionary<string, string> environment = CommonEnvironment();
            environment["PYTHONPATH"] = pythonPath;
            return new DaskInstallation(version, environment);
        }

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
            Dictionary<string, string> environment = CommonEnvironment();

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

        private static Dictionary<string, string> CommonEnvironment() => new Dictionary<string, string>
        {
            ["PYTHONDONTWRITEBYTECODE"] = "1",
            // Ignore any user dask config on the machine; tests define their own.
            ["DASK_CONFIG"] = Path.Combine(Path.GetTempPath(), "daskps-no-config"),
        };
    }
}
