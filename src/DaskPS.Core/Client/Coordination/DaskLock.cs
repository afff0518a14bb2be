using System;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Client.Coordination
{
    /// <summary>
    /// A dask lock (distributed.Lock) on the scheduler: held by one holder at a time, over every client of the
    /// scheduler. Not re-entrant: a second acquire waits like any other. It is whatever Python's Lock is on that
    /// release: before 2024.7.1 the scheduler's own lock (lock_acquire, lock_release), from 2024.7.1 a semaphore of one
    /// lease, refreshed like any lease (see <see cref="DaskSemaphore"/>).
    /// </summary>
    public sealed class DaskLock
    {
        private const string LockKind = "lock";

        private readonly DaskClient _client;

        public DaskLock(DaskClient client, string name)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            Name = string.IsNullOrEmpty(name) ? throw new ArgumentException("A lock needs a name.", nameof(name)) : name;
        }

        public string Name { get; }

        /// <summary>
        /// Takes the lock, waiting up to <paramref name="timeout"/> (null: no limit). A lock granted as the wait is
        /// cancelled is released again.
        /// </summary>
        /// <returns>False when another holder kept it for <paramref name="timeout"/>.</returns>
        public async Task<bool> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (_client.Dialect.LocksAreSemaphores)
            {
                return await AsSemaphore.AcquireAsync(timeout, cancellationToken).ConfigureAwait(false);
            }

            string id = Guid.NewGuid().ToString("N");
            bool acquired = await SlicedWait.UntilAsync(async (seconds, call) => await _client.CallSchedulerAsync("lock_acquire", new (string, object?)[]
            {
                ("name", Name), ("id", id), ("timeout", seconds),
            }, call).ConfigureAwait(false) is true, timeout, cancellationToken).ConfigureAwait(false);
            return await _client.Coordination.KeepOrGiveBackAsync(acquired, LockKind, Name, id, ReleaseAsync, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Releases the lock.</summary>
        /// <exception cref="DaskNotHeldException">This client does not hold the lock.</exception>
        public async Task ReleaseAsync(CancellationToken cancellationToken = default)
        {
            if (_client.Dialect.LocksAreSemaphores)
            {
                try
                {
                    await AsSemaphore.ReleaseAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DaskNotHeldException)
                {
                    throw NotHeld();
                }

                return;
            }

            string id = _client.Coordination.TakeHeld(LockKind, Name) ?? throw NotHeld();
            await _client.CallSchedulerAsync("lock_release", new (string, object?)[] { ("name", Name), ("id", id) }, cancellationToken).ConfigureAwait(false);
        }

        private DaskSemaphore AsSemaphore => new DaskSemaphore(_client, Name, maxLeases: 1);

        private DaskNotHeldException NotHeld() => new DaskNotHeldException($"This client does not hold the lock '{Name}'.");
    }
}
