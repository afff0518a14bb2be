using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Comm
{
    /// <summary>tcp:// and tls:// (the same framing inside an SslStream).</summary>
    internal sealed class TcpTransport : IDaskTransport
    {
        private readonly bool _secure;

        public TcpTransport(bool secure)
        {
            _secure = secure;
        }

        public string Scheme => _secure ? "tls" : "tcp";

        public async Task<DaskComm> ConnectAsync(DaskAddress address, CommOptions options, CancellationToken cancellationToken)
        {
            TlsOptions? tls = RequireTls(options, listening: false);
            DaskAddress resolved = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
            IPEndPoint endPoint = resolved.ToEndPoint();
            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                Stream stream;
                string local;
                // Disposing the socket ends a connect or TLS handshake that outlives the deadline.
                using (cancellationToken.Register(() => socket.Dispose()))
                {
                    try
                    {
                        await socket.ConnectAsync(endPoint).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is SocketException || e is ObjectDisposedException)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        throw new CommClosedException($"Could not connect to {address}: {(e as SocketException)?.SocketErrorCode.ToString() ?? e.Message}.", e);
                    }

                    local = Format(socket.LocalEndPoint);
                    stream = new NetworkStream(socket, ownsSocket: true);
                    if (tls is not null)
                    {
                        stream = await AuthenticateAsClientAsync(stream, address, tls, cancellationToken).ConfigureAwait(false);
                    }
                }

                var comm = new StreamComm(stream, local, address.ToString(), options);
                try
                {
                    await comm.ConnectHandshakeAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (CommClosedException e) when (tls is not null)
                {
                    // TLS 1.3 clients finish their handshake before the server judges their certificate, so a refusal
                    // shows where dask's handshake should be: as an alert (OpenSSL peers) or a plain close (.NET peers).
                    comm.Abort();
                    throw ClientCertificateProblem(address, tls, e);
                }
                catch
                {
                    comm.Abort();
                    throw;
                }

                return comm;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        private static async Task<Stream> AuthenticateAsClientAsync(Stream stream, DaskAddress address, TlsOptions tls, CancellationToken cancellationToken)
        {
            bool serverRejected = false;
            var ssl = new SslStream(stream, false, (_, cert, chain, errors) =>
            {
                bool trusted = tls.ValidatePeer(cert, chain, errors, isServer: false);
                serverRejected |= !trusted;
                return trusted;
            });
            var clientCertificates = new System.Security.Cryptography.X509Certificates.X509CertificateCollection();
            if (tls.Certificate is not null)
            {
                clientCertificates.Add(tls.Certificate);
            }

            try
            {
                await ssl.AuthenticateAsClientAsync(tls.ServerName ?? address.Host, clientCertificates, tls.Protocols, false).ConfigureAwait(false);
                return ssl;
            }
            catch (Exception e) when (e is AuthenticationException || e is IOException || e is ObjectDisposedException)
            {
                ssl.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                if (serverRejected)
                {
                    string trusted = tls.TrustedAuthority is null ? "a CA of this system" : $"the trusted CA '{tls.TrustedAuthority.Subject}'";
                    throw new DaskTlsException(DaskTlsFailure.ServerCertificateUntrusted,
                        $"The certificate of {address} is not signed by {trusted}, or does not name {tls.ServerName ?? address.Host}: check the CA file.", e);
                }

                throw new DaskTlsException(DaskTlsFailure.HandshakeFailed,
                    $"The TLS handshake with {address} failed: {InnermostMessage(e)} Check that it is a tls:// address and trusts this side's certificate.", e);
            }
        }

        private static string InnermostMessage(Exception e) => e.InnerException is null ? e.Message : InnermostMessage(e.InnerException);

        /// <summary>The peer ended the handshake: it wants a client certificate, or does not trust the one it got.</summary>
        private static DaskTlsException ClientCertificateProblem(DaskAddress address, TlsOptions tls, Exception inner) =>
            tls.Certificate is null
                ? new DaskTlsException(DaskTlsFailure.ClientCertificateMissing,
                    $"{address} ended the TLS handshake: it requires a client certificate (dask's mutual TLS), and none was given.", inner)
                : new DaskTlsException(DaskTlsFailure.ClientCertificateRefused,
                    $"{address} ended the TLS handshake after receiving the certificate '{tls.Certificate.Subject}': it does not trust that certificate's CA.", inner);

        public Task<DaskListener> ListenAsync(DaskAddress address, CommOptions options, CancellationToken cancellationToken)
        {
            TlsOptions? tls = RequireTls(options, listening: true);
            IPAddress ip = address.Host.Length == 0 ? IPAddress.IPv6Any : address.ToEndPoint().Address;
            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (ip.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(new IPEndPoint(ip, address.Port));
                socket.Listen(512);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new CommClosedException($"Could not listen on {address}: {e.SocketErrorCode}.", e);
            }

            return Task.FromResult<DaskListener>(new TcpListenerImpl(socket, Scheme, address.Host, tls, options));
        }

        /// <summary>A listening host that stands for every interface: none, 0.0.0.0 or [::].</summary>
        internal static bool IsEveryInterface(string host) =>
            host.Length == 0 || (IPAddress.TryParse(host, out IPAddress? ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)));

        /// <summary>This host's address on the route to <paramref name="peer"/> (a UDP socket's connect picks the route and sends nothing).</summary>
        internal static IPAddress LocalAddressToward(IPEndPoint peer)
        {
            using var probe = new Socket(peer.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                probe.Connect(peer);
            }
            catch (SocketException e)
            {
                throw new CommClosedException($"There is no route to {peer}: {e.SocketErrorCode}.", e);
            }

            IPAddress local = ((IPEndPoint)probe.LocalEndPoint!).Address;
            return local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local;
        }

        internal static string Format(EndPoint? endPoint, string scheme = "tcp")
        {
            if (endPoint is not IPEndPoint ip)
            {
                return scheme + "://";
            }

            IPAddress address = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
            string host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
            return $"{scheme}://{host}:{ip.Port}";
        }

        private TlsOptions? RequireTls(CommOptions options, bool listening)
        {
            if (!_secure)
            {
                return null;
            }

            TlsOptions tls = options.Tls ?? throw new DaskTlsException(DaskTlsFailure.SettingsMissing,
                "A tls:// address needs TLS settings: the CA to trust and, for dask's mutual TLS, a certificate with its key.");
            if (listening && tls.Certificate is null)
            {
                throw new DaskTlsException(DaskTlsFailure.SettingsMissing, "Listening on a tls:// address needs a certificate with its private key.");
            }

            return tls;
        }

        private sealed class TcpListenerImpl : DaskListener
        {
            private readonly Socket _socket;
            private readonly string _scheme;
            private readonly TlsOptions? _tls;
            private readonly CommOptions _options;

            public TcpListenerImpl(Socket socket, string scheme, string requestedHost, TlsOptions? tls, CommOptions options)
            {
                _socket = socket;
                _scheme = scheme;
                _tls = tls;
                _options = options;
                var bound = (IPEndPoint)socket.LocalEndPoint!;
                // Listening on every interface: advertise loopback's counterpart only if nothing better is known.
                ContactAddress = requestedHost.Length == 0
                    ? $"{scheme}://127.0.0.1:{bound.Port}"
                    : Format(bound, scheme);
            }

            public override string ContactAddress { get; }

            public override async ValueTask<DaskComm> AcceptAsync(CancellationToken cancellationToken = default)
            {
                Socket client;
                using (cancellationToken.Register(() => _socket.Dispose()))
                {
                    try
                    {
                        client = await _socket.AcceptAsync().ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is SocketException || e is ObjectDisposedException)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        throw new CommClosedException($"The listener on {ContactAddress} is closed.", e);
                    }
                }

                client.NoDelay = true;
                string peer = Format(client.RemoteEndPoint, _scheme);
                string local = Format(client.LocalEndPoint, _scheme);
                var stream = new NetworkStream(client, ownsSocket: true);
                return new StreamComm(stream, local, peer, _options, _tls);
            }

            public override ValueTask DisposeAsync()
            {
                _socket.Dispose();
                return default;
            }
        }
    }
}
