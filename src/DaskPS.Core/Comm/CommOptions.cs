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

        /// <summary>
        /// Bytes that partly received messages may hold at once, over every connection of this process. Default 1 GiB.
        /// When it is spent, growing reads wait for others to finish; the oldest message in flight never waits,
        /// so one message larger than the budget still goes through.
        /// </summary>
        public static long ProcessReadBudget
        {
            get => ReadBudget.Shared.Limit;
            set => ReadBudget.Shared.Limit = value;
        }

        /// <summary>Largest message (sum of its frames) accepted from a peer, and so what one connection may hold in flight. Default 2 GiB - 1.</summary>
        public long MaxMessageSize { get; set; } = int.MaxValue;

        /// <summary>Deepest msgpack nesting accepted from a peer.</summary>
        public int MaxDepth { get; set; } = MsgPackSerializer.DefaultMaxDepth;

        /// <summary>How long a new connection may take to exchange handshakes; silent peers are dropped after it.</summary>
        public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>How long a message may take from its first byte to its last; a peer that stops halfway is dropped after it.</summary>
        public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>
        /// How long a server keeps a connection on which no request is in progress. DaskPS's own pools reuse a comm
        /// only while it has been idle for less than half of this, so they never send into one the server is closing.
        /// </summary>
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>How long opening a connection may take.</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Certificates and validation for tls:// addresses.</summary>
        public TlsOptions? Tls { get; set; }

        /// <summary>Refuse tcp:// (unencrypted) connections and listeners, as dask's distributed.comm.require-encryption.</summary>
        public bool RequireEncryption { get; set; }
    }
}
