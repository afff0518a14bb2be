using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Diagnostics;
using DaskPS.Worker;

namespace DaskPS.Hosting
{
    /// <summary>How to reach a host with OpenSSH's ssh and what to run there.</summary>
    public sealed class SshWorkerOptions
    {
        // A host is a name or an IP literal (IPv6 with an optional zone); nothing that ssh could read as an option.
        // (\z, not $, which would let a final newline through.)
        private static readonly Regex HostPattern = new Regex(@"^(?:[A-Za-z0-9_][A-Za-z0-9._-]*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9_.-]+)?)\z", RegexOptions.CultureInvariant);

        private static readonly Regex UserPattern = new Regex(@"^[A-Za-z0-9_.][A-Za-z0-9_.@\\$-]*\z", RegexOptions.CultureInvariant);

        private string? _userName;

        /// <param name="hostName">The host, or an alias of the ssh configuration.</param>
        /// <param name="remoteCommand">The words of the command to run there; it prints a foreground worker's log and stops when its input ends.</param>
        public SshWorkerOptions(string hostName, IEnumerable<string> remoteCommand)
        {
            if (hostName is null || !HostPattern.IsMatch(hostName))
            {
                throw new ArgumentException($"'{hostName}' is not a host name or IP address (letters, digits, '.', '-', '_'; IPv6 with ':'; it must not start with '-').", nameof(hostName));
            }

            HostName = hostName;
            RemoteCommand = remoteCommand?.ToList() ?? throw new ArgumentNullException(nameof(remoteCommand));
            if (RemoteCommand.Count == 0 || RemoteCommand[0].Length == 0)
            {
                throw new ArgumentException("The remote command needs a program.", nameof(remoteCommand));
            }
        }

        public string HostName { get; }

        public IReadOnlyList<string> RemoteCommand { get; }

        /// <summary>The user to log in as (ssh's -l); ssh's configuration or the local user when null.</summary>
        public string? UserName
        {
            get => _userName;
            set => _userName = value is null || UserPattern.IsMatch(value)
                ? value
                : throw new ArgumentException($"'{value}' is not a user name (letters, digits, '.', '_', '-', '@', '\\', '$'; it must not start with '-').", nameof(UserName));
        }

        /// <summary>ssh's port (-p); ssh's configuration or 22 when null.</summary>
        public int? Port { get; set; }

        /// <summary>The private key to log in with (ssh's -i).</summary>
        public string? KeyFile { get; set; }

        /// <summary>More ssh settings, each as ssh's -o takes it ("Name=value"); they come before DaskPS's defaults, so they win.</summary>
        public IList<string> Options { get; } = new List<string>();

        /// <summary>The ssh program.</summary>
        public string Ssh { get; set; } = "ssh";

        /// <summary>How long the remote worker may take to register with its scheduler.</summary>
        public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(120);

        /// <summary>Each line the remote side prints, with its level: standard output as Info (a leading "WARNING: " as Warning), standard error as Error.</summary>
        public Action<DaskLogLevel, string>? Log { get; set; }

        /// <summary>ssh's arguments: no terminal and never a prompt, the caller's settings, then keep-alives that notice a dead link.</summary>
        internal IEnumerable<string> SshArguments()
        {
            // BatchMode first, so no setting turns prompts back on (there is no terminal to answer them).
            var arguments = new List<string> { "-T", "-o", "BatchMode=yes" };
            if (UserName is not null)
            {
                arguments.AddRange(new[] { "-l", UserName });
            }

            if (Port is int port)
            {
                arguments.AddRange(new[] { "-p", port.ToString(CultureInfo.InvariantCulture) });
            }

            if (KeyFile is not null)
            {
                arguments.AddRange(new[] { "-i", KeyFile });
            }

            foreach (string option in Options)
            {
                if (option.Length == 0 || option[0] == '-' || option.IndexOf('=') <= 0 || option.Any(char.IsControl))
                {
                    throw new ArgumentException($"'{option}' is not an ssh setting of the form Name=value.", nameof(Options));
                }

                arguments.AddRange(new[] { "-o", option });
            }

            // ssh takes the first value it gets for a setting: the caller's come first.
            arguments.AddRange(new[] { "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3" });
            arguments.AddRange(new[] { "--", HostName, string.Join(" ", RemoteCommand.Select(QuoteForShell)) });
            return arguments;
        }

        /// <summary>
        /// A word as a POSIX shell reads it back (the remote login shell runs the command ssh sends). Plain words stay
        /// unquoted, so a command made only of them also runs under other shells (cmd.exe, PowerShell).
        /// </summary>
        internal static string QuoteForShell(string word) =>
            word.Length > 0 && word.All(c => (c < 128 && char.IsLetterOrDigit(c)) || "_./=:@+,-".IndexOf(c) >= 0)
                ? word
                : "'" + word.Replace("'", "'\\''") + "'";
    }

