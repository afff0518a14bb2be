using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>What a plain TCP connection on loopback moves: the ceiling a worker-to-worker transfer or a gather can reach.</summary>
    internal static class LoopbackSocket
    {
        /// <summary>Bytes per second sending <paramref name="bytes"/> from this process to itself, best of <paramref name="rounds"/>.</summary>
        public static async Task<double> BytesPerSecondAsync(byte[] bytes, int rounds = 3)
        {
            // One receive buffer for every round, its pages touched first: the ceiling is the socket's, not the cost of
            // the kernel handing out fresh pages (which the cluster's processes avoid by reusing collected memory).
            var received = new byte[bytes.Length];
            received.AsSpan().Fill(1);
            double best = 0;
            for (int i = 0; i < rounds; i++)
            {
                best = Math.Max(best, bytes.Length / await OnceAsync(bytes, received));
            }

            return best;
        }

        private static async Task<double> OnceAsync(byte[] bytes, byte[] received)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            using var sender = new TcpClient { NoDelay = true };
            await sender.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            using TcpClient receiver = await listener.AcceptTcpClientAsync();
            var watch = Stopwatch.StartNew();
            Task sending = sender.GetStream().WriteAsync(bytes).AsTask();
            // The receiver reads into one buffer of the value's size, as a worker or client receiving the value does.
            NetworkStream stream = receiver.GetStream();
            int total = 0;
            while (total < received.Length)
            {
                int read = await stream.ReadAsync(received.AsMemory(total));
                if (read == 0)
                {
                    throw new InvalidOperationException("The loopback connection closed early.");
                }

                total += read;
            }

            await sending;
            return watch.Elapsed.TotalSeconds;
        }
    }
}
