using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Client
{
    /// <summary>
    /// The keys a client follows, each with a completion that the scheduler's reports settle. A key is followed while
    /// some node object for it is alive (as a Python future keeps its key): each node carries a hold whose finalizer
    /// reports the node gone, and <see cref="TakeUnreferenced"/> hands over the keys no live node refers to any more.
    /// </summary>
    internal sealed class ClientKeys
    {
        private readonly object _gate = new object();
        private readonly DaskClient _owner;
        private readonly Dictionary<string, KeyState> _keys = new Dictionary<string, KeyState>(StringComparer.Ordinal);
        private readonly ConditionalWeakTable<DaskNode, NodeHold> _holds = new ConditionalWeakTable<DaskNode, NodeHold>();
        private readonly ConcurrentQueue<KeyState> _collected = new ConcurrentQueue<KeyState>();

        public ClientKeys(DaskClient owner) => _owner = owner;

        /// <summary>The nodes among <paramref name="roots"/> and their dependencies not followed yet, dependencies first; now followed.</summary>
        public List<DaskNode> AddSubmitted(IReadOnlyList<DaskNode> roots, int retries)
        {
            lock (_gate)
            {
                List<DaskNode> fresh = DaskNode.TopologicalOrder(roots, key => _keys.ContainsKey(key));
                foreach (DaskNode node in fresh)
                {
                    if (node.IsData)
                    {
                        throw new ArgumentException($"'{node.Key}' is a data node this client does not hold; scatter the value first.");
                    }

                    _keys[node.Key] = new KeyState(node, retries);
                }

                // Every node object that names a followed key holds it: the new ones, and the roots and dependencies
                // that are other objects for keys followed already.
                foreach (DaskNode node in roots.Concat(fresh.SelectMany(n => n.Dependencies)).Concat(fresh))
                {
                    Hold(node);
                }

                return fresh;
            }
        }

        /// <summary>Follows keys that exist on the cluster already (scattered, or adopted from another client).</summary>
        public void AddHeld(IEnumerable<DaskNode> nodes)
        {
            lock (_gate)
            {
                foreach (DaskNode node in nodes)
                {
                    if (!_keys.ContainsKey(node.Key))
                    {
                        _keys[node.Key] = new KeyState(node, 0);
                    }

                    Hold(node);
                }
            }
        }

        public void Remove(IEnumerable<string> keys)
        {
            lock (_gate)
            {
                foreach (string key in keys)
                {
                    _keys.Remove(key);
                }
            }
        }

        /// <summary>The keys that no live node refers to any more, now no longer followed (to release on the scheduler).</summary>
        public string[] TakeUnreferenced()
        {
            var unreferenced = new List<string>();
            lock (_gate)
            {
                while (_collected.TryDequeue(out KeyState? state))
                {
                    // A key released and followed again since has a new state: the old state's holds do not count.
                    if (--state.Holders == 0 && _keys.TryGetValue(state.Key, out KeyState? current) && current == state)
                    {
                        _keys.Remove(state.Key);
                        unreferenced.Add(state.Key);
                    }
                }
            }

            return unreferenced.ToArray();
        }

        public string[] All()
        {
            lock (_gate)
            {
                return _keys.Keys.ToArray();
            }
        }

        public DaskNodeState NodeState(string key)
        {
            lock (_gate)
            {
                return _keys.TryGetValue(key, out KeyState? state) ? state.State : DaskNodeState.Released;
            }
        }

        /// <summary>Notes which unfinished keys the scheduler says are processing.</summary>
        public void SetScheduled(IReadOnlyDictionary<string, string?> schedulerStates)
        {
            lock (_gate)
            {
                foreach (KeyValuePair<string, string?> entry in schedulerStates)
                {
                    if (_keys.TryGetValue(entry.Key, out KeyState? state))
                    {
                        state.Processing = entry.Value == "processing";
                    }
                }
            }
        }

        /// <summary>Followed nodes still referenced somewhere, oldest first (one object per key).</summary>
        public List<DaskNode> LiveNodes()
        {
            lock (_gate)
            {
                var nodes = new List<DaskNode>();
                foreach (KeyState state in _keys.Values.OrderBy(s => s.Sequence))
                {
                    if (state.Node.TryGetTarget(out DaskNode? node))
                    {
                        nodes.Add(node);
                    }
                }

                return nodes;
            }
        }

        /// <summary>Completes when the key is in memory; faults with its failure.</summary>
        public Task Done(string key) => StateOf(key).Done.Task;

        public bool InMemory(string key) => StateOf(key).Done.Task.Status == TaskStatus.RanToCompletion;

        /// <summary>
        /// A task-erred report: the failure to settle the key with (naming the dependency that failed first, if one did),
        /// or null when the key is not followed; <paramref name="retry"/> says whether to ask the scheduler to retry instead.
        /// </summary>
        public DaskTaskException? Erred(string key, DaskTaskException error, Func<DaskTaskException, bool> mayRetry, out bool retry)
        {
            retry = false;
            lock (_gate)
            {
                if (!_keys.TryGetValue(key, out KeyState? state))
                {
                    return null;
                }

                DaskTaskException? root = FailedDependency(state);
                if (root is not null)
                {
                    return new DaskDependencyException(key, root);
                }

                if (state.ClientRetriesLeft > 0 && mayRetry(error))
                {
                    state.ClientRetriesLeft--;
                    retry = true;
                }

                return error;
            }
        }

        /// <summary>The root failure among a node's (transitive) dependencies, if one failed. Caller holds the lock.</summary>
        private DaskTaskException? FailedDependency(KeyState dependent)
        {
            // Breadth-first with a visited set: shared dependencies are looked at once, long chains need no stack.
            var visited = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Queue<string>(dependent.Dependencies);
            while (pending.Count > 0)
            {
                string dependency = pending.Dequeue();
                if (!visited.Add(dependency) || !_keys.TryGetValue(dependency, out KeyState? state))
                {
                    continue;
                }

                if (state.Done.Task.IsFaulted)
                {
                    Exception? failure = state.Done.Task.Exception!.InnerException;
                    if (failure is DaskDependencyException nested)
                    {
                        return nested.Root;
                    }

                    if (failure is DaskTaskException root)
                    {
                        return root;
                    }
                }

                foreach (string next in state.Dependencies)
                {
                    pending.Enqueue(next);
                }
            }

            return null;
        }

        public void Finish(string key, Exception? error)
        {
            KeyState? state;
            lock (_gate)
            {
                _keys.TryGetValue(key, out state);
            }

            if (state is null)
            {
                return;
            }

            if (error is null)
            {
                state.Done.TrySetResult(true);
            }
            else
            {
                state.Done.TrySetException(error);
            }
        }

        public void Reopen(string key)
        {
            lock (_gate)
            {
                if (_keys.TryGetValue(key, out KeyState? state) && state.Done.Task.IsCompleted)
                {
                    state.Done = NewCompletion();
                    state.Processing = false;
                }
            }
        }

        public void FailAll(Exception error)
        {
            KeyState[] states;
            lock (_gate)
            {
                states = _keys.Values.ToArray();
            }

            foreach (KeyState state in states)
            {
                state.Done.TrySetException(error);
            }
        }

        private KeyState StateOf(string key)
        {
            lock (_gate)
            {
                if (_keys.TryGetValue(key, out KeyState? state))
                {
                    return state;
                }
            }

            throw new ArgumentException($"'{key}' was not submitted or scattered by this client (or was released).");
        }

        private static TaskCompletionSource<bool> NewCompletion() => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        // Caller holds the lock.
        private void Hold(DaskNode node)
        {
            if (_keys.TryGetValue(node.Key, out KeyState? state) && !_holds.TryGetValue(node, out _))
            {
                state.Holders++;
                _holds.Add(node, new NodeHold(state, _collected));
                node.Client = _owner;
                if (!state.Node.TryGetTarget(out _))
                {
                    state.Node.SetTarget(node);
                }
            }
        }

        /// <summary>Lives as long as its node (a ConditionalWeakTable value); its finalizer reports the node gone.</summary>
        private sealed class NodeHold
        {
            private readonly KeyState _state;
            private readonly ConcurrentQueue<KeyState> _collected;

            public NodeHold(KeyState state, ConcurrentQueue<KeyState> collected)
            {
                _state = state;
                _collected = collected;
            }

            ~NodeHold() => _collected.Enqueue(_state);
        }

        // Holds no node (that would keep it alive): its key, its dependencies' keys, and a weak reference to one of its nodes.
        private sealed class KeyState
        {
            private static long _followed;

            public KeyState(DaskNode node, int retries)
            {
                Key = node.Key;
                Dependencies = node.Dependencies.Select(d => d.Key).ToArray();
                ClientRetriesLeft = retries;
                Node = new WeakReference<DaskNode>(node);
                Sequence = Interlocked.Increment(ref _followed);
            }

            public WeakReference<DaskNode> Node { get; }

            public long Sequence { get; }

            /// <summary>Whether the scheduler said, when last asked, that the unfinished key is running.</summary>
            public bool Processing { get; set; }

            public DaskNodeState State => Done.Task.Status switch
            {
                TaskStatus.RanToCompletion => DaskNodeState.Memory,
                TaskStatus.Faulted => Done.Task.Exception!.InnerException switch
                {
                    DaskCancelledException => DaskNodeState.Cancelled,
                    DaskSchedulerLostException => DaskNodeState.Lost,
                    _ => DaskNodeState.Erred,
                },
                _ => Processing ? DaskNodeState.Processing : DaskNodeState.Pending,
            };

            public string Key { get; }

            public string[] Dependencies { get; }

            /// <summary>Live node objects for this key (changed under the lock).</summary>
            public int Holders { get; set; }

            public int ClientRetriesLeft { get; set; }

            public TaskCompletionSource<bool> Done { get; set; } = NewCompletion();
        }
    }
}
