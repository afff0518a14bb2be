using System;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Worker;
using Xunit;

namespace DaskPS.Core.Tests.Worker
{
    public sealed class DataStoreTests
    {
        private static SerializedPayload Bytes(int count) =>
            new SerializedPayload(new MsgMap(1).With("serializer", "pickle"), new ReadOnlyMemory<byte>[] { new byte[count] });

        [Fact]
        public void Dropping_large_values_hands_their_memory_back_to_the_collector()
        {
            var store = new DataStore();
            for (int i = 0; i < 4; i++)
            {
                store.Put(i, Bytes(64 << 20));
            }

            int before = GC.CollectionCount(2);
            for (int i = 0; i < 4; i++)
            {
                Assert.True(store.Remove(i));
            }

            // 256 MB of large values dropped: one full collection, so the next large array reuses their pages.
            Assert.True(GC.CollectionCount(2) > before);
            Assert.Equal(0, store.Count);
            Assert.False(store.Remove(0));
        }
    }
}
