using System;

namespace DaskPS.Protocol.MessagePack
{
    /// <summary>
    /// The str map keys of dask's messages are its field names, the same few dozen in every message. A fixed table
    /// holds the last name decoded per hash slot and hands it back while it matches, so the usual names are neither
    /// decoded nor allocated again. Written here because a general interner (a weak table, thread-safe) costs as much as
    /// the decode it saves for names this short (about 60 ns a name, against 20 ns here); a fixed table cannot grow,
    /// whatever names a peer invents.
    /// </summary>
    internal static class FieldNames
    {
        /// <summary>Longer keys are values rather than field names (task keys, addresses); they are decoded each time.</summary>
        public const int MaxBytes = 32;

        private const int Slots = 512;
        private static readonly string?[] Table = new string?[Slots];

        public static string Get(ReadOnlySpan<byte> utf8)
        {
            if (utf8.Length > MaxBytes)
            {
                return Utf8.GetString(utf8);
            }

            int slot = MsgKeyComparer.Fnv(utf8) & (Slots - 1);
            string? cached = Table[slot];
            if (cached is not null && Matches(cached, utf8))
            {
                return cached;
            }

            // Only ASCII names are kept (as many chars as bytes): their bytes compare with their chars one for one.
            // A race between threads costs a miss.
            string name = Utf8.GetString(utf8);
            if (name.Length == utf8.Length)
            {
                Table[slot] = name;
            }

            return name;
        }

        private static bool Matches(string name, ReadOnlySpan<byte> utf8)
        {
            if (name.Length != utf8.Length)
            {
                return false;
            }

            for (int i = 0; i < utf8.Length; i++)
            {
                if (name[i] != utf8[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
