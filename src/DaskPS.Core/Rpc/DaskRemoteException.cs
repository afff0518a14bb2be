using System;

namespace DaskPS.Rpc
{
    /// <summary>A remote handler failed; carries what the peer said about it.</summary>
    public class DaskRemoteException : DaskException
    {
        public DaskRemoteException(string message, string? remoteType, string? remoteTraceback)
            : base(message, null)
        {
            RemoteType = remoteType;
            RemoteTraceback = remoteTraceback;
        }

        /// <summary>The exception type on the remote side, where it is known (e.g. "KeyError").</summary>
        public string? RemoteType { get; }

        public string? RemoteTraceback { get; }
    }
}
