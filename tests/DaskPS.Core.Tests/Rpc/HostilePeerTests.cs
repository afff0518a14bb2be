using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Comm;
using DaskPS.Diagnostics;
using DaskPS.Hosting;
using DaskPS.Protocol;
using DaskPS.Protocol.Messages;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;
using DaskPS.Testing;
using DaskPS.Worker;
using Xunit.Abstractions;
using static DaskPS.Core.Tests.Support.RawFraming;

namespace DaskPS.Core.Tests.Rpc
{
    /// <summary>
    /// Peers that declare huge frames and go quiet, or connect and idle, at a DaskPS worker's port (the real
    /// dask-scheduler beside it) and toward a DaskPS client; the client has no port of its own, so it is met as a
    /// hostile server instead.
    /// </summary>
    [Collection(AllocationMeasuringCollection.Name)]
    public sealed class HostilePeerTests
    {
        /// <summary>About 2 GiB: a frame .NET could allocate, within the default message size.</summary>
        private const ulong HugeFrame = 0x7FFF0000;

        private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(2);
        private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(15);

        private readonly ITestOutputHelper _output;
        private readonly ConcurrentQueue<string> _log = new ConcurrentQueue<string>();

        public HostilePeerTests(ITestOutputHelper output)
        {
            _output = output;
        }

        [Fact]
        public async Task HugeDeclaredFramesCostOnlyTheBytesSentAndTimeOut()
        {
            await using LocalScheduler scheduler = await LocalScheduler.StartAsync(DaskInstallation.Selected.SchedulerOptions());
            var comm = new CommOptions { ReadTimeout = ShortTimeout, HandshakeTimeout = ShortTimeout };
            var worker = new DaskWorker(new DaskWorkerOptions(scheduler.Address) { Comm = comm, Logger = new DaskLogger((_, m) => _log.Enqueue(m), DaskLogLevel.Debug) });
            await worker.StartAsync();
            try
            {
                IPEndPoint endPoint = DaskAddress.Parse(worker.Address).ToEndPoint();
                byte[] hugeMessageStart = Concat(Words(24 + (long)HugeFrame, 1, HugeFrame), new byte[40]);
                long allocatedBefore = GC.GetTotalAllocatedBytes(true);
                long heapBefore = GC.GetTotalMemory(true);
                var watch = Stopwatch.StartNew();

                // Four after the handshake, two instead of it: six declared 2 GiB frames, 40 bytes of each sent.
                var sockets = new List<Socket>();
                for (int i = 0; i < 6; i++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    sockets.Add(socket);
                    await socket.ConnectAsync(endPoint);
                    await ReadServerHandshakeAsync(socket);
                    await socket.SendAsync(i < 4 ? Concat(PeerHandshake, hugeMessageStart) : hugeMessageStart, SocketFlags.None);
                }

                try
                {
                    foreach (Socket socket in sockets)
                    {
                        Assert.True(await ClosedByPeerAsync(socket, Bounded), "the worker kept a stalled connection open");
                    }

                    double seconds = watch.Elapsed.TotalSeconds;
                    long allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
                    long heap = GC.GetTotalMemory(true) - heapBefore;
                    _output.WriteLine($"six 2 GiB frames declared: {allocated / 1e6:0.0} MB allocated, heap {heap / 1e6:+0.0;-0.0} MB, all closed after {seconds:0.0} s");
                    Assert.True(allocated < 32_000_000, $"{allocated} bytes allocated for 240 bytes received");
                    Assert.True(seconds >= ShortTimeout.TotalSeconds * 0.9, $"closed after {seconds:0.0} s, before the timeouts");
                    // The four after the handshake end by the read timeout; the two instead of it by whichever of the
                    // handshake and read timeouts (both 2 s) fires first.
                    Assert.InRange(_log.Count(l => l.Contains("did not arrive whole within 2 s", StringComparison.Ordinal)), 4, 6);
                    Assert.Equal(0, ReadBudget.Shared.Used);
                }
                finally
                {
                    sockets.ForEach(s => s.Dispose());
                }

                await using var pool = new ConnectionPool();
                Assert.IsType<MsgMap>(await pool[worker.Address].CallAsync("identity"));
            }
            finally
            {
                await worker.CloseAsync();
            }
        }

