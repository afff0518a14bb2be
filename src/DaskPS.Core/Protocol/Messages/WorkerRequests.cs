using System;
using System.Collections.Generic;
using System.Linq;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Protocol.Messages
{
    // The request/reply operations a worker serves besides get_data: decoded from requests, encoded as replies.

    /// <summary>update_data: values pushed to this worker (scatter), reported to the scheduler when asked.</summary>
    public sealed class UpdateData
    {
        private UpdateData(IReadOnlyDictionary<object, object?> data, bool report, object? stimulusId)
        {
            Data = data;
            Report = report;
            StimulusId = stimulusId;
        }

        public IReadOnlyDictionary<object, object?> Data { get; }

        public bool Report { get; }

        public object? StimulusId { get; }

        internal static UpdateData FromMap(MsgMap request) =>
            new UpdateData(request.Get("data") as MsgMap ?? new MsgMap(), request.Get("report") is true, request.Get("stimulus_id"));

        /// <summary>The reply: each stored key's size.</summary>
        internal static MsgMap Reply(IReadOnlyDictionary<object, long> sizes)
        {
            var nbytes = new MsgMap(sizes.Count);
            foreach (KeyValuePair<object, long> entry in sizes)
            {
                nbytes[entry.Key] = entry.Value;
            }

            return new MsgMap(2).With("nbytes", nbytes).With("status", "OK");
        }
    }

    internal static class WorkerRequests
    {
        /// <summary>The keys of free_keys or delete_data.</summary>
        public static IReadOnlyList<object?> Keys(MsgMap request) => KeyLists.Of(request.Get("keys"));

        /// <summary>The who_has of gather (the replicate path).</summary>
        public static IReadOnlyDictionary<object, IReadOnlyList<string>> WhoHas(MsgMap request) => WireFields.WhoHas(request.Get("who_has"));

        /// <summary>gather's reply: OK, or the keys it could not fetch.</summary>
        public static MsgMap GatherReply(IReadOnlyList<object?> failed) => failed.Count == 0
            ? new MsgMap(1).With("status", "OK")
            : new MsgMap(2).With("status", "partial-fail").With("keys", failed.ToArray());
    }

    /// <summary>
    /// daskps_stop_runs, which only DaskPS workers serve: how the runs of cancelled keys ended after their stop, and
    /// whether to give up those that ignore it.
    /// </summary>
    public sealed record StopRuns(IReadOnlyList<object?> Keys, bool GiveUp, TimeSpan Grace)
    {
        public const string Op = "daskps_stop_runs";

        /// <summary>Longest a worker waits for runs to stop before it answers.</summary>
        public static readonly TimeSpan MaxGrace = TimeSpan.FromSeconds(10);

        internal (string Name, object? Value)[] Arguments() =>
            new (string, object?)[] { ("keys", Keys.ToArray()), ("give_up", GiveUp), ("grace", Grace.TotalSeconds) };

        internal static StopRuns FromMap(MsgMap request)
        {
            double seconds = request.Get("grace") switch { double d => d, long l => l, _ => 0 };
            var grace = TimeSpan.FromSeconds(double.IsNaN(seconds) ? 0 : Math.Max(0, Math.Min(seconds, MaxGrace.TotalSeconds)));
            return new StopRuns(KeyLists.Of(request.Get("keys")), request.Get("give_up") is true, grace);
        }
    }
}
