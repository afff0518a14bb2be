using System;

namespace DaskPS
{
    /// <summary>The base of every error DaskPS raises on purpose.</summary>
    public class DaskException : Exception
    {
        public DaskException(string message) : base(message) { }

        public DaskException(string message, Exception? inner) : base(message, inner) { }
    }
}
