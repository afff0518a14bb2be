using System;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Client.Coordination
{
    /// <summary>
    /// A dask event (distributed.Event) on the scheduler: a flag under a name, clear until set, shared by every client
    /// of the scheduler; waiters wake when it is set.
    /// </summary>
    public sealed class DaskEvent
    {
        private readonly DaskClient _client;

        public DaskEvent(DaskClient client, string name)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            Name = string.IsNullOrEmpty(name) ? throw new ArgumentException("An event needs a name.", nameof(name)) : name;
        }

        public string Name { get; }

        /// <summary>Sets the flag: every waiter wakes, and waits return at once until it is cleared.</summary>
        public Task SetAsync(CancellationToken cancellationToken = default) =>
            _client.CallSchedulerAsync("event_set", new (string, object?)[] { ("name", Name) }, cancellationToken);

        /// <summary>Clears the flag.</summary>
        public Task ClearAsync(CancellationToken cancellationToken = default) =>
            _client.CallSchedulerAsync("event_clear", new (string, object?)[] { ("name", Name) }, cancellationToken);

        public async Task<bool> IsSetAsync(CancellationToken cancellationToken = default) =>
            await _client.CallSchedulerAsync("event_is_set", new (string, object?)[] { ("name", Name) }, cancellationToken).ConfigureAwait(false) is true;

        /// <summary>Waits until the flag is set, up to <paramref name="timeout"/> (null: no limit); false when it stayed clear.</summary>
        public Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            SlicedWait.UntilAsync(async (seconds, call) => await _client.CallSchedulerAsync("event_wait", new (string, object?)[]
            {
                ("name", Name), ("timeout", seconds),
            }, call).ConfigureAwait(false) is true, timeout, cancellationToken);
    }
}
