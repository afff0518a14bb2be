using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Client.Coordination
{
    /// <summary>
    /// A dask multi-lock (distributed.MultiLock) on the scheduler: several locks taken together, all at once or a
    /// chosen number of them, so two holders of overlapping sets cannot deadlock. Its locks are the scheduler's
    /// multi-lock locks, not those of <see cref="DaskLock"/>, as in Python.
    /// </summary>
    public sealed class DaskMultiLock
    {
        private const string LockKind = "multilock";

        private readonly DaskClient _client;

        public DaskMultiLock(DaskClient client, IEnumerable<string> names)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            Names = (names ?? throw new ArgumentNullException(nameof(names))).Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            if (Names.Count == 0 || Names.Any(string.IsNullOrEmpty))
            {
                throw new ArgumentException("A multi-lock needs one or more names, none of them empty.", nameof(names));
            }
        }

        /// <summary>The lock names, distinct and sorted: the same set in any order is the same multi-lock to release.</summary>
        public IReadOnlyList<string> Names { get; }

        /// <summary>
        /// Takes <paramref name="count"/> of the locks (null: all), waiting up to <paramref name="timeout"/> (null: no
        /// limit). Locks granted as the wait is cancelled are released again.
        /// </summary>
        /// <returns>False when they were not free within <paramref name="timeout"/>.</returns>
        public async Task<bool> AcquireAsync(int? count = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            int needed = count ?? Names.Count;
            if (needed < 1 || needed > Names.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(count), needed, $"A multi-lock of {Names.Count} locks can take 1 to {Names.Count} of them.");
            }

            object?[] names = Names.Cast<object?>().ToArray();
            string id = string.Empty;
            bool acquired = await SlicedWait.UntilAsync(async (seconds, call) =>
            {
                // The scheduler gives up a timed-out request entirely; each slice is a request of its own.
                id = Guid.NewGuid().ToString("N");
                return await _client.CallSchedulerAsync("multi_lock_acquire", new (string, object?)[]
                {
                    ("locks", names), ("id", id), ("timeout", seconds), ("num_locks", (long)needed),
                }, call).ConfigureAwait(false) is true;
            }, timeout, cancellationToken).ConfigureAwait(false);
            return await _client.Coordination.KeepOrGiveBackAsync(acquired, LockKind, Key, id, ReleaseAsync, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Releases the locks.</summary>
        /// <exception cref="DaskNotHeldException">This client does not hold a multi-lock of these names.</exception>
        public async Task ReleaseAsync(CancellationToken cancellationToken = default)
        {
            string id = _client.Coordination.TakeHeld(LockKind, Key)
                ?? throw new DaskNotHeldException($"This client does not hold the multi-lock of {Describe()}.");
            await _client.CallSchedulerAsync("multi_lock_release", new (string, object?)[] { ("id", id) }, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The names, quoted: 'a', 'b'.</summary>
        public string Describe() => string.Join(", ", Names.Select(n => $"'{n}'"));

        private string Key => string.Join("\n", Names);
    }
}
