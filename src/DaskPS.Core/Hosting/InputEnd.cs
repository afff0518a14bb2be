using System;
using System.IO;
using System.Threading;

namespace DaskPS.Hosting
{
    /// <summary>
    /// The end of standard input as an event. A parent that holds a process's input open stops it by closing it, and
    /// the input ends just the same when the parent dies or, through ssh, when the session or its connection ends.
    /// </summary>
    public static class InputEnd
    {
        /// <summary>Calls <paramref name="onEnd"/> once standard input reaches its end (what arrives is discarded); dispose to undo.</summary>
        public static IDisposable Watch(Action onEnd)
        {
            var watch = new Watcher(onEnd);
            new Thread(watch.Run) { IsBackground = true, Name = "DaskPS input watch" }.Start();
            return watch;
        }

        private sealed class Watcher : IDisposable
        {
            private readonly object _gate = new object();
            private Action? _onEnd;

            public Watcher(Action onEnd) => _onEnd = onEnd;

            public void Run()
            {
                try
                {
                    using Stream input = Console.OpenStandardInput();
                    var buffer = new byte[256];
                    while (input.Read(buffer, 0, buffer.Length) > 0)
                    {
                    }
                }
                catch (IOException)
                {
                    // A broken input ends like a closed one.
                }

                lock (_gate)
                {
                    _onEnd?.Invoke();
                    _onEnd = null;
                }
            }

            // The reading thread may stay blocked after this; it is a background thread and calls nothing any more.
            public void Dispose()
            {
                lock (_gate)
                {
                    _onEnd = null;
                }
            }
        }
    }
}
