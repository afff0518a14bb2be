using System;
using System.Collections.Generic;
using System.Linq;
using DaskPS.Client;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Tasks;

namespace DaskPS.Dialects
{
    /// <summary>
    /// The wire format of the stream messages, as one generation of scheduler releases speaks it: what every release
    /// shares is encoded and decoded here, and each generation's file (Dialect202212, Dialect202304, Dialect202504)
    /// holds the rest — how a graph is submitted, how a compute-task is decoded, the steps its releases took inside
    /// the generation. Chosen from the version the scheduler reports: a release older than the first supported one is
    /// refused; one newer than the newest verified one is spoken to with the newest dialect, with a warning.
    /// </summary>
    public abstract class SchedulerDialect
    {
        /// <summary>The first release DaskPS speaks to.</summary>
        public static readonly DaskRelease Oldest = DaskRelease.Parse("2022.12.0");

        /// <summary>The newest release DaskPS's suites have passed against (README: verified releases).</summary>
        public static readonly DaskRelease NewestVerified = DaskRelease.Parse("2026.7.1");

        protected SchedulerDialect(DaskRelease release)
        {
            Release = release;
        }

        /// <summary>The scheduler's release.</summary>
        public DaskRelease Release { get; }

        /// <summary>The generation: the first release of the range this dialect covers, e.g. "2023.4".</summary>
        public abstract string Name { get; }

        /// <summary>Why this release may not work as verified (newer than any verified release), or null.</summary>
        public string? Warning => Release > NewestVerified
            ? $"The scheduler runs dask.distributed {Release}, newer than the releases DaskPS was verified with ({Oldest.Text}–{NewestVerified.Text}); it is spoken to as {NewestVerified.Text}."
            : null;

        /// <summary>The dialect for a scheduler whose <c>versions</c> reply is <paramref name="versions"/>.</summary>
        public static SchedulerDialect ForVersions(MsgMap versions)
        {
            string? version = (versions.Get("packages") as MsgMap)?.Get("distributed") as string;
            if (!DaskRelease.TryParse(version, out DaskRelease release) || release < Oldest)
            {
                throw new UnsupportedSchedulerException(
                    $"The scheduler runs dask.distributed {version ?? "(version not reported)"}; DaskPS supports {Oldest.Text} and later (verified up to {NewestVerified.Text}).");
            }

            return ForRelease(release);
        }

        /// <summary>The dialect of <paramref name="release"/> (at least <see cref="Oldest"/>).</summary>
        public static SchedulerDialect ForRelease(DaskRelease release) =>
            release >= Dialect202504.First ? new Dialect202504(release)
            : release >= Dialect202304.First ? new Dialect202304(release)
            : new Dialect202212(release);

        /// <summary>The stream message that submits <paramref name="nodes"/> (dependencies first) for client <paramref name="clientId"/>.</summary>
        public abstract MsgMap UpdateGraph(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId);

        /// <summary>The stream messages, in order, that submit <paramref name="nodes"/>: one, unless the release needs more.</summary>
        public virtual IReadOnlyList<MsgMap> UpdateGraphs(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId) =>
            new[] { UpdateGraph(clientId, nodes, stimulusId) };

        /// <summary>Whether get_data takes max_connections: false, by which a client forbids a "busy" answer.</summary>
        public virtual bool ClientsCanForbidBusy => true;

        /// <summary>Whether Python's Lock is a semaphore of one lease (semaphore_* ops) rather than the scheduler's lock_acquire/lock_release.</summary>
        public virtual bool LocksAreSemaphores => false;

        /// <summary>Whether semaphore_register requires the lease_timeout that the registering client chose.</summary>
        public virtual bool SemaphoresTakeLeaseTimeout => LocksAreSemaphores;

        /// <summary>The stream message by which a client that got a variable's future tells the scheduler it has it.</summary>
        public virtual string VariableFutureReceivedOp => "variable-future-release";


        /// <summary>Whether a client cancels over its stream (cancel-keys, from 2023.3.1) rather than by a call (cancel).</summary>
        public virtual bool CancelsOnStream => true;

