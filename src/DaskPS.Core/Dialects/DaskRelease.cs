using System;
using System.Globalization;

namespace DaskPS.Dialects
{
    /// <summary>
    /// A dask.distributed release number as the scheduler reports it ("2024.12.1", "2023.3.2.1", "2025.4.0+12.gabc"):
    /// its numeric parts, compared part by part. Local suffixes (Debian's "+ds", a development build's "+12.g…") are
    /// kept in the text but do not change the order.
    /// </summary>
    public readonly struct DaskRelease : IComparable<DaskRelease>, IEquatable<DaskRelease>
    {
        private readonly int[] _parts;

        private DaskRelease(int[] parts, string text)
        {
            _parts = parts;
            Text = text;
        }

        public string Text { get; }

        public static DaskRelease Parse(string version)
        {
            if (!TryParse(version, out DaskRelease release))
            {
                throw new FormatException($"'{version}' is not a dask.distributed release number (year.month.patch).");
            }

            return release;
        }

        public static bool TryParse(string? version, out DaskRelease release)
        {
            release = default;
            if (string.IsNullOrWhiteSpace(version))
            {
                return false;
            }

            string numeric = version!.Trim();
            int end = numeric.IndexOfAny(new[] { '+', '-', 'a', 'b', 'r', 'd' });
            string[] pieces = (end < 0 ? numeric : numeric.Substring(0, end)).TrimEnd('.').Split('.');
            if (pieces.Length < 2 || pieces.Length > 4)
            {
                return false;
            }

            var parts = new int[pieces.Length];
            for (int i = 0; i < pieces.Length; i++)
            {
                if (!int.TryParse(pieces[i], NumberStyles.None, CultureInfo.InvariantCulture, out parts[i]))
                {
                    return false;
                }
            }

            release = new DaskRelease(parts, version.Trim());
            return true;
        }

        public int CompareTo(DaskRelease other)
        {
            int[] mine = _parts ?? Array.Empty<int>();
            int[] theirs = other._parts ?? Array.Empty<int>();
            for (int i = 0; i < Math.Max(mine.Length, theirs.Length); i++)
            {
                int difference = (i < mine.Length ? mine[i] : 0).CompareTo(i < theirs.Length ? theirs[i] : 0);
                if (difference != 0)
                {
                    return difference;
                }
            }

            return 0;
        }

        public bool Equals(DaskRelease other) => CompareTo(other) == 0;

        public override bool Equals(object? obj) => obj is DaskRelease other && Equals(other);

        public override int GetHashCode()
        {
            int hash = 17;
            int[] parts = _parts ?? Array.Empty<int>();
            int length = parts.Length;
            while (length > 0 && parts[length - 1] == 0)
            {
                length--;
            }

            for (int i = 0; i < length; i++)
            {
                hash = (hash * 31) + parts[i];
            }

            return hash;
        }

        public static bool operator <(DaskRelease left, DaskRelease right) => left.CompareTo(right) < 0;

        public static bool operator >(DaskRelease left, DaskRelease right) => left.CompareTo(right) > 0;

        public static bool operator <=(DaskRelease left, DaskRelease right) => left.CompareTo(right) <= 0;

        public static bool operator >=(DaskRelease left, DaskRelease right) => left.CompareTo(right) >= 0;

        public static bool operator ==(DaskRelease left, DaskRelease right) => left.Equals(right);

        public static bool operator !=(DaskRelease left, DaskRelease right) => !left.Equals(right);

        public override string ToString() => Text ?? string.Empty;
    }
}