    /// <summary>
    /// A DaskPS worker on another host, run over OpenSSH's ssh as a foreground worker whose log comes back as ssh's
    /// output. ssh holds the remote worker's standard input, and the worker stops when that input ends: closing it
    /// (<see cref="StopAsync"/>), ssh being killed or dying with this process, and a broken connection all end the
    /// remote worker properly (it tells the scheduler it is leaving), where a closed session alone would leave a process
    /// without a terminal running. Plain ssh rather than PowerShell's SSH remoting: it needs no PowerShell subsystem in
    /// the hosts' sshd configuration, runs from Windows PowerShell 5.1 too, uses the user's ssh configuration and keys
    /// as they are, and ties each worker to one process whose end, however it comes, ends the worker.
    /// </summary>
    public sealed class SshWorker : ChildProcess
    {
        private const int ErrorLinesKept = 8;

        private readonly SshWorkerOptions _options;
        private readonly TaskCompletionSource<bool> _registered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<bool> _completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Queue<string> _lastErrors = new Queue<string>();

        private SshWorker(Process process, SshWorkerOptions options)
            : base(process, recordOutput: false)
        {
            _options = options;
            Exited += OnExited;
        }

        public string HostName => _options.HostName;

        /// <summary>The remote worker's name, once it has registered.</summary>
        public string Name { get; private set; } = string.Empty;

        /// <summary>The remote worker's contact address, once it has registered.</summary>
        public string Address { get; private set; } = string.Empty;

        /// <summary>Completes when ssh has ended; faults, saying why and naming the host, unless the remote worker ended cleanly.</summary>
        public Task Completion => _completion.Task;

        /// <summary>Starts ssh and waits until the remote worker has registered with its scheduler; fails naming the host.</summary>
        public static async Task<SshWorker> StartAsync(SshWorkerOptions options, CancellationToken cancellationToken = default)
        {
            List<string> arguments = options.SshArguments().ToList();
            SshWorker? worker;
            try
            {
                Launch(options.Ssh, arguments, null, null, out worker, p => new SshWorker(p, options), holdInput: true);
            }
            catch (DaskException e)
            {
                throw new DaskException($"{e.Message} Install OpenSSH's client (on Debian/Ubuntu 'apt-get install openssh-client').", e);
            }

            try
            {
                Task timeout = Task.Delay(options.StartTimeout, cancellationToken);
                Task first = await Task.WhenAny(worker!._registered.Task, worker._completion.Task, timeout).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (first == worker._registered.Task)
                {
                    return worker;
                }

                if (first == timeout)
                {
                    throw new DaskTimeoutException($"The DaskPS worker on '{options.HostName}' did not register within {options.StartTimeout.TotalSeconds} s.{worker.LastErrors()}");
                }

                await worker._completion.Task.ConfigureAwait(false);
                throw new DaskException($"The DaskPS worker on '{options.HostName}' ended before it registered with its scheduler.{worker.LastErrors()}");
            }
            catch
            {
                await worker!.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>Closes the remote worker's input, so it leaves its scheduler and exits; kills ssh if that takes longer than <paramref name="grace"/>.</summary>
        public async Task StopAsync(TimeSpan grace)
        {
            CloseInput();
            await WaitForExitAsync(grace).ConfigureAwait(false);
            await DisposeAsync().ConfigureAwait(false);
        }

        protected override void OnLine(string line, bool error)
        {
            const string Warning = "WARNING: ";
            if (error)
            {
                lock (_lastErrors)
                {
                    _lastErrors.Enqueue(line);
                    if (_lastErrors.Count > ErrorLinesKept)
                    {
                        _lastErrors.Dequeue();
                    }
                }

                _options.Log?.Invoke(DaskLogLevel.Error, line);
                return;
            }

            if (line.StartsWith(Warning, StringComparison.Ordinal))
            {
                _options.Log?.Invoke(DaskLogLevel.Warning, line.Substring(Warning.Length));
                return;
            }

            if (!_registered.Task.IsCompleted && DaskWorker.RegisteredLine.Match(line) is { Success: true } registered)
            {
                Name = registered.Groups["name"].Value;
                Address = registered.Groups["address"].Value;
                _registered.TrySetResult(true);
            }

            _options.Log?.Invoke(DaskLogLevel.Info, line);
        }

        private void OnExited()
        {
            // The exit code is there once the output is drained, and the last error lines with it.
            WaitForExitAsync(TimeSpan.FromSeconds(10)).ContinueWith(
                drained =>
                {
                    int code;
                    try
                    {
                        code = drained.IsFaulted ? 0 : ExitCode;
                    }
                    catch (InvalidOperationException)
                    {
                        // Already disposed: it was stopped, which is no failure.
                        code = 0;
                    }

                    if (code == 0)
                    {
                        _completion.TrySetResult(true);
                        return;
                    }

                    string program = _options.RemoteCommand[0];
                    string reason = code switch
                    {
                        255 when _registered.Task.IsCompleted => $"The ssh connection to '{HostName}' broke (exit code 255).",
                        255 => $"ssh could not connect or log in to '{HostName}' (exit code 255).",
                        127 => $"'{program}' was not found on '{HostName}' (exit code 127): install PowerShell there or name it with -RemotePowerShell.",
                        _ => $"The DaskPS worker on '{HostName}' exited with code {code}.",
                    };
                    _completion.TrySetException(new DaskException(reason + LastErrors()));
                },
                TaskScheduler.Default);
        }

        private string LastErrors()
        {
            lock (_lastErrors)
            {
                return _lastErrors.Count == 0 ? string.Empty : " Its last error output: " + string.Join(" ", _lastErrors);
            }
        }
    }
}
