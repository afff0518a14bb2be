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
        private readonly object _gate = new object();
        private readonly Stack<ScriptHost> _idle = new Stack<ScriptHost>();
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

            // Most bodies capture no $using: values; theirs is null rather than an empty table per task.
            var usingValues = function.Get("using") is MsgMap { Count: > 0 } captured ? (Hashtable?)PSValueConverter.FromWire(captured) : null;
            object? input = args.Count > 0 ? PSValueConverter.FromWire(TaskValues.AsArgument(args[0])) : null;
            var arguments = new object?[Math.Max(0, args.Count - 1)];
            for (int i = 0; i < arguments.Length; i++)
            {
                arguments[i] = PSValueConverter.FromWire(TaskValues.AsArgument(args[i + 1]));
            }

            ScriptHost host = await TakeAsync(run.Stopping).ConfigureAwait(false);
            try
            {
                ScriptOutcome outcome;
                using (RunningTasks.Enter(host.Runspace, run))
                {
                    try
                    {
                        outcome = await host.RunAsync(new ScriptRequest(host.Body(script), input, function.Get("hasInput") is true, arguments, usingValues), run.Stopping).ConfigureAwait(false);
                    }
                    catch (ParseException e)
                    {
                        throw Failure(e.ErrorRecord, e, new Dictionary<string, IReadOnlyList<string>>());
                    }
                }

                if (outcome.Error is ErrorRecord error)
                {
                    throw Failure(error, error.Exception, outcome.Streams);
                }

                object? result = OnlyBytes(outcome.Output) is byte[] bytes ? bytes : ToWire(outcome.Output);
                return outcome.Streams.Count == 0 ? result : new TaskOutput(result, outcome.Streams);
            }
            finally
            {
                Return(host);
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

        private static readonly string[] PreloadedModules = { "Microsoft.PowerShell.Management", "Microsoft.PowerShell.Utility" };

        private static string ModuleManifest => Path.Combine(Path.GetDirectoryName(typeof(PowerShellRuntime).Assembly.Location)!, "DaskPS.psd1");

        /// <summary>
        /// An idle runspace, or a new one. A stop while a new one opens ends the task at once (rather than when the
        /// runspace is ready, seconds later on a busy machine); the runspace, once open, waits for the next task.
        /// </summary>
        private async Task<ScriptHost> TakeAsync(CancellationToken stopping)
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

            Task<ScriptHost> opening = ScriptHost.OpenAsync(state);
            if (await Task.WhenAny(opening, Task.Delay(Timeout.Infinite, stopping)).ConfigureAwait(false) == opening)
            {
                return await opening.ConfigureAwait(false);
            }

            _ = opening.ContinueWith(o => Return(o.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw new OperationCanceledException(stopping);
        }

        /// <summary>Keeps a runspace for the next task: as many as there are slots; the ones made while tasks waited go.</summary>
        private void Return(ScriptHost host)
        {
            lock (_gate)
            {
                if (!_disposed && _idle.Count < _slots && host.IsOpen)
                {
                    _idle.Push(host);
                    return;
                }
            }

            host.Dispose();
        }

        // Caller holds the gate.
        private InitialSessionState SessionState()
        {
            InitialSessionState state = InitialSessionState.CreateDefault2();
            // DaskPS itself first, by path: a task's cmdlets reach its cluster whether or not the module is on PSModulePath.
            // The modules of the most used commands load with the runspace too, not when a task first calls one: PowerShell
            // loads a module on first use in a pipeline nested in the task's, and a stop that comes meanwhile lets the
            // task's finally block begin before its own pipeline counts as stopping; when it then does, the finally block's
            // commands are stopped too (its cleanup lost, one stop in a few dozen).
            state.ImportPSModule(new[] { ModuleManifest }.Concat(PreloadedModules).Concat(_modules).ToArray());

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
        private static byte[]? OnlyBytes(IReadOnlyList<PSObject> output)
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

        /// <summary>The task's output as one value: nothing, its one object, or an array of them.</summary>
        private object? ToWire(IReadOnlyList<PSObject> output)
        {
            if (output.Count < 2)
            {
                return output.Count == 0 ? null : PSValueConverter.ToWire(output[0], _depth);
            }

            var items = new object?[output.Count];
            for (int i = 0; i < items.Length; i++)
            {
                items[i] = PSValueConverter.ToWire(output[i], _depth);
            }

            return items;
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
