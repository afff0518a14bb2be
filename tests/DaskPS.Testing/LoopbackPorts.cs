using System.Net;
using System.Net.Sockets;

namespace DaskPS.Testing
{
    /// <summary>Ports for servers a test starts on a port it must know beforehand (e.g. to restart one there).</summary>
    public static class LoopbackPorts
    {
        /// <summary>A 127.0.0.1 port nothing listened on a moment ago.</summary>
        public static int Unused()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            try
            {
                return ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            finally
            {
                probe.Stop();
            }
        }
    }
}
