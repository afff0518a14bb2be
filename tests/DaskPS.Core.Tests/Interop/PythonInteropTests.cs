using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Interop
{
    /// <summary>The comm core against dask's own Python code: its scheduler, rpc, Server and BatchedSend.</summary>
    public sealed class PythonInteropTests
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

        private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Interop", "python", name);

        [Fact]
        public async Task IdentityOnTheRealSchedulerDecodes()
        {
            await using DaskSchedulerProcess scheduler = await DaskSchedulerProcess.StartAsync();
            await using var pool = new ConnectionPool();

            var reply = Assert.IsType<MsgMap>(await pool[scheduler.Address].CallAsync("identity"));

            Assert.Equal("Scheduler", reply.Get("type"));
            Assert.StartsWith("Scheduler-", Assert.IsType<string>(reply.Get("id")));
            Assert.Equal(scheduler.Address, reply.Get("address"));
            Assert.IsType<MsgMap>(reply.Get("workers"));
        }

        [Fact]
        public async Task SchedulerConnectionsAreReusedAcrossCalls()
        {
            await using DaskSchedulerProcess scheduler = await DaskSchedulerProcess.StartAsync();
            await using var pool = new ConnectionPool();
            DaskRpc remote = pool[scheduler.Address];

            for (int i = 0; i < 20; i++)
            {
                Assert.IsType<MsgMap>(await remote.CallAsync("versions"));
            }

            Assert.Equal(1, pool.Open);
        }

        [Fact]
        public async Task PythonRpcCallsOpsOnACSharpServer()
        {
            await using var server = new DaskServer("TestServer");
            server.AddHandler("add", (_, request, _) => new ValueTask<object?>((long)request.Get("x")! + (long)request.Get("y")!));
            server.AddHandler("fail", (_, request, _) => throw new ArgumentException($"refused: {request.Get("reason")}"));
            string address = await server.ListenAsync("tcp://127.0.0.1:0");

            string output = await PythonProcess.RunAsync(DaskInstallation.Selected, new[] { Script("rpc_client.py"), address }, Deadline);

            using JsonDocument result = ParseResult(output);
            JsonElement root = result.RootElement;
            Assert.Equal("TestServer", root.GetProperty("identity_type").GetString());
            Assert.Equal(42, root.GetProperty("add").GetInt32());
            Assert.Equal(3, root.GetProperty("echo").GetArrayLength());
            Assert.Equal("bytes", root.GetProperty("echo_bytes_type").GetString());
            Assert.Contains("ValueError: refused: boom", root.GetProperty("fail").GetString());
            Assert.Equal(Enumerable.Range(0, 200).Sum(i => i + 1), root.GetProperty("sum").GetInt32());
        }

        [Fact]
        public async Task PythonBatchedSendStreamsInOrderToACSharpServer()
        {
            const int count = 5000;
            var received = new List<long>();
            int batches = 0;
            var finished = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var server = new DaskServer("Collector");
            server.AddStreamHandler("collect", async (comm, _, token) =>
            {
                try
                {
                    while (true)
                    {
                        object? batch = await comm.ReadAsync(token);
                        batches++;
                        foreach (object? message in batch as object?[] ?? new[] { batch })
                        {
                            received.Add((long)((MsgMap)message!).Get("i")!);
                        }
                    }
                }
                catch (CommClosedException)
                {
                    finished.TrySetResult(true);
                }
            });
            string address = await server.ListenAsync("tcp://127.0.0.1:0");

            await PythonProcess.RunAsync(DaskInstallation.Selected, new[] { Script("batched_to_csharp.py"), address, count.ToString() }, Deadline);
            await finished.Task.WaitAsync(Deadline);

            Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), received);
            Assert.InRange(batches, 1, count - 1);
        }

        [Fact]
        public async Task CSharpBatchedSendStreamsInOrderToAPythonServer()
        {
            const int count = 5000;
            await using PythonProcess python = PythonProcess.Start(DaskInstallation.Selected, new[] { Script("batched_from_csharp.py") });
            string address = (await python.WaitForLineAsync(l => l.StartsWith("ADDRESS ", StringComparison.Ordinal), Deadline)).Substring(8);

            DaskComm comm = await Transports.ConnectAsync(address);
            await comm.WriteAsync(new MsgMap().With("op", "collect").With("reply", false));
            var sender = new BatchedSend();
            sender.Start(comm);
            for (int i = 0; i < count; i++)
            {
                sender.Send(new MsgMap().With("op", "item").With("i", (long)i));
            }

            await sender.CloseAsync();
            string line = await python.WaitForLineAsync(l => l.StartsWith("RECEIVED ", StringComparison.Ordinal), Deadline);

            string[] parts = line.Split(' ');
            Assert.Equal(count.ToString(), parts[1]);
            Assert.Equal("True", parts[3]);
            Assert.Equal(sender.BatchesSent.ToString(), parts[5]);
            Assert.Equal(count, sender.MessagesSent);
            Assert.True(sender.BatchesSent < count, $"{sender.BatchesSent} batches for {count} messages: nothing was batched.");
        }

        [Theory]
        [InlineData("lz4", true)]
        [InlineData("None", false)]
        public async Task LargePayloadsTravelCompressedExactlyWhenThePythonPeerOffersLz4(string offered, bool compressed)
        {
            const int size = 1_000_000;
            byte[] pattern = Enumerable.Range(0, size).Select(i => (byte)(i % 251)).ToArray();
            await using var server = new DaskServer("Lz4Server");
            server.AddHandler("blob", (_, _, _) => new ValueTask<object?>(DaskSerialization.ToPayload(pattern)));
            server.AddHandler("measure", (_, request, _) =>
            {
                var payload = Assert.IsType<SerializedPayload>(request.Get("data"));
                bool arrivedCompressed = payload.Header.Get("compression") is object?[] algorithms && algorithms.Contains("lz4");
                bool matches = DaskSerialization.FromPayload(payload) is byte[] bytes && bytes.AsSpan().SequenceEqual(pattern);
                return new ValueTask<object?>(new MsgMap().With("compressed", arrivedCompressed).With("matches", matches));
            });
            string address = await server.ListenAsync("tcp://127.0.0.1:0");

            string output = await PythonProcess.RunAsync(DaskInstallation.Selected, new[] { Script("lz4_exchange.py"), address, offered }, Deadline);

            using JsonDocument result = ParseResult(output);
            JsonElement root = result.RootElement;
            Assert.True(root.GetProperty("reply_matches").GetBoolean(), "Python decoded DaskPS's payload to other bytes");
            Assert.Equal(compressed, root.GetProperty("reply_compression").EnumerateArray().Any(c => c.GetString() == "lz4"));
            Assert.Equal(compressed, root.GetProperty("reply_wire_bytes").GetInt32() < size / 10);
            Assert.True(root.GetProperty("measured").GetProperty("matches").GetBoolean(), "DaskPS decoded Python's payload to other bytes");
            Assert.Equal(compressed, root.GetProperty("measured").GetProperty("compressed").GetBoolean());
        }

        private static JsonDocument ParseResult(string output)
        {
            string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
            Assert.True(line is not null, $"The script printed no RESULT line:\n{output}");
            return JsonDocument.Parse(line!.Substring(7));
        }
    }
}
