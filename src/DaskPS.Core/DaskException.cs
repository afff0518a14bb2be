using System;

namespace DaskPS
{
    /// <summary>The base of every error DaskPS raises on purpose: callers catch this one type.</summary>
    public class DaskException : Exception
    {
        public DaskException(string message) : base(message) { }

        public DaskException(string message, Exception? inner) : base(message, inner) { }
    }

    /// <summary>A peer, a stream or a child process did not answer within its deadline; the message says which and how long.</summary>
    public sealed class DaskTimeoutException : DaskException
    {
        public DaskTimeoutException(string message) : base(message) { }
    }
}
