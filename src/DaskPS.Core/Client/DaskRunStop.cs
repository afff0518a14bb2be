using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Rpc;

namespace DaskPS.Client
{
    public enum DaskRunStopOutcome
    {
        /// <summary>The run ended after its stop.</summary>
        Stopped,

        /// <summary>The scheduler still wants the task (another client needs it), so it runs on.</summary>
        Kept,

        /// <summary>The run ignores its stop (e.g. it is in native code); its slot stays busy.</summary>
        Stuck,

        /// <summary>The run ignored its stop and its worker gave it up: the slot is free, the thread ends on its own.</summary>
        GivenUp,
    }

    /// <summary>How the run of a cancelled node ended on a DaskPS worker.</summary>
    public sealed record DaskRunStop(string Key, string Worker, DaskRunStopOutcome Outcome)
    {
        /// <summary>Asks each worker how the runs of <paramref name="stop"/>'s keys there ended (workers that run none answer nothing).</summary>
        internal static async Task<IReadOnlyList<DaskRunStop>> AskAsync(ConnectionPool pool, IEnumerable<string> workers, StopRuns stop, CancellationToken cancellationToken)
        {
            async Task<IEnumerable<DaskRunStop>> Ask(string worker)
            {
                object? reply = await pool[worker].CallAsync(StopRuns.Op, stop.Arguments(), cancellationToken).ConfigureAwait(false);
                return (reply as MsgMap ?? new MsgMap())
                    .Where(entry => entry.Key is string)
                    .Select(entry => new DaskRunStop((string)entry.Key, worker, Parse(entry.Value)));
            }

            IEnumerable<DaskRunStop>[] answers = await Task.WhenAll(workers.Select(Ask)).ConfigureAwait(false);
            return answers.SelectMany(a => a).ToList();
        }

        private static DaskRunStopOutcome Parse(object? value) => value switch
        {
            "stopped" => DaskRunStopOutcome.Stopped,
            "kept" => DaskRunStopOutcome.Kept,
            "given-up" => DaskRunStopOutcome.GivenUp,
            "stuck" => DaskRunStopOutcome.Stuck,
            _ => throw new DaskPS.Protocol.DaskProtocolException($"A worker answered {StopRuns.Op} with '{value}', which is no run outcome."),
        };
    }
}