        /// <summary>The fields of a cancel, as the call's arguments or the stream message's (whose client is the stream's).</summary>
        public (string, object?)[] CancelArguments(object?[] keys, string clientId, bool force)
        {
            var arguments = new List<(string, object?)> { ("keys", keys), ("force", force) };
            if (!CancelsOnStream)
            {
                arguments.Add(("client", clientId));
            }

            if (CancelTakesReason)
            {
                arguments.Add(("reason", null));
                arguments.Add(("msg", null));
            }

            return arguments.ToArray();
        }

        /// <summary>The cancel-keys stream message, for releases that cancel over the stream.</summary>
        public MsgMap CancelMessage(object?[] keys, string clientId, bool force)
        {
            var message = new MsgMap(5).With("op", "cancel-keys");
            foreach ((string name, object? value) in CancelArguments(keys, clientId, force))
            {
                message[name] = value;
            }

            return message;
        }

        /// <summary>The register-worker message, mirroring the scheduler's <paramref name="versions"/> so Python clients see no mismatch.</summary>
        public MsgMap Encode(RegisterWorker worker, MsgMap versions, long managedBytes, double now)
        {
            var resources = new MsgMap(worker.Resources.Count);
            foreach (KeyValuePair<string, double> pair in worker.Resources)
            {
                resources[pair.Key] = pair.Value;
            }

            var registration = new MsgMap(24)
                .With("op", "register-worker")
                .With("reply", false)
                .With("address", worker.Address)
                .With("status", "running")
                .With("server_id", worker.ServerId)
                .With("stimulus_id", worker.StimulusId)
                .With("nthreads", (long)worker.Slots)
                .With("name", worker.Name)
                .With("now", now)
                .With("resources", resources)
                .With("memory_limit", worker.MemoryLimit)
                .With("local_directory", System.IO.Path.GetTempPath())
                .With("services", new MsgMap())
                .With("nanny", null)
                .With("pid", (long)worker.Pid)
                .With("extra", new MsgMap())
                .With("versions", versions)
                .With("metrics", WorkerMetrics.Encode(managedBytes, now));
            CompleteRegistration(registration);
            return registration;
        }

        /// <summary>Decodes one message of a worker's stream.</summary>
        public object DecodeWorkerMessage(MsgMap message) => message.Get("op") switch
        {
            "compute-task" => DecodeComputeTask(message),
            "free-keys" => new FreeKeys(KeyLists.Of(message.Get("keys"))),
            "remove-replicas" => new RemoveReplicas(KeyLists.Of(message.Get("keys")), message.Get("stimulus_id") as string),
            "acquire-replicas" => new AcquireReplicas(WireFields.WhoHas(message.Get("who_has"))),
            "refresh-who-has" => new RefreshWhoHas(WireFields.WhoHas(message.Get("who_has"))),
            "steal-request" => new StealRequest(message.Get("key"), message.Get("stimulus_id")),
            "worker-status-change" => new WorkerStatusChange(message.Get("status") as string),
            "close" => new CloseWorker(message.Get("reason")),
            var op => new UnknownMessage(op),
        };

        /// <summary>Decodes one message of a client's stream.</summary>
        public object DecodeClientMessage(MsgMap message) => (message.Get("op"), message.Get("key")) switch
        {
            ("key-in-memory", string key) => new KeyReport(key, KeyEvent.InMemory),
            ("task-erred", string key) => new KeyErred(key, message.Get("exception"), message.Get("traceback")),
            ("cancelled-key", string key) => new KeyReport(key, KeyEvent.Cancelled),
            ("cancelled-keys", _) => new KeyReports(KeyLists.Of(message.Get("keys")).OfType<string>().Select(k => new KeyReport(k, KeyEvent.Cancelled)).ToList()),
            ("lost-data" or "task-retried", string key) => new KeyReport(key, KeyEvent.Reopened),
            ("restart", _) => SchedulerRestarted.Instance,
            ("stream-closed", _) => StreamClosed.Instance,
            ("error", _) => new SchedulerError(message.Get("message")?.ToString() ?? WireFields.Describe(message)),
            (var op, _) => new UnknownMessage(op),
        };

