using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Comm;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Client
{
    /// <summary>The client's data operations against the real scheduler and real Python workers.</summary>
    public sealed class ClientWithPythonWorkersTests : IAsyncLifetime
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

        // The active memory manager undoes replication within seconds; these tests check replication itself.
        private static readonly Dictionary<string, string> NoMemoryManager = new Dictionary<string, string>
        {
            ["DASK_DISTRIBUTED__SCHEDULER__ACTIVE_MEMORY_MANAGER__START"] = "False",
        };

        private DaskSchedulerProcess _scheduler = null!;
        private PythonProcess _worker1 = null!;
        private PythonProcess _worker2 = null!;
        private DaskClient _client = null!;
        private string[] _workers = null!;

        public async Task InitializeAsync()
        {
            _scheduler = await DaskSchedulerProcess.StartAsync(environment: NoMemoryManager);
            _worker1 = PythonWorkerProcess.Start(_scheduler, "py1", "PY=1");
            _worker2 = PythonWorkerProcess.Start(_scheduler, "py2", "PY=1");
            _client = await DaskClient.ConnectAsync(_scheduler.Address);
            await _client.WaitForWorkersAsync(2, Deadline);
            _workers = (await _client.GetWorkersAsync()).Select(w => w.Address).OrderBy(a => a, StringComparer.Ordinal).ToArray();
        }

        public async Task DisposeAsync()
        {
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }

            await _worker1.DisposeAsync();
            await _worker2.DisposeAsync();
            await _scheduler.DisposeAsync();
        }

        [Fact]
        public async Task PlainValuesRoundTripThroughPythonWorkers()
        {
            object?[] values =
            {
                null, true, 42L, -7L, 3.5, "text ünïcode", new byte[] { 0, 1, 255 },
                new object?[] { 1L, "two", 3.0 },
                new MsgMap().With("a", 1L).With("b", new object?[] { "x" }),
                new string('z', 300_000),
            };

            IReadOnlyList<DaskNode> nodes = await _client.ScatterAsync(values);
            IReadOnlyList<object?> back = await _client.GatherAsync(nodes);

            Assert.Equal(values.Length, back.Count);
            for (int i = 0; i < values.Length; i++)
            {
                AssertSame(values[i], back[i]);
            }
        }

        [Fact]
        public async Task ScatterToAChosenWorkerAndWhoHas()
        {
            IReadOnlyList<DaskNode> nodes = await _client.ScatterAsync(new object?[] { "pinned-value" }, new[] { _workers[1] });

            IReadOnlyDictionary<string, IReadOnlyList<string>> whoHas = await _client.WhoHasAsync(nodes);

            Assert.Equal(new[] { _workers[1] }, whoHas[nodes[0].Key]);
            Assert.Equal("pinned-value", await _client.ResultAsync(nodes[0]));
        }

        [Fact]
        public async Task BroadcastPutsTheValueOnEveryWorker()
        {
            IReadOnlyList<DaskNode> nodes = await _client.ScatterAsync(new object?[] { "everywhere" }, broadcast: true);

            IReadOnlyDictionary<string, IReadOnlyList<string>> whoHas = await _client.WhoHasAsync(nodes);

            Assert.Equal(_workers, whoHas[nodes[0].Key].OrderBy(a => a, StringComparer.Ordinal));
        }

        [Fact]
        public async Task ReplicateCopiesToBothWorkers()
        {
            IReadOnlyList<DaskNode> nodes = await _client.ScatterAsync(new object?[] { 1234L }, new[] { _workers[0] });

            await _client.ReplicateAsync(nodes, copies: 2);

            await Eventually.TrueAsync(async () => (await _client.WhoHasAsync(nodes))[nodes[0].Key].Count == 2, Deadline);
        }

        [Fact]
        public async Task CancelFailsAPendingTask()
        {
            // No DaskPS worker is present, so this task waits: exactly what cancel is for.
            DaskNode node = _client.Submit(DaskNode.Call(typeof(Math), "Abs", -5L));

            await _client.CancelAsync(new[] { node });

            await Assert.ThrowsAsync<DaskCancelledException>(() => _client.WaitAsync(node).WaitAsync(Deadline));
        }

        [Fact]
        public async Task ResetDropsEverythingThisClientHolds()
        {
            IReadOnlyList<DaskNode> nodes = await _client.ScatterAsync(new object?[] { "a", "b", "c" });

            _client.Reset();

            await Eventually.TrueAsync(async () => (await Held(nodes)) == 0, Deadline);
            await Assert.ThrowsAsync<ArgumentException>(() => _client.WaitAsync(nodes[0]));
        }

        [Fact]
        public async Task ShutdownForgetsOnlyThatClientsWork()
        {
            await using DaskClient other = await DaskClient.ConnectAsync(_scheduler.Address);
            IReadOnlyList<DaskNode> mine = await _client.ScatterAsync(new object?[] { "mine" });
            IReadOnlyList<DaskNode> theirs = await other.ScatterAsync(new object?[] { "theirs" });

            await other.ShutdownAsync();

            await Eventually.TrueAsync(async () => (await Held(theirs)) == 0, Deadline);
            Assert.Equal("mine", await _client.ResultAsync(mine[0]));
        }

        [Fact]
        public async Task APythonPickledValueComesBackOpaque()
        {
            string output = await PythonProcess.RunAsync(_scheduler.Dask, new[] { Script("publish_pickled.py"), _scheduler.Address }, Deadline);
            string key = output.Split('\n').First(l => l.StartsWith("KEY ", StringComparison.Ordinal)).Substring(4).Trim();

            DaskNode node = _client.Adopt(new[] { key })[0];
            object? value = await _client.ResultAsync(node);

            var opaque = Assert.IsType<OpaqueValue>(value);
            Assert.Equal("pickle", opaque.Serializer);
            Assert.Contains("pickled", opaque.ToString());
        }

        [Fact]
        public async Task APythonErrorIsReadableWithoutUnpickling()
        {
            string output = await PythonProcess.RunAsync(_scheduler.Dask, new[] { Script("publish_error.py"), _scheduler.Address }, Deadline);
            string key = output.Split('\n').First(l => l.StartsWith("KEY ", StringComparison.Ordinal)).Substring(4).Trim();

            DaskNode node = _client.Adopt(new[] { key })[0];
            var error = await Assert.ThrowsAsync<DaskTaskException>(() => _client.WaitAsync(node).WaitAsync(Deadline));

            Assert.Equal("ZeroDivisionError", error.RemoteType);
            Assert.Equal("division by zero", error.RemoteMessage);
        }

        [Fact]
        public async Task APythonClientAndThisClientWorkSideBySide()
        {
            Task<string> python = PythonProcess.RunAsync(_scheduler.Dask, new[] { Script("python_client_alongside.py"), _scheduler.Address }, Deadline);
            var values = Enumerable.Range(0, 50).Select(i => (object?)(long)i).ToArray();

            IReadOnlyList<DaskNode> nodes = await _client.ScatterAsync(values);
            IReadOnlyList<object?> back = await _client.GatherAsync(nodes);

            Assert.Equal(values, back);
            Assert.Contains("TOTAL 1900", await python);
        }

        [Fact]
        public async Task PendingWorkFailsWhenTheSchedulerDies()
        {
            DaskNode node = _client.Submit(DaskNode.Call(typeof(Math), "Abs", -9L));

            await _scheduler.DisposeAsync();

            await Assert.ThrowsAsync<DaskSchedulerLostException>(() => _client.WaitAsync(node).WaitAsync(Deadline));
            Assert.False(_client.IsConnected);
        }

        private async Task<int> Held(IEnumerable<DaskNode> nodes) =>
            (await _client.WhoHasAsync(nodes)).Values.Sum(h => h.Count);

        private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Client", "python", name);

        private static void AssertSame(object? expected, object? actual)
        {
            switch (expected)
            {
                case MsgMap map:
                    var actualMap = Assert.IsType<MsgMap>(actual);
                    Assert.Equal(map.Count, actualMap.Count);
                    foreach (KeyValuePair<object, object?> entry in map)
                    {
                        AssertSame(entry.Value, actualMap[entry.Key]);
                    }

                    break;
                case object?[] array:
                    var actualArray = Assert.IsType<object?[]>(actual);
                    Assert.Equal(array.Length, actualArray.Length);
                    for (int i = 0; i < array.Length; i++)
                    {
                        AssertSame(array[i], actualArray[i]);
                    }

                    break;
                default:
                    Assert.Equal(expected, actual);
                    break;
            }
        }
    }

    /// <summary>Connection errors are fast and say what went wrong.</summary>
    public sealed class ClientConnectErrorTests
    {
        [Fact]
        public async Task NothingListening()
        {
            int port = LoopbackPorts.Unused();
            var started = DateTime.UtcNow;

            var error = await Assert.ThrowsAsync<CommClosedException>(() => DaskClient.ConnectAsync($"tcp://127.0.0.1:{port}"));

            Assert.Contains($"127.0.0.1:{port}", error.Message);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        }

        [Fact]
        public async Task NotADaskScheduler()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Task serve = Task.Run(async () =>
            {
                using TcpClient peer = await listener.AcceptTcpClientAsync();
                byte[] http = System.Text.Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                await peer.GetStream().WriteAsync(http);
                await peer.GetStream().ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false);
            });

            var options = new DaskClientOptions();
            options.Comm.HandshakeTimeout = TimeSpan.FromSeconds(2);
            Exception error = await Assert.ThrowsAnyAsync<Exception>(() => DaskClient.ConnectAsync($"tcp://127.0.0.1:{port}", options));

            Assert.True(error is DaskProtocolException || error is DaskTimeoutException || error is CommClosedException, error.ToString());
            listener.Stop();
        }
    }
}
