using System;
using System.Collections.Generic;
using DaskPS.Buffers;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Worker
{
    /// <summary>
    /// The values this worker holds, by key, in wire form (served back byte-identical), with the decoded value
    /// kept once it has been needed as a task argument.
    /// </summary>
    internal sealed class DataStore
    {
        private readonly object _gate = new object();
        private readonly Dictionary<object, Entry> _entries = new Dictionary<object, Entry>(MsgKeyComparer.Instance);

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _entries.Count;
                }
            }
        }

        public long TotalBytes
        {
            get
            {
                lock (_gate)
                {
                    long total = 0;
                    foreach (Entry entry in _entries.Values)
                    {
                        total += entry.Size;
                    }

                    return total;
                }
            }
        }

        public IReadOnlyList<object> Keys
        {
            get
            {
                lock (_gate)
                {
                    return new List<object>(_entries.Keys);
                }
            }
        }

        /// <summary>Stores a payload; returns its size as dask counts nbytes.</summary>
        public long Put(object key, SerializedPayload payload)
        {
            long size = DaskSerialization.SizeOf(payload);
            lock (_gate)
            {
                _entries[key] = new Entry(payload, size);
            }

            return size;
        }

        public bool Contains(object key)
        {
            lock (_gate)
            {
                return _entries.ContainsKey(key);
            }
        }

        public SerializedPayload? Payload(object key)
        {
            lock (_gate)
            {
                return _entries.TryGetValue(key, out Entry? entry) ? entry.Payload : null;
            }
        }

        /// <summary>The value as a task argument (decoded once; a task's messages are left out).</summary>
        public object? Argument(object key)
        {
            Entry entry;
            lock (_gate)
            {
                if (!_entries.TryGetValue(key, out entry!))
                {
                    throw new KeyNotFoundException($"The worker no longer holds '{key}'.");
                }
            }

            return entry.Value;
        }

        public bool Remove(object key)
        {
            lock (_gate)
            {
                if (!_entries.TryGetValue(key, out Entry? entry))
                {
                    return false;
                }

                _entries.Remove(key);
                LargeArrays.Dropped(entry.Size);
                return true;
            }
        }

        public void Clear()
        {
            lock (_gate)
            {
                foreach (Entry entry in _entries.Values)
                {
                    LargeArrays.Dropped(entry.Size);
                }

                _entries.Clear();
            }
        }

        private sealed class Entry
        {
            /// <summary>Larger values are decoded for each use rather than kept twice (wire form and decoded).</summary>
            private const long CacheLimit = 1 << 20;

            private readonly Lazy<object?>? _cached;

            public Entry(SerializedPayload payload, long size)
            {
                Payload = payload;
                Size = size;
                if (size <= CacheLimit)
                {
                    _cached = new Lazy<object?>(Decode);
                }
            }

            public SerializedPayload Payload { get; }

            public long Size { get; }

            public object? Value => _cached is null ? Decode() : _cached.Value;

            private object? Decode() => TaskValues.AsArgument(TaskValues.FromWire(DaskSerialization.FromPayload(Payload)));
        }
    }
}
