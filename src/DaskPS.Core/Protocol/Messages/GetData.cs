using System;
using System.Collections.Generic;
using System.Linq;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    /// <summary>
    /// get_data: a client's or a peer worker's request for the values of some keys. <see cref="Who"/> is the requesting
    /// worker (null for clients); <see cref="MayRefuse"/> whether the holder may answer "busy" (until 2023.8, clients
    /// forbid it with max_connections: false; later releases take no max_connections at all).
    /// </summary>
    public sealed record GetDataRequest(IReadOnlyList<object?> Keys, string? Who, bool MayRefuse)
    {
        /// <summary>Python workers serialize with the first of these that works; plain values come as msgpack.</summary>
        internal static readonly object?[] Serializers = { "msgpack", "dask", "pickle", "error" };

        internal MsgMap ToMap()
        {
            var request = new MsgMap(6)
                .With("op", "get_data")
                .With("keys", Keys as object?[] ?? Keys.ToArray())
                .With("who", Who)
                .With("serializers", Serializers)
                .With("reply", true);
            return MayRefuse ? request : request.With("max_connections", false);
        }

        internal static GetDataRequest FromMap(MsgMap request) =>
            new GetDataRequest(KeyLists.Of(request.Get("keys")), request.Get("who") as string, request.Get("max_connections") is not false);
    }

    /// <summary>The answer to get_data: the values the holder has, or "busy" (ask again later).</summary>
    public sealed class GetDataReply
    {
        public static readonly GetDataReply Busy = new GetDataReply(null);

        public GetDataReply(IReadOnlyDictionary<object, object?>? data)
        {
            Data = data ?? new Dictionary<object, object?>();
            IsBusy = data is null;
        }

        public bool IsBusy { get; }

        /// <summary>Each key's value (usually a <see cref="SerializedPayload"/>); keys the holder lacks are absent.</summary>
        public IReadOnlyDictionary<object, object?> Data { get; }

        internal MsgMap ToMap()
        {
            if (IsBusy)
            {
                return new MsgMap(1).With("status", "busy");
            }

            if (Data is not MsgMap data)
            {
                data = new MsgMap(Data.Count);
                foreach (KeyValuePair<object, object?> entry in Data)
                {
                    data[entry.Key] = entry.Value;
                }
            }

            return new MsgMap(2).With("status", "OK").With("data", data);
        }

        internal static GetDataReply FromReply(object? reply, string peer) => reply switch
        {
            MsgMap map when map.Get("status") is "busy" => Busy,
            MsgMap map when map.Get("status") is "OK" && map.Get("data") is MsgMap data => new GetDataReply(data),
            _ => throw new DaskProtocolException($"{peer} answered get_data with {reply ?? "nil"}."),
        };
    }
}
