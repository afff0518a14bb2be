using System.Collections.Generic;
using System.Linq;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    /// <summary>The small messages clients and workers send on their batched streams; the same in every release.</summary>
    internal static class StreamMessages
    {
        public static MsgMap ClientDesiresKeys(IReadOnlyList<object?> keys, string clientId) =>
            new MsgMap(3).With("op", "client-desires-keys").With("keys", Array(keys)).With("client", clientId);

        public static MsgMap ClientReleasesKeys(IReadOnlyList<object?> keys, string clientId) =>
            new MsgMap(3).With("op", "client-releases-keys").With("keys", Array(keys)).With("client", clientId);

        public static MsgMap HeartbeatClient() => new MsgMap(1).With("op", "heartbeat-client");

        public static MsgMap CloseClient() => new MsgMap(1).With("op", "close-client");

        /// <summary>close-stream: the last message on a stream, from either side.</summary>
        public static MsgMap CloseStream() => new MsgMap(1).With("op", "close-stream");

        /// <summary>add-keys: this worker holds (or keeps) these keys.</summary>
        public static MsgMap AddKeys(IReadOnlyList<object?> keys, object? stimulusId) =>
            new MsgMap(3).With("op", "add-keys").With("keys", Array(keys)).With("stimulus_id", stimulusId);

        /// <summary>request-refresh-who-has: none of the known holders of these keys had them.</summary>
        public static MsgMap RequestRefreshWhoHas(IReadOnlyList<object?> keys, string stimulusId) =>
            new MsgMap(3).With("op", "request-refresh-who-has").With("keys", Array(keys)).With("stimulus_id", stimulusId);

        public static MsgMap WorkerClosing(string stimulusId) =>
            new MsgMap(3).With("op", "worker-status-change").With("status", "closing").With("stimulus_id", stimulusId);

        private static object?[] Array(IReadOnlyList<object?> keys) => keys as object?[] ?? keys.ToArray();
    }
}
