using System;
using System.Collections.Generic;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    /// <summary>What a worker tells the scheduler about itself when it registers (register-worker).</summary>
    public sealed record RegisterWorker(
        string Address, string ServerId, string Name, int Slots, IReadOnlyDictionary<string, double> Resources, long MemoryLimit, int Pid, string StimulusId);

    /// <summary>The worker metrics that registration and heartbeat_worker carry.</summary>
    internal static class WorkerMetrics
    {
        /// <summary>Every metric the scheduler and its memory manager read (spilled_bytes.disk included: without it the AMM breaks cluster-wide).</summary>
        public static MsgMap Encode(long managedBytes, double now) => new MsgMap(15)
            .With("task_counts", new MsgMap())
            .With("bandwidth", new MsgMap().With("total", 100_000_000L).With("workers", new MsgMap()).With("types", new MsgMap()))
            .With("digests_total_since_heartbeat", new MsgMap())
            .With("managed_bytes", managedBytes)
            .With("spilled_bytes", new MsgMap().With("memory", 0L).With("disk", 0L))
            .With("transfer", new MsgMap()
                .With("incoming_bytes", 0L).With("incoming_count", 0L).With("incoming_count_total", 0L)
                .With("outgoing_bytes", 0L).With("outgoing_count", 0L).With("outgoing_count_total", 0L))
            .With("event_loop_interval", 0.02)
            .With("cpu", 0.0)
            .With("memory", Math.Max(managedBytes, GC.GetTotalMemory(false)))
            .With("time", now)
            .With("host_net_io", new MsgMap().With("read_bps", 0.0).With("write_bps", 0.0))
            .With("host_disk_io", new MsgMap().With("read_bps", 0.0).With("write_bps", 0.0))
            .With("num_fds", 0L);

        /// <summary>heartbeat_worker's arguments.</summary>
        public static (string Name, object? Value)[] Heartbeat(string address, long managedBytes, double now) => new (string, object?)[]
        {
            ("address", address), ("now", now), ("metrics", Encode(managedBytes, now)), ("executing", new MsgMap()), ("extensions", new MsgMap()),
        };
    }
}
