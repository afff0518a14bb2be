using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Cmdlets.Values;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Scripts
{
    /// <summary>
    /// Runs script-block tasks on a worker in warm runspaces (never a runspace per task). The initialization script
    /// and modules are applied once per runspace. Output, and any error, warning, verbose, debug and information
    /// messages, travel back with the result. The runspaces are its own rather than a RunspacePool's: a task that
    /// waits for the tasks it submitted gives its slot up but keeps its runspace, so the tasks that run meanwhile need
    /// more runspaces than there are slots; and the cmdlets a task calls find their task by its runspace.
    /// </summary>
    /// <remarks>Internal: PowerShell lists the module's public types before DaskPS.Core can load (DependencyResolution).</remarks>
    internal sealed class PowerShellRuntime : ITaskRuntime, IDisposable
    {
        // Runs the task body with $_ (and $PSItem) set to the input object and @args as its arguments. Setting $_
        // in the calling scope costs far less than piping one object through ForEach-Object.
        private const string Wrapper = @"
param($__daskpsScript, $__daskpsInput, $__daskpsHasInput, $__daskpsArgs, $" + ScriptTask.UsingVariable + @")
$__daskpsBody = [scriptblock]::Create($__daskpsScript)
if ($__daskpsHasInput) { $_ = $__daskpsInput }
& $__daskpsBody @__daskpsArgs
";

        private readonly object _gate = new object();
        private readonly Stack<Runspace> _idle = new Stack<Runspace>();
        private readonly int _slots;
        private readonly string? _initializationScript;
        private readonly IReadOnlyList<string> _modules;
        private readonly int _depth;
        private InitialSessionState? _state;
        private string? _startupFile;
        private bool _disposed;

        public PowerShellRuntime(int slots, string? initializationScript = null, IReadOnlyList<string>? modules = null, int serializationDepth = PSValueConverter.DefaultDepth)
        {
            _slots = Math.Max(1, slots);
            _initializationScript = string.IsNullOrWhiteSpace(initializationScript) ? null : initializationScript;
            _modules = modules ?? Array.Empty<string>();
            _depth = serializationDepth;
        }

        public string Name => ScriptTask.RuntimeName;

        public async Task<object?> RunAsync(MsgMap function, IReadOnlyList<object?> args, MsgMap? kwargs, TaskRun run)
        {
            if (function.Get("script") is not string script)
            {
                throw new TaskNotRunnableException("A powershell task carries no script.");
            }

            var usingValues = (Hashtable)(PSValueConverter.FromWire(function.Get("using") as MsgMap ?? new MsgMap()) ?? new Hashtable());
            object? input = args.Count > 0 ? PSValueConverter.FromWire(TaskValues.AsArgument(args[0])) : null;
            object?[] arguments = args.Skip(1).Select(a => PSValueConverter.FromWire(TaskValues.AsArgument(a))).ToArray();

            Runspace runspace = Take();
            try
            {
                using PowerShell shell = PowerShell.Create();
                shell.Runspace = runspace;
                shell.AddScript(Wrapper)
                    .AddArgument(script)
                    .AddArgument(input)
                    .AddArgument(function.Get("hasInput") is true)
                    .AddArgument(arguments)
                    .AddArgument(usingValues);

                PSDataCollection<PSObject> output;
                using (RunningTasks.Enter(runspace, run))
                using (run.Stopping.Register(() => shell.BeginStop(null, null)))
                {
                    try
                    {
                        output = await Task.Factory.FromAsync(shell.BeginInvoke(), shell.EndInvoke).ConfigureAwait(false);
                    }
                    catch (RuntimeException e)
                    {
                        throw Failure(e.ErrorRecord, e, Streams(shell.Streams));
                    }
                }

                run.Stopping.ThrowIfCancellationRequested();
                object? result = OnlyBytes(output) is byte[] bytes ? bytes : Combine(output.Select(o => PSValueConverter.ToWire(o, _depth)).ToList());
                Dictionary<string, IReadOnlyList<string>> streams = Streams(shell.Streams);
                return streams.Count == 0 ? result : new TaskOutput(result, streams);
            }
            finally
            {
                Return(runspace);
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                while (_idle.Count > 0)
                {
                    _idle.Pop().Dispose();
                }

                if (_startupFile is not null)
                {
                    File.Delete(_startupFile);
                    _startupFile = null;
                }
            }
        }

        private static string ModuleManifest => Path.Combine(Path.GetDirectoryName(typeof(PowerShellRuntime).Assembly.Location)!, "DaskPS.psd1");

        /// <summary>An idle runspace, or a new one.</summary>
        private Runspace Take()
        {
            InitialSessionState state;
            lock (_gate)
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(PowerShellRuntime));
                }

                if (_idle.Count > 0)
                {
                    return _idle.Pop();
                }

                state = _state ??= SessionState();
            }

            Runspace runspace = RunspaceFactory.CreateRunspace(state);
            // One pipeline thread per runspace, kept for its life, rather than a new thread per task.
            runspace.ThreadOptions = PSThreadOptions.ReuseThread;
            runspace.Open();
            return runspace;
        }

        /// <summary>Keeps a runspace for the next task: as many as there are slots; the ones made while tasks waited go.</summary>
        private void Return(Runspace runspace)
        {
            lock (_gate)
            {
                if (!_disposed && _idle.Count < _slots && runspace.RunspaceStateInfo.State == RunspaceState.Opened)
                {
                    _idle.Push(runspace);
                    return;
                }
            }

            runspace.Dispose();
        }

        // Caller holds the gate.
        private InitialSessionState SessionState()
        {
            InitialSessionState state = InitialSessionState.CreateDefault2();
            // DaskPS itself first, by path: a task's cmdlets reach its cluster whether or not the module is on PSModulePath.
            state.ImportPSModule(new[] { ModuleManifest }.Concat(_modules).ToArray());

            if (_initializationScript is not null)
            {
                // Startup scripts run once in every runspace, when it opens.
                _startupFile = Path.Combine(Path.GetTempPath(), $"daskps-init-{Guid.NewGuid():N}.ps1");
                File.WriteAllText(_startupFile, _initializationScript);
                state.StartupScripts.Add(_startupFile);
            }

            return state;
        }

        /// <summary>
        /// A script that outputs a byte array writes its bytes one by one (PowerShell unrolls arrays): they travel as one
        /// byte array, compact on the wire, rather than an array of single bytes.
        /// </summary>
        private static byte[]? OnlyBytes(PSDataCollection<PSObject> output)
        {
            if (output.Count < 2 || output.Any(o => o?.BaseObject is not byte))
            {
                return null;
            }

            var bytes = new byte[output.Count];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)output[i].BaseObject;
            }

            return bytes;
        }

        private static object? Combine(List<object?> items) => items.Count switch
        {
            0 => null,
            1 => items[0],
            _ => items.ToArray(),
        };

        private static Dictionary<string, IReadOnlyList<string>> Streams(PSDataStreams streams)
        {
            var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            Add(result, "error", streams.Error.Select(e => e.ToString()));
            Add(result, "warning", streams.Warning.Select(w => w.Message));
            Add(result, "verbose", streams.Verbose.Select(v => v.Message));
            Add(result, "debug", streams.Debug.Select(d => d.Message));
            Add(result, "information", streams.Information.Select(i => i.MessageData?.ToString() ?? string.Empty));
            return result;
        }

        private static void Add(Dictionary<string, IReadOnlyList<string>> streams, string name, IEnumerable<string> messages)
        {
            List<string> list = messages.ToList();
            if (list.Count > 0)
            {
                streams[name] = list;
            }
        }

        /// <summary>
        /// The task's error, with where it happened and (as text, since an error report carries only text) any
        /// messages the task wrote before it failed.
        /// </summary>
        private static TaskFailureException Failure(ErrorRecord? record, Exception e, Dictionary<string, IReadOnlyList<string>> streams)
        {
            Exception cause = record?.Exception ?? e;
            string message = record?.ToString() ?? cause.Message;
            var details = new System.Text.StringBuilder();
            details.AppendLine(record?.InvocationInfo?.PositionMessage ?? string.Empty);
            details.AppendLine(record?.ScriptStackTrace ?? string.Empty);
            foreach (KeyValuePair<string, IReadOnlyList<string>> stream in streams)
            {
                foreach (string line in stream.Value.Where(l => stream.Key != "error" || l != message))
                {
                    details.Append(stream.Key.ToUpperInvariant()).Append(": ").AppendLine(line);
                }
            }

            return new TaskFailureException(cause.GetType().FullName ?? cause.GetType().Name, message, details.ToString().Trim());
        }
    }
}
