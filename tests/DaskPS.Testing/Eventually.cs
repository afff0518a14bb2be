using System;
using System.Threading.Tasks;

namespace DaskPS.Testing
{
    /// <summary>Waits for a condition with a deadline, for state that settles asynchronously on the cluster.</summary>
    public static class Eventually
    {
        public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string? what = null)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Still not true after {timeout.TotalSeconds} s{(what is null ? string.Empty : ": " + what)}.");
                }

                await Task.Delay(25).ConfigureAwait(false);
            }
        }

        public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string? what = null) =>
            TrueAsync(() => Task.FromResult(condition()), timeout, what);
    }
}
