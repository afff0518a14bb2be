using System;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;

namespace DaskPS.Protocol.Messages
{
    /// <summary>dask's reply shape for a handler that raised: <c>status: uncaught-error</c>.</summary>
    internal static class RemoteErrors
    {
        public static MsgMap ToReply(Exception error) => new MsgMap(5)
            .With("status", "uncaught-error")
            // A plain str: Python clients turn it into Exception(str); bytes would be unpickled.
            .With("exception", $"{PythonName(error)}: {error.Message}")
            .With("traceback", null)
            .With("exception_text", $"{PythonName(error)}('{error.Message}')")
            .With("traceback_text", error.StackTrace ?? string.Empty);

        /// <summary>Throws when <paramref name="reply"/> is an uncaught-error reply; returns it otherwise.</summary>
        public static object? ThrowIfError(object? reply, string address, string op)
        {
            if (reply is MsgMap map && map.Get("status") is "uncaught-error")
            {
                string text = map.Get("exception_text") as string
                    ?? (map.Get("exception") as string)
                    ?? (map.Get("exception") is SerializedPayload or PickledPayload ? "a Python exception (pickled)" : "an unknown error");
                throw new DaskRemoteException($"'{op}' on {address} failed: {text}", TypeOf(text), map.Get("traceback_text") as string);
            }

            return reply;
        }

        private static string? TypeOf(string text)
        {
            int end = text.IndexOfAny(new[] { '(', ':' });
            return end > 0 ? text.Substring(0, end) : null;
        }

        private static string PythonName(Exception error) => error switch
        {
            ArgumentException => "ValueError",
            System.Collections.Generic.KeyNotFoundException => "KeyError",
            DaskTimeoutException => "TimeoutError",
            NotSupportedException => "NotImplementedError",
            _ => error.GetType().Name,
        };
    }
}
