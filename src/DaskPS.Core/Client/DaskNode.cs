using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Client
{
    /// <summary>
    /// One node of a task graph: a task (runtime payload plus arguments, some of them other nodes) or a
    /// piece of data already on the cluster. Identical tasks get identical keys, so they run once.
    /// </summary>
    public sealed class DaskNode
    {
        private DaskNode(string key, TaskSpec? spec, IReadOnlyList<DaskNode> dependencies, DaskTaskOptions options)
        {
            Key = key;
            Spec = spec;
            Dependencies = dependencies;
            Options = options;
        }

        /// <summary>The dask key: readable and deterministic (<c>name-hash</c>), or the caller's.</summary>
        public string Key { get; }

        /// <summary>The task, or null for data placed on the cluster (scatter).</summary>
        public TaskSpec? Spec { get; }

        public IReadOnlyList<DaskNode> Dependencies { get; }

        public DaskTaskOptions Options { get; }

        public bool IsData => Spec is null;

        /// <summary>The client that follows this node: the last one it was submitted to, scattered or adopted by.</summary>
        public DaskClient? Client { get; internal set; }

        /// <summary>Where the node is, as its client knows it (<see cref="DaskClient.RefreshStatesAsync"/> asks the scheduler which are processing).</summary>
        public DaskNodeState State => Client?.StateOf(this) ?? DaskNodeState.New;

        /// <summary>
        /// A task for <paramref name="runtime"/>; every <see cref="DaskNode"/> among <paramref name="args"/>
        /// (at any depth of lists and maps) becomes a dependency whose result the worker puts in its place.
        /// </summary>
        public static DaskNode Task(string runtime, MsgMap function, IEnumerable<object?> args, DaskTaskOptions? options = null, string? name = null)
        {
            var dependencies = new List<DaskNode>();
            object?[] wireArgs = args.Select(a => ToWire(a, dependencies)).ToArray();
            var spec = new TaskSpec(runtime, function, wireArgs);
            options ??= DaskTaskOptions.Default;
            string key = options.Key ?? NodeKeys.For(name ?? runtime, spec);
            return new DaskNode(key, spec, dependencies.Distinct().ToArray(), options);
        }

        /// <summary>A call of a public static .NET method: <c>DaskNode.Call(typeof(Math), "Max", a, b)</c>.</summary>
        public static DaskNode Call(Type type, string method, params object?[] args) =>
            Call(type.FullName!, method, args, null);

        public static DaskNode Call(string typeName, string method, IEnumerable<object?> args, DaskTaskOptions? options = null) =>
            Task(DotNetRuntime.RuntimeName, DotNetRuntime.Describe(typeName, method), args, options, method);

        /// <summary>A node for data that is (or will be) held on the cluster under <paramref name="key"/>.</summary>
        public static DaskNode Data(string key) => new DaskNode(key, null, Array.Empty<DaskNode>(), DaskTaskOptions.Default);

        /// <summary>This node and every dependency not in <paramref name="skip"/>, dependencies first.</summary>
        public static List<DaskNode> TopologicalOrder(IEnumerable<DaskNode> roots, Func<string, bool> skip)
        {
            var order = new List<DaskNode>();
            var visited = new HashSet<string>(StringComparer.Ordinal);
            var stack = new Stack<(DaskNode Node, bool Expanded)>();
            foreach (DaskNode root in roots.Reverse())
            {
                stack.Push((root, false));
            }

            // Iterative: a graph of thousands of chained nodes must not exhaust the stack.
            while (stack.Count > 0)
            {
                (DaskNode node, bool expanded) = stack.Pop();
                if (expanded)
                {
                    order.Add(node);
                    continue;
                }

                if (skip(node.Key) || !visited.Add(node.Key))
                {
                    continue;
                }

                stack.Push((node, true));
                for (int i = node.Dependencies.Count - 1; i >= 0; i--)
                {
                    if (!visited.Contains(node.Dependencies[i].Key))
                    {
                        stack.Push((node.Dependencies[i], false));
                    }
                }
            }

            return order;
        }

        public override string ToString() => Key;

        private static object? ToWire(object? value, List<DaskNode> dependencies)
        {
            switch (value)
            {
                case DaskNode node:
                    dependencies.Add(node);
                    return new TaskRef(node.Key);
                case string or byte[] or null:
                    return value;
                case System.Collections.IDictionary map:
                    var wireMap = new MsgMap(map.Count);
                    foreach (System.Collections.DictionaryEntry entry in map)
                    {
                        wireMap[entry.Key] = ToWire(entry.Value, dependencies);
                    }

                    return wireMap;
                case System.Collections.IEnumerable items:
                    return items.Cast<object?>().Select(i => ToWire(i, dependencies)).ToArray();
                default:
                    return value;
            }
        }
    }

    /// <summary>How a task is scheduled: pinning, resources, retries, priority, an explicit key.</summary>
    public enum DaskNodeState
    {
        /// <summary>Not submitted to any client yet.</summary>
        New,

        /// <summary>Submitted, not finished: waiting for dependencies, a worker or a slot.</summary>
        Pending,

        /// <summary>Running on a worker (as the scheduler said when last asked).</summary>
        Processing,

        /// <summary>Finished: the result is in a worker's memory.</summary>
        Memory,

        Erred,

        Cancelled,

        /// <summary>The client lost its scheduler before the node finished.</summary>
        Lost,

        /// <summary>Its client no longer follows it (released, or the client shut down after it finished).</summary>
        Released,
    }

    public sealed class DaskTaskOptions
    {
        public static readonly DaskTaskOptions Default = new DaskTaskOptions();

        /// <summary>Worker addresses (or hosts) the task must run on.</summary>
        public IReadOnlyList<string>? Workers { get; set; }

        /// <summary>Resources the task needs besides the DaskPS routing resource.</summary>
        public IReadOnlyDictionary<string, double>? Resources { get; set; }

        /// <summary>dask's own retries: the scheduler reruns the task this many times.</summary>
        public int Retries { get; set; }

        /// <summary>Higher runs first (dask's user priority).</summary>
        public int Priority { get; set; }

        /// <summary>Use this key instead of the computed one.</summary>
        public string? Key { get; set; }
    }

    /// <summary>dask-style keys: the task's name and a hash of everything it computes from.</summary>
    internal static class NodeKeys
    {
        public static string For(string name, TaskSpec spec) => $"{Sanitize(name)}-{Hash(spec.ToPayload().Frames)}";

        public static string ForData(SerializedPayload encodedValue, string typeName) => $"{Sanitize(typeName)}-{Hash(encodedValue.Frames)}";

        // One per thread, reused (GetHashAndReset leaves it empty): making one costs more than hashing a spec.
        [ThreadStatic]
        private static IncrementalHash? t_sha256;

        /// <summary>
        /// All frames, in place: a large byte value is a bin header frame plus the bytes, so hashing the first frame alone
        /// would give every value of one length the same key. Split or not, a value hashes the same.
        /// </summary>
        private static string Hash(IReadOnlyList<ReadOnlyMemory<byte>> frames)
        {
            IncrementalHash hash = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            try
            {
                foreach (ReadOnlyMemory<byte> frame in frames)
                {
                    ArraySegment<byte> segment = MemoryMarshal.TryGetArray(frame, out ArraySegment<byte> array) ? array : new ArraySegment<byte>(frame.ToArray());
                    hash.AppendData(segment.Array!, segment.Offset, segment.Count);
                }
            }
            catch
            {
                // A copy that failed part way (out of memory) must not leave its frames in the thread's next key.
                hash.GetHashAndReset();
                throw;
            }

            return ToHex(hash.GetHashAndReset(), 16);
        }

        // At most 40 chars of the name, each one a key can hold or '_'; every task pays this.
        private static string Sanitize(string name)
        {
            if (name.Length == 0)
            {
                return "task";
            }

            var chars = new char[Math.Min(name.Length, 40)];
            for (int i = 0; i < chars.Length; i++)
            {
                char c = name[i];
                chars[i] = char.IsLetterOrDigit(c) || c == '_' || c == '.' ? c : '_';
            }

            return new string(chars);
        }

        private static string ToHex(byte[] bytes, int count)
        {
            var chars = new char[count * 2];
            const string digits = "0123456789abcdef";
            for (int i = 0; i < count; i++)
            {
                chars[2 * i] = digits[bytes[i] >> 4];
                chars[(2 * i) + 1] = digits[bytes[i] & 0xf];
            }

            return new string(chars);
        }
    }
}
