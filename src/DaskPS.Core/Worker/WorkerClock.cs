using System;

namespace DaskPS.Worker
{
    /// <summary>The times and stimulus ids the worker puts in its messages.</summary>
    internal static class WorkerClock
    {
        private static readonly DateTime UnixEpoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        /// <summary>Unix time in seconds with sub-millisecond resolution.</summary>
        public static double Now() => (DateTime.UtcNow - UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

        public static string Stimulus(string what) => $"{what}-{Now():0.000}";
    }
}
