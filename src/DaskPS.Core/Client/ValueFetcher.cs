using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Diagnostics;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Rpc;
using DaskPS.Tasks;

namespace DaskPS.Client
{
    /// <summary>A client's reads of values: who holds what, and fetching values from their holders.</summary>
    internal sealed class ValueFetcher
    {
        private readonly ConnectionPool _pool;
        private readonly SchedulerCalls _scheduler;
        private readonly DaskLogger _log;
        private readonly int _maxValueBytes;

        public ValueFetcher(ConnectionPool pool, SchedulerCalls scheduler, DaskLogger log, int maxValueBytes)
        {
            _pool = pool;
            _scheduler = scheduler;
            _log = log;
            _maxValueBytes = maxValueBytes;
        }

        /// <summary>Values of keys in memory: straight from the holding workers, the scheduler's gather for the rest.</summary>
        public async Task<IReadOnlyDictionary<string, object?>> FetchAsync(IReadOnlyList<string> keys, bool viaScheduler, CancellationToken cancellationToken)
        {
            var payloads = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (keys.Count == 0)
            {
                return payloads;
            }

            IReadOnlyDictionary<string, IReadOnlyList<string>> whoHas = await _scheduler.WhoHasAsync(keys.Cast<object?>().ToArray(), cancellationToken).ConfigureAwait(false);
            var byWorker = keys.Where(k => whoHas.TryGetValue(k, out var holders) && holders.Count > 0)
                .GroupBy(k => whoHas[k][0], StringComparer.Ordinal);
            await Task.WhenAll(byWorker.Select(async group =>
            {
                try
                {
                    var request = new GetDataRequest(group.ToArray<object?>(), Who: null, MayRefuse: !_scheduler.Dialect.ClientsCanForbidBusy);
                    GetDataReply reply = await DataExchange.RequestAsync(_pool, group.Key, request, cancellationToken).ConfigureAwait(false);
                    lock (payloads)
                    {
                        foreach (KeyValuePair<object, object?> entry in reply.Data)
                        {
                            payloads[(string)entry.Key] = entry.Value;
                        }
                    }
                }
                catch (DaskException e)
                {
                    _log.Debug($"direct gather from {group.Key} failed ({e.Message}); asking the scheduler");
                }
            })).ConfigureAwait(false);

            string[] missing = keys.Where(k => !payloads.ContainsKey(k)).ToArray();
            string[] unheld = missing.Where(k => !whoHas.TryGetValue(k, out var holders) || holders.Count == 0).ToArray();
            if (unheld.Length > 0)
            {
                // Nobody holds them (a holder left): the scheduler's gather could not either, and logs an error for trying.
                throw new KeysUnavailableException($"No worker holds {string.Join(", ", unheld)} any more");
            }

            if (missing.Length > 0 && !viaScheduler)
            {
                throw new KeysUnavailableException($"The holders of {string.Join(", ", missing)} did not hand them over");
            }

            if (missing.Length > 0)
            {
                (IReadOnlyDictionary<object, object?>? data, string reply) = await _scheduler.GatherAsync(missing, cancellationToken).ConfigureAwait(false);
                if (data is null)
                {
                    throw new KeysUnavailableException($"The scheduler could not gather {string.Join(", ", missing)}: {reply}");
                }

                foreach (KeyValuePair<object, object?> entry in data)
                {
                    payloads[(string)entry.Key] = entry.Value;
                }
            }

            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (string key in keys)
            {
                if (!payloads.TryGetValue(key, out object? payload))
                {
                    throw new KeysUnavailableException($"No worker returned the value of '{key}'.");
                }

                values[key] = TaskValues.FromWire(payload is SerializedPayload serialized ? DaskSerialization.FromPayload(serialized, _maxValueBytes) : payload);
            }

            return values;
        }
    }
}
