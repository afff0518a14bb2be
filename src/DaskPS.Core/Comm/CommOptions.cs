using System;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Comm
{
    /// <summary>Limits and timeouts of one connection.</summary>
    public sealed class CommOptions
    {
        /// <summary>More frames than any real message carries; keeps the header table small.</summary>
        public const long MaxFrameCount = 1 << 20;

        public static CommOptions Default { get; } = new CommOptions();

        /// <summary>Largest message (sum of its frames) accepted from a peer. Default 2 GiB - 1.</summary>
        public long MaxMessageSize { get; set; } = int.MaxValue;

        /// <summary>Deepest msgpack nesting accepted from a peer.</summary>
        public int MaxDepth { get; set; } = MsgPackSerializer.DefaultMaxDepth;

        /// <summary>How long a new connection may take to exchange handshakes; silent peers are dropped after it.</summary>
        public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>How long opening a connection may take.</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Certificates and validation for tls:// addresses.</summary>
        public TlsOptions? Tls { get; set; }

        /// <summary>Refuse tcp:// (unencrypted) connections and listeners, as dask's distributed.comm.require-encryption.</summary>
        public bool RequireEncryption { get; set; }
    }
}
