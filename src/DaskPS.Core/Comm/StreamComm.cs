using System;
using System.IO;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol;

namespace DaskPS.Comm
{
    /// <summary>A comm over a byte stream (TCP, or TLS on top of it) using dask's framing.</summary>
    internal sealed class StreamComm : DaskComm
    {
        private Stream _stream;
        private PipeReader _reader;
        private readonly SemaphoreSlim _writeLock = new SemaphoreSlim(1, 1);
        private readonly CommOptions _options;
        private readonly TlsOptions? _serverTls;
        private int _closed;

        /// <param name="serverTls">For accepted tls:// connections: the TLS handshake runs in <see cref="AcceptHandshakeAsync"/>, off the accept loop.</param>
        public StreamComm(Stream stream, string localAddress, string peerAddress, CommOptions options, TlsOptions? serverTls = null)
        {
            _stream = stream;
            _reader = CreateReader(stream);
            LocalAddress = localAddress;
            PeerAddress = peerAddress;
            _options = options;
            _serverTls = serverTls;
        }

        public override string LocalAddress { get; }

        public override string PeerAddress { get; }

        public override bool IsClosed => Volatile.Read(ref _closed) != 0;

        /// <summary>The connecting side reads the listener's handshake first, then answers.</summary>
        public ValueTask ConnectHandshakeAsync(CancellationToken cancellationToken) =>
            ExchangeHandshakesAsync(accepting: false, _options.HandshakeTimeout, cancellationToken);

        public override async ValueTask AcceptHandshakeAsync(CommOptions options, CancellationToken cancellationToken = default)
        {
            if (_serverTls is not null)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(_options.HandshakeTimeout);
                try
                {
                    await AuthenticateAsServerAsync(_serverTls, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    Abort();
                    throw new DaskTimeoutException($"{PeerAddress} did not complete the TLS handshake within {_options.HandshakeTimeout.TotalSeconds:0.###} s.");
                }
            }

            await ExchangeHandshakesAsync(accepting: true, _options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        }

        public override async ValueTask WriteAsync(object? message, CancellationToken cancellationToken = default)
        {
            ThrowIfClosed();
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ThrowIfClosed();
                await MessageFraming.WriteAsync(_stream, message, SendsLz4, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException || e is ObjectDisposedException)
            {
                Abort();
                throw new CommClosedException($"Writing to {PeerAddress} failed: the connection is closed.", e);
            }
            catch (OperationCanceledException)
            {
                // A half-written message would corrupt the stream for everyone after us.
                Abort();
                throw;
            }
            finally
            {
                _writeLock.Release();
            }
        }

        public override ValueTask<object?> ReadAsync(CancellationToken cancellationToken = default) =>
            ReadCoreAsync(cancellationToken, "message");

        public override async ValueTask WaitToReadAsync(CancellationToken cancellationToken)
        {
            ThrowIfClosed();
            try
            {
                ReadResult result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                // Nothing examined: the message read that follows sees these bytes at once.
                _reader.AdvanceTo(result.Buffer.Start);
            }
            catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is InvalidOperationException && IsClosed)
            {
                Abort();
                throw new CommClosedException($"Reading from {PeerAddress} failed: the connection is closed.", e);
            }
        }

        public override async ValueTask CloseAsync()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            // Let a write in progress finish so the peer never sees half a message.
            bool locked = await _writeLock.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            try
            {
                Dispose();
            }
            finally
            {
                if (locked)
                {
                    _writeLock.Release();
                }
            }
        }

        public override void Abort()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                Dispose();
            }
        }

        private async ValueTask<object?> ReadCoreAsync(CancellationToken cancellationToken, string what)
        {
            ThrowIfClosed();
            try
            {
                (bool ok, object? message) = await MessageFraming.ReadAsync(_reader, _options, cancellationToken, _stream).ConfigureAwait(false);
                if (!ok)
                {
                    Abort();
                    throw new CommClosedException($"{PeerAddress} closed the connection before sending a {what}.");
                }

                return message;
            }
            catch (Exception e) when (e is DaskProtocolException || e is DaskTimeoutException || e is OperationCanceledException)
            {
                // After bad bytes or an interrupted read the stream position is unknown: nothing more can be read.
                Abort();
                throw;
            }
            catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is InvalidOperationException && IsClosed)
            {
                Abort();
                throw new CommClosedException($"Reading from {PeerAddress} failed: the connection is closed.", e);
            }
        }

        private async Task AuthenticateAsServerAsync(TlsOptions tls, CancellationToken cancellationToken)
        {
            var ssl = new SslStream(_stream, false, (_, cert, chain, errors) => tls.ValidatePeer(cert, chain, errors, isServer: true));
            using (cancellationToken.Register(() => ssl.Dispose()))
            {
                try
                {
                    await ssl.AuthenticateAsServerAsync(tls.Certificate!, tls.RequireClientCertificate, tls.Protocols, false).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AuthenticationException || e is IOException || e is ObjectDisposedException)
                {
                    Abort();
                    cancellationToken.ThrowIfCancellationRequested();
                    throw new CommClosedException($"The TLS handshake with {PeerAddress} failed: {e.Message}", e);
                }
            }

            _reader.Complete();
            _stream = ssl;
            _reader = CreateReader(ssl);
        }

        private static PipeReader CreateReader(Stream stream) =>
            PipeReader.Create(stream, new StreamPipeReaderOptions(minimumReadSize: 16 * 1024, leaveOpen: true));

        private void ThrowIfClosed()
        {
            if (IsClosed)
            {
                throw new CommClosedException($"The connection to {PeerAddress} is closed.");
            }
        }

        private void Dispose()
        {
            try
            {
                _reader.CancelPendingRead();
                _reader.Complete();
            }
            catch (InvalidOperationException)
            {
                // A read in progress completes the reader itself when it sees the cancellation.
            }

            _stream.Dispose();
        }
    }
}
