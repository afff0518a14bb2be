using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Linq;
using System.Threading;
using DaskPS.Comm;
using DaskPS.Dialects;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Protocol.Pickle;
using DaskPS.Tasks;

namespace DaskPS.Core.Tests.Dialects
{
    /// <summary>
    /// Real traffic of releases the test machines cannot install (Dialects/Recorded/README.md says how it was
    /// recorded): DaskPS must decode what those schedulers sent, and send what they accepted from Python peers.
    /// </summary>
    public sealed class RecordedTrafficTests
    {
        public static IEnumerable<object[]> Releases() => new[] { new object[] { "2023.12.1" }, new object[] { "2025.4.0" }, new object[] { "2026.7.1" } };

        [Theory]
        [MemberData(nameof(Releases))]
        public void EveryRecordedMessageDecodes(string release)
        {
            List<Recorded> traffic = Recorded.Load(release);

            // Each file was read as one whole message (Load checks); every connection opened with a handshake.
            Assert.True(traffic.Count > 250, $"{traffic.Count} messages");
            Assert.All(traffic.Where(m => m.Number == 1), m => Assert.True(Assert.Single(m.Maps).ContainsKey("compression")));
        }

        [Theory]
        [MemberData(nameof(Releases))]
        public void TheSchedulersComputeTasksDecodeAndTheirPythonTasksAreRefused(string release)
        {
            SchedulerDialect dialect = DialectTests.Dialect(release);
            List<MsgMap> computeTasks = Recorded.Load(release).Where(m => m.Server == "sched" && !m.Up).SelectMany(m => m.Maps).Where(m => m.Get("op") is "compute-task").ToList();

            Assert.True(computeTasks.Count >= 25, $"{computeTasks.Count} compute-tasks");
            foreach (MsgMap message in computeTasks)
            {
                ComputeTask task = dialect.DecodeComputeTask(message);
                Assert.Equal(message.Get("key"), task.Key);
                Assert.Equal(message.Get("run_id"), task.RunId);
                Assert.NotNull(task.RunId);
                Assert.Equal(3, task.Priority.Length);
                Assert.Equal(release == "2023.12.1", message.ContainsKey("duration"));

                // Every run_spec is a pickle DaskPS reads, in the shape its release uses; none is DaskPS's task.
                var pickled = (PickledPayload)message.Get("run_spec")!;
                object? runSpec = PickleReader.Read((byte[])pickled.Pickle!, pickled.Buffers);
                if (release == "2023.12.1")
                {
                    Assert.IsType<object?[]>(runSpec);
                    Assert.Equal(3, ((object?[])runSpec!).Length);
                }
                else if (runSpec is PickleObject taskObject)
                {
                    Assert.True(taskObject.IsA("dask._task_spec", "Task"));
                    Assert.Equal(9, ((object?[])taskObject.State!).Length);
                }

                var refused = Assert.Throws<TaskNotRunnableException>(() => task.ReadSpec());
                Assert.Contains("Python", refused.Message);
            }
        }

        [Theory]
        [MemberData(nameof(Releases))]
        public void WhatTheSchedulerSendsOnWorkerAndClientStreamsDecodes(string release)
        {
            SchedulerDialect dialect = DialectTests.Dialect(release);
            List<Recorded> traffic = Recorded.Load(release);
            var seen = new HashSet<string>();
            foreach (Recorded connection in traffic.Where(m => m.Server == "sched" && m.Up && m.Maps.Any(x => x.Get("op") is "register-worker" or "register-client")))
            {
                bool worker = connection.Maps.Any(x => x.Get("op") is "register-worker");
                foreach (MsgMap message in traffic.Where(m => m.Server == "sched" && !m.Up && m.Connection == connection.Connection && m.Number > 1).SelectMany(m => m.Maps))
                {
                    if (message.Get("op") is not string op)
                    {
                        continue; // the registration reply
                    }

                    object decoded = worker ? dialect.DecodeWorkerMessage(message) : dialect.DecodeClientMessage(message);
                    seen.Add(op);
                    if (op is "adjust-heartbeat-interval" or "stream-start" or "release-worker-data")
                    {
                        Assert.IsType<UnknownMessage>(decoded); // dask's own bookkeeping: logged and ignored
                        continue;
                    }

                    Assert.False(decoded is UnknownMessage, $"{op} was not understood");
                    if (op == "cancelled-keys")
                    {
                        Assert.Equal(KeyLists.Of(message.Get("keys")).Length, Assert.IsType<KeyReports>(decoded).Reports.Count);
                    }
                }
            }

            Assert.Superset(new HashSet<string> { "compute-task", "free-keys", "steal-request", "key-in-memory", "task-erred", "cancelled-keys" }, seen);
        }

