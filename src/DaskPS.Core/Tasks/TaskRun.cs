using System;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;

namespace DaskPS.Tasks
{
    /// <summary>
    /// One run of a task, as its runtime and the task itself see it: its key, the request to stop, and what a task may
    /// do on its cluster: submit more work through its worker's client, and give its slot up while it waits for that work
    /// (dask's secede and rejoin), so that tasks waiting on tasks never hold every slot.
    /// </summary>
    public abstract class TaskRun
    {
        protected TaskRun(object key, CancellationToken stopping)
        {
            Key = key;
            Stopping = stopping;
        }

        public object Key { get; }

        /// <summary>Cancelled when the scheduler takes the task back (e.g. Stop-DaskTask) or the worker stops.</summary>
        public CancellationToken Stopping { get; }

        /// <summary>A run outside any worker (a runtime called directly): it has no cluster, and waiting keeps nothing.</summary>
        public static TaskRun Detached(object key, CancellationToken stopping = default) => new DetachedRun(key, stopping);

        /// <summary>A client of the worker's scheduler, shared by the worker's tasks and connected on first use.</summary>
        public abstract Task<DaskClient> GetClientAsync(CancellationToken cancellationToken = default);

        /// <summary>Gives the slot up (dask's secede): another task may run here meanwhile. Call <see cref="RejoinAsync"/> before computing again.</summary>
        public abstract void Secede();

        /// <summary>Takes a slot again (dask's rejoin), waiting until one is free.</summary>
        public abstract Task RejoinAsync(CancellationToken cancellationToken = default);

        /// <summary>Waits for <paramref name="wait"/> with the slot given up, then takes a slot again.</summary>
        public async Task<T> WaitOutsideSlotAsync<T>(Func<Task<T>> wait)
        {
            Secede();
            try
            {
                return await wait().ConfigureAwait(false);
            }
            finally
            {
                await RejoinAsync(Stopping).ConfigureAwait(false);
            }
        }

        private sealed class DetachedRun : TaskRun
        {
            public DetachedRun(object key, CancellationToken stopping) : base(key, stopping) { }

            public override Task<DaskClient> GetClientAsync(CancellationToken cancellationToken = default) =>
                throw new InvalidOperationException($"Task '{Key}' does not run on a worker, so it has no cluster to submit to.");

            public override void Secede() { }

            public override Task RejoinAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
        }
    }
}
