using System;
using System.Linq;

namespace DaskPS.Protocol.Pickle
{
    /// <summary>
    /// Reads a pickled Python exception for display, without unpickling it: plain exceptions
    /// (<c>ZeroDivisionError('division by zero')</c>) and the tblib form dask workers send.
    /// </summary>
    internal static class PythonExceptions
    {
        public static (string? Type, string Message) Describe(byte[] pickle)
        {
            object? value;
            try
            {
                value = PickleReader.Read(pickle);
            }
            catch (DaskProtocolException)
            {
                return (null, $"undecodable remote error (pickle, {pickle.Length} bytes: {Convert.ToBase64String(pickle, 0, Math.Min(pickle.Length, 48))}…)");
            }

            if (value is PickleCall { Function: PickleGlobal { Module: "tblib.pickling_support", Name: "unpickle_exception" }, Args: object?[] { Length: >= 2 } tblib })
            {
                return (Name(tblib[0]), Message(tblib[1]));
            }

            if (value is PickleCall { Function: PickleGlobal type } call)
            {
                return (type.Name, Message(call.Args));
            }

            return (null, value is string text ? text : "a Python error DaskPS could not read");
        }

        private static string? Name(object? type) => type is PickleGlobal global ? global.Name : null;

        private static string Message(object? args) => args switch
        {
            object?[] { Length: 0 } => string.Empty,
            object?[] { Length: 1 } single => single[0]?.ToString() ?? string.Empty,
            object?[] many => "(" + string.Join(", ", many.Select(a => a?.ToString() ?? "None")) + ")",
            _ => args?.ToString() ?? string.Empty,
        };
    }
}
