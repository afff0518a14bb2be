using DaskPS.Protocol;

namespace DaskPS.Client
{
    /// <summary>
    /// Turns a task-erred report into a readable exception. DaskPS workers send "Type: message" and a traceback
    /// string; Python workers send a pickled exception, of which the type and message are read without unpickling.
    /// </summary>
    internal static class RemoteTaskErrors
    {
        public static DaskTaskException Decode(string key, object? exception, object? traceback)
        {
            (string? type, string message) = Describe(Unwrap(exception));
            string? tracebackText = Unwrap(traceback) switch
            {
                string text => text,
                byte[] => null,
                _ => null,
            };
            return new DaskTaskException(key, type, message, string.IsNullOrEmpty(tracebackText) ? null : tracebackText);
        }

        private static object? Unwrap(object? value)
        {
            switch (value)
            {
                case SerializedPayload payload:
                    try
                    {
                        object? decoded = DaskSerialization.FromPayload(payload);
                        return decoded is OpaqueValue opaque && opaque.Payload.Frames.Count > 0 ? opaque.Payload.Frames[0].ToArray() : decoded;
                    }
                    catch (DaskProtocolException e)
                    {
                        return $"an error report DaskPS could not decode ({e.Message})";
                    }

                default:
                    return value;
            }
        }

        private static (string? Type, string Message) Describe(object? exception)
        {
            switch (exception)
            {
                case string text:
                    int colon = text.IndexOf(": ", System.StringComparison.Ordinal);
                    return colon > 0 && text.IndexOf(' ', 0, colon) < 0
                        ? (text.Substring(0, colon), text.Substring(colon + 2))
                        : (null, text);
                case byte[] pickle:
                    return Protocol.Pickle.PythonExceptions.Describe(pickle);
                case null:
                    return (null, "the worker reported no reason");
                default:
                    return (null, exception.ToString() ?? "unknown error");
            }
        }
    }
}
