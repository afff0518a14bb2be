using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    /// <summary>
    /// The first message on every connection. The accepting side sends first. DaskPS offers lz4 to peers on other hosts; as in dask,
    /// a side compresses toward its peer only when both offered the same algorithm.
    /// </summary>
    internal static class Handshake
    {
        // Informational for the peer (it negotiates only compression and pickle protocol); the interpreter
        // version dask peers of the supported releases ran with.
        private static readonly object?[] PythonVersion = { 3L, 11L, 2L };

        private const string Lz4 = "lz4";

        /// <summary>Our handshake; <paramref name="offerLz4"/> is false toward a peer on this host, as in dask (loopback is faster than lz4).</summary>
        public static MsgMap Create(bool offerLz4) => new MsgMap(3)
            .With("compression", offerLz4 ? Lz4 : null)
            .With("python", PythonVersion)
            .With("pickle-protocol", 5L);

        /// <summary>Whether a validated peer handshake offered lz4, the one compression DaskPS speaks.</summary>
        public static bool OffersLz4(MsgMap peerHandshake) => peerHandshake.Get("compression") is Lz4;

        /// <summary>Checks the peer's first message; Python peers hang silently on a bad one, DaskPS names it.</summary>
        public static MsgMap Validate(object? message, string peer)
        {
            if (message is MsgMap map && map.ContainsKey("compression") && map.Get("pickle-protocol") is long)
            {
                return map;
            }

            string seen = message is MsgMap m && m.Get("op") is string op
                ? $"an '{op}' request"
                : message?.GetType().Name ?? "nil";
            throw new DaskProtocolException(
                $"{peer} did not start with a dask handshake (a map with 'compression' and 'pickle-protocol'); it sent {seen}.");
        }
    }
}
