using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;

namespace DaskPS.Rpc
{
    /// <summary>
    /// Sends many small messages on one long-lived comm as lists, at most one write per interval
    /// (dask's BatchedSend). <see cref="Send"/> never blocks; <see cref="CloseAsync"/> flushes everything
    /// queued before closing. If the comm breaks, later sends fail.
    /// </summary>
    public sealed class BatchedSend : IAsyncDisposable
    {
        /// <summary>The least time between writes after a quiet one: a round trip waits little.</summary>
        public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(2);

        /// <summary>
        /// The least time after a write of <see cref="BusyMessages"/> or more messages. While traffic is heavy (a pipeline
        /// submitting, a worker finishing many short tasks) fewer, fuller batches cost the scheduler less: it pays per
        /// batch it reads, and per update-graph. On a 2-core machine a pipeline of script blocks ran about a sixth faster
        /// with it.
        /// </summary>
        public static readonly TimeSpan BusyInterval = TimeSpan.FromMilliseconds(5);

        /// <summary>Messages sent (folded ones too) between two writes from which the stream counts as busy.</summary>
        private const int BusyMessages = 3;

        private readonly object _gate = new object();
        private readonly TimeSpan _interval;
        private readonly TimeSpan _busyInterval;
        private int _sends; // Send calls since the last write, folded ones too
        private readonly SemaphoreSlim _wake = new SemaphoreSlim(0, int.MaxValue);
        private List<object?> _buffer = new List<object?>();
        private DaskComm? _comm;
        private Task _loop = Task.CompletedTask;
        private bool _closing;
        private Exception? _failure;

        public BatchedSend(TimeSpan? interval = null)
        {
            _interval = interval ?? DefaultInterval;
            _busyInterval = _interval > BusyInterval ? _interval : BusyInterval;
        }

        internal long MessagesSent { get; private set; }

        internal long BatchesSent { get; private set; }

        /// <summary>Completes when the sender stops; faults with the comm's failure.</summary>
        public Task Completion => _loop;

        public void Start(DaskComm comm)
        {
            lock (_gate)
            {
                if (_comm is not null)
                {
                    throw new InvalidOperationException("This BatchedSend is already started.");
                }

                _comm = comm;
            }

            _loop = Task.Run(SendLoopAsync);
        }

        /// <summary>Queues a message; throws once the sender is closed or its comm failed, so nothing is dropped silently.</summary>
        public void Send(object? message)
        {
            lock (_gate)
            {
                if (_failure is not null)
                {
                    throw new CommClosedException("The batched stream failed; the message was not sent.", _failure);
                }

                if (_closing)
                {
                    throw new CommClosedException("The batched stream is closed; the message was not sent.");
                }

                _sends++;
                if (message is FoldingMessage folding && _buffer.Count > 0 && _buffer[_buffer.Count - 1] is FoldingMessage last && last.TryFold(folding))
                {
                    return;
                }

                _buffer.Add(message);
                if (_buffer.Count == 1)
                {
                    _wake.Release();
                }
            }
        }

        /// <summary>Sends what is queued, then closes the comm.</summary>
        public async Task CloseAsync(TimeSpan? timeout = null)
        {
            bool first;
            lock (_gate)
            {
                first = !_closing;
                _closing = true;
            }

            if (first)
            {
                _wake.Release();
            }

            Task finished = await Task.WhenAny(_loop, Task.Delay(timeout ?? TimeSpan.FromSeconds(10))).ConfigureAwait(false);
            if (_comm is not null)
            {
                await _comm.CloseAsync().ConfigureAwait(false);
            }

            if (finished != _loop)
            {
                throw new DaskTimeoutException("The batched stream could not flush its messages in time.");
            }
        }

        /// <summary>Stops at once without flushing (the comm is aborted).</summary>
        public void Abort()
        {
            lock (_gate)
            {
                _closing = true;
            }

            _comm?.Abort();
            _wake.Release();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await CloseAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is CommClosedException || e is DaskTimeoutException)
            {
                // Disposal is best effort; CloseAsync reports failures to callers that ask.
            }
        }

        /// <summary>The batch as written: each folding message built into the messages it stands for.</summary>
        private List<object?> Built(List<object?> batch)
        {
            var built = new List<object?>(batch.Count);
            foreach (object? message in batch)
            {
                if (message is FoldingMessage folding)
                {
                    built.AddRange(folding.Build());
                }
                else
                {
                    built.Add(message);
                }
            }

            MessagesSent += built.Count;
            return built;
        }

        private async Task SendLoopAsync()
        {
            DaskComm comm = _comm!;
            var lastSend = Stopwatch.StartNew();
            var spare = new List<object?>();
            bool busy = false;
            while (true)
            {
                await _wake.WaitAsync().ConfigureAwait(false);
                TimeSpan wait = (busy ? _busyInterval : _interval) - lastSend.Elapsed;
                bool closing;
                lock (_gate)
                {
                    closing = _closing;
                }

                if (wait > TimeSpan.Zero && !closing)
                {
                    await Task.Delay(wait).ConfigureAwait(false);
                }

                List<object?> batch;
                lock (_gate)
                {
                    batch = _buffer;
                    _buffer = spare;
                    closing = _closing;
                    busy = _sends >= BusyMessages;
                    _sends = 0;
                }

                if (batch.Count > 0)
                {
                    try
                    {
                        await comm.WriteAsync(Built(batch)).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        lock (_gate)
                        {
                            _failure = e;
                            _buffer.Clear();
                        }

                        throw;
                    }

                    BatchesSent++;
                    lastSend.Restart();
                    batch.Clear();
                }

                spare = batch;
                lock (_gate)
                {
                    if (_closing && _buffer.Count == 0)
                    {
                        return;
                    }
                }
            }
        }
    }
}
