using System;

namespace DaskPS.Protocol
{
    /// <summary>Bytes from a peer that do not follow the dask wire protocol.</summary>
    public class DaskProtocolException : DaskException
    {
        public DaskProtocolException(string message) : base(message) { }

        public DaskProtocolException(string message, Exception inner) : base(message, inner) { }
    }
}
