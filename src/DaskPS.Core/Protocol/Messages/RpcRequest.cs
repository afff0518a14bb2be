using System.Collections.Generic;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    /// <summary>
    /// An rpc request as dask frames it: one map holding the op, its arguments, whether the caller waits for a reply
    /// (<c>reply</c>, true unless false) and whether the connection ends after it (<c>close</c>).
    /// </summary>
    internal sealed class RpcRequest
    {
        private RpcRequest(string op, MsgMap message)
        {
            Op = op;
            Message = message;
        }

        public string Op { get; }

        /// <summary>The whole request, arguments included, for the op's handler to decode.</summary>
        public MsgMap Message { get; }

        public bool WantsReply => Message.Get("reply") is not false;

        public bool CloseAfter => Message.Get("close") is true;

        /// <summary>A request that waits for its reply.</summary>
        public static RpcRequest Create(string op, IReadOnlyList<(string Name, object? Value)> arguments)
        {
            var message = new MsgMap(arguments.Count + 2).With("op", op);
            foreach ((string name, object? value) in arguments)
            {
                message[name] = value;
            }

            message["reply"] = true;
            return new RpcRequest(op, message);
        }

        /// <summary>The request a peer sent; anything but a map with a str op is a protocol error.</summary>
        public static RpcRequest Read(object? message)
        {
            if (message is not MsgMap map || map.Get("op") is not string op)
            {
                throw new DaskProtocolException($"expected a request map with a str 'op', got {Describe(message)}");
            }

            return new RpcRequest(op, map);
        }

        private static string Describe(object? message) => message switch
        {
            null => "nil",
            string s => $"the str '{(s.Length > 40 ? s.Substring(0, 40) + "…" : s)}'",
            MsgMap => "a map without a str 'op'",
            _ => $"a {message.GetType().Name}",
        };
    }
}
