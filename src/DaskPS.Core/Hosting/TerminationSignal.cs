using System;
using System.Reflection;

namespace DaskPS.Hosting
{
    /// <summary>
    /// SIGTERM (how service managers stop a process) as an event, so a foreground worker can close properly
    /// instead of vanishing. The runtime API exists from .NET 6 on; this assembly targets netstandard2.0, so it is
    /// reached by reflection and is simply absent on older runtimes and on Windows PowerShell.
    /// </summary>
    public static class TerminationSignal
    {
        /// <summary>Calls <paramref name="onTerminate"/> on SIGTERM instead of ending the process; dispose to undo. Null where unsupported.</summary>
        public static IDisposable? Handle(Action onTerminate)
        {
            const string Assembly = ", System.Runtime.InteropServices";
            Type? registration = Type.GetType("System.Runtime.InteropServices.PosixSignalRegistration" + Assembly);
            Type? context = Type.GetType("System.Runtime.InteropServices.PosixSignalContext" + Assembly);
            Type? signal = Type.GetType("System.Runtime.InteropServices.PosixSignal" + Assembly);
            MethodInfo? create = registration?.GetMethod("Create", BindingFlags.Public | BindingFlags.Static);
            if (create is null || context is null || signal is null)
            {
                return null;
            }

            var target = new Handler(onTerminate);
            MethodInfo invoke = typeof(Handler).GetMethod(nameof(Handler.Invoke))!.MakeGenericMethod(context);
            Delegate callback = Delegate.CreateDelegate(typeof(Action<>).MakeGenericType(context), target, invoke);
            return create.Invoke(null, new[] { Enum.Parse(signal, "SIGTERM"), callback }) as IDisposable;
        }

        private sealed class Handler
        {
            private readonly Action _onTerminate;

            public Handler(Action onTerminate) => _onTerminate = onTerminate;

            public void Invoke<TContext>(TContext context)
            {
                // Cancel: the process is not ended by the runtime; the caller ends its work and returns.
                context!.GetType().GetProperty("Cancel")?.SetValue(context, true);
                _onTerminate();
            }
        }
    }
}
