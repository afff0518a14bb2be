#nullable enable
using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Cmdlets.Scripts;
using DaskPS.Cmdlets.Values;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Benchmarks
{
    /// <summary>
    /// What each stage of a script-block task costs alone, in microseconds per task, without a cluster: the client's
    /// ScriptTask.Create (what Submit-DaskTask does per input) and its encoding, and the worker's PowerShellRuntime
    /// against a bare warm runspace doing the least a task needs. Compiled by Measure-ScriptTasks.ps1 with Add-Type,
    /// against the DaskPS assemblies the module loaded; the loops run here, so no PowerShell loop is in the figures.
    /// </summary>
    public static class ScriptTaskProfile
    {
        private const int WarmUp = 200;

        /// <summary>
        /// ScriptTask.Create as Submit-DaskTask calls it, $using: values read from the caller's <paramref name="variables"/>:
        /// $using: capture, the input to wire values, the task key (a hash of the encoded spec).
        /// </summary>
        public static double CreateMicroseconds(ScriptBlock script, int count, PSVariableIntrinsics variables) =>
            PerTask(count, i => Create(script, i, variables));

        /// <summary>Encoding one task's spec to its payload frames, which Create does once (the key hashes it; the submission sends it).</summary>
        public static double EncodeMicroseconds(ScriptBlock script, int count, PSVariableIntrinsics variables)
        {
            TaskSpec spec = Create(script, 1, variables).Spec!;
            // A new spec each time: a spec keeps its encoding.
            return PerTask(count, _ => new TaskSpec(spec.Runtime, spec.Function, spec.Args, spec.Kwargs).ToPayload());
        }

        private static DaskNode Create(ScriptBlock script, long input, PSVariableIntrinsics variables) =>
            ScriptTask.Create(script, Array.Empty<object>(), true, input, name => variables.GetValue(name), new DaskTaskOptions(), PSValueConverter.DefaultDepth);

        /// <summary>The worker's PowerShellRuntime running the task body warm, one task at a time, input i, checked to give i + 1.</summary>
        public static double RuntimeMicroseconds(string body, int count)
        {
            // Internal to the module; its public face is ITaskRuntime, as the worker sees it.
            Type type = typeof(ScriptTask).Assembly.GetType("DaskPS.Cmdlets.Scripts.PowerShellRuntime", throwOnError: true)!;
            var runtime = (ITaskRuntime)Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null,
                new object?[] { 1, null, null, PSValueConverter.DefaultDepth }, null)!;
            try
            {
                MsgMap function = new MsgMap().With("script", body).With("using", new MsgMap()).With("hasInput", true);
                return PerTask(count, i =>
                {
                    object? result = runtime.RunAsync(function, new object?[] { (long)i }, null, TaskRun.Detached(i)).GetAwaiter().GetResult();
                    Check(result, i);
                });
            }
            finally
            {
                ((IDisposable)runtime).Dispose();
            }
        }

        /// <summary>
        /// The floor under a task on a worker: a warm runspace with its own reused thread, a new PowerShell per task that
        /// sets $_ and runs the body, invoked synchronously or (as the worker must, to free its thread) asynchronously.
        /// </summary>
        public static double BareRunspaceMicroseconds(string body, int count, bool asynchronous)
        {
            using Runspace runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            runspace.ThreadOptions = PSThreadOptions.ReuseThread;
            runspace.Open();
            string script = "param($x) $_ = $x\n" + body;
            return PerTask(count, i =>
            {
                using PowerShell shell = PowerShell.Create();
                shell.Runspace = runspace;
                shell.AddScript(script).AddArgument((long)i);
                PSDataCollection<PSObject> output = asynchronous
                    ? Task.Factory.FromAsync(shell.BeginInvoke(), shell.EndInvoke).GetAwaiter().GetResult()
                    : new PSDataCollection<PSObject>(shell.Invoke());
                Check(output.Count == 1 ? output[0].BaseObject : null, i);
            });
        }

        /// <summary>
        /// Below any pipeline: the body as one script block, invoked with $_ set on a thread whose default runspace is a
        /// warm one, no PowerShell object or pipeline per task; what a task costs PowerShell itself.
        /// </summary>
        public static double ScriptBlockMicroseconds(string body, int count)
        {
            using Runspace runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            runspace.Open();
            double result = 0;
            var thread = new System.Threading.Thread(() =>
            {
                Runspace.DefaultRunspace = runspace;
                ScriptBlock script = ScriptBlock.Create(body);
                result = PerTask(count, i =>
                {
                    var variables = new System.Collections.Generic.List<PSVariable> { new PSVariable("_", (long)i) };
                    System.Collections.ObjectModel.Collection<PSObject> output = script.InvokeWithContext(null, variables);
                    Check(output.Count == 1 ? output[0].BaseObject : null, i);
                });
            });
            thread.Start();
            thread.Join();
            return result;
        }

        private static double PerTask(int count, Action<int> stage)
        {
            for (int i = 0; i < WarmUp; i++)
            {
                stage(i);
            }

            var watch = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                stage(i);
            }

            return watch.Elapsed.TotalMilliseconds * 1000 / count;
        }

        private static void Check(object? result, int input)
        {
            if (!(result is IConvertible && Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture) == input + 1L))
            {
                throw new InvalidOperationException($"The task of {input} gave {result ?? "nothing"}, not {input + 1}.");
            }
        }
    }
}
