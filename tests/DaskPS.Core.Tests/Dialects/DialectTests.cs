using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Dialects;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Protocol.Pickle;
using DaskPS.Tasks;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Dialects
{
    /// <summary>Which dialect speaks to which release, and the steps each dialect takes inside its range.</summary>
    public sealed class DialectTests
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

        [Theory]
        [InlineData("2022.12.1+ds.1", "2022.12")]
        [InlineData("2023.3.2.1", "2022.12")]
        [InlineData("2023.4.0", "2023.4")]
        [InlineData("2024.12.1", "2023.4")]
        [InlineData("2025.3.1", "2023.4")]
        [InlineData("2025.4.0", "2025.4")]
        [InlineData("2026.7.1", "2025.4")]
        public void EachReleaseIsSpokenToByItsGeneration(string version, string generation)
        {
            SchedulerDialect dialect = SchedulerDialect.ForVersions(Versions(version));

            Assert.Equal(generation, dialect.Name);
            Assert.Equal(version, dialect.Release.Text);
            Assert.Null(dialect.Warning);
        }

        [Fact]
        public void ANewerReleaseIsSpokenToWithTheNewestDialectAndAWarning()
        {
            SchedulerDialect dialect = SchedulerDialect.ForVersions(Versions("2027.1.0"));

            Assert.Equal("2025.4", dialect.Name);
            Assert.Contains("2027.1.0", dialect.Warning);
            Assert.Contains("2022.12.0–2026.7.1", dialect.Warning);
        }

        [Theory]
        [InlineData("2022.11.1")]
        [InlineData("2.30.1")]
        [InlineData("not-a-version")]
        [InlineData(null)]
        public void AnOlderOrUnreadableReleaseIsRefusedNamingTheSupportedRange(string? version)
        {
            var error = Assert.Throws<UnsupportedSchedulerException>(() => SchedulerDialect.ForVersions(Versions(version)));

            Assert.Contains(version ?? "not reported", error.Message);
            Assert.Contains("2022.12.0 and later (verified up to 2026.7.1)", error.Message);
        }

        [Fact]
        public void ReleasesCompareByTheirNumbersOnly()
        {
            Assert.True(DaskRelease.Parse("2023.3.2.1") < DaskRelease.Parse("2023.4.0"));
            Assert.True(DaskRelease.Parse("2023.3.2.1") > DaskRelease.Parse("2023.3.2"));
            Assert.True(DaskRelease.Parse("2024.10.0") > DaskRelease.Parse("2024.9.1"));
            Assert.Equal(DaskRelease.Parse("2024.12.1"), DaskRelease.Parse("2024.12.1+ds"));
            Assert.Equal(DaskRelease.Parse("2025.4"), DaskRelease.Parse("2025.4.0"));
            Assert.False(DaskRelease.TryParse("2024", out _));
            Assert.False(DaskRelease.TryParse("2024.x.1", out _));
        }

        [Theory]
        [InlineData("2023.4.0", false)]
        [InlineData("2024.5.1", false)]
        [InlineData("2024.5.2", true)]
        public void SpanMetadataIsSentFromTheReleaseThatRequiresIt(string version, bool expected)
        {
            MsgMap message = Dialect(version).UpdateGraph("client", Graph(), "s");

            Assert.Equal(expected, message.ContainsKey("span_metadata"));
            Assert.True(message.ContainsKey("graph_frames"));
        }

        [Theory]
        [InlineData("2025.2.0", false)]
        [InlineData("2025.3.0", true)]
        [InlineData("2026.7.1", true)]
        public void CancelSendsReasonAndMessageFromTheReleaseThatRequiresThem(string version, bool expected)
        {
            MsgMap message = Dialect(version).CancelMessage(new object?[] { "k" }, "client", force: false);

            Assert.Equal(expected, message.ContainsKey("reason") && message.ContainsKey("msg"));
        }

        [Theory]
        [InlineData("2023.1.1", false)]
        [InlineData("2025.1.0", false)]
        [InlineData("2025.2.0", true)]
        [InlineData("2026.7.1", true)]
        public void LongRunningNamesItsRunFromTheReleaseThatRequiresIt(string version, bool expected)
        {
            var task = new ComputeTask("k", Array.Empty<object?>(), new Dictionary<object, IReadOnlyList<string>>(), 7L, () => throw new InvalidOperationException());

            MsgMap message = Dialect(version).Encode(new LongRunning(task, 0.5, "secede-1"));

            Assert.Equal("long-running", message.Get("op"));
            Assert.Equal(expected, message.ContainsKey("run_id"));
            Assert.Equal(new[] { "compute_duration", "key", "op", "stimulus_id" }, message.Keys.Cast<string>().Where(k => k != "run_id").OrderBy(k => k, StringComparer.Ordinal));
        }

        [Theory]
        [InlineData("2022.12.1", false)]
        [InlineData("2023.3.0", false)]
        [InlineData("2023.3.1", true)]
        [InlineData("2024.12.1", true)]
        [InlineData("2026.7.1", true)]
        public void CancelIsACallUntilTheReleaseThatMovedItOntoTheClientStream(string version, bool onStream)
        {
            SchedulerDialect dialect = Dialect(version);
            string[] fields = dialect.CancelArguments(new object?[] { "k" }, "client-1", force: true).Select(a => a.Item1).ToArray();

            Assert.Equal(onStream, dialect.CancelsOnStream);
            // The stream names its client itself; the call must.
            Assert.Equal(!onStream, fields.Contains("client"));
            Assert.Equal("cancel-keys", dialect.CancelMessage(new object?[] { "k" }, "client-1", force: true).Get("op"));
        }

        [Theory]
        [InlineData("2022.12.1", true)]
        [InlineData("2023.8.0", true)]
        [InlineData("2023.8.1", false)]
        [InlineData("2026.7.1", false)]
        public void ClientsForbidBusyOnlyWhereGetDataTakesMaxConnections(string version, bool expected) =>
            Assert.Equal(expected, Dialect(version).ClientsCanForbidBusy);

        [Theory]
        [InlineData("2022.12.1", false, "variable-future-release")]
        [InlineData("2024.7.0", false, "variable-future-release")]
        [InlineData("2024.7.1", true, "variable-future-release")]
        [InlineData("2024.8.2", true, "variable-future-received-confirm")]
        [InlineData("2026.7.1", true, "variable-future-received-confirm")]
        public void LocksBecomeSemaphoresAndTheVariableConfirmIsRenamedAtTheirReleases(string version, bool semaphores, string confirmOp)
        {
            SchedulerDialect dialect = SchedulerDialect.ForRelease(DaskRelease.Parse(version));

            Assert.Equal(semaphores, dialect.LocksAreSemaphores);
            Assert.Equal(semaphores, dialect.SemaphoresTakeLeaseTimeout);
            Assert.Equal(confirmOp, dialect.VariableFutureReceivedOp);
        }

        [Fact]
        public void TheThirdGenerationSendsOneUpdatePerRunOfEqualOptionsWithItsAnnotations()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L });
            DaskNode b = DaskNode.Call("System.Math", "Max", new object?[] { a, 2L }, new DaskTaskOptions { Retries = 2, Workers = new[] { "tcp://127.0.0.1:1" } });
            DaskNode c = DaskNode.Call("System.Math", "Max", new object?[] { b, 3L }, new DaskTaskOptions { Retries = 2, Workers = new[] { "tcp://127.0.0.1:1" } });

            IReadOnlyList<MsgMap> messages = Dialect("2026.7.1").UpdateGraphs("client", new[] { a, b, c }, "s");

            Assert.Equal(2, messages.Count);
            Assert.Equal(new object?[] { a.Key }, (object?[])messages[0].Get("keys")!);
            Assert.Equal(new object?[] { b.Key, c.Key }, (object?[])messages[1].Get("keys")!);
            var annotations = (MsgMap)messages[1].Get("annotations")!;
            Assert.Equal(2L, annotations.Get("retries"));
            Assert.Equal(new object?[] { "tcp://127.0.0.1:1" }, ((List<object?>)annotations.Get("workers")!).ToArray());
            Assert.Equal(1.0, ((MsgMap)annotations.Get("resources")!).Get(Routing.Resource));
            Assert.All(messages, m => Assert.IsType<SerializedPayload>(m.Get("expr_ser")));
            Assert.All(messages, m => Assert.False(m.ContainsKey("graph_frames")));
        }

        [Fact]
        public async Task TheGraphPickleLoadsInDask202412WithoutRunningPythonCode()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L }, new DaskTaskOptions { Workers = new[] { "tcp://127.0.0.1:1" } });
            DaskNode c = DaskNode.Call("System.Math", "Max", new object?[] { a, 2L }, new DaskTaskOptions { Retries = 2 });
            MsgMap message = Dialect("2024.12.1").UpdateGraph("client", new[] { a, c }, "s");
            byte[] pickle = (byte[])((object?[])message.Get("graph_frames")!)[0]!;

            string output = await PythonProcess.RunAsync(DaskInstallation.ForVersion("2024.12"), new[] { Script("load_graph.py") }, Deadline, stdin: Convert.ToHexString(pickle));
            using JsonDocument result = JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith("{", StringComparison.Ordinal)));
            JsonElement root = result.RootElement;

            Assert.Equal(0, root.GetProperty("python_calls").GetArrayLength());
            Assert.Equal("ToPickle", root.GetProperty("holder").GetString());
            Assert.Equal("HighLevelGraph", root.GetProperty("graph").GetString());
            JsonElement task = root.GetProperty("tasks").GetProperty(c.Key);
            Assert.Equal("Task", task.GetProperty("type").GetString());
            Assert.Equal(new[] { a.Key }, task.GetProperty("deps").EnumerateArray().Select(d => d.GetString()));
            Assert.Equal(new[] { "Alias" }, task.GetProperty("aliases").EnumerateArray().Select(d => d.GetString()));
            Assert.Contains("\"retries\": 2", task.GetProperty("annotations").GetRawText());
            Assert.Contains("tcp://127.0.0.1:1", root.GetProperty("tasks").GetProperty(a.Key).GetProperty("annotations").GetRawText());
        }

        /// <summary>The run_spec shapes the scheduler sends workers, each as that release pickles DaskPS's task.</summary>
        public static IEnumerable<object[]> SchedulerRunSpecs()
        {
            var task = new PickleGlobal("dask._task_spec", "Task");
            var tuple = new PickleGlobal("builtins", "tuple");
            byte[] payload = DaskNode.Call("System.Math", "Max", new object?[] { 1L, 2L }).Spec!.ToPayload().Frames[0].ToArray();
            var alias = new PickleObject(new PickleGlobal("dask._task_spec", "Alias"), new object?[] { "dep", "dep" });
            // 2024.11–2025.2: slots by name.
            yield return new object[] { "2024.12.1", new PickleObject(task, null, new object?[]
            {
                null, new MsgMap().With("key", "k").With("func", TaskPickles.Marker).With("args", new object?[] { payload, alias }).With("kwargs", new MsgMap()),
            }) };
            // 2025.3 and later: positional, in sorted slot order.
            yield return new object[] { "2026.7.1", new PickleObject(task, null, new object?[]
            {
                false, new PickleFrozenSet(new object?[] { "dep" }), null, null, null, new object?[] { payload, alias }, TaskPickles.Marker, "k", new MsgMap(),
            }) };
            // 2023.8.1–2024.10: (func, args, kwargs).
            yield return new object[] { "2024.6.2", new object?[] { tuple, new object?[] { TaskPickles.Marker, payload, "dep" }, new MsgMap() } };
        }

        [Theory]
        [MemberData(nameof(SchedulerRunSpecs))]
        public void TheWorkerReadsTheTaskOutOfEachReleasesRunSpec(string version, object runSpec)
        {
            TaskSpec spec = Dialect(version).DecodeComputeTask(ComputeTask(runSpec)).ReadSpec();

            Assert.Equal("Max", spec.Function.Get("method"));
        }

        [Fact]
        public void TheWorkerReadsTheLegacyArgumentsOf2023Point4()
        {
            byte[] payload = DaskNode.Call("System.Math", "Max", new object?[] { 1L, 2L }).Spec!.ToPayload().Frames[0].ToArray();
            MsgMap message = new MsgMap().With("key", "k").With("function", PickleWriter.Write(new PickleGlobal("builtins", "tuple")))
                .With("args", PickleWriter.Write(new object?[] { TaskPickles.Marker, payload, "dep" })).With("run_spec", null);

            Assert.Equal("Max", Dialect("2023.4.0").DecodeComputeTask(message).ReadSpec().Function.Get("method"));
        }

        [Fact]
        public void ATaskThatHasRunKeepsItsKeyAndRunButLetsTheDecodedMessageGo()
        {
            (ComputeTask spent, WeakReference message) = SpentTask();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            Assert.False(message.IsAlive);
            Assert.Equal(("k", 7L), (spent.Key, spent.RunId));
            Assert.Equal(new object?[] { 1L, 2L }, spent.Priority);
            Assert.Empty(spent.WhoHas);
            Assert.Throws<InvalidOperationException>(() => spent.ReadSpec());
        }

        // Not inlined: the message must be unreachable from the test's own frame when it collects.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static (ComputeTask Spent, WeakReference Message) SpentTask()
        {
            MsgMap message = ComputeTask(Array.Empty<object?>()).With("run_id", 7L).With("priority", new object?[] { 1L, 2L })
                .With("who_has", new MsgMap().With("dep", new object?[] { "tcp://127.0.0.1:1" }));
            ComputeTask task = Dialect("2024.12.1").DecodeComputeTask(message);
            Assert.Single(task.WhoHas);
            return (task.Spent(), new WeakReference(message));
        }

        [Theory]
        [InlineData("2023.4.0")]
        [InlineData("2024.6.2")]
        [InlineData("2026.7.1")]
        public void APythonFunctionIsRefusedWithTheReason(string version)
        {
            // A Python client's task as 2026 sends it: a Task whose func is builtins.max.
            var task = new PickleObject(new PickleGlobal("dask._task_spec", "Task"), null, new object?[]
            {
                false, new PickleFrozenSet(Array.Empty<object?>()), null, null, null, new object?[] { 1L, 2L }, new PickleGlobal("builtins", "max"), "k", new MsgMap(),
            });
            MsgMap message = ComputeTask(task).With("args", PickleWriter.Write(new object?[] { 1L, 2L }));

            var error = Assert.Throws<TaskNotRunnableException>(() => Dialect(version).DecodeComputeTask(message).ReadSpec());

            Assert.Contains("Python", error.Message);
        }

        internal static MsgMap Versions(string? distributed) =>
            new MsgMap().With("packages", new MsgMap().With("distributed", distributed));

        internal static SchedulerDialect Dialect(string version) => SchedulerDialect.ForRelease(DaskRelease.Parse(version));

        internal static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Dialects", "python", name);

        private static DaskNode[] Graph()
        {
            DaskNode a = DaskNode.Call("System.Math", "Abs", new object?[] { -3L });
            return new[] { a, DaskNode.Call("System.Math", "Max", new object?[] { a, 2L }) };
        }

        private static MsgMap ComputeTask(object runSpec) => new MsgMap().With("key", "k").With("run_spec",
            new PickledPayload(new MsgMap().With("pickled-obj", PickleWriter.Write(runSpec)), Array.Empty<ReadOnlyMemory<byte>>()));
    }
}
