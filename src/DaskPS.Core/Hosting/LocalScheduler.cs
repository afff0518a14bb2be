using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;

namespace DaskPS.Hosting
{
    public sealed class LocalSchedulerOptions
    {
        /// <summary>Interface to listen on; loopback by default.</summary>
        public string Host { get; set; } = "127.0.0.1";

        /// <summary>0 picks a free port.</summary>
        public int Port { get; set; }

        /// <summary>A Python with dask.distributed installed; when null, dask-scheduler is looked up on PATH.</summary>
        public string? PythonPath { get; set; }

        /// <summary>Extra environment variables (e.g. DASK_* configuration).</summary>
        public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>TLS files for dask-scheduler's --tls-* options; with them it listens on tls:// only.</summary>
        public DaskSecurity Security { get; set; } = new DaskSecurity();
    }

    /// <summary>
    /// The real Python dask-scheduler as a child process; start-up waits (with a deadline) for its scheduler
    /// file. Its dashboard and HTTP endpoints stay on the same host it listens on.
    /// </summary>
    public sealed class LocalScheduler : IAsyncDisposable
    {
        /// <summary>dask's setting (as an environment variable) that starts the Active Memory Manager with the scheduler.</summary>
        public const string ActiveMemoryManagerSetting = "DASK_DISTRIBUTED__SCHEDULER__ACTIVE_MEMORY_MANAGER__START";

        /// <summary>dask's setting (as an environment variable) that refuses unencrypted connections.</summary>
        public const string RequireEncryptionSetting = "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION";

        public const string InstallHint = "Install dask.distributed: 'pip install distributed', or on Debian/Ubuntu 'apt-get install python3-distributed'.";

        private readonly ChildProcess _process;
        private readonly string _directory;

        private LocalScheduler(ChildProcess process, string directory, string address)
        {
            _process = process;
            _directory = directory;
            Address = address;
        }

        public string Address { get; }

        public int ProcessId => _process.Id;

        public bool HasExited => _process.HasExited;

        /// <summary>What the scheduler has logged so far.</summary>
        public string Output => _process.Output;

        /// <summary>Raised when the scheduler process ends.</summary>
        public event Action? Exited
        {
            add => _process.Exited += value;
            remove => _process.Exited -= value;
        }

        /// <summary>Replays the scheduler's log so far, then passes on every new line.</summary>
        public void Follow(Action<string> follower) => _process.Follow(follower);

        public static async Task<LocalScheduler> StartAsync(LocalSchedulerOptions? options = null, CancellationToken cancellationToken = default)
        {
            options ??= new LocalSchedulerOptions();
            (string program, List<string> arguments) = Command(options);
            string directory = Path.Combine(Path.GetTempPath(), "daskps-scheduler-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            string schedulerFile = Path.Combine(directory, "scheduler.json");
            arguments.AddRange(new[]
            {
                "--host", options.Host, "--port", options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                // --no-dashboard alone still binds every interface; keep the HTTP endpoints on the same host.
                "--no-dashboard", "--dashboard-address", options.Host + ":0",
                "--scheduler-file", schedulerFile,
            });
            arguments.AddRange(options.Security.SchedulerArguments());
            var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["DASK_TEMPORARY_DIRECTORY"] = directory };
            if (System.Environment.GetEnvironmentVariable(ActiveMemoryManagerSetting) is null)
            {
                // The Active Memory Manager drops replicas it deems extra every 2 s, which would undo Copy-DaskData
                // (dask's replicate). Setting the variable (here or in the options) turns it back on.
                environment[ActiveMemoryManagerSetting] = "False";
            }

            if (options.Security.RequireEncryption)
            {
                // dask's scheduler already refuses tcp:// peers when it has TLS files; this says so explicitly.
                environment[RequireEncryptionSetting] = "True";
            }

            foreach (KeyValuePair<string, string> pair in options.Environment)
            {
                environment[pair.Key] = pair.Value;
            }

            ChildProcess process = ChildProcess.Start(program, arguments, environment);
            try
            {
                string address = await WaitForAddressAsync(process, schedulerFile, options.StartTimeout, cancellationToken).ConfigureAwait(false);
                return new LocalScheduler(process, directory, address);
            }
            catch
            {
                await process.DisposeAsync().ConfigureAwait(false);
                TryDelete(directory);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _process.DisposeAsync().ConfigureAwait(false);
            TryDelete(_directory);
        }

        private static (string Program, List<string> Arguments) Command(LocalSchedulerOptions options)
        {
            if (options.PythonPath is not null)
            {
                return (options.PythonPath, new List<string> { "-m", "distributed.cli.dask_scheduler" });
            }

            if (FindOnPath("dask-scheduler") is string scheduler)
            {
                return (scheduler, new List<string>());
            }

            // From 2026.6 dask.distributed installs no dask-scheduler command, only dask's own "dask scheduler".
            if (FindOnPath("dask") is string dask)
            {
                return (dask, new List<string> { "scheduler" });
            }

            throw new DaskException("Neither dask-scheduler nor dask was found on PATH. " + InstallHint);
        }

        private static string? FindOnPath(string name)
        {
            string[] suffixes = Path.DirectorySeparatorChar == '\\' ? new[] { ".exe", ".cmd", string.Empty } : new[] { string.Empty };
            foreach (string directory in (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Where(d => d.Length > 0))
            {
                foreach (string suffix in suffixes)
                {
                    string candidate = Path.Combine(directory, name + suffix);
                    if (File.Exists(candidate))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }

        private static async Task<string> WaitForAddressAsync(ChildProcess process, string schedulerFile, TimeSpan timeout, CancellationToken cancellationToken)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    await process.WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                    string output = process.Output;
                    string hint = output.Contains("No module named") ? " " + InstallHint : string.Empty;
                    throw new DaskException($"dask-scheduler exited during start-up.{hint}\n{output}");
                }

                string? address = ReadAddress(schedulerFile);
                if (address is not null)
                {
                    return address;
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            throw new DaskTimeoutException($"dask-scheduler did not publish its address within {timeout.TotalSeconds} s:\n{process.Output}");
        }

        /// <summary>The "address" of a scheduler file, once it is completely written.</summary>
        private static string? ReadAddress(string schedulerFile)
        {
            try
            {
                if (!File.Exists(schedulerFile))
                {
                    return null;
                }

                string text = File.ReadAllText(schedulerFile);
                const string marker = "\"address\":";
                int at = text.IndexOf(marker, StringComparison.Ordinal);
                int open = at < 0 ? -1 : text.IndexOf('"', at + marker.Length);
                int close = open < 0 ? -1 : text.IndexOf('"', open + 1);
                return close > open + 1 ? text.Substring(open + 1, close - open - 1) : null;
            }
            catch (IOException)
            {
                return null;
            }
        }

        private static void TryDelete(string directory)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // A temp folder left behind is harmless.
            }
        }
    }
}
