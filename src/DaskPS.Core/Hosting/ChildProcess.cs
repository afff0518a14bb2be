using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Hosting
{
    /// <summary>
    /// A child process (a dask-scheduler, a worker host, a script) whose output is captured line by line;
    /// disposing kills it and its children.
    /// </summary>
    public class ChildProcess : IAsyncDisposable
    {
        // Children still running when this process exits are killed with it, so closing the shell that
        // started a scheduler leaves no orphan behind.
        private static readonly HashSet<ChildProcess> Running = new HashSet<ChildProcess>();

        static ChildProcess()
        {
            AppDomain.CurrentDomain.ProcessExit += KillRunning;
        }

        private readonly Process _process;
        private readonly StringBuilder _output = new StringBuilder();
        private readonly bool _recordOutput;
        private bool _disposed;
        private Action<string>? _followers;

        /// <summary><paramref name="recordOutput"/>: false for a long-lived process whose lines only <see cref="OnLine"/> sees, so memory stays flat.</summary>
        protected ChildProcess(Process process, bool recordOutput = true)
        {
            _process = process;
            _recordOutput = recordOutput;
            _process.Exited += (_, _) => Exited?.Invoke();
        }

        public int Id => _process.Id;

        public bool HasExited => _disposed || _process.HasExited;

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

        /// <summary>Starts <paramref name="fileName"/> with arguments and extra environment variables.</summary>
        public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
        {
            Launch(fileName, arguments, environment, stdin, out ChildProcess? wrapper, p => new ChildProcess(p));
            return wrapper!;
        }

        /// <summary>
        /// Creates the process, wires output capture into the wrapper <paramref name="wrap"/> makes, and starts it.
        /// <paramref name="stdin"/> is written to standard input, which is then closed; with <paramref name="holdInput"/>
        /// standard input stays open until <see cref="CloseInput"/>.
        /// </summary>
        protected static Process Launch<T>(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, string? stdin, out T? wrapper, Func<Process, T> wrap, bool holdInput = false)
            where T : ChildProcess
        {
            var info = new ProcessStartInfo(fileName)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = stdin is not null || holdInput,
            };
            // ArgumentList is not in netstandard2.0: quote as the runtime's parser expects.
            info.Arguments = string.Join(" ", System.Linq.Enumerable.Select(arguments, Quote));

            if (environment is not null)
            {
                foreach (KeyValuePair<string, string> pair in environment)
                {
                    info.Environment[pair.Key] = pair.Value;
                }
            }

            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            T created = wrap(process);
            process.OutputDataReceived += (_, e) => created.Append(e.Data, error: false);
            process.ErrorDataReceived += (_, e) => created.Append(e.Data, error: true);
            try
            {
                process.Start();
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                process.Dispose();
                throw new DaskException($"'{fileName}' could not be started: {e.Message}", e);
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
            }

            if (!holdInput && info.RedirectStandardInput)
            {
                process.StandardInput.Close();
            }

            Track(created);
            wrapper = created;
            return process;
        }

        /// <summary>Waits for the process to end; fails with its output on a non-zero exit or when time runs out.</summary>
        public async Task<string> CompleteAsync(TimeSpan timeout)
        {
            if (!await WaitForExitAsync(timeout).ConfigureAwait(false))
            {
                throw new DaskTimeoutException($"{_process.StartInfo.FileName} did not finish within {timeout.TotalSeconds} s. Output:\n{Output}");
            }

            if (_process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode}. Output:\n{Output}");
            }

            return Output;
        }

        public async Task<bool> WaitForExitAsync(TimeSpan timeout)
        {
            if (!_process.HasExited)
            {
                var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                EventHandler onExit = (_, _) => exited.TrySetResult(true);
                _process.Exited += onExit;
                try
                {
                    if (!_process.HasExited && await Task.WhenAny(exited.Task, Task.Delay(timeout)).ConfigureAwait(false) != exited.Task)
                    {
                        return false;
                    }
                }
                finally
                {
                    _process.Exited -= onExit;
                }
            }

            // The parameterless wait also drains the redirected output.
            _process.WaitForExit();
            return true;
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

                    throw new InvalidOperationException($"{_process.StartInfo.FileName} exited ({_process.ExitCode}) before printing the expected line. Output:\n{Output}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new DaskTimeoutException($"{_process.StartInfo.FileName} did not print the expected line within {timeout.TotalSeconds} s. Output:\n{Output}");
                }

                await Task.Delay(20).ConfigureAwait(false);
            }
        }

        public int ExitCode => _process.ExitCode;

        /// <summary>Closes standard input (held open by <see cref="Launch"/>'s holdInput), as the end of a stream of input.</summary>
        protected void CloseInput()
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (Exception e) when (e is IOException || e is InvalidOperationException)
            {
                // The process is gone, or its input was closed already.
            }
        }

        /// <summary>Kills at once (SIGKILL), as a crash would.</summary>
        public void Kill()
        {
            try
            {
                if (!_process.HasExited)
                {
                    KillTree(_process);
                }
            }
            catch (Exception e) when (e is InvalidOperationException || e is System.Reflection.TargetInvocationException || e is System.ComponentModel.Win32Exception)
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
            lock (Running)
            {
                Running.Remove(this);
            }

            Kill();
            await WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            _process.Dispose();
        }

        private static void Track(ChildProcess child)
        {
            lock (Running)
            {
                Running.Add(child);
            }
        }

        private static void KillRunning(object? sender, EventArgs e)
        {
            ChildProcess[] children;
            lock (Running)
            {
                children = new ChildProcess[Running.Count];
                Running.CopyTo(children);
                Running.Clear();
            }

            foreach (ChildProcess child in children)
            {
                child.Kill();
            }
        }

        /// <summary>Kills the process and its children where the runtime can (PowerShell 7), the process alone on .NET Framework.</summary>
        private static void KillTree(Process process)
        {
            System.Reflection.MethodInfo? killTree = typeof(Process).GetMethod("Kill", new[] { typeof(bool) });
            if (killTree is not null)
            {
                killTree.Invoke(process, new object[] { true });
            }
            else
            {
                process.Kill();
            }
        }

        private static string Quote(string argument)
        {
            if (argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '\t', '\n', '"' }) < 0)
            {
                return argument;
            }

            var quoted = new StringBuilder("\"");
            int backslashes = 0;
            foreach (char c in argument)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }

                // Backslashes before a quote are doubled, and the quote is escaped.
                quoted.Append('\\', c == '"' ? (backslashes * 2) + 1 : backslashes);
                backslashes = 0;
                quoted.Append(c);
            }

            quoted.Append('\\', backslashes * 2);
            return quoted.Append('"').ToString();
        }

        /// <summary>Raised once when the process ends, however it ends.</summary>
        public event Action? Exited;

        /// <summary>Replays the output so far to <paramref name="follower"/>, then passes it every new line.</summary>
        public void Follow(Action<string> follower)
        {
            lock (_output)
            {
                foreach (string line in _output.ToString().Split('\n'))
                {
                    if (line.Length > 0)
                    {
                        follower(line.TrimEnd('\r'));
                    }
                }

                _followers += follower;
            }
        }

        /// <summary>Sees each line as it arrives, after it was recorded; <paramref name="error"/>: it came on standard error.</summary>
        protected virtual void OnLine(string line, bool error)
        {
        }

        private void Append(string? line, bool error)
        {
            if (line is null)
            {
                return;
            }

            if (_recordOutput)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                    _followers?.Invoke(line);
                }
            }

            OnLine(line, error);
        }
    }
}
