using System.Collections.Generic;

namespace DaskPS.Rpc
{
    /// <summary>
    /// A message that takes in the next one of its kind while both wait in a <see cref="BatchedSend"/> buffer, and is
    /// built into the messages it stands for only when its batch is written. Submissions a pipeline makes within one
    /// batch interval so reach the scheduler as one update-graph: most of the scheduler's cost is per message.
    /// </summary>
    public abstract class FoldingMessage
    {
        /// <summary>Takes <paramref name="next"/> in, if it can: then <paramref name="next"/> is not sent on its own.</summary>
        public abstract bool TryFold(FoldingMessage next);

        /// <summary>The messages to write, in order. Called once, on the sender's thread, so it must not throw.</summary>
        public abstract IReadOnlyList<object?> Build();
    }
}
