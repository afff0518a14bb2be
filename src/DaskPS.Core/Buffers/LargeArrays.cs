using System;
using System.Buffers;
using System.Reflection;
using System.Threading;

namespace DaskPS.Buffers
{
    /// <summary>
    /// Byte arrays of 16 MB and more that hold received values, and the memory they come from. A new large array
    /// lands on fresh pages the kernel must supply (about a second per GB on a small VM, against a tenth of that for
    /// pages the process already holds) unless the GC has taken back the arrays let go before it, which it may not do
    /// for a long time when the heap has no other pressure. So before each new one, once 256 MB of large arrays were
    /// received or dropped since the last time, the process collects: by then the old values are unreachable (when a
    /// value is dropped, a reply carrying it may still be waiting for its acknowledgement).
    /// </summary>
    internal static class LargeArrays
    {
        public const int Threshold = 16 << 20;

        private const long CollectAfter = 256 << 20;

        /// <summary>The steps a large frame grows through on its way to its full size (see MessageFraming).</summary>
        private const int LargestPooledStep = 128 << 20;

        private static long _sinceCollection;

        /// <summary>
        /// GC.AllocateUninitializedArray where the runtime has it (.NET 5 and later): a received array is overwritten
        /// whole, so zeroing it first would only cost another pass over the memory. netstandard2.0 cannot name it.
        /// </summary>
        private static readonly Func<int, bool, byte[]>? Uninitialized = typeof(GC)
            .GetMethod("AllocateUninitializedArray", BindingFlags.Public | BindingFlags.Static)?
            .MakeGenericMethod(typeof(byte))
            .CreateDelegate(typeof(Func<int, bool, byte[]>)) as Func<int, bool, byte[]>;

        /// <summary>
        /// Pooled growth steps, shared by the whole process and bounded: ArrayPool.Shared keeps one array per size in
        /// every thread that returned one, which for these sizes holds hundreds of MB across the thread pool.
        /// </summary>
        public static ArrayPool<byte> Steps { get; } = ArrayPool<byte>.Create(LargestPooledStep, maxArraysPerBucket: 2);

        /// <summary>An array of <paramref name="length"/> bytes, uninitialized where the runtime allows: the caller fills all of it.</summary>
        public static byte[] Allocate(int length)
        {
            if (length < Threshold)
            {
                return new byte[length];
            }

            CollectIfDue();
            Interlocked.Add(ref _sinceCollection, length);
            return Uninitialized is null ? new byte[length] : Uninitialized(length, false);
        }

        /// <summary>Collects once 256 MB of large arrays were received or dropped since the last time; before work that may allocate large values.</summary>
        public static void CollectIfDue()
        {
            if (Volatile.Read(ref _sinceCollection) >= CollectAfter && Interlocked.Exchange(ref _sinceCollection, 0) >= CollectAfter)
            {
                GC.Collect();
            }
        }

        /// <summary>A held value of <paramref name="bytes"/> was let go: it counts toward the next collection.</summary>
        public static void Dropped(long bytes)
        {
            if (bytes >= Threshold)
            {
                Interlocked.Add(ref _sinceCollection, bytes);
            }
        }
    }
}
