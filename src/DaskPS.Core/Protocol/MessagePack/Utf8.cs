using System;
using System.Text;

namespace DaskPS.Protocol.MessagePack
{
    /// <summary>Span-based UTF-8 conversions that netstandard2.0 only offers through pointers.</summary>
    internal static class Utf8
    {
        // Strict: invalid UTF-8 from a peer is a protocol error, not a silent U+FFFD.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        public static int GetByteCount(string value) => Strict.GetByteCount(value);

        public static unsafe int GetBytes(string value, Span<byte> destination)
        {
            if (value.Length == 0)
            {
                // Pinning an empty span gives a null pointer, which the encoder refuses.
                return 0;
            }

            fixed (char* chars = value)
            fixed (byte* bytes = destination)
            {
                return Strict.GetBytes(chars, value.Length, bytes, destination.Length);
            }
        }

        public static unsafe string GetString(ReadOnlySpan<byte> utf8)
        {
            if (utf8.IsEmpty)
            {
                return string.Empty;
            }

            try
            {
                fixed (byte* bytes = utf8)
                {
                    return Strict.GetString(bytes, utf8.Length);
                }
            }
            catch (DecoderFallbackException e)
            {
                throw Invalid(e);
            }
        }

        private static DaskProtocolException Invalid(DecoderFallbackException e) => new DaskProtocolException("A msgpack str holds invalid UTF-8.", e);
    }
}
