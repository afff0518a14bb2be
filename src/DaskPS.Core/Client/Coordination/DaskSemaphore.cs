using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Rpc;

namespace DaskPS.Client.Coordination
{
    /// <summary>
    /// A dask semaphore (distributed.Semaphore) on the scheduler: at most <see cref="MaxLeases"/> leases of a name are
    /// held at once, over every client of the scheduler. The scheduler drops a lease its holder stops refreshing (after
    /// <see cref="DaskClientOptions.LeaseTimeout"/>, 30 s by default); the client refreshes its leases, so a lease
    /// outlives its process by that long at most.
    /// </summary>
    public sealed class DaskSemaphore
    {
        internal const string LeaseKind = "semaphore";

        private readonly DaskClient _client;

        public DaskSemaphore(DaskClient client, string name, int maxLeases = 1)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            Name = string.IsNullOrEmpty(name) ? throw new ArgumentException("A semaphore needs a name.", nameof(name)) : name;
            MaxLeases = maxLeases >= 1 ? maxLeases : throw new ArgumentOutOfRangeException(nameof(maxLeases), maxLeases, "A semaphore grants at least one lease.");
        }

        public string Name { get; }

        public int MaxLeases { get; }

        /// <summary>
        /// Takes a lease, waiting up to <paramref name="timeout"/> (null: no limit) for one to be free. A lease granted
        /// as the wait is cancelled is released again.
        /// </summary>
        /// <returns>False when no lease was free within <paramref name="timeout"/>.</returns>
        /// <exception cref="ArgumentException">The semaphore exists on the scheduler with another number of leases.</exception>
        public async Task<bool> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            await RegisterAsync(cancellationToken).ConfigureAwait(false);
            // One lease id for every slice: the scheduler grants an id it already holds again, so a retry cannot take two.
            string leaseId = Guid.NewGuid().ToString("N");
            bool acquired = await SlicedWait.UntilAsync(async (seconds, call) => await _client.CallSchedulerAsync("semaphore_acquire", new (string, object?)[]
            {
                ("name", Name), ("timeout", seconds), ("lease_id", leaseId),
            }, call).ConfigureAwait(false) is true, timeout, cancellationToken).ConfigureAwait(false);
            return await _client.Coordination.KeepOrGiveBackAsync(acquired, LeaseKind, Name, leaseId, ReleaseAsync, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Releases the oldest lease this client holds.</summary>
        /// <exception cref="DaskNotHeldException">This client holds no lease of the semaphore (released more often than acquired).</exception>
        public async Task ReleaseAsync(CancellationToken cancellationToken = default)
        {
            string leaseId = _client.Coordination.TakeHeld(LeaseKind, Name)
                ?? throw new DaskNotHeldException($"This client holds no lease of the semaphore '{Name}': it was released more often than acquired.");
            await _client.CallSchedulerAsync("semaphore_release", new (string, object?)[] { ("name", Name), ("lease_id", leaseId) }, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>How many leases are held now, by every client.</summary>
        public async Task<long> CountHeldAsync(CancellationToken cancellationToken = default) =>
            await _client.CallSchedulerAsync("semaphore_value", new (string, object?)[] { ("name", Name) }, cancellationToken).ConfigureAwait(false) is long held
                ? held
                : 0;

        /// <summary>Makes the semaphore known to the scheduler (again: registering is idempotent for the same number of leases).</summary>
        private async Task RegisterAsync(CancellationToken cancellationToken)
        {
            var arguments = new List<(string, object?)> { ("name", Name), ("max_leases", (long)MaxLeases) };
            if (_client.Dialect.SemaphoresTakeLeaseTimeout)
            {
                arguments.Add(("lease_timeout", _client.Coordination.LeaseTimeout.TotalSeconds));
            }

            try
            {
                await _client.CallSchedulerAsync("semaphore_register", arguments.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            catch (DaskRemoteException e) when (e.RemoteType == "ValueError")
            {
                throw new ArgumentException($"The semaphore '{Name}' exists on the scheduler with another number of leases than {MaxLeases}: {e.Message}", nameof(MaxLeases), e);
            }
        }
    }
}
