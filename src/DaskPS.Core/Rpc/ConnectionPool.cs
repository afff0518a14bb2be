using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Internal;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;

namespace DaskPS.Rpc
{
    /// <summary>
    /// Reuses comms per address under one global limit on open comms. When the limit is reached, idle comms
    /// to other addresses are closed to make room; otherwise callers wait for a comm to come back. A comm idle for
    /// half of <see cref="CommOptions.IdleTimeout"/> or longer is closed instead of reused: a DaskPS server may be closing it.
    /// </summary>
    public sealed class ConnectionPool : IAsyncDisposable
    {
        public const int DefaultLimit = 512;

        private readonly object _gate = new object();
        private readonly Dictionary<string, Stack<IdleComm>> _idle = new Dictionary<string, Stack<IdleComm>>(StringComparer.Ordinal);
        private readonly HashSet<DaskComm> _inUse = new HashSet<DaskComm>();
        private readonly SemaphoreSlim _slots;
        private TaskCompletionSource<bool> _changed = NewSignal();
        private bool _closed;

        public ConnectionPool(int limit = DefaultLimit, CommOptions? options = null)
        {
            if (limit < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(limit), limit, "A connection pool needs room for at least one comm.");
            }

            Options = options ?? CommOptions.Default;
            _slots = new SemaphoreSlim(limit, limit);
        }

        public CommOptions Options { get; }

        internal int Open
        {
            get
            {
                lock (_gate)
                {
                    int idle = 0;
                    foreach (Stack<IdleComm> stack in _idle.Values)
                    {
                        idle += stack.Count;
                    }

                    return idle + _inUse.Count;
                }
            }
        }

        internal int Active
        {
            get
            {
                lock (_gate)
                {
                    return _inUse.Count;
                }
            }
        }

        /// <summary>An rpc bound to <paramref name="address"/> that borrows comms from this pool.</summary>
        public DaskRpc this[string address] => new DaskRpc(address, this);

        /// <summary>Takes an idle comm to <paramref name="address"/> or opens a new one.</summary>
        public async Task<DaskComm> AcquireAsync(string address, CancellationToken cancellationToken = default)
        {
            string key = DaskAddress.Normalize(address);
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    ThrowIfClosed();
                    changed = _changed.Task;
                    if (_idle.TryGetValue(key, out Stack<IdleComm>? stack))
                    {
                        long staleBefore = Stopwatch.GetTimestamp() - (long)(Options.IdleTimeout.TotalSeconds / 2 * Stopwatch.Frequency);
                        while (stack.Count > 0)
                        {
                            IdleComm candidate = stack.Pop();
                            if (!candidate.Comm.IsClosed && candidate.Since > staleBefore)
                            {
                                _inUse.Add(candidate.Comm);
                                return candidate.Comm;
                            }

                            candidate.Comm.Abort();
                            _slots.Release();
                        }
                    }
                }

                if (!_slots.Wait(0))
                {
                    // Full: make room by closing an idle comm (any address), else wait until a comm comes back or closes.
                    if (!CloseOneIdle())
                    {
                        await changed.WithCancellation(cancellationToken).ConfigureAwait(false);
                    }

                    continue;
                }

