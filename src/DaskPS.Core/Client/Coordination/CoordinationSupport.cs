using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;
using DaskPS.Tasks;

namespace DaskPS.Client.Coordination
{
    /// <summary>
    /// Waiting on the scheduler in slices: every call waits there for at most <see cref="Slice"/>, and cancellation is
    /// looked at between calls. So Ctrl+C ends a wait within a slice, and whatever the scheduler hands over in a call
    /// (a queue item, a lock) reaches the caller, who can give it back, rather than being lost with a dropped
    /// connection. Only a scheduler that does not answer has its call dropped: <see cref="StopGrace"/> after a
    /// cancellation, or <see cref="ReplyGrace"/> past the slice.
    /// </summary>
    internal static class SlicedWait
    {
        public static readonly TimeSpan Slice = TimeSpan.FromSeconds(1);

        private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

        private static readonly TimeSpan ReplyGrace = TimeSpan.FromSeconds(30);

        // The scheduler's asyncio.wait_for gives up at once on a timeout of 0, even when the item is there.
        private const double ShortestSeconds = 0.05;

        /// <summary>
        /// Calls <paramref name="attempt"/> with the seconds the scheduler may wait this time, and the token its call
        /// is dropped by, until it reports done or <paramref name="timeout"/> (null: none) has passed. False when it
        /// timed out.
        /// </summary>
        /// <exception cref="DaskTimeoutException">The scheduler did not answer a call.</exception>
        public static async Task<bool> UntilAsync(Func<double, CancellationToken, Task<bool>> attempt, TimeSpan? timeout, CancellationToken cancellationToken)
        {
            DateTime? deadline = timeout is TimeSpan limit ? DateTime.UtcNow + limit : null;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                TimeSpan wait = deadline is DateTime end && end - DateTime.UtcNow < Slice ? end - DateTime.UtcNow : Slice;
                double seconds = Math.Max(wait.TotalSeconds, ShortestSeconds);
                using var call = new CancellationTokenSource(TimeSpan.FromSeconds(seconds) + ReplyGrace);
                using (cancellationToken.Register(() => call.CancelAfter(StopGrace)))
                {
                    try
                    {
                        if (await attempt(seconds, call.Token).ConfigureAwait(false))
                        {
                            return true;
                        }
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new DaskTimeoutException($"The scheduler did not answer a wait of {seconds:0.##} s within {ReplyGrace.TotalSeconds:0} s more.");
                    }
                }

                if (deadline is DateTime last && DateTime.UtcNow >= last)
                {
                    return false;
                }
            }
        }

        /// <summary>For giving back what a cancelled wait was handed: not cancelled itself, but not waiting on a silent scheduler for ever.</summary>
        public static CancellationTokenSource GivingBack() => new CancellationTokenSource(ReplyGrace);

        /// <summary>Whether <paramref name="error"/> is the scheduler's TimeoutError for a wait that ran out.</summary>
        public static bool IsTimeout(DaskRemoteException error) => error.RemoteType == "TimeoutError";
    }

    /// <summary>
    /// The records queues and variables keep, as dask's clients write and read them: a plain msgpack value travels as
    /// <c>data</c> and comes back as <c>{"type": "msgpack", "value": ...}</c>; a future travels as its <c>key</c> and
    /// comes back as <c>{"type": "Future", "value": key, "state": ...}</c>, a node this client then holds.
    /// </summary>
    internal static class CoordinationRecords
    {
        /// <summary>
        /// The request field for <paramref name="value"/>: ("key", its key) for a node, which <paramref name="client"/>
        /// submits first if it has not (the scheduler must know a future's key), else ("data", the value).
        /// </summary>
        /// <exception cref="DaskValueNotPlainException">The value is not of the plain msgpack family.</exception>
        public static (string Field, object? Value) ToField(object? value, string what, DaskClient client)
        {
            if (value is DaskNode node)
            {
                client.Submit(node);
                return ("key", node.Key);
            }

            RequirePlain(value, what, PlainValues.MaxDepth);
            return ("data", value);
        }

        /// <summary>The value a record holds: the plain value, or for a future a node of this client (after <paramref name="received"/> tells the scheduler).</summary>
        public static object? FromRecord(object? record, DaskClient client, string what, Action<string> received)
        {
            if (record is not MsgMap map)
            {
                throw new DaskException($"The scheduler answered {what} with {DescribeType(record)}, not a record.");
            }

            switch (map.Get("type"))
            {
                case "msgpack":
                    return map.Get("value");
                case "Future" when map.Get("value") is string key:
                    DaskNode node = client.Adopt(new[] { key })[0];
                    received(key);
                    return node;
                case "Future":
                    throw new DaskValueNotPlainException(
                        $"{what} holds a future whose key is {DescribeType(map.Get("value"))}, not a string; DaskPS nodes have string keys only.");
                case var type:
                    throw new DaskValueNotPlainException($"{what} holds a record of type '{type}', which DaskPS does not read (msgpack values and futures only).");
            }
        }

        private static void RequirePlain(object? value, string what, int depthLeft)
        {
            switch (value)
            {
                case null or string or bool or byte[] or long or int or short or sbyte or byte or ushort or uint or ulong or double or float:
                    return;
                case object?[] items when depthLeft > 0:
                    foreach (object? item in items)
                    {
                        RequirePlain(item, what, depthLeft - 1);
                    }

                    return;
                case MsgMap map when depthLeft > 0:
                    foreach (KeyValuePair<object, object?> entry in map)
                    {
                        if (entry.Key is not string)
                        {
                            throw new DaskValueNotPlainException($"{what} can hold maps with string keys only, not a {DescribeType(entry.Key)} key.");
                        }

                        RequirePlain(entry.Value, what, depthLeft - 1);
                    }

                    return;
                case object?[] or MsgMap:
                    throw new DaskValueTooDeepException($"The value for {what} nests more than {PlainValues.MaxDepth} levels deep.");
                case System.Collections.IDictionary:
                    throw new DaskValueNotPlainException($"{what} can hold maps with string keys only; this {DescribeType(value)} has other keys.");
                case DaskNode or TaskRef:
                    throw new DaskValueNotPlainException($"{what} can hold a node itself, not a node inside a list or map (Python clients read such a value as plain data).");
                default:
                    throw new DaskValueNotPlainException(
                        $"{what} holds plain values only (null, booleans, numbers, strings, byte arrays, lists and string-keyed maps of them), which Python clients read too; a {DescribeType(value)} is not one.");
            }
        }

        private static string DescribeType(object? value) => value is null ? "null" : value.GetType().FullName ?? value.GetType().Name;
    }
}
