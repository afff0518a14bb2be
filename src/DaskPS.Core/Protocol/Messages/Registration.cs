using System;
using System.Linq;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    /// <summary>The scheduler's answers to register-client and register-worker, and to the heartbeats that follow.</summary>
    internal static class Registration
    {
        public static MsgMap RegisterClient(string clientId, MsgMap versions) => new MsgMap(4)
            .With("op", "register-client")
            .With("client", clientId)
            .With("reply", false)
            .With("versions", versions);

        /// <summary>The scheduler's versions reply, or why the peer is not a dask scheduler.</summary>
        public static MsgMap Versions(object? reply, string address) =>
            reply as MsgMap ?? throw new DaskProtocolException($"{address} answered 'versions' with {WireFields.Describe(reply)}; is it a dask scheduler?");

        /// <summary>Checks register-client's answer: a batch holding stream-start, without an error.</summary>
        public static void CheckClientAccepted(object? reply, string address)
        {
            MsgMap? start = (reply as object?[])?.OfType<MsgMap>().FirstOrDefault(m => m.Get("op") is "stream-start");
            if (start is null)
            {
                throw new DaskProtocolException($"{address} did not answer register-client with stream-start (got {WireFields.Describe(reply)}).");
            }

            if (start.Get("error") is string error && error.Length > 0)
            {
                throw new DaskException($"The scheduler refused this client: {error}");
            }
        }

        /// <summary>Checks register-worker's answer (status OK) and returns the heartbeat interval it sets.</summary>
        public static TimeSpan CheckWorkerAccepted(object? reply, string address, string worker, TimeSpan interval)
        {
            if (reply is not MsgMap answer || answer.Get("status") is not "OK")
            {
                string reason = (reply as MsgMap)?.Get("message") as string ?? (reply as MsgMap)?.Get("exception_text") as string ?? reply?.ToString() ?? "no answer";
                throw new DaskException($"The scheduler at {address} refused worker '{worker}': {reason}");
            }

            return HeartbeatInterval(answer, interval);
        }

        /// <summary>The interval a registration or heartbeat_worker reply sets; <paramref name="interval"/> when it sets none.</summary>
        public static TimeSpan HeartbeatInterval(object? reply, TimeSpan interval) => (reply as MsgMap)?.Get("heartbeat-interval") switch
        {
            double d when d > 0 => TimeSpan.FromSeconds(d),
            long l when l > 0 => TimeSpan.FromSeconds(l),
            _ => interval,
        };

        /// <summary>Whether a heartbeat_worker reply says the scheduler no longer knows the worker.</summary>
        public static bool IsMissing(object? reply) => reply is MsgMap answer && answer.Get("status") is "missing";
    }
}
