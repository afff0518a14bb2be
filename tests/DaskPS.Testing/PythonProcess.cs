using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Testing
{
    /// <summary>
    /// A /usr/bin/python3 child process whose output is captured; disposing kills it and its children.
    /// </summary>
    public sealed class PythonProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new StringBuilder();
        private bool _disposed;

        private PythonProcess(Process process)
        {
            _process = process;
        }

        public int Id => _process.Id;

        public bool HasExited => _process.HasExited;

        /// <summary>Everything written to stdout and stderr so far.</summary>
        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static PythonProcess Start(DaskInstallation dask, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
        {
            var info = new ProcessStartInfo(DaskInstallation.SystemPython)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = stdin is not null,
            };
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            foreach (KeyValuePair<string, string> pair in dask.Environment)
            {
                info.Environment[pair.Key] = pair.Value;
            }

            if (environment is not null)
            {
                foreach (KeyValuePair<string, string> pair in environment)
                {
                    info.Environment[pair.Key] = pair.Value;
                }
            }

            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var wrapper = new PythonProcess(process);
            process.OutputDataReceived += (_, e) => wrapper.Append(e.Data);
            process.ErrorDataReceived += (_, e) => wrapper.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }

            return wrapper;
        }

        /// <summary>Runs a script to completion and returns its stdout; fails with its output on a non-zero exit or timeout.</summary>
        public static async Task<string> RunAsync(DaskInstallation dask, IEnumerable<string> arguments, TimeSpan timeout, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
        {
            await using PythonProcess process = Start(dask, arguments, environment, stdin);
            if (!await process.WaitForExitAsync(timeout).ConfigureAwait(false))
            {
                throw new TimeoutException($"python did not finish within {timeout.TotalSeconds} s. Output:\n{process.Output}");
            }

            if (process._process.ExitCode != 0)
            {
                throw new InvalidOperationException($"python exited with {process._process.ExitCode}. Output:\n{process.Output}");
            }

            return process.Output;
        }

        public async Task<bool> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                // The parameterless wait also drains the redirected output.
                _process.WaitForExit();
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        /// <summary>Waits until a line of output matches; fails with the output so far when the process exits or time runs out.</summary>
        public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                foreach (string line in Output.Split('\n'))
                {
                    if (match(line.TrimEnd('\r')))
                    {
                        return line.TrimEnd('\r');
                    }
                }

                if (HasExited)
                {
                    // Output handlers may still be draining; look once more after the process is gone.
                    _process.WaitForExit();
                    foreach (string line in Output.Split('\n'))
                    {
                        if (match(line.TrimEnd('\r')))
                        {
                            return line.TrimEnd('\r');
                        }
                    }

                    throw new InvalidOperationException($"python exited ({_process.ExitCode}) before printing the expected line. Output:\n{Output}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"python did not print the expected line within {timeout.TotalSeconds} s. Output:\n{Output}");
                }

                await Task.Delay(20).ConfigureAwait(false);
            }
        }

        public int ExitCode => _process.ExitCode;

        /// <summary>Kills at once (SIGKILL), as a crash would.</summary>
        public void Kill()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Kill();
            await WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
