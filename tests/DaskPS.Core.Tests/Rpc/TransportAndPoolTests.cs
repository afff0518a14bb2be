using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Rpc
{
    public sealed class TransportAndPoolTests
    {
        private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

        [Fact]
        public async Task MutualTlsCarriesRequests()
        {
            using var certificates = new TestCertificates();
            var serverOptions = new CommOptions { Tls = new TlsOptions { Certificate = certificates.Server, TrustedAuthority = certificates.Authority } };
            await using var server = new DaskServer("TlsServer", serverOptions);
            string address = await server.ListenAsync("tls://127.0.0.1:0");
            Assert.StartsWith("tls://127.0.0.1:", address);

            var clientOptions = new CommOptions { Tls = new TlsOptions { Certificate = certificates.Client, TrustedAuthority = certificates.Authority } };
            await using var pool = new ConnectionPool(options: clientOptions);
            var identity = Assert.IsType<MsgMap>(await pool[address].CallAsync("identity"));

            Assert.Equal("TlsServer", identity.Get("type"));
        }

        [Fact]
        public async Task TlsTellsAMissingClientCertificateFromARefusedOneAndAnUntrustedServer()
        {
            using var certificates = new TestCertificates();
            using var stranger = new TestCertificates();
            var serverOptions = new CommOptions { Tls = new TlsOptions { Certificate = certificates.Server, TrustedAuthority = certificates.Authority }, HandshakeTimeout = TimeSpan.FromSeconds(2) };
            await using var server = new DaskServer("TlsServer", serverOptions);
            string address = await server.ListenAsync("tls://127.0.0.1:0");

            var anonymous = new CommOptions { Tls = new TlsOptions { TrustedAuthority = certificates.Authority }, HandshakeTimeout = TimeSpan.FromSeconds(2) };
            var missing = await Assert.ThrowsAsync<DaskTlsException>(() => Transports.ConnectAsync(address, anonymous));
            Assert.Equal(DaskTlsFailure.ClientCertificateMissing, missing.Failure);
            var foreign = new CommOptions { Tls = new TlsOptions { Certificate = stranger.Client, TrustedAuthority = certificates.Authority } };
            var refused = await Assert.ThrowsAsync<DaskTlsException>(() => Transports.ConnectAsync(address, foreign));
            Assert.Equal(DaskTlsFailure.ClientCertificateRefused, refused.Failure);
            var distrustful = new CommOptions { Tls = new TlsOptions { Certificate = stranger.Client, TrustedAuthority = stranger.Authority } };
            var untrusted = await Assert.ThrowsAsync<DaskTlsException>(() => Transports.ConnectAsync(address, distrustful));
            Assert.Equal(DaskTlsFailure.ServerCertificateUntrusted, untrusted.Failure);
            Assert.Contains(address, untrusted.Message);
        }

        [Fact]
        public async Task TlsToAPlainTcpServerFailsAsAHandshakeThatDidNotHappen()
        {
            using var certificates = new TestCertificates();
            await using var server = new DaskServer("PlainServer");
            string address = await server.ListenAsync("tcp://127.0.0.1:0");
            var options = new CommOptions { Tls = new TlsOptions { Certificate = certificates.Client, TrustedAuthority = certificates.Authority } };

            var error = await Assert.ThrowsAsync<DaskTlsException>(() => Transports.ConnectAsync(address.Replace("tcp://", "tls://"), options));

            Assert.Equal(DaskTlsFailure.HandshakeFailed, error.Failure);
            Assert.Contains("Check that it is a tls:// address", error.Message);
        }

        [Fact]
        public async Task InProcPassesObjectsWithoutSerializing()
        {
            byte[] payload = { 1, 2, 3 };
            object? received = null;
            await using var server = new DaskServer("InProc");
            server.AddHandler("keep", (_, request, _) =>
            {
                received = request.Get("data");
                return new ValueTask<object?>(request.Get("data"));
            });
            string address = await server.ListenAsync("inproc://");
            await using var pool = new ConnectionPool();

            object? reply = await pool[address].CallAsync("keep", ("data", payload));

            Assert.StartsWith("inproc://", address);
            Assert.Same(payload, received);
            Assert.Same(payload, reply);
        }

        [Fact]
        public async Task ThePoolReusesCommsAndStaysWithinItsLimit()
        {
            var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var server = new DaskServer("Pooled");
            server.AddHandler("wait", async (_, _, _) => await release.Task);
            string address = await server.ListenAsync("tcp://127.0.0.1:0");
            await using var pool = new ConnectionPool(limit: 2);

            await pool[address].CallAsync("identity");
            await pool[address].CallAsync("identity");
            Assert.Equal(1, server.OpenConnections);

            Task<object?> first = pool[address].CallAsync("wait");
            Task<object?> second = pool[address].CallAsync("wait");
            await Eventually.TrueAsync(() => pool.Active == 2, Bounded, "two comms busy");
            Task<object?> third = pool[address].CallAsync("identity");
            Assert.NotSame(third, await Task.WhenAny(third, Task.Delay(TimeSpan.FromMilliseconds(200))));

            release.SetResult(true);
            await Task.WhenAll(first, second, third).WaitAsync(Bounded);
            Assert.True(pool.Open <= 2);
            Assert.Equal(pool.Open, pool.CollectIdle());
            Assert.Equal(0, pool.Open);
        }

        [Fact]
        public async Task ACallWithoutAnswerTimesOutAndItsCommIsNotReused()
        {
            await using var server = new DaskServer("Slow");
            server.AddHandler("never", async (_, _, token) => await Task.Delay(Timeout.Infinite, token).ContinueWith(_ => (object?)null));
            string address = await server.ListenAsync("tcp://127.0.0.1:0");
            await using var pool = new ConnectionPool();
            DaskRpc rpc = pool[address];
            rpc.Timeout = TimeSpan.FromMilliseconds(300);

            var error = await Assert.ThrowsAsync<DaskTimeoutException>(() => rpc.CallAsync("never"));

            Assert.Contains("'never'", error.Message);
            Assert.Contains(address, error.Message);
            Assert.Equal(0, pool.Open);
            Assert.IsType<MsgMap>(await rpc.CallAsync("identity"));
        }

        [Fact]
        public async Task AFailingHandlerAnswersWithDasksErrorShapeAndTheCommStaysUsable()
        {
            await using var server = new DaskServer("Failing");
            server.AddHandler("fail", (_, _, _) => throw new InvalidOperationException("no such thing"));
            string address = await server.ListenAsync("tcp://127.0.0.1:0");
            await using var pool = new ConnectionPool();

            var error = await Assert.ThrowsAsync<DaskRemoteException>(() => pool[address].CallAsync("fail"));
            var unknown = await Assert.ThrowsAsync<DaskRemoteException>(() => pool[address].CallAsync("no-such-op"));

            Assert.Contains("no such thing", error.Message);
            Assert.Contains("no-such-op", unknown.Message);
            Assert.IsType<MsgMap>(await pool[address].CallAsync("identity"));
            Assert.Equal(1, server.OpenConnections);
        }

        [Fact]
        public async Task BatchedSendFlushesOnCloseAndRefusesLateMessages()
        {
            var received = new System.Collections.Concurrent.ConcurrentQueue<long>();
            (DaskServer server, DaskComm comm, Task ended) = await StreamSinkAsync(batch =>
            {
                foreach (object? message in batch)
                {
                    received.Enqueue((long)((MsgMap)message!).Get("i")!);
                }
            });
            await using DaskServer sink = server;
            var sender = new BatchedSend();
            sender.Start(comm);

            await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < 2_500; i++)
                {
                    sender.Send(new MsgMap().With("i", (long)((t * 10_000) + i)));
                }
            })));
            await sender.CloseAsync();
            await ended.WaitAsync(Bounded);

            Assert.Equal(10_000, received.Count);
            foreach (IGrouping<long, long> thread in received.GroupBy(i => i / 10_000))
            {
                Assert.Equal(thread.OrderBy(i => i), thread);
            }

            Assert.True(sender.BatchesSent < 10_000);
            Assert.Throws<CommClosedException>(() => sender.Send(new MsgMap()));
        }

        [Fact]
        public async Task BatchedSendFoldsConsecutiveFoldingMessagesAndKeepsTheOrder()
        {
            var batches = new System.Collections.Concurrent.ConcurrentQueue<string[]>();
            (DaskServer server, DaskComm comm, Task ended) = await StreamSinkAsync(batch => batches.Enqueue(batch.Select(m => (string)((MsgMap)m!).Get("op")!).ToArray()));
            await using DaskServer sink = server;
            var sender = new BatchedSend();
            // Queued before the sender starts, so all wait in one buffer.
            sender.Send(new MsgMap().With("op", "first"));
            sender.Send(new Letters("a"));
            sender.Send(new Letters("b"));
            sender.Send(new Letters("c"));
            sender.Send(new MsgMap().With("op", "between"));
            sender.Send(new Letters("d"));
            sender.Start(comm);
            await sender.CloseAsync();
            await ended.WaitAsync(Bounded);

            // Each run of letters went as one message, where its first letter stood.
            Assert.Equal(new[] { new[] { "first", "abc", "between", "d" } }, batches);
            Assert.Equal(4, sender.MessagesSent);
        }

        /// <summary>A server whose stream handler hands each batch it reads to <paramref name="read"/>, a comm streaming to it, and a task that completes when the stream closes.</summary>
        private static async Task<(DaskServer Server, DaskComm Comm, Task Ended)> StreamSinkAsync(Action<object?[]> read)
        {
            var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var server = new DaskServer("Sink");
            server.AddStreamHandler("stream", async (comm, _, token) =>
            {
                try
                {
                    while (true)
                    {
                        read((object?[])(await comm.ReadAsync(token))!);
                    }
                }
                catch (CommClosedException)
                {
                    ended.TrySetResult(true);
                }
            });
            string address = await server.ListenAsync("tcp://127.0.0.1:0");
            DaskComm client = await Transports.ConnectAsync(address);
            await client.WriteAsync(new MsgMap().With("op", "stream").With("reply", false));
            return (server, client, ended.Task);
        }

        /// <summary>Folds into one message whose op is the letters folded in, in order.</summary>
        private sealed class Letters : FoldingMessage
        {
            private string _letters;

            public Letters(string letters) => _letters = letters;

            public override bool TryFold(FoldingMessage next)
            {
                if (next is not Letters letters)
                {
                    return false;
                }

                _letters += letters._letters;
                return true;
            }

            public override IReadOnlyList<object?> Build() => new object?[] { new MsgMap().With("op", _letters) };
        }
    }
}
