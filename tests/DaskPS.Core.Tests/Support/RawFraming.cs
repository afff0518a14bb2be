using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Core.Tests.Support
{
    /// <summary>dask's framing written and read byte by byte on a raw socket, for peers that misbehave on purpose.</summary>
    internal static class RawFraming
    {
        /// <summary>A valid peer handshake, as a whole message.</summary>
        public static byte[] PeerHandshake { get; } = Frame(MsgPackSerializer.Serialize(new MsgMap().With("compression", null).With("pickle-protocol", 5L)));

        /// <summary>Reads the handshake the accepting side sends first.</summary>
        public static async Task ReadServerHandshakeAsync(Socket socket, CancellationToken cancellationToken = default)
        {
            byte[] prelude = await ReceiveExactlyAsync(socket, 24, cancellationToken);
            int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(prelude.AsSpan(16));
            await ReceiveExactlyAsync(socket, length, cancellationToken);
        }

        /// <summary>True when the other side closes (EOF or reset) within <paramref name="bound"/>; whatever it sends first is read and dropped.</summary>
        public static async Task<bool> ClosedByPeerAsync(Socket socket, TimeSpan bound)
        {
            using var deadline = new CancellationTokenSource(bound);
            var buffer = new byte[4096];
            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
                {
                }

                return true;
            }
            catch (SocketException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        /// <summary>A one-frame message.</summary>
        public static byte[] Frame(byte[] frame0) => Concat(Words(16 + frame0.Length, 1, (ulong)frame0.Length), frame0);

        /// <summary>The total length word, then <paramref name="words"/>: a message prelude.</summary>
        public static byte[] Words(long total, params ulong[] words)
        {
            var bytes = new byte[8 * (words.Length + 1)];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)total);
            for (int i = 0; i < words.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 * (i + 1)), words[i]);
            }

            return bytes;
        }

        public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

        private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
        {
            var buffer = new byte[count];
            int got = 0;
            while (got < count)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    throw new EndOfStreamException();
                }

                got += n;
            }

            return buffer;
        }
    }
}
