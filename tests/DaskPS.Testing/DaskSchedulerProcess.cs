using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Threading.Tasks;

namespace DaskPS.Testing
{
    /// <summary>
    /// A real dask-scheduler on 127.0.0.1 and a free port, with every HTTP endpoint on loopback too.
    /// Disposing stops it; start-up waits for its scheduler file, with a deadline.
    /// </summary>
    public sealed class DaskSchedulerProcess : IAsyncDisposable
    {
        private readonly PythonProcess _process;
        private readonly string _directory;

        private DaskSchedulerProcess(PythonProcess process, string directory, string address, DaskInstallation dask)
        {
            _process = process;
            _directory = directory;
            Address = address;
            Dask = dask;
        }

        public string Address { get; }

        public DaskInstallation Dask { get; }

        public int ProcessId => _process.Id;

        public string Output => _process.Output;

        public static async Task<DaskSchedulerProcess> StartAsync(DaskInstallation? dask = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
        {
            dask ??= DaskInstallation.Selected;
            string directory = Directory.CreateTempSubdirectory("daskps-scheduler-").FullName;
            string schedulerFile = Path.Combine(directory, "scheduler.json");
            PythonProcess process = PythonProcess.Start(dask, new[]
            {
                "-m", "distributed.cli.dask_scheduler",
                "--host", "127.0.0.1", "--port", "0",
                // --no-dashboard alone still binds 0.0.0.0; keep every endpoint on loopback.
                "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                "--scheduler-file", schedulerFile,
            }, WithScratch(environment, directory));

            try
            {
                string address = await WaitForAddressAsync(process, schedulerFile, timeout ?? TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                return new DaskSchedulerProcess(process, directory, address, dask);
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

        private static async Task<string> WaitForAddressAsync(PythonProcess process, string schedulerFile, TimeSpan timeout)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (process.HasExited)
                {
                    await process.WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                    throw new InvalidOperationException($"dask-scheduler exited during start-up:\n{process.Output}");
                }

                if (File.Exists(schedulerFile))
                {
                    try
                    {
                        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(schedulerFile));
                        if (json.RootElement.TryGetProperty("address", out JsonElement address) && address.GetString() is string text && text.Length > 0)
                        {
                            return text;
                        }
                    }
                    catch (Exception e) when (e is JsonException || e is IOException)
                    {
                        // Written but not finished yet; look again.
                    }
                }

                await Task.Delay(50).ConfigureAwait(false);
            }

            throw new TimeoutException($"dask-scheduler did not publish its address within {timeout.TotalSeconds} s:\n{process.Output}");
        }

        private static IReadOnlyDictionary<string, string> WithScratch(IReadOnlyDictionary<string, string>? environment, string directory)
        {
            var merged = new Dictionary<string, string>(StringComparer.Ordinal) { ["DASK_TEMPORARY_DIRECTORY"] = directory };
            if (environment is not null)
            {
                foreach (KeyValuePair<string, string> pair in environment)
                {
                    merged[pair.Key] = pair.Value;
                }
            }

            return merged;
        }

        private static void TryDelete(string directory)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
