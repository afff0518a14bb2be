using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Internal;

namespace DaskPS.Comm
{
    /// <summary>
    /// The bytes that large frames of partly received messages hold, shared by every connection of the process
    /// (<see cref="CommOptions.ProcessReadBudget"/>). A reader reserves before its buffer grows and waits while the
    /// budget is spent, except the oldest message in flight: it always proceeds, so it finishes or times out and
    /// readers can never all be waiting on each other.
    /// </summary>
    internal sealed class ReadBudget
    {
        public static ReadBudget Shared { get; } = new ReadBudget(1L << 30);

        private readonly object _gate = new object();
        private readonly SortedSet<long> _inFlight = new SortedSet<long>();
        private long _nextTicket;
        private long _used;
        private long _limit;
        private TaskCompletionSource<bool> _released = NewSignal();

        public ReadBudget(long limit)
        {
            Limit = limit;
        }

        public long Limit
        {
            get => Volatile.Read(ref _limit);
            set => Volatile.Write(ref _limit, value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The read budget must be positive."));
        }

        /// <summary>Bytes reserved now, by all messages.</summary>
        public long Used
        {
            get
            {
                lock (_gate)
                {
                    return _used;
                }
            }
        }

        /// <summary>Starts the reservations of one message; disposing the lease returns them all.</summary>
        public Lease Open()
        {
            lock (_gate)
            {
                long ticket = ++_nextTicket;
                _inFlight.Add(ticket);
                return new Lease(this, ticket);
            }
        }

        private async ValueTask ReserveAsync(Lease lease, long bytes, CancellationToken cancellationToken)
        {
            while (true)
            {
                Task released;
                lock (_gate)
                {
                    if (_used + bytes <= Limit || _inFlight.Min == lease.Ticket)
                    {
                        _used += bytes;
                        lease.Held += bytes;
                        return;
                    }

                    released = _released.Task;
                }

                await released.WithCancellation(cancellationToken).ConfigureAwait(false);
            }
        }

        private void Release(Lease lease, long bytes, bool end)
        {
            lock (_gate)
            {
                _used -= bytes;
                lease.Held -= bytes;
                if (end)
                {
                    _inFlight.Remove(lease.Ticket);
                }

                TaskCompletionSource<bool> previous = _released;
                _released = NewSignal();
                previous.TrySetResult(true);
            }
        }

        private static TaskCompletionSource<bool> NewSignal() => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>What one message holds; messages are read one at a time per connection, so this is also the connection's share.</summary>
        internal sealed class Lease : IDisposable
        {
            private readonly ReadBudget _budget;

            public Lease(ReadBudget budget, long ticket)
            {
                _budget = budget;
                Ticket = ticket;
            }

            public long Ticket { get; }

            /// <summary>Bytes this message holds; changed under the budget's lock.</summary>
            public long Held { get; set; }

            public ValueTask ReserveAsync(long bytes, CancellationToken cancellationToken) => _budget.ReserveAsync(this, bytes, cancellationToken);

            public void Release(long bytes) => _budget.Release(this, bytes, end: false);

            public void Dispose() => _budget.Release(this, Held, end: true);
        }
    }
}
