using System;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Dialects;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;

namespace DaskPS.Rpc
{
    /// <summary>
    /// A client's or worker's long-lived link to the scheduler: the version check that picks the dialect, the
    /// registration, then the batched stream, the loop that reads it, and the heartbeats.
    /// </summary>
    internal sealed class SchedulerLink
    {
        private readonly BatchedSend _stream = new BatchedSend();
        private readonly CancellationTokenSource _closing = new CancellationTokenSource();
        private readonly DaskComm _comm;
        private Task _readLoop = Task.CompletedTask;
        private Task _heartbeatLoop = Task.CompletedTask;

        private SchedulerLink(MsgMap versions, SchedulerDialect dialect, DaskComm comm)
        {
            Versions = versions;
            Dialect = dialect;
            _comm = comm;
        }

        /// <summary>The scheduler's <c>versions</c> reply (mirrored when registering, so peers see no mismatch).</summary>
        public MsgMap Versions { get; }

        public SchedulerDialect Dialect { get; }

        public bool IsOpen => !_comm.IsClosed;

        /// <summary>
        /// Asks for the scheduler's versions, picks its dialect, connects and sends the registration
        /// <paramref name="register"/> builds; returns the link and the scheduler's first answer, for the caller to check.
        /// </summary>
        public static async Task<(SchedulerLink Link, object? Reply)> RegisterAsync(
            ConnectionPool pool, string address, CommOptions options, Func<SchedulerDialect, MsgMap, MsgMap> register, CancellationToken cancellationToken)
        {
            MsgMap versions = Registration.Versions(
                await pool[address].CallAsync("versions", Array.Empty<(string, object?)>(), cancellationToken).ConfigureAwait(false), address);
            SchedulerDialect dialect = SchedulerDialect.ForVersions(versions);
            DaskComm comm = await Transports.ConnectAsync(address, options, cancellationToken).ConfigureAwait(false);
            try
            {
                await comm.WriteAsync(register(dialect, versions), cancellationToken).ConfigureAwait(false);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.ConnectTimeout);
                object? reply = await comm.ReadAsync(timeout.Token).ConfigureAwait(false);
                return (new SchedulerLink(versions, dialect, comm), reply);
            }
            catch
            {
                comm.Abort();
                throw;
            }
        }

        /// <summary>
        /// Starts the stream: every message read is decoded by <paramref name="decode"/> and goes to <paramref name="handle"/> (false ends the loop);
        /// <paramref name="lost"/> hears why the stream broke, unless the link was closed. <paramref name="heartbeat"/>
        /// runs after each interval and returns the next one (given the current one).
        /// </summary>
        public void Start(Func<MsgMap, object> decode, Func<object, bool> handle, Action<Exception> lost, Func<TimeSpan, CancellationToken, Task<TimeSpan>> heartbeat, TimeSpan interval)
        {
            _stream.Start(_comm);
            _readLoop = Task.Run(() => ReadLoopAsync(decode, handle, lost));
            _heartbeatLoop = Task.Run(() => HeartbeatLoopAsync(heartbeat, interval));
        }

        /// <summary>Queues a message on the batched stream; throws <see cref="CommClosedException"/> once it is gone.</summary>
        public void Send(MsgMap message) => _stream.Send(message);

        public void Send(FoldingMessage message) => _stream.Send(message);

        /// <summary>Sends <paramref name="farewell"/> and close-stream, and waits (a few seconds at most) until they are written.</summary>
        public async Task CloseStreamAsync(MsgMap farewell)
        {
            _stream.Send(farewell);
            _stream.Send(StreamMessages.CloseStream());
            await _stream.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        /// <summary>Stops the loops and drops the connection; completes when both loops have ended.</summary>
        public async Task StopAsync()
        {
            _closing.Cancel();
            _stream.Abort();
            _comm.Abort();
            await Task.WhenAll(_readLoop, _heartbeatLoop).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        /// <summary>Breaks the stream without waiting (the read loop's failure path).</summary>
        public void Abort() => _stream.Abort();

        private async Task ReadLoopAsync(Func<MsgMap, object> decode, Func<object, bool> handle, Action<Exception> lost)
        {
            try
            {
                while (true)
                {
                    object? batch = await _comm.ReadAsync(_closing.Token).ConfigureAwait(false);
                    foreach (object? message in batch as object?[] ?? new[] { batch })
                    {
                        if (message is MsgMap map && !handle(decode(map)))
                        {
                            return;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                // Closed by its owner.
            }
            catch (Exception e) when (!_closing.IsCancellationRequested)
            {
                lost(e);
            }
        }

        private async Task HeartbeatLoopAsync(Func<TimeSpan, CancellationToken, Task<TimeSpan>> heartbeat, TimeSpan interval)
        {
            try
            {
                while (!_closing.IsCancellationRequested)
                {
                    await Task.Delay(interval, _closing.Token).ConfigureAwait(false);
                    interval = await heartbeat(interval, _closing.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException || e is DaskException)
            {
                // Closing, or the scheduler is gone (the read loop reports that).
            }
        }
    }
}