                DaskComm comm;
                try
                {
                    comm = await Transports.ConnectAsync(address, Options, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    _slots.Release();
                    throw;
                }

                lock (_gate)
                {
                    if (_closed)
                    {
                        comm.Abort();
                        _slots.Release();
                        ThrowIfClosed();
                    }

                    _inUse.Add(comm);
                }

                return comm;
            }
        }

        /// <summary>Gives a comm back for reuse; a closed one frees its slot.</summary>
        public void Release(string address, DaskComm comm)
        {
            lock (_gate)
            {
                if (!_inUse.Remove(comm))
                {
                    return;
                }

                Signal();
                if (comm.IsClosed || _closed)
                {
                    comm.Abort();
                    _slots.Release();
                    return;
                }

                string key = DaskAddress.Normalize(address);
                if (!_idle.TryGetValue(key, out Stack<IdleComm>? stack))
                {
                    _idle[key] = stack = new Stack<IdleComm>();
                }

                stack.Push(new IdleComm(comm, Stopwatch.GetTimestamp()));
            }
        }

        /// <summary>Whether an open comm to <paramref name="address"/> waits for reuse (a request on it needs no connect).</summary>
        internal bool HasIdle(string address)
        {
            lock (_gate)
            {
                return _idle.TryGetValue(DaskAddress.Normalize(address), out Stack<IdleComm>? stack) && stack.Count > 0 && !stack.Peek().Comm.IsClosed;
            }
        }

        /// <summary>Closes a comm that must not be reused (e.g. after a timeout mid-reply).</summary>
        public void Discard(DaskComm comm)
        {
            comm.Abort();
            lock (_gate)
            {
                if (_inUse.Remove(comm))
                {
                    _slots.Release();
                    Signal();
                }
            }
        }

        /// <summary>Closes every idle comm (as dask's ConnectionPool.collect does), leaving those in use alone.</summary>
        internal int CollectIdle()
        {
            int closed = 0;
            while (CloseOneIdle())
            {
                closed++;
            }

            return closed;
        }

        /// <summary>One request/response exchange on a pooled comm.</summary>
        internal async Task<object?> SendRecvAsync(string address, RpcRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            string op = request.Op;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout is TimeSpan limit && limit != Timeout.InfiniteTimeSpan)
            {
                deadline.CancelAfter(limit);
            }

            DaskComm? comm = null;
            try
            {
                comm = await AcquireAsync(address, deadline.Token).ConfigureAwait(false);
                await comm.WriteAsync(request.Message, deadline.Token).ConfigureAwait(false);
                object? reply = request.WantsReply ? await comm.ReadAsync(deadline.Token).ConfigureAwait(false) : null;
                Release(address, comm);
                comm = null;
                return RemoteErrors.ThrowIfError(reply, address, op);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DaskTimeoutException($"'{op}' on {address} got no reply within {timeout!.Value.TotalSeconds:0.###} s.");
            }
            finally
            {
                if (comm is not null)
                {
                    Discard(comm);
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            List<DaskComm> all = new List<DaskComm>();
            lock (_gate)
            {
                _closed = true;
                foreach (Stack<IdleComm> stack in _idle.Values)
                {
                    all.AddRange(stack.Select(idle => idle.Comm));
                }

                all.AddRange(_inUse);
                _idle.Clear();
                _inUse.Clear();
            }

            foreach (DaskComm comm in all)
            {
                comm.Abort();
            }

            return default;
        }

        private bool CloseOneIdle()
        {
            DaskComm? victim = null;
            lock (_gate)
            {
                foreach (Stack<IdleComm> stack in _idle.Values)
                {
                    if (stack.Count > 0)
                    {
                        victim = stack.Pop().Comm;
                        break;
                    }
                }
            }

            if (victim is null)
            {
                return false;
            }

            victim.Abort();
            _slots.Release();
            lock (_gate)
            {
                Signal();
            }

            return true;
        }

        /// <summary>A pooled comm and the <see cref="Stopwatch"/> timestamp of its return.</summary>
        private readonly struct IdleComm
        {
            public IdleComm(DaskComm comm, long since)
            {
                Comm = comm;
                Since = since;
            }

            public DaskComm Comm { get; }

            public long Since { get; }
        }

        /// <summary>Wakes callers waiting for room. Caller holds the lock.</summary>
        private void Signal()
        {
            TaskCompletionSource<bool> previous = _changed;
            _changed = NewSignal();
            previous.TrySetResult(true);
        }

        private static TaskCompletionSource<bool> NewSignal() => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        private void ThrowIfClosed()
        {
            if (_closed)
            {
                throw new ObjectDisposedException(nameof(ConnectionPool));
            }
        }
    }
}
