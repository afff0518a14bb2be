using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Cmdlets.Scripts
{
    /// <summary>What one script-block task gave: its output, the messages it wrote, and the error that ended it, if any.</summary>
    internal sealed class ScriptOutcome
    {
        public ScriptOutcome(IReadOnlyList<PSObject> output, Dictionary<string, IReadOnlyList<string>> streams, ErrorRecord? error)
        {
            Output = output;
            Streams = streams;
            Error = error;
        }

        public IReadOnlyList<PSObject> Output { get; }

        public Dictionary<string, IReadOnlyList<string>> Streams { get; }

        public ErrorRecord? Error { get; }
    }

    /// <summary>One task for a <see cref="ScriptHost"/>; the loop script reads its properties.</summary>
    internal sealed class ScriptRequest
    {
        // Continuations run on the thread that ends the task, this runspace's: the worker reports the result from there
        // and starts its next task there too, which this host then finds posted without waiting for it. Nothing here
        // holds the gate while it ends a task.
        private readonly TaskCompletionSource<ScriptOutcome> _outcome = new TaskCompletionSource<ScriptOutcome>();

        public ScriptRequest(ScriptBody body, object? input, bool hasInput, object?[] arguments, System.Collections.Hashtable? usingValues)
        {
            Body = body.Block;
            Inline = body.Inline;
            Input = hasInput ? input : null;
            Arguments = arguments;
            Using = usingValues;
        }

        public ScriptBlock Body { get; }

        /// <summary>Whether the body runs inline rather than as a command of its own (<see cref="ScriptBody"/>).</summary>
        public bool Inline { get; }

        /// <summary>$_ for the body: the input object, or null for a task without one.</summary>
        public object? Input { get; }

        public object?[] Arguments { get; }

        /// <summary>The captured $using: values, or null when the body has none.</summary>
        public System.Collections.Hashtable? Using { get; }

        internal Task<ScriptOutcome> Outcome => _outcome.Task;

        internal void End(ScriptOutcome outcome) => _outcome.TrySetResult(outcome);

        internal void Stopped() => _outcome.TrySetCanceled();
    }

    /// <summary>
    /// A warm runspace whose one pipeline runs its tasks one after another: a loop script asks this host for the next
    /// task, the host runs the bodies that can run inline itself, and the loop runs the others as commands. A new
    /// pipeline per task costs more than a small task itself (its set-up and tear-down are most of a tenth of a
    /// millisecond); the loop costs a few microseconds. Stopping a task stops the loop's pipeline
    /// (PowerShell's own stop: the body's finally blocks run); the next task starts a new loop in the same runspace.
    /// </summary>
    internal sealed class ScriptHost : IDisposable
    {
        // Most tasks never reach the loop's body: NextCommand runs the bodies that can run inline (ScriptBody) itself,
        // inside the outer try, so that an error ending a statement ends the body, as it does inside the inner try (the
        // outer catch ends the task with anything that escapes the host itself); it hands over only the bodies that run
        // as a command. Such a body runs in a do-while of its own, so a break or
        // continue it leaves unhandled ends the body (as it would end a pipeline of its own) rather than the loop. $_ is
        // set in the loop's scope, the body's parent. NextCommand ends the previous task, so a body that returns needs
        // no call of its own: every operation here is paid per task, and in a session still compiling PowerShell each
        // is dear.
        private const string Loop = @"
param($__daskpsHost)
try {
    while ($__daskpsTask = $__daskpsHost.NextCommand()) {
        $" + ScriptTask.UsingVariable + @" = $__daskpsTask.Using
        $__daskpsArgs = $__daskpsTask.Arguments
        try {
            $_ = $__daskpsTask.Input
            do { & $__daskpsTask.Body @__daskpsArgs } while ($false)
        }
        catch {
            $__daskpsHost.Done($_)
        }
    }
}
catch {
    $__daskpsHost.Done($_)
}
";

        // Script blocks parsed in this runspace, by text: tasks of one submission share one body.
        private const int MaxBodies = 64;

        private readonly object _gate = new object();
        private readonly PSDataCollection<PSObject> _output = new PSDataCollection<PSObject>();
        private readonly Dictionary<string, ScriptBody> _bodies = new Dictionary<string, ScriptBody>(StringComparer.Ordinal);
        private PowerShell? _shell;
        private Task? _loop;
        private ScriptRequest? _posted;  // given to RunAsync, not yet taken by the loop
        private ScriptRequest? _running; // taken by the loop
        private bool _stopping;
        private bool _closed;

        private ScriptHost(Runspace runspace)
        {
            Runspace = runspace;
        }

        /// <summary>
        /// A new runspace, opened on a pool thread: opening takes a tenth of a second to seconds on a busy machine,
        /// and a task stopped meanwhile need not wait for it.
        /// </summary>
        public static Task<ScriptHost> OpenAsync(InitialSessionState state) => Task.Run(() =>
        {
            Runspace runspace = RunspaceFactory.CreateRunspace(state);
            // The loop's pipeline keeps its thread, rather than a new thread per pipeline.
            runspace.ThreadOptions = PSThreadOptions.ReuseThread;
            runspace.Open();
            return new ScriptHost(runspace);
        });

        public Runspace Runspace { get; }

        public bool IsOpen => Runspace.RunspaceStateInfo.State == RunspaceState.Opened;

        /// <summary>The body of a task, parsed once per text in this runspace.</summary>
        public ScriptBody Body(string script)
        {
            if (!_bodies.TryGetValue(script, out ScriptBody? body))
            {
                if (_bodies.Count >= MaxBodies)
                {
                    _bodies.Clear();
                }

                body = new ScriptBody(ScriptBlock.Create(script));
                _bodies[script] = body;
            }

            return body;
        }

        /// <summary>Runs one task; cancelled when <paramref name="stopping"/> stops it. One task at a time.</summary>
        public async Task<ScriptOutcome> RunAsync(ScriptRequest request, CancellationToken stopping)
        {
            lock (_gate)
            {
                if (_loop is null)
                {
                    StartLoop();
                }

                _posted = request;
                Monitor.Pulse(_gate);
            }

            try
            {
                using (stopping.Register(() => Stop(request)))
                {
                    return await request.Outcome.ConfigureAwait(false);
                }
            }
            finally
            {
                // A stopped loop ends before this runspace runs anything else.
                Task? ending;
                lock (_gate)
                {
                    ending = _stopping ? _loop : null;
                }

                if (ending is not null)
                {
                    await ending.ConfigureAwait(false);
                }
            }
        }

        /// <summary>
        /// Called by the loop script: runs the tasks that can run inline, one after another, and returns the next one
        /// that runs as a command, or null when the loop must end.
        /// </summary>
        public ScriptRequest? NextCommand()
        {
            while (Next() is ScriptRequest request)
            {
                if (!request.Inline)
                {
                    return request;
                }

                RunInline(request);
            }

            return null;
        }

        /// <summary>The next task, or null when the loop must end.</summary>
        private ScriptRequest? Next()
        {
            // The last task ended without an error: its body returned, or left the loop's iteration early (a labelled
            // break or continue); it ends with what it wrote.
            End(null);
            lock (_gate)
            {
                // Monitor.Wait blocks at once; a SemaphoreSlim would spin first, taking CPU from the other threads of a
                // busy worker for every task.
                while (_posted is null && !_stopping && !_closed)
                {
                    Monitor.Wait(_gate);
                }

                if (_stopping || _closed)
                {
                    return null;
                }

                (_running, _posted) = (_posted, null);
                return _running;
            }
        }

        /// <summary>Called by the loop script when a task's body has ended with an error.</summary>
        public void Done(ErrorRecord error) => End(error);

        public void Dispose()
        {
            lock (_gate)
            {
                _closed = true;
                Monitor.Pulse(_gate);
            }

            // Closing waits for the loop's pipeline to end. On the loop's own thread (a task's end runs the worker's
            // next steps there, a surplus runspace's disposal among them) it would wait for itself: there the runspace
            // closes on the pool, once the loop has returned.
            if (Runspace.DefaultRunspace == Runspace)
            {
                _ = Task.Run(Close);
            }
            else
            {
                Close();
            }
        }

        private void Close()
        {
            Runspace.Dispose();
            _shell?.Dispose();
        }

        /// <summary>
        /// Runs a body inline, its $_ and $using: values defined in its own scope, and ends its task. The body's errors
        /// reach this .NET caller as RuntimeExceptions (a script calling a script block's Invoke would get them wrapped
        /// in a MethodInvocationException); a stop, break, continue or exit passes on to the loop.
        /// </summary>
        private void RunInline(ScriptRequest request)
        {
            var variables = new List<PSVariable>(2) { new PSVariable("_", request.Input) };
            if (request.Using is not null)
            {
                variables.Add(new PSVariable(ScriptTask.UsingVariable, request.Using));
            }

            Collection<PSObject> output;
            try
            {
                output = request.Body.InvokeWithContext((Dictionary<string, ScriptBlock>?)null, variables, request.Arguments);
            }
            catch (RuntimeException e) when (e is not PipelineStoppedException)
            {
                // The record as a catch block's $_ holds it: with the exception itself, where the record has a stand-in.
                End(new ErrorRecord(e.ErrorRecord, e));
                return;
            }

            End(null, output);
        }

        // Caller holds the gate.
        private void StartLoop()
        {
            _stopping = false;
            _shell?.Dispose();
            PowerShell shell = _shell = PowerShell.Create();
            shell.Runspace = Runspace;
            shell.AddScript(Loop).AddArgument(this);
            _loop = Task.Factory.FromAsync(shell.BeginInvoke<object, PSObject>(null, _output), shell.EndInvoke).ContinueWith(LoopEnded, TaskScheduler.Default);
        }

        private void Stop(ScriptRequest request)
        {
            lock (_gate)
            {
                if ((_running == request || _posted == request) && !_stopping)
                {
                    _stopping = true;
                    Monitor.Pulse(_gate);
                    _shell!.BeginStop(null, null);
                }
            }
        }

        /// <summary>The loop's pipeline ended: a task was stopped, a body called exit, or this host closes.</summary>
        private void LoopEnded(Task<PSDataCollection<PSObject>> loop)
        {
            bool stopped;
            ScriptRequest? request;
            lock (_gate)
            {
                stopped = _stopping;
                _loop = null;
                request = stopped ? _running ?? _posted : null;
                if (stopped)
                {
                    _running = _posted = null;
                }
            }

            if (stopped)
            {
                request?.Stopped();
                return;
            }

            End(loop.Exception?.InnerException is RuntimeException e ? e.ErrorRecord : null);
        }

        /// <summary>Ends the task the loop runs, if any, with its output (what it wrote to the loop's, unless given) and the messages it wrote.</summary>
        private void End(ErrorRecord? error, IReadOnlyList<PSObject>? output = null)
        {
            ScriptRequest? request;
            lock (_gate)
            {
                (request, _running) = (_running, null);
            }

            request?.End(new ScriptOutcome(output ?? Take(_output), Streams(_shell!.Streams), error));
        }

        /// <summary>The messages a task wrote, by stream; the streams are emptied for the next task.</summary>
        private static Dictionary<string, IReadOnlyList<string>> Streams(PSDataStreams streams)
        {
            var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            Add(result, "error", streams.Error, e => e.ToString());
            Add(result, "warning", streams.Warning, w => w.Message);
            Add(result, "verbose", streams.Verbose, v => v.Message);
            Add(result, "debug", streams.Debug, d => d.Message);
            Add(result, "information", streams.Information, i => i.MessageData?.ToString() ?? string.Empty);
            return result;
        }

        /// <summary>
        /// What a collection holds, emptying it (PSDataCollection.ReadAll removes its items one by one from the front:
        /// quadratic for a script that unrolls a large array).
        /// </summary>
        private static T[] Take<T>(PSDataCollection<T> collection)
        {
            T[] items = collection.ToArray();
            collection.Clear();
            return items;
        }

        // Most tasks write no messages: an empty stream is neither copied nor cleared.
        private static void Add<T>(Dictionary<string, IReadOnlyList<string>> streams, string name, PSDataCollection<T> collection, Func<T, string> text)
        {
            if (collection.Count > 0)
            {
                streams[name] = Take(collection).Select(text).ToList();
            }
        }
    }
}
