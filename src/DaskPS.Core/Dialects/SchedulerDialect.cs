using System;
using System.Collections.Generic;
using DaskPS.Client;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;

namespace DaskPS.Dialects
{
    /// <summary>
    /// The wire format of the stream messages, as one scheduler release speaks it: what every release shares is
    /// encoded and decoded here, and each release's file (Dialect202212, Dialect202412) holds the rest — how a graph is
    /// submitted, how a compute-task is decoded, what registration and task reports add. Chosen from the version the
    /// scheduler reports; unknown versions are refused by name.
    /// </summary>
    public abstract class SchedulerDialect
    {
        private static readonly SchedulerDialect[] Known = { new Dialect202212(), new Dialect202412() };

        /// <summary>The dask.distributed release family, e.g. "2022.12".</summary>
        public abstract string Name { get; }

        public static IReadOnlyList<string> Supported
        {
            get
            {
                var names = new List<string>();
                foreach (SchedulerDialect dialect in Known)
                {
                    names.Add(dialect.Name);
                }

                return names;
            }
        }

        /// <summary>The dialect for a scheduler whose <c>versions</c> reply is <paramref name="versions"/>.</summary>
        public static SchedulerDialect ForVersions(MsgMap versions)
        {
            string? version = (versions.Get("packages") as MsgMap)?.Get("distributed") as string;
            if (version is not null)
            {
                foreach (SchedulerDialect dialect in Known)
                {
                    if (version.StartsWith(dialect.Name + ".", StringComparison.Ordinal))
                    {
                        return dialect;
                    }
                }
            }

            throw new UnsupportedSchedulerException(
                $"The scheduler runs dask.distributed {version ?? "(version not reported)"}; DaskPS supports {string.Join(", ", Supported)}.");
        }

        /// <summary>The stream message that submits <paramref name="nodes"/> (dependencies first) for client <paramref name="clientId"/>.</summary>
        public abstract MsgMap UpdateGraph(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId);

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
            ("lost-data" or "task-retried", string key) => new KeyReport(key, KeyEvent.Reopened),
            ("restart", _) => SchedulerRestarted.Instance,
            ("stream-closed", _) => StreamClosed.Instance,
            ("error", _) => new SchedulerError(message.Get("message")?.ToString() ?? WireFields.Describe(message)),
            (var op, _) => new UnknownMessage(op),
        };

        /// <summary>Decodes a compute-task; its run_spec is read only when the task runs.</summary>
        public abstract ComputeTask DecodeComputeTask(MsgMap message);

        /// <summary>The task-finished message for <paramref name="report"/>.</summary>
        public MsgMap Encode(TaskFinished report) => CompleteTaskReport(new MsgMap(12)
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
        public MsgMap Encode(TaskErred report) => CompleteTaskReport(new MsgMap(12)
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

        public MsgMap Encode(StealResponse response) => new MsgMap(4)
            .With("op", "steal-response")
            .With("key", response.Key)
            .With("state", response.State)
            .With("stimulus_id", response.StimulusId);

        /// <summary>
        /// Adds what this release requires of a worker's registration to the fields every release takes
        /// (the scheduler's handler is strict: a missing or unknown field fails the registration).
        /// </summary>
        protected abstract void CompleteRegistration(MsgMap registration);

        /// <summary>Adds release-specific fields to a task-finished or task-erred message (e.g. echoing run_id).</summary>
        protected abstract MsgMap CompleteTaskReport(MsgMap report, ComputeTask task);

        private static object?[] StartStops(TaskReport report) =>
            new object?[] { new MsgMap(3).With("action", "compute").With("start", report.Start).With("stop", report.Stop) };
    }

    /// <summary>The scheduler's release is not one DaskPS speaks.</summary>
    public sealed class UnsupportedSchedulerException : DaskException
    {
        public UnsupportedSchedulerException(string message) : base(message) { }
    }
}
