using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using DaskPS.Buffers;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Worker;
using Xunit;

namespace DaskPS.Core.Tests.Buffers
{
    public sealed class LargeArraysTests
    {
        [Fact]
        public void Values_a_worker_drops_or_clears_are_collected_before_the_next_large_array()
        {
            var store = new DataStore();
            List<WeakReference> held = Fill(store, count: 4, bytes: 64 << 20);
            Assert.True(store.Remove(0));
            Assert.True(store.Remove(1));
            // A worker that loses its scheduler clears the rest; either half alone is too little to collect for.
            store.Clear();

            // 256 MB dropped: the next large array is preceded by a full collection, so it reuses their memory.
            byte[] next = LargeArrays.Allocate(LargeArrays.Threshold);
            Assert.Equal(LargeArrays.Threshold, next.Length);
            Assert.All(held, reference => Assert.False(reference.IsAlive));
            Assert.Equal(0, store.Count);
            Assert.False(store.Remove(0));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static List<WeakReference> Fill(DataStore store, int count, int bytes)
        {
            var references = new List<WeakReference>();
            for (int i = 0; i < count; i++)
            {
                var value = new byte[bytes];
                references.Add(new WeakReference(value));
                store.Put(i, new SerializedPayload(new MsgMap(1).With("serializer", "pickle"), new ReadOnlyMemory<byte>[] { value }));
            }

            return references;
        }
    }
}