        [Theory]
        [MemberData(nameof(Releases))]
        public void RegistrationCarriesExactlyTheFieldsOfAPythonWorker(string release)
        {
            MsgMap python = Recorded.Load(release).Where(m => m.Server == "sched" && m.Up).SelectMany(m => m.Maps).First(m => m.Get("op") is "register-worker");
            var worker = new RegisterWorker("tcp://127.0.0.1:1", "Worker-1", "w", 1, new Dictionary<string, double>(), 1L << 30, 1, "s");

            MsgMap ours = DialectTests.Dialect(release).Encode(worker, (MsgMap)python.Get("versions")!, 0, 1.0);

            Assert.Equal(Names(python), Names(ours));
        }

        [Theory]
        [MemberData(nameof(Releases))]
        public void TaskReportsCarryTheFieldsOfAPythonWorker(string release)
        {
            List<MsgMap> sent = Recorded.Load(release).Where(m => m.Server == "sched" && m.Up).SelectMany(m => m.Maps).ToList();
            SchedulerDialect dialect = DialectTests.Dialect(release);
            var task = new ComputeTask("k", new object?[] { 0L, 0L, 0L }, new Dictionary<object, IReadOnlyList<string>>(), 7L, () => throw new InvalidOperationException());

            MsgMap finished = dialect.Encode(new TaskFinished(task, 8, "int", 1.0, 2.0, "s"));
            MsgMap erred = dialect.Encode(new TaskErred(task, "ZeroDivisionError", "division by zero", "trace", 1.0, 2.0, "s"));

            Assert.Equal(Names(sent.First(m => m.Get("op") is "task-finished")), Names(finished));
            Assert.Equal(Names(sent.First(m => m.Get("op") is "task-erred")), Names(erred));
            Assert.Equal(7L, finished.Get("run_id"));
        }

        [Theory]
        [MemberData(nameof(Releases))]
        public void UpdateGraphCarriesTheFieldsTheSchedulerAcceptedFromAPythonClient(string release)
        {
            MsgMap python = Recorded.Load(release).Where(m => m.Server == "sched" && m.Up).SelectMany(m => m.Maps).First(m => m.Get("op") is "update-graph");
            var a = DaskPS.Client.DaskNode.Call("System.Math", "Abs", new object?[] { -3L });

            MsgMap ours = DialectTests.Dialect(release).UpdateGraph("client", new[] { a }, "s");

            // The stream adds the client, and these parameters have defaults the Python client relies on.
            var withDefaults = new[] { "client", "user_priority", "stimulus_id", "code" };
            Assert.Subset(Names(python).Union(withDefaults).ToHashSet(), Names(ours));
            Assert.Subset(Names(ours).Union(withDefaults).ToHashSet(), Names(python));
        }

        private static HashSet<string> Names(MsgMap message) => message.Keys.Select(k => (string)k).ToHashSet();

        /// <summary>One recorded message: which server and connection, which direction, and what it decodes to.</summary>
        internal sealed class Recorded
        {
            private static readonly Dictionary<string, List<Recorded>> Cache = new Dictionary<string, List<Recorded>>();

            private Recorded(string server, int connection, bool up, int number, object? message)
            {
                Server = server;
                Connection = connection;
                Up = up;
                Number = number;
                Message = message;
            }

            public string Server { get; }

            public int Connection { get; }

            /// <summary>From the connecting peer to the server (else the server's answer).</summary>
            public bool Up { get; }

            public int Number { get; }

            public object? Message { get; }

            /// <summary>The message's maps: a batch's items, or the message itself.</summary>
            public IEnumerable<MsgMap> Maps => (Message as object?[] ?? new[] { Message }).OfType<MsgMap>();

            public static List<Recorded> Load(string release)
            {
                lock (Cache)
                {
                    if (!Cache.TryGetValue(release, out List<Recorded>? traffic))
                    {
                        traffic = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Dialects", "Recorded", release, "raw"), "*.bin")
                            .Select(Read).OrderBy(m => m.Sequence).Select(m => m.Message).ToList();
                        Cache[release] = traffic;
                    }

                    return traffic;
                }
            }

            // <server>-c<conn>-<up|down>-m<msg>-s<seq>.bin
            private static (int Sequence, Recorded Message) Read(string path)
            {
                string[] parts = Path.GetFileNameWithoutExtension(path).Split('-');
                var reader = PipeReader.Create(new MemoryStream(File.ReadAllBytes(path)));
                (bool ok, object? message) = MessageFraming.ReadAsync(reader, CommOptions.Default, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                Assert.True(ok, path);
                return (int.Parse(parts[4].Substring(1)), new Recorded(parts[0], int.Parse(parts[1].Substring(1)), parts[2] == "up", int.Parse(parts[3].Substring(1)), message));
            }
        }
    }
}
