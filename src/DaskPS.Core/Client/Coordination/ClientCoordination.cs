using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Diagnostics;
using DaskPS.Internal;

namespace DaskPS.Client.Coordination
{
    /// <summary>
    /// What one client remembers of the coordination primitives it uses: the queues it has opened (as a Python
    /// <c>Queue</c> object holds one), the locks and semaphore leases it holds, and their refresh every fifth of the
    /// lease timeout, as Python clients refresh theirs.
    /// </summary>
    internal sealed class ClientCoordination : IDisposable
    {
        private readonly Timer _refresh;

        private readonly ConcurrentDictionary<string, Lazy<Task>> _openedQueues = new ConcurrentDictionary<string, Lazy<Task>>(StringComparer.Ordinal);
        private readonly object _gate = new object();
        private readonly Dictionary<(string Kind, string Name), List<string>> _held = new Dictionary<(string, string), List<string>>();
        private readonly DaskClient _client;
        private readonly DaskLogger _log;
        private int _refreshing;

        public ClientCoordination(DaskClient client, DaskLogger log, TimeSpan leaseTimeout)
        {
            _client = client;
            _log = log;
            LeaseTimeout = leaseTimeout > TimeSpan.Zero && leaseTimeout < TimeSpan.FromDays(1)
                ? leaseTimeout
                : throw new ArgumentOutOfRangeException(nameof(leaseTimeout), leaseTimeout, "The lease timeout must be more than 0 and less than a day.");
            TimeSpan every = TimeSpan.FromTicks(leaseTimeout.Ticks / 5);
            _refresh = new Timer(_ => RefreshLeases(), null, every, every);
        }

        /// <summary>How long the scheduler keeps a lease that is not refreshed (what this client registers semaphores with).</summary>
        public TimeSpan LeaseTimeout { get; }

        /// <summary>Opens the queue on the scheduler once for this client (queue_create counts its users); a failed open is tried again next time.</summary>
        public async Task OpenQueueAsync(string name, CancellationToken cancellationToken)
        {
            Lazy<Task> open = _openedQueues.GetOrAdd(name, _ => new Lazy<Task>(() => _client.CallSchedulerAsync("queue_create", new (string, object?)[]
            {
                ("name", name), ("maxsize", 0L),
            }, CancellationToken.None)));
            try
            {
                await open.Value.WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (DaskException)
            {
                ((ICollection<KeyValuePair<string, Lazy<Task>>>)_openedQueues).Remove(new KeyValuePair<string, Lazy<Task>>(name, open));
                throw;
            }
        }

        /// <summary>Forgets that the queue is open (another client closed it), so the next use opens it again.</summary>
        public void ForgetQueue(string name) => _openedQueues.TryRemove(name, out _);

        /// <summary>Remembers a lock id or lease id this client now holds.</summary>
        public void Hold(string kind, string name, string id)
        {
            lock (_gate)
            {
                if (!_held.TryGetValue((kind, name), out List<string>? ids))
                {
                    _held[(kind, name)] = ids = new List<string>();
                }

                ids.Add(id);
            }
        }

        /// <summary>
        /// After an acquire: remembers the id when it was granted, and when the wait was cancelled meanwhile gives it back
        /// at once (through <paramref name="release"/>) before throwing, so a cancelled Enter never leaves a lock held.
        /// </summary>
        public async Task<bool> KeepOrGiveBackAsync(bool acquired, string kind, string name, string id, Func<CancellationToken, Task> release, CancellationToken cancellationToken)
        {
            if (!acquired)
            {
                return false;
            }

            Hold(kind, name, id);
            if (cancellationToken.IsCancellationRequested)
            {
                using (CancellationTokenSource givingBack = SlicedWait.GivingBack())
                {
                    await release(givingBack.Token).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            return true;
        }

        /// <summary>The oldest id this client holds of <paramref name="name"/>, no longer held; null when it holds none.</summary>
        public string? TakeHeld(string kind, string name)
        {
            lock (_gate)
            {
                if (!_held.TryGetValue((kind, name), out List<string>? ids) || ids.Count == 0)
                {
                    return null;
                }

                string id = ids[0];
                ids.RemoveAt(0);
                if (ids.Count == 0)
                {
                    _held.Remove((kind, name));
                }

                return id;
            }
        }

        public void Dispose() => _refresh.Dispose();

        /// <summary>Tells the scheduler this client's semaphore leases are alive.</summary>
        private void RefreshLeases()
        {
            (string Name, object?[] Ids)[] leases;
            lock (_gate)
            {
                leases = _held.Where(h => h.Key.Kind == DaskSemaphore.LeaseKind)
                    .Select(h => (h.Key.Name, h.Value.Cast<object?>().ToArray())).ToArray();
            }

            // One refresh at a time: a slow scheduler must not pile them up.
            if (leases.Length == 0 || !_client.IsConnected || Interlocked.Exchange(ref _refreshing, 1) != 0)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                // A refresh later than the lease timeout is of no use.
                using var limit = new CancellationTokenSource(LeaseTimeout);
                try
                {
                    foreach ((string name, object?[] ids) in leases)
                    {
                        await _client.CallSchedulerAsync("semaphore_refresh_leases", new (string, object?)[] { ("name", name), ("lease_ids", ids) },
                            limit.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is DaskException or ObjectDisposedException or OperationCanceledException)
                {
                    _log.Warning($"Refreshing semaphore leases failed: {e.Message}");
                }
                finally
                {
                    Volatile.Write(ref _refreshing, 0);
                }
            });
        }
    }
}
