using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace DaskPS.Client
{
    /// <summary>The keys a client follows, each with a completion that the scheduler's reports settle.</summary>
    internal sealed class ClientKeys
    {
        private readonly object _gate = new object();
        private readonly Dictionary<string, KeyState> _keys = new Dictionary<string, KeyState>(StringComparer.Ordinal);

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

        public string[] All()
        {
            lock (_gate)
            {
                return _keys.Keys.ToArray();
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

                DaskTaskException? root = FailedDependency(state.Node);
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
        private DaskTaskException? FailedDependency(DaskNode node)
        {
            // Breadth-first with a visited set: shared dependencies are looked at once, long chains need no stack.
            var visited = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Queue<DaskNode>(node.Dependencies);
            while (pending.Count > 0)
            {
                DaskNode dependency = pending.Dequeue();
                if (!visited.Add(dependency.Key))
                {
                    continue;
                }

                if (_keys.TryGetValue(dependency.Key, out KeyState? state) && state.Done.Task.IsFaulted)
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

                foreach (DaskNode next in dependency.Dependencies)
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

        private sealed class KeyState
        {
            public KeyState(DaskNode node, int retries)
            {
                Node = node;
                ClientRetriesLeft = retries;
            }

            public DaskNode Node { get; }

            public int ClientRetriesLeft { get; set; }

            public TaskCompletionSource<bool> Done { get; set; } = NewCompletion();
        }
    }
}
