using System;
using System.Linq;

namespace DaskPS.Core.Tests.Support
{
    /// <summary>Fixed-seed mutations of real inputs for the fuzz-style tests.</summary>
    internal static class Mutations
    {
        private static readonly byte[] Interesting = { 0x00, 0xff, 0xc1, 0xdb, 0xdd, 0xdf };

        /// <summary>A bit flip, an interesting byte, a truncation, or the caller's own damage (<paramref name="special"/>).</summary>
        public static byte[] Apply(byte[] seed, Random random, Action<byte[], Random> special)
        {
            byte[] copy = (byte[])seed.Clone();
            switch (random.Next(4))
            {
                case 0:
                    copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                    return copy;
                case 1:
                    copy[random.Next(copy.Length)] = Interesting[random.Next(Interesting.Length)];
                    return copy;
                case 2:
                    return copy.Take(random.Next(copy.Length)).ToArray();
                default:
                    special(copy, random);
                    return copy;
            }
        }
    }
}
