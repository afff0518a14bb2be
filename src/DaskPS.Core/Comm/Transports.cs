using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Comm
{
    /// <summary>One way of carrying comms, chosen by the scheme of an address.</summary>
    public interface IDaskTransport
    {
        string Scheme { get; }

        /// <summary>Connects and completes the handshake.</summary>
        Task<DaskComm> ConnectAsync(DaskAddress address, CommOptions options, CancellationToken cancellationToken);

        Task<DaskListener> ListenAsync(DaskAddress address, CommOptions options, CancellationToken cancellationToken);
    }

    /// <summary>The transports by scheme: tcp, tls and inproc, as dask has them.</summary>
    public static class Transports
    {
        private static readonly Dictionary<string, IDaskTransport> ByScheme = new Dictionary<string, IDaskTransport>(StringComparer.Ordinal)
        {
            ["tcp"] = new TcpTransport(secure: false),
            ["tls"] = new TcpTransport(secure: true),
            ["inproc"] = InProcTransport.Instance,
        };

        /// <summary>The transport of <paramref name="address"/>, unless encryption is required and it is tcp://.</summary>
        private static IDaskTransport For(DaskAddress address, CommOptions options)
        {
            if (options.RequireEncryption && address.Scheme == "tcp")
            {
                throw new DaskTlsException(DaskTlsFailure.EncryptionRequired, $"The address '{address}' is tcp://, which is not encrypted, and encryption is required; use its tls:// address.");
            }

            return For(address);
        }

        public static IDaskTransport For(DaskAddress address) =>
            ByScheme.TryGetValue(address.Scheme, out IDaskTransport? transport)
                ? transport
                : throw new DaskAddressException($"The address '{address}' uses scheme '{address.Scheme}', which has no transport; use tcp, tls or inproc.");

        /// <summary>Opens a comm to <paramref name="address"/> within <see cref="CommOptions.ConnectTimeout"/>.</summary>
        public static async Task<DaskComm> ConnectAsync(string address, CommOptions? options = null, CancellationToken cancellationToken = default)
        {
            DaskAddress parsed = DaskAddress.Parse(address);
            options ??= CommOptions.Default;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                return await For(parsed, options).ConnectAsync(parsed, options, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DaskTimeoutException($"Connecting to {address} timed out after {options.ConnectTimeout.TotalSeconds:0.###} s.");
            }
        }

        public static Task<DaskListener> ListenAsync(string address, CommOptions? options = null, CancellationToken cancellationToken = default)
        {
            DaskAddress parsed = DaskAddress.ParseListen(address);
            options ??= CommOptions.Default;
            return For(parsed, options).ListenAsync(parsed, options, cancellationToken);
        }
    }
}
