using System.Collections.Generic;
using DaskPS.Protocol.MessagePack;
using static DaskPS.Core.Tests.Protocol.MessagePack.MsgPackTestData;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>
    /// Representative dask.distributed messages as object trees, shaped after what scheduler, worker and client
    /// send (serialized payloads appear as {"__Serialized__": n} / {"__Pickled__": n} placeholders that index
    /// later frames). Between them they use every msgpack family a real peer emits, including 16- and 32-bit
    /// str/bin headers, int and tuple map keys, and the full integer range.
    /// </summary>
    internal static class MsgPackSampleMessages
    {
        public static IReadOnlyList<KeyValuePair<string, object?>> All() => new List<KeyValuePair<string, object?>>
        {
            new("compute-task", ComputeTask()),
            new("update-graph", UpdateGraph()),
            new("register-worker", RegisterWorker()),
            new("heartbeat-worker", HeartbeatWorker()),
            new("get-data-reply", GetDataReply()),
            new("task-erred", TaskErred()),
            new("batched-worker-stream", BatchedWorkerStream()),
            new("identity-reply", IdentityReply()),
            new("handshake", Map("compression", null, "python", Arr(3L, 11L, 2L), "pickle-protocol", 5L)),
            new("gather", Map("op", "gather", "keys", Arr("x-1", Arr("getitem-5f0c", 0L, 3L)), "reply", true)),
            new("acquire-replicas", AcquireReplicas()),
            new("client-report-batch", ClientReportBatch()),
            new("large-frame-header", LargeFrameHeader()),
            new("large-log-event", LargeLogEvent()),
        };

        private static MsgMap ComputeTask() => Map(
            "op", "compute-task",
            "key", Arr("inc-7c1d2a9b3f", 12L),
            "run_id", 4711L,
            "priority", Arr(0L, 1L, -3L, 1700000000L),
            "duration", 0.5,
            "stimulus_id", "update-graph-1700000000.1234567",
            "who_has", Map("x-1", Arr("tcp://127.0.0.1:40123"), Arr("y", 0L), Arr("tcp://10.0.0.7:33445", "tcp://10.0.0.8:33445")),
            "nbytes", Map("x-1", 28L, Arr("y", 0L), 8000000L),
            "run_spec", Map("__Pickled__", 0L),
            "resource_restrictions", Map("GPU", 1.0),
            "actor", false,
            "annotations", Map("retries", 2L, "priority", -10L),
            "span_id", null);

        private static MsgMap UpdateGraph() => Map(
            "op", "update-graph",
            "graph_header", Map("serializer", "pickle", "writeable", Arr(), "split-num-sub-frames", Arr(1L)),
            "graph_frames", Arr(Blob(700)),
            "keys", Arr("sum-aggregate-9a8b", Arr("getitem-5f0c", 0L, 1L), Arr("getitem-5f0c", 65535L, 65536L)),
            "span_metadata", Map("collections", Arr(Map("type", "dask.array.core.Array", "chunksize", Arr(1000L, 1000L)))),
            "internal_priority", Map(Arr("getitem-5f0c", 0L, 1L), 0L, "sum-aggregate-9a8b", 1L),
            "submitting_task", null,
            "fifo_timeout", "60s",
            "actors", false,
            "code", Arr(Map("code", Text(300, "x"), "lineno_frame", 12L, "lineno_relative", 3L, "filename", "<stdin>")),
            "annotations", Map(),
            "stimulus_id", "update-graph-1700000001.0");

        private static MsgMap Metrics() => Map(
            "task_counts", Map("executing", 2L, "memory", 1000L, "ready", 0L),
            "bandwidth", Map("total", 100000000.0, "workers", Map("tcp://10.0.0.8:33445", 2.5e8), "types", Map()),
            "digests_total_since_heartbeat", Map(
                Arr("execute", "inc", "thread-cpu", "seconds"), 0.0123,
                Arr("execute", "inc", "thread-noncpu", "seconds"), 1.5e-5,
                Arr("gather-dep", "network", "bytes"), 65536.0),
            "managed_bytes", 4294967296L,
            "spilled_bytes", Map("memory", 0L, "disk", 123456789012L),
            "transfer", Map("incoming_bytes", 0L, "incoming_count", 0L, "incoming_count_total", 17L,
                "outgoing_bytes", 256L, "outgoing_count", 1L, "outgoing_count_total", 9L),
            "event_loop_interval", 0.020001,
            "cpu", 12.5,
            "memory", 123456789L,
            "time", 1700000000.123456,
            "host_net_io", Map("read_bps", 1024.0, "write_bps", 0.0),
            "host_disk_io", Map("read_bps", 0.0, "write_bps", 4096.0),
            "num_fds", 31L);

        private static MsgMap RegisterWorker() => Map(
            "op", "register-worker",
            "reply", false,
            "address", "tcp://10.0.0.5:38123",
            "status", "running",
            "keys", Arr(),
            "nthreads", 4L,
            "name", "worker-0",
            "nbytes", Map(),
            "types", Map(),
            "now", 1700000000.25,
            "resources", Map("GPU", 2L, "memory-bound", 0.5),
            "memory_limit", 8589934592L,
            "local_directory", "/tmp/dask-scratch-space/worker-p1uxk7nd",
            "services", Map("dashboard", 8787L),
            "nanny", "tcp://10.0.0.5:41001",
            "pid", 123456L,
            "versions", Map(
                "host", Map("python", "3.11.2.final.0", "python-bits", 64L, "OS", "Linux", "machine", "x86_64",
                    "byteorder", "little", "LC_ALL", "None", "LANG", "C.UTF-8"),
                "packages", Map("python", "3.11.2.final.0", "dask", "2024.1.0", "distributed", "2024.1.0",
                    "msgpack", "1.0.3", "cloudpickle", "3.0.0", "tornado", "6.4", "toolz", "0.12.0", "numpy", null, "lz4", null)),
            "metrics", Metrics(),
            "extra", Map(),
            "server_id", "Worker-6d6c8b0a-6f6e-4c52-9f7b-1f0c6a7e3d21",
            "stimulus_id", "worker-connect-1700000000.2");

        private static MsgMap HeartbeatWorker() => Map(
            "op", "heartbeat_worker",
            "address", "tcp://10.0.0.5:38123",
            "now", 1700000005.75,
            "metrics", Metrics(),
            "executing", Map(Arr("inc-7c1d2a9b3f", 12L), 0.25),
            "extensions", Map("spans", Map(), "shuffle", Map()));

        private static MsgMap GetDataReply() => Map(
            "status", "OK",
            "data", Map(
                "x-1", Map("__Serialized__", 1L),
                Arr("y", 0L), Map("__Serialized__", 2L),
                Arr("big-array", 3L, 4L), Map("__Pickled__", 3L)));

        private static MsgMap TaskErred() => Map(
            "op", "task-erred",
            "key", "div-0d2f",
            "run_id", 3L,
            "thread", 140234567890123L,
            "exception", Map("__Serialized__", 0L),
            "traceback", Map("__Serialized__", 1L),
            "exception_text", "ZeroDivisionError('division by zero')",
            "traceback_text", "  File \"<stdin>\", line 2, in div\n    return x / y\n",
            "startstops", Arr(Map("action", "compute", "start", 1700000000.5, "stop", 1700000000.501)),
            "stimulus_id", "task-erred-1700000000.501");

        private static object?[] BatchedWorkerStream() => Arr(
            Map("op", "task-finished", "key", Arr("inc", 3L), "run_id", 1L, "nbytes", 28L,
                "type", Bytes("80049515000000000000008c086275696c74696e73948c03696e7494939394"),
                "typename", "int", "metadata", Map(), "thread", 140234567890123L,
                "startstops", Arr(Map("action", "compute", "start", 1700000000.25, "stop", 1700000000.2501)),
                "stimulus_id", "task-finished-1700000000.2501"),
            Map("op", "release-worker-data", "key", "x-1", "stimulus_id", "free-keys-1700000000.3"),
            Map("op", "long-running", "key", "secede-1", "compute_duration", 0.001, "stimulus_id", "secede-1700000000.4"),
            Map("op", "keep-alive"));

        private static MsgMap IdentityReply() => Map(
            "type", "Scheduler",
            "id", "Scheduler-5a1f3c2e-9f0b-4a7e-b3c4-2d1e0f9a8b7c",
            "address", "tcp://10.0.0.2:8786",
            "services", Map("dashboard", 8787L),
            "started", 1699999990.0,
            "n_workers", 2L,
            "total_threads", 8L,
            "total_memory", 17179869184L,
            "workers", Map(
                "tcp://10.0.0.5:38123", Map("type", "Worker", "id", "worker-0", "host", "10.0.0.5", "nthreads", 4L,
                    "memory_limit", 8589934592L, "last_seen", 1700000005.75, "metrics", Map("cpu", 12.5, "memory", 123456789L))));

        private static MsgMap AcquireReplicas() => Map(
            "op", "acquire-replicas",
            "who_has", Map("x-1", Arr("tcp://10.0.0.8:33445"), Arr("y", 7L), Arr("tcp://10.0.0.9:33445")),
            "nbytes", Map("x-1", 28L, Arr("y", 7L), 9223372036854775807L),
            "stimulus_id", "acquire-replicas-1700000000.6");

        private static object?[] ClientReportBatch() => Arr(
            Map("op", "key-in-memory", "key", "sum-aggregate-9a8b", "type", Bytes("80049508000000000000008c05666c6f6174942e")),
            Map("op", "task-erred", "key", "div-0d2f", "exception", Map("__Serialized__", 0L), "traceback", null),
            Map("op", "lost-data", "key", Arr("y", 0L)),
            Map("op", "cancelled-keys", "keys", Arr("a", "b", Arr("c", -1L)), "reason", "Stimulus ID client-release-1"),
            Map("op", "restart"),
            Map("op", "stream-closed", "counts", Arr(0L, -32L, -33L, -129L, -32769L, -2147483649L, long.MinValue, 18446744073709551615UL)));

        /// <summary>
        /// A frame header with bin16 and bin32 (a 70,000-byte inline payload). The big value comes last so that
        /// truncating inside it, which is most truncations, fails fast instead of first decoding a copy.
        /// </summary>
        private static MsgMap LargeFrameHeader() => Map(
            "op", "update-data",
            "data", Map("x", Map("__Serialized__", 0L)),
            "report", false,
            "header", Map(
                "serializer", "dask",
                "type-serialized", Blob(300),
                "deserialize", true,
                "compression", Arr(null, "lz4"),
                "lengths", Arr(70000L, 256L),
                "writeable", Arr(true, false)),
            "inline", Blob(70000));

        /// <summary>A log event whose text needs str16 and str32 headers; the long text comes last for the same reason.</summary>
        private static MsgMap LargeLogEvent() => Map(
            "op", "log-event",
            "topic", Arr("worker-stderr", "tcp://10.0.0.5:38123"),
            "msg", Map(
                "level", "WARNING",
                "logger", "distributed.worker.memory",
                "summary", Text(300, "\u20ac"),
                "text", Text(70000, "\u00e9")));
    }
}
