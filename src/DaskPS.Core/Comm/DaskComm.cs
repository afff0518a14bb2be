using System;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;

namespace DaskPS.Comm
{
    /// <summary>
    /// One established connection that carries whole dask messages (object trees) both ways.
    /// Writes may come from several callers; reads from one at a time.
    /// </summary>
    public abstract class DaskComm : IAsyncDisposable
    {
        /// <summary>This end's address, as a URI.</summary>
        public abstract string LocalAddress { get; }

        /// <summary>The other end's address, as a URI.</summary>
        public abstract string PeerAddress { get; }

        /// <summary>What the peer announced in its handshake (compression, python, pickle-protocol).</summary>
        public MsgMap? PeerHandshake { get; protected set; }

        /// <summary>Both handshakes offered lz4, so payload frames may go compressed (dask's negotiation).</summary>
        protected bool SendsLz4 { get; private set; }

        public abstract bool IsClosed { get; }

        public abstract ValueTask WriteAsync(object? message, CancellationToken cancellationToken = default);

        /// <summary>Reads the next message; throws <see cref="CommClosedException"/> once the peer has gone.</summary>
        public abstract ValueTask<object?> ReadAsync(CancellationToken cancellationToken = default);

        /// <summary>Waits until the next message begins to arrive (or the peer closes), consuming nothing.</summary>
        public abstract ValueTask WaitToReadAsync(CancellationToken cancellationToken);

        /// <summary>Exchanges handshakes as the accepting side (which speaks first); listeners hand out comms before this.</summary>
        public abstract ValueTask AcceptHandshakeAsync(CommOptions options, CancellationToken cancellationToken = default);

        /// <summary>Closes gracefully: pending writes finish, then the connection ends.</summary>
        public abstract ValueTask CloseAsync();

        /// <summary>Closes at once, failing pending reads and writes.</summary>
        public abstract void Abort();

        public ValueTask DisposeAsync() => CloseAsync();

        public override string ToString() => $"{GetType().Name}({LocalAddress} -> {PeerAddress})";

        /// <summary>
        /// Exchanges handshakes (the accepting side speaks first) within <paramref name="timeout"/>; a peer that is
        /// silent or sends something else is dropped with an error that says so.
        /// </summary>
        protected async ValueTask ExchangeHandshakesAsync(bool accepting, TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            bool offerLz4 = !OnOneHost(LocalAddress, PeerAddress);
            try
            {
                if (accepting)
                {
                    await WriteAsync(Handshake.Create(offerLz4), deadline.Token).ConfigureAwait(false);
                }

                PeerHandshake = Handshake.Validate(await ReadAsync(deadline.Token).ConfigureAwait(false), PeerAddress);
                SendsLz4 = offerLz4 && Handshake.OffersLz4(PeerHandshake);
                if (!accepting)
                {
                    await WriteAsync(Handshake.Create(offerLz4), deadline.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Abort();
                throw new DaskTimeoutException($"{PeerAddress} did not complete the dask handshake within {timeout.TotalSeconds:0.###} s.");
            }
        }

        private static bool OnOneHost(string local, string peer)
        {
            try
            {
                return DaskAddress.HostOf(local) == DaskAddress.HostOf(peer);
            }
            catch (DaskAddressException)
            {
                return false;
            }
        }
    }

    /// <summary>The connection is closed, by this side or by the peer.</summary>
    public sealed class CommClosedException : DaskException
    {
        public CommClosedException(string message, Exception? inner = null) : base(message, inner) { }
    }

    /// <summary>Accepts connections on one address.</summary>
    public abstract class DaskListener : IAsyncDisposable
    {
        /// <summary>The address peers should connect to (the bound port filled in).</summary>
        public abstract string ContactAddress { get; }

        /// <summary>Waits for the next connection; its handshake is not yet done (see <see cref="DaskComm.AcceptHandshakeAsync"/>).</summary>
        public abstract ValueTask<DaskComm> AcceptAsync(CancellationToken cancellationToken = default);

        public abstract ValueTask DisposeAsync();
    }
}
