using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Diagnostics;
using DaskPS.Protocol;
using DaskPS.Protocol.Messages;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Rpc
{
    /// <summary>Answers one request; the return value is the reply (ignored when the request says reply: false).</summary>
    public delegate ValueTask<object?> RequestHandler(DaskComm comm, MsgMap request, CancellationToken cancellationToken);

    /// <summary>Takes over the connection (e.g. a batched stream); the connection closes when it returns.</summary>
    public delegate Task StreamHandler(DaskComm comm, MsgMap request, CancellationToken cancellationToken);

    /// <summary>
    /// A dask server: accepts connections, exchanges handshakes, and dispatches each request on its
    /// <c>op</c> to a handler, looping on every connection because peers pool and reuse them. A connection with no
    /// request in progress is closed after <see cref="CommOptions.IdleTimeout"/>, and at the connection limit the
    /// longest idle one makes room for a new peer, so idle peers can never lock new ones out.
    /// </summary>
    public sealed class DaskServer : IAsyncDisposable
    {
        public const int DefaultConnectionLimit = 512;

        /// <summary>Returned by a handler that wrote its reply itself (e.g. get_data, which then awaits the "OK").</summary>
        public static readonly object AlreadyReplied = new object();

        private readonly Dictionary<string, RequestHandler> _handlers = new Dictionary<string, RequestHandler>(StringComparer.Ordinal);
        private readonly Dictionary<string, StreamHandler> _streamHandlers = new Dictionary<string, StreamHandler>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<DaskComm, Connection> _connections = new ConcurrentDictionary<DaskComm, Connection>();
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private readonly List<DaskListener> _listeners = new List<DaskListener>();
        private readonly List<Task> _acceptLoops = new List<Task>();
        private readonly SemaphoreSlim _connectionSlots;
        private readonly CommOptions _options;
        private readonly DaskLogger _log;

        public DaskServer(string name, CommOptions? options = null, DaskLogger? logger = null, int connectionLimit = DefaultConnectionLimit)
        {
            Name = name;
            Id = $"{name}-{Guid.NewGuid():N}";
            _options = options ?? CommOptions.Default;
            _log = logger ?? DaskLogger.None;
            _connectionSlots = new SemaphoreSlim(connectionLimit, connectionLimit);
            ConnectionLimit = connectionLimit;
            AddHandler("identity", (_, _, _) => new ValueTask<object?>(ServerOps.IdentityReply(Name, Id)));
            AddHandler("echo", (_, request, _) => new ValueTask<object?>(ServerOps.EchoReply(request)));
        }

        public string Name { get; }

        public string Id { get; }

        public int ConnectionLimit { get; }

        /// <summary>The first listening address (with its bound port), once listening.</summary>
        public string? Address => _listeners.Count > 0 ? _listeners[0].ContactAddress : null;

        internal int OpenConnections => _connections.Count;

        public void AddHandler(string op, RequestHandler handler) => _handlers[op] = handler;

        internal void AddStreamHandler(string op, StreamHandler handler) => _streamHandlers[op] = handler;

        /// <summary>Starts accepting on <paramref name="address"/> (e.g. tcp://127.0.0.1:0); returns the contact address.</summary>
        public async Task<string> ListenAsync(string address, CancellationToken cancellationToken = default)
        {
            DaskListener listener = await Transports.ListenAsync(address, _options, cancellationToken).ConfigureAwait(false);
            _listeners.Add(listener);
            _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listener)));
            _log.Info($"{Name} listening at {listener.ContactAddress}");
            return listener.ContactAddress;
        }

        public async ValueTask DisposeAsync()
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            foreach (DaskListener listener in _listeners)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            foreach (DaskComm comm in _connections.Keys)
            {
                comm.Abort();
            }

            try
            {
                await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
                await Task.WhenAll(_connections.Values.Select(c => c.Handler)).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _log.Debug($"{Name} stopped with {e.GetType().Name}: {e.Message}");
            }
        }

        private async Task AcceptLoopAsync(DaskListener listener)
        {
            CancellationToken stopping = _stopping.Token;
            while (!stopping.IsCancellationRequested)
            {
                DaskComm comm;
                try
                {
                    comm = await listener.AcceptAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException || e is CommClosedException)
                {
                    return;
                }

                try
                {
                    await TakeConnectionSlotAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    comm.Abort();
                    return;
                }

                var connection = new Connection();
                _connections[comm] = connection;
                connection.Handler = Task.Run(() => HandleConnectionAsync(comm, connection, stopping));
            }
        }

        private async Task TakeConnectionSlotAsync(CancellationToken stopping)
        {
            if (!_connectionSlots.Wait(0))
            {
                // At the limit an idle connection gives way (as dask's pools close idle comms when full);
                // with every connection busy, wait for one to end (the kernel queues further peers).
                CloseLongestIdle();
                await _connectionSlots.WaitAsync(stopping).ConfigureAwait(false);
            }
        }

        private void CloseLongestIdle()
        {
            KeyValuePair<DaskComm, Connection> longest = _connections.Where(c => c.Value.IdleSince != Connection.Busy).OrderBy(c => c.Value.IdleSince).FirstOrDefault();
            if (longest.Key is DaskComm comm)
            {
                _log.Info($"{Name} closed the connection from {comm.PeerAddress}, idle for {Connection.Seconds(Stopwatch.GetTimestamp() - longest.Value.IdleSince):0.#} s, to admit a new one (connection limit {ConnectionLimit}).");
                comm.Abort();
            }
        }

        private async Task HandleConnectionAsync(DaskComm comm, Connection connection, CancellationToken stopping)
        {
            try
            {
                await comm.AcceptHandshakeAsync(_options, stopping).ConfigureAwait(false);
                while (!stopping.IsCancellationRequested && !comm.IsClosed)
                {
                    connection.IdleSince = Stopwatch.GetTimestamp();
                    if (!await WaitForRequestAsync(comm, stopping).ConfigureAwait(false))
                    {
                        break;
                    }

                    connection.IdleSince = Connection.Busy;
                    object? message = await comm.ReadAsync(stopping).ConfigureAwait(false);
                    if (!await DispatchAsync(comm, message, stopping).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
            catch (CommClosedException)
            {
                // The peer went away: the normal end of a pooled connection.
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _log.Warning($"{Name} dropped the connection from {comm.PeerAddress}: {e.Message}");
            }
            finally
            {
                comm.Abort();
                _connections.TryRemove(comm, out _);
                _connectionSlots.Release();
            }
        }

        /// <summary>Waits for the next request to begin; false when the connection stayed idle for the idle timeout.</summary>
        private async Task<bool> WaitForRequestAsync(DaskComm comm, CancellationToken stopping)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            idle.CancelAfter(_options.IdleTimeout);
            try
            {
                await comm.WaitToReadAsync(idle.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                _log.Debug($"{Name} closed the connection from {comm.PeerAddress}: idle for {_options.IdleTimeout.TotalSeconds:0.###} s (CommOptions.IdleTimeout).");
                return false;
            }
        }

        /// <summary>Handles one request; returns false when the connection should end.</summary>
        private async Task<bool> DispatchAsync(DaskComm comm, object? message, CancellationToken stopping)
        {
            RpcRequest rpc = RpcRequest.Read(message);
            string op = rpc.Op;
            MsgMap request = rpc.Message;
            bool reply = rpc.WantsReply;
            if (op == "close")
            {
                if (reply)
                {
                    await comm.WriteAsync("OK", stopping).ConfigureAwait(false);
                }

                return false;
            }

            if (_streamHandlers.TryGetValue(op, out StreamHandler? streamHandler))
            {
                await streamHandler(comm, request, stopping).ConfigureAwait(false);
                return false;
            }

            object? result;
            if (_handlers.TryGetValue(op, out RequestHandler? handler))
            {
                try
                {
                    result = await handler(comm, request, stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not CommClosedException && !(e is OperationCanceledException && stopping.IsCancellationRequested))
                {
                    _log.Warning($"{Name}: handler '{op}' for {comm.PeerAddress} failed: {e.Message}");
                    result = RemoteErrors.ToReply(e);
                }
            }
            else
            {
                _log.Warning($"{Name}: no handler for '{op}' (from {comm.PeerAddress})");
                result = RemoteErrors.ToReply(new NotSupportedException($"{Name} has no handler for '{op}'"));
            }

            if (reply && !ReferenceEquals(result, AlreadyReplied))
            {
                await comm.WriteAsync(result, stopping).ConfigureAwait(false);
            }

            return !rpc.CloseAfter;
        }

        /// <summary>An accepted connection: its handler, and since when it has waited for a request.</summary>
        private sealed class Connection
        {
            /// <summary>The <see cref="IdleSince"/> of a connection with a request in progress.</summary>
            public const long Busy = long.MaxValue;

            private long _idleSince = Stopwatch.GetTimestamp();

            public Task Handler { get; set; } = Task.CompletedTask;

            /// <summary>A <see cref="Stopwatch"/> timestamp; from the accept on, so peers that never finish the handshake count as idle.</summary>
            public long IdleSince
            {
                get => Volatile.Read(ref _idleSince);
                set => Volatile.Write(ref _idleSince, value);
            }

            public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
        }

    }
}
