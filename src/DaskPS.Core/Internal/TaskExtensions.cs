using System.Threading;
using System.Threading.Tasks;

namespace DaskPS.Internal
{
    internal static class TaskExtensions
    {
        /// <summary>Task.WaitAsync for netstandard2.0: stops waiting (not the task) when the token fires.</summary>
        public static async Task WithCancellation(this Task task, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled || task.IsCompleted)
            {
                await task.ConfigureAwait(false);
                return;
            }

            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken)))
            {
                await (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false)).ConfigureAwait(false);
            }
        }

        /// <summary>The task's result, unless the token fires first: then it stops waiting (not the task).</summary>
        public static async Task<T> WithCancellation<T>(this Task<T> task, CancellationToken cancellationToken)
        {
            await ((Task)task).WithCancellation(cancellationToken).ConfigureAwait(false);
            return await task.ConfigureAwait(false);
        }
    }
}