        /// <summary>Decodes a compute-task; its run_spec is read only when the task runs.</summary>
        public ComputeTask DecodeComputeTask(MsgMap message) =>
            new ComputeTask(message.Get("key"), WireFields.Priority(message.Get("priority")), WireFields.WhoHas(message.Get("who_has")),
                message.Get("run_id"), () => ReadTaskSpec(message));

        /// <summary>The DaskPS task a compute-task carries, as this release hands it to workers.</summary>
        protected abstract TaskSpec ReadTaskSpec(MsgMap computeTask);

        /// <summary>The task-finished message for <paramref name="report"/>.</summary>
        public MsgMap Encode(TaskFinished report) => WithRunId(new MsgMap(12)
            .With("op", "task-finished")
            .With("key", report.Task.Key)
            .With("stimulus_id", report.StimulusId)
            .With("status", "OK")
            .With("nbytes", report.Size)
            .With("typename", report.TypeName)
            .With("type", null)
            .With("metadata", new MsgMap())
            .With("thread", report.Thread)
            .With("startstops", StartStops(report)), report.Task);

        /// <summary>The task-erred message for <paramref name="report"/>.</summary>
        public MsgMap Encode(TaskErred report) => WithRunId(new MsgMap(12)
            .With("op", "task-erred")
            .With("key", report.Task.Key)
            .With("stimulus_id", report.StimulusId)
            .With("status", "error")
            // Plain strings: Python clients make Exception(str) of them; bytes would be unpickled.
            .With("exception", $"{report.ErrorType}: {report.Message}")
            .With("traceback", report.Traceback)
            .With("exception_text", $"{report.ErrorType}('{report.Message}')")
            .With("traceback_text", report.Traceback ?? string.Empty)
            .With("thread", report.Thread)
            .With("startstops", StartStops(report)), report.Task);

        public MsgMap Encode(LongRunning report)
        {
            var message = new MsgMap(5)
                .With("op", "long-running")
                .With("key", report.Task.Key)
                .With("compute_duration", report.ComputeDuration)
                .With("stimulus_id", report.StimulusId);
            // The scheduler's handler takes exactly its arguments: run_id only where it asks for it.
            return LongRunningTakesRunId ? WithRunId(message, report.Task) : message;
        }

        public MsgMap Encode(StealResponse response) => new MsgMap(4)
            .With("op", "steal-response")
            .With("key", response.Key)
            .With("state", response.State)
            .With("stimulus_id", response.StimulusId);

        /// <summary>
        /// Adds what this release requires of a worker's registration to the fields every release takes
        /// (the scheduler's handler is strict: a missing or unknown field fails the registration).
        /// </summary>
        protected virtual void CompleteRegistration(MsgMap registration)
        {
        }

        /// <summary>A node's resource restrictions: one unit of DaskPS's routing resource (only DaskPS workers have it), and the options' own.</summary>
        internal static MsgMap ResourceRestrictions(DaskTaskOptions options)
        {
            var resources = new MsgMap().With(Routing.Resource, 1.0);
            foreach (KeyValuePair<string, double> pair in options.Resources ?? new Dictionary<string, double>())
            {
                resources[pair.Key] = pair.Value;
            }

            return resources;
        }

        /// <summary>Whether long-running names the run it is about (2025.2 on).</summary>
        protected virtual bool LongRunningTakesRunId => false;

        /// <summary>Whether the release's cancel requires reason and msg.</summary>
        protected virtual bool CancelTakesReason => false;

        // Releases from 2023.1.1 send a run_id and match the report to that run; older ones send none.
        private static MsgMap WithRunId(MsgMap report, ComputeTask task) => task.RunId is null ? report : report.With("run_id", task.RunId);

        private static object?[] StartStops(TaskReport report) =>
            new object?[] { new MsgMap(3).With("action", "compute").With("start", report.Start).With("stop", report.Stop) };
    }

    /// <summary>The scheduler's release is not one DaskPS speaks.</summary>
    public sealed class UnsupportedSchedulerException : DaskException
    {
        public UnsupportedSchedulerException(string message) : base(message) { }
    }
}
