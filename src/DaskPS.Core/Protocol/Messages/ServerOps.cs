using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    /// <summary>The ops every dask server answers: identity and echo.</summary>
    internal static class ServerOps
    {
        public static MsgMap IdentityReply(string type, string id) => new MsgMap(2).With("type", type).With("id", id);

        public static object? EchoReply(MsgMap request) => request.Get("data");
    }
}
