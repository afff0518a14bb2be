using System;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Core.Tests.Support;
using DaskPS.Diagnostics;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;
using DaskPS.Testing;
using static DaskPS.Core.Tests.Support.RawFraming;

namespace DaskPS.Core.Tests.Rpc
{
    /// <summary>Allocation is measured process-wide, so these tests run alone.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class AllocationMeasuringCollection
    {
        public const string Name = "Allocation measuring";
    }

    /// <summary>Bad input at a C# server port: that connection closes with a logged reason, the server keeps serving.</summary>
    [Collection(AllocationMeasuringCollection.Name)]
    public sealed class ServerRobustnessTests : IAsyncLifetime
    {
        private const int MaxMessage = 1 << 20;
        private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(5);

        private readonly ConcurrentQueue<string> _log = new ConcurrentQueue<string>();
        private DaskServer _server = null!;
        private string _address = null!;
        private IPEndPoint _endPoint = null!;

        public async Task InitializeAsync()
        {
            var options = new CommOptions { MaxMessageSize = MaxMessage, HandshakeTimeout = TimeSpan.FromSeconds(1) };
            _server = new DaskServer("Robust", options, new DaskLogger((_, m) => _log.Enqueue(m), DaskLogLevel.Debug));
            _address = await _server.ListenAsync("tcp://127.0.0.1:0");
            _endPoint = DaskAddress.Parse(_address).ToEndPoint();
        }

        public async Task DisposeAsync() => await _server.DisposeAsync();

        public static IEnumerable<object[]> BadInputs()
        {
            yield return new object[] { "truncated frame", Concat(PeerHandshake, Frame(MsgPackSerializer.Serialize(new MsgMap().With("op", "identity"))).Take(20).ToArray()), false };
            yield return new object[] { "frame count 2^63", Concat(PeerHandshake, Words(16, 1UL << 63)), true };
            yield return new object[] { "frame length 2^63", Concat(PeerHandshake, Words(24, 1, 1UL << 63)), true };
            yield return new object[] { "frames above the maximum", Concat(PeerHandshake, Words(32, 2, 512 * 1024, 600 * 1024)), true };
            yield return new object[] { "garbage msgpack", Concat(PeerHandshake, Frame(new byte[] { 0xc1, 0xff, 0x00 })), true };
            yield return new object[] { "a message that is not a request", Concat(PeerHandshake, Frame(MsgPackSerializer.Serialize(new object?[] { 1L, 2L }))), true };
            yield return new object[] { "an empty handshake", Frame(MsgPackSerializer.Serialize(new MsgMap())), true };
            yield return new object[] { "a request instead of a handshake", Frame(MsgPackSerializer.Serialize(new MsgMap().With("op", "identity"))), true };
            yield return new object[] { "silence", Array.Empty<byte>(), true };
        }

        [Theory]
        [MemberData(nameof(BadInputs))]
        public async Task BadInputClosesThatConnectionOnly(string name, byte[] bytes, bool logged)
        {
            long allocatedBefore = GC.GetTotalAllocatedBytes(true);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(_endPoint);
            await ReadServerHandshakeAsync(socket);
            await socket.SendAsync(bytes, SocketFlags.None);
            if (name == "truncated frame")
            {
                // The peer goes away in the middle of the message.
                socket.Shutdown(SocketShutdown.Send);
            }

            Assert.True(await ClosedByPeerAsync(socket, Bounded), $"{name}: the server kept the connection open");
            if (logged)
            {
                await Eventually.TrueAsync(() => _log.Any(l => l.Contains("dropped the connection")), Bounded, $"{name}: a log line with the reason");
            }

            Assert.True(GC.GetTotalAllocatedBytes(true) - allocatedBefore < 2L * MaxMessage, $"{name}: allocated more than twice the maximum message");
            await using var pool = new ConnectionPool();
            Assert.IsType<MsgMap>(await pool[_address].CallAsync("identity"));
        }

        [Fact]
        public async Task ThousandsOfMutatedMessagesNeverHurtTheServer()
        {
            byte[][] seeds =
            {
                Frame(MsgPackSerializer.Serialize(new MsgMap().With("op", "identity").With("reply", true))),
                Frame(MsgPackSerializer.Serialize(new MsgMap().With("op", "gather").With("keys", new object?[] { "a", "b" }).With("reply", true))),
                Frame(MsgPackSerializer.Serialize(new object?[] { new MsgMap().With("op", "task-finished").With("key", "x").With("nbytes", 28L) })),
                Frame(MsgPackSerializer.Serialize(new MsgMap().With("op", "echo").With("data", new MsgMap().With("__Serialized__", 1L)))),
            };
            var random = new Random(0x5eed);
            var cases = Enumerable.Range(0, 2_000).Select(_ => Concat(PeerHandshake, Mutations.Apply(seeds[random.Next(seeds.Length)], random, InflateALengthWord))).ToList();

            using var gate = new SemaphoreSlim(16);
            await Task.WhenAll(cases.Select(async bytes =>
            {
                await gate.WaitAsync();
                try
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(_endPoint);
                    await ReadServerHandshakeAsync(socket);
                    await socket.SendAsync(bytes, SocketFlags.None);
                    socket.Shutdown(SocketShutdown.Send);
                    await ClosedByPeerAsync(socket, Bounded);
                }
                finally
                {
                    gate.Release();
                }
            }));

            await Eventually.TrueAsync(() => _server.OpenConnections == 0, Bounded, "every connection closed (seed 0x5eed)");
            await using var pool = new ConnectionPool();
            Assert.IsType<MsgMap>(await pool[_address].CallAsync("identity"));
        }

        /// <summary>Inflates one of the length words of the framing prelude.</summary>
        private static void InflateALengthWord(byte[] message, Random random) =>
            BinaryPrimitives.WriteUInt64LittleEndian(message.AsSpan(8 * random.Next(3)), (ulong)random.NextInt64());
    }
}