        [Fact]
        public async Task IdlePeersBeyondTheConnectionLimitLeaveRoomForNewClients()
        {
            await using TestCluster cluster = await TestCluster.StartAsync(workers: 1);
            DaskWorker worker = cluster.Workers[0];
            DaskNode node = (await cluster.Client.ScatterAsync(new object?[] { 42L }, new[] { worker.Address })).Single();
            IPEndPoint endPoint = DaskAddress.Parse(worker.Address).ToEndPoint();

            // More handshaken, silent peers than the worker admits; each one past the limit displaces the longest idle
            // (a server that stops accepting at the limit fails here: the handshakes past it never come).
            var sockets = new List<Socket>();
            try
            {
                using var admitted = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                for (int i = 0; i < DaskServer.DefaultConnectionLimit + 20; i++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    sockets.Add(socket);
                    await socket.ConnectAsync(endPoint, admitted.Token);
                    await ReadServerHandshakeAsync(socket, admitted.Token);
                    await socket.SendAsync(PeerHandshake, SocketFlags.None, admitted.Token);
                }

                // Well inside the 10 s handshake timeout: a new client is served, not queued behind idle peers.
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(8));
                await using var pool = new ConnectionPool();
                GetDataReply reply = await DataExchange.RequestAsync(pool, worker.Address, new GetDataRequest(new object?[] { node.Key }, null, false), deadline.Token);
                Assert.True(reply.Data!.ContainsKey(node.Key));

                // A new client stores and fetches a value there; the first client, whose pooled comm may have given way, still fetches its own.
                await using DaskClient newClient = await DaskClient.ConnectAsync(cluster.Address, cancellationToken: deadline.Token);
                DaskNode newNode = (await newClient.ScatterAsync(new object?[] { 43L }, new[] { worker.Address }, cancellationToken: deadline.Token)).Single();
                Assert.Equal(43L, await newClient.ResultAsync(newNode, deadline.Token));
                Assert.Equal(42L, await cluster.Client.ResultAsync(node, deadline.Token));

                // The displaced ones were closed by the worker, not left hanging.
                Assert.True(await ClosedByPeerAsync(sockets[0], Bounded), "the longest idle peer was not closed");
            }
            finally
            {
                sockets.ForEach(s => s.Dispose());
            }
        }

        [Fact]
        public async Task IdleConnectionsCloseAfterTheIdleTimeoutAndPoolsDoNotReuseThem()
        {
            var options = new CommOptions { IdleTimeout = TimeSpan.FromSeconds(1) };
            await using var server = new DaskServer("Idle", options);
            string address = await server.ListenAsync("tcp://127.0.0.1:0");
            await using var pool = new ConnectionPool(options: options);

            Assert.IsType<MsgMap>(await pool[address].CallAsync("identity"));
            await Eventually.TrueAsync(() => server.OpenConnections == 0, Bounded, "the idle connection closed by the server");
            Assert.IsType<MsgMap>(await pool[address].CallAsync("identity"));
        }

        [Fact]
        public async Task LargeMessagesRoundTripEvenBeyondTheProcessBudget()
        {
            long budget = CommOptions.ProcessReadBudget;
            CommOptions.ProcessReadBudget = 16 << 20;
            try
            {
                await using var server = new DaskServer("Large");
                string address = await server.ListenAsync("tcp://127.0.0.1:0");
                await using var pool = new ConnectionPool();
                byte[][] values = Enumerable.Range(1, 2).Select(seed =>
                {
                    var value = new byte[64 << 20];
                    new Random(seed).NextBytes(value);
                    return value;
                }).ToArray();

                // Two 64 MB messages at once, each four times the budget: the oldest always proceeds, so neither starves.
                object?[] echoes = await Task.WhenAll(values.Select(v => pool[address].CallAsync("echo", ("data", DaskSerialization.ToPayload(v)))));
                for (int i = 0; i < values.Length; i++)
                {
                    Assert.True(values[i].AsSpan().SequenceEqual((byte[])DaskSerialization.FromPayload((SerializedPayload)echoes[i]!)!), $"value {i} came back different");
                }

                Assert.Equal(0, ReadBudget.Shared.Used);
            }
            finally
            {
                CommOptions.ProcessReadBudget = budget;
            }
        }

        [Fact]
        public async Task AServerDeclaringAHugeFrameCannotMakeTheClientAllocate()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                string address = $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
                Task<Socket> accepted = listener.AcceptSocketAsync();
                await using var pool = new ConnectionPool(options: new CommOptions { ReadTimeout = ShortTimeout });
                long allocatedBefore = GC.GetTotalAllocatedBytes(true);
                Task<object?> call = pool[address].CallAsync("identity");

                using Socket server = await accepted;
                await server.SendAsync(Concat(PeerHandshake, Words(24 + (long)HugeFrame, 1, HugeFrame), new byte[40]), SocketFlags.None);
                var error = await Assert.ThrowsAsync<DaskTimeoutException>(() => call);
                long allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
                _output.WriteLine($"a 2 GiB frame declared to the client: {allocated / 1e6:0.0} MB allocated; {error.Message}");
                Assert.Contains("did not arrive whole", error.Message, StringComparison.Ordinal);
                Assert.True(allocated < 16_000_000, $"{allocated} bytes allocated for 40 bytes received");
            }
            finally
            {
                listener.Stop();
            }
        }
    }
}
