using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;

namespace DaskPS.Protocol
{
    /// <summary>
    /// Best-effort reading of a pickled Python exception for display: the text strings it holds, the exception
    /// class name and its message. Nothing is unpickled or executed.
    /// </summary>
    internal static class PickleText
    {
        private static readonly Regex ExceptionName = new Regex(@"^[A-Z][A-Za-z0-9_]*(Error|Exception|Warning|Exit|Interrupt|Failure)$", RegexOptions.CultureInvariant);
        private static readonly Regex Identifier = new Regex(@"^[A-Za-z_][A-Za-z0-9_.]*$", RegexOptions.CultureInvariant);

        /// <summary>("ZeroDivisionError", "division by zero") from a pickled exception, where they can be found.</summary>
        public static (string? Type, string Message) DescribeException(ReadOnlySpan<byte> pickle)
        {
            List<string> strings = Strings(pickle);
            int typeAt = strings.FindIndex(s => ExceptionName.IsMatch(s));
            string? type = typeAt >= 0 ? strings[typeAt] : null;
            for (int i = typeAt + 1; i < strings.Count; i++)
            {
                if (!Identifier.IsMatch(strings[i]))
                {
                    return (type, strings[i]);
                }
            }

            return (type, type is null ? "a Python exception DaskPS could not read (pickle)" : "(no message)");
        }

        /// <summary>The unicode strings in a pickle, in order (SHORT_BINUNICODE, BINUNICODE, BINUNICODE8).</summary>
        public static List<string> Strings(ReadOnlySpan<byte> pickle)
        {
            var found = new List<string>();
            for (int i = 0; i < pickle.Length; i++)
            {
                long length;
                int header;
                switch (pickle[i])
                {
                    case 0x8c when i + 1 < pickle.Length:
                        length = pickle[i + 1];
                        header = 2;
                        break;
                    case (byte)'X' when i + 4 < pickle.Length:
                        length = BitConverter.ToUInt32(pickle.Slice(i + 1, 4).ToArray(), 0);
                        header = 5;
                        break;
                    default:
                        continue;
                }

                if (length <= 0 || length > pickle.Length - i - header)
                {
                    continue;
                }

                ReadOnlySpan<byte> body = pickle.Slice(i + header, (int)length);
                if (TryText(body, out string? text))
                {
                    found.Add(text!);
                    i += header + (int)length - 1;
                }
            }

            return found;
        }

        private static bool TryText(ReadOnlySpan<byte> bytes, out string? text)
        {
            try
            {
                text = new UTF8Encoding(false, true).GetString(bytes.ToArray());
            }
            catch (DecoderFallbackException)
            {
                text = null;
                return false;
            }

            foreach (char c in text)
            {
                if (char.IsControl(c) && c != '\n' && c != '\t')
                {
                    return false;
                }
            }

            return true;
        }
    }
}
