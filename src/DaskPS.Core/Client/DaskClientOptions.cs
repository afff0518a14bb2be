using System;
using DaskPS.Comm;
using DaskPS.Diagnostics;

namespace DaskPS.Client
{
    public sealed class DaskClientOptions
    {
        public static DaskClientOptions Default { get; } = new DaskClientOptions();

        public CommOptions Comm { get; set; } = new CommOptions();

        public DaskLogger Logger { get; set; } = DaskLogger.None;

        /// <summary>How often the client tells the scheduler it is alive (dask clients: 5 s).</summary>
        public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>Client-side retries of failed tasks (on top of dask's own per-task retries).</summary>
        public int Retries { get; set; }

        /// <summary>Which failures client-side retries apply to; all of them when null.</summary>
        public Func<DaskTaskException, bool>? RetryOn { get; set; }

        /// <summary>
        /// How long the scheduler keeps a semaphore or lock lease that is not refreshed; the client refreshes its leases
        /// every fifth of it, as Python clients do. From dask.distributed 2024.7.1 the client that registers a semaphore
        /// tells the scheduler; before, the scheduler's own distributed.scheduler.locks.lease-timeout applies, and this
        /// should match it. Default 30 s, dask's default.
        /// </summary>
        public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Largest single value the client decodes.</summary>
        public int MaxValueBytes { get; set; } = int.MaxValue;
    }
}
