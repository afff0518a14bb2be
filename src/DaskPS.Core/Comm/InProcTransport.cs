using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace DaskPS.Comm
{
    /// <summary>
    /// inproc://: both ends in this process, messages handed over as objects with no serialization
    /// (dask's inproc transport). Addresses look like <c>inproc://127.0.0.1/&lt;pid&gt;/&lt;n&gt;</c>.
    /// </summary>
    internal sealed class InProcTransport : IDaskTransport
    {
        public static readonly InProcTransport Instance = new InProcTransport();

        private readonly ConcurrentDictionary<string, InProcListener> _listeners = new ConcurrentDictionary<string, InProcListener>(StringComparer.Ordinal);
        private readonly string _processPrefix = $"127.0.0.1/{Process.GetCurrentProcess().Id}/";
        private int _nextListener;
        private int _nextConnection;

        public string Scheme => "inproc";

        public async Task<DaskComm> ConnectAsync(DaskAddress address, CommOptions options, CancellationToken cancellationToken)
        {
            if (!_listeners.TryGetValue(address.Location, out InProcListener? listener))
            {
                throw new CommClosedException($"Could not connect to {address}: nothing listens there in this process.");
            }

            string local = $"inproc://{_processPrefix}c{Interlocked.Increment(ref _nextConnection)}";
            (InProcComm mine, InProcComm theirs) = InProcComm.CreatePair(local, address.ToString());
            if (!listener.Offer(theirs))
            {
                throw new CommClosedException($"Could not connect to {address}: the listener is closed.");
            }

            try
            {
                await mine.ConnectHandshakeAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                mine.Abort();
                throw;
            }

            return mine;
        }

        public Task<DaskListener> ListenAsync(DaskAddress address, CommOptions options, CancellationToken cancellationToken)
        {
            string location = string.IsNullOrEmpty(address.Location)
                ? _processPrefix + Interlocked.Increment(ref _nextListener)
                : address.Location;
            var listener = new InProcListener(this, location);
            if (!_listeners.TryAdd(location, listener))
            {
                throw new CommClosedException($"Could not listen on inproc://{location}: the address is in use.");
            }

            return Task.FromResult<DaskListener>(listener);
        }

        private void Remove(string location) => _listeners.TryRemove(location, out _);

        private sealed class InProcListener : DaskListener
        {
            private readonly InProcTransport _owner;
            private readonly string _location;
            private readonly Channel<DaskComm> _pending = Channel.CreateUnbounded<DaskComm>();

            public InProcListener(InProcTransport owner, string location)
            {
                _owner = owner;
                _location = location;
            }

            public override string ContactAddress => "inproc://" + _location;

            public bool Offer(DaskComm comm) => _pending.Writer.TryWrite(comm);

            public override async ValueTask<DaskComm> AcceptAsync(CancellationToken cancellationToken = default)
            {
                try
                {
                    return await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ChannelClosedException e)
                {
                    throw new CommClosedException($"The listener on {ContactAddress} is closed.", e);
                }
            }

            public override ValueTask DisposeAsync()
            {
                _owner.Remove(_location);
                _pending.Writer.TryComplete();
                while (_pending.Reader.TryRead(out DaskComm? orphan))
                {
                    orphan.Abort();
                }

                return default;
            }
        }
    }

    /// <summary>One end of an in-process connection: two queues of message objects.</summary>
    internal sealed class InProcComm : DaskComm
    {
        private readonly Channel<object?> _incoming;
        private readonly Channel<object?> _outgoing;
        private int _closed;

        private InProcComm(string local, string peer, Channel<object?> incoming, Channel<object?> outgoing)
        {
            LocalAddress = local;
            PeerAddress = peer;
            _incoming = incoming;
            _outgoing = outgoing;
        }

        public override string LocalAddress { get; }

        public override string PeerAddress { get; }

        public override bool IsClosed => Volatile.Read(ref _closed) != 0;

        public static (InProcComm Connector, InProcComm Acceptor) CreatePair(string connectorAddress, string acceptorAddress)
        {
            var toAcceptor = Channel.CreateUnbounded<object?>(new UnboundedChannelOptions { SingleReader = true });
            var toConnector = Channel.CreateUnbounded<object?>(new UnboundedChannelOptions { SingleReader = true });
            return (new InProcComm(connectorAddress, acceptorAddress, toConnector, toAcceptor),
                    new InProcComm(acceptorAddress, connectorAddress, toAcceptor, toConnector));
        }

        public ValueTask ConnectHandshakeAsync(CommOptions options, CancellationToken cancellationToken) =>
            ExchangeHandshakesAsync(accepting: false, options.HandshakeTimeout, cancellationToken);

        public override ValueTask AcceptHandshakeAsync(CommOptions options, CancellationToken cancellationToken = default) =>
            ExchangeHandshakesAsync(accepting: true, options.HandshakeTimeout, cancellationToken);

        public override ValueTask WriteAsync(object? message, CancellationToken cancellationToken = default)
        {
            if (IsClosed || !_outgoing.Writer.TryWrite(message))
            {
                throw new CommClosedException($"The connection to {PeerAddress} is closed.");
            }

            return default;
        }

        public override async ValueTask<object?> ReadAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _incoming.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                throw new CommClosedException($"{PeerAddress} closed the connection.", e);
            }
        }

        public override async ValueTask WaitToReadAsync(CancellationToken cancellationToken) =>
            await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);

        public override ValueTask CloseAsync()
        {
            Abort();
            return default;
        }

        public override void Abort()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                // Messages already queued still reach the peer: completion only ends the stream after them.
                _outgoing.Writer.TryComplete();
                _incoming.Writer.TryComplete();
            }
        }
    }
}
