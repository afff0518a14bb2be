using System;
using System.Security.Cryptography;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>The DaskPS side's task functions (the worker processes are this same program).</summary>
    public static class BenchFunctions
    {
        public static long Inc(long x) => x + 1;

        public static long Add(long x, long y) => x + y;

        public static long Total(long[] values)
        {
            long sum = 0;
            foreach (long value in values)
            {
                sum += value;
            }

            return sum;
        }

        /// <summary>Incompressible bytes, as os.urandom gives the Python side.</summary>
        public static byte[] MakeBytes(long count)
        {
            var bytes = new byte[count];
            RandomNumberGenerator.Fill(bytes);
            return bytes;
        }

        public static long Length(byte[] bytes) => bytes.Length;
    }
}
