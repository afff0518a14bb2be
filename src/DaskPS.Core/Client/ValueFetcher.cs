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
        private readonly object _gate = new object();
        private string? _lastSupplier; // the one worker that gave all values of the last fetch, if one did
        private string? _guess;

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

            // When one worker gave the values of the last fetches (one task at a time, a chain, tasks sent to one
            // worker), it is asked for the next ones on the comm still open to it while the scheduler is asked who
            // holds them; when it brings them all first, the values do not wait for the scheduler's answer.
            string? guess;
            lock (_gate)
            {
                guess = _guess is string worker && _pool.HasIdle(worker) ? worker : null;
            }

            using var guessing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<string?> guessed = guess is null ? Task.FromResult<string?>(null) : GuessAsync(guess, keys, payloads, guessing.Token, cancellationToken);
            Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> lookup = _scheduler.WhoHasAsync(keys.Cast<object?>().ToArray(), cancellationToken);
            if (guess is not null && await Task.WhenAny(guessed, lookup).ConfigureAwait(false) == guessed && keys.All(payloads.ContainsKey))
            {
                _ = lookup.ContinueWith(t => t.Exception, TaskScheduler.Default);
                Remember(guess);
                return Decode(keys, payloads);
            }

            IReadOnlyDictionary<string, IReadOnlyList<string>> whoHas;
            try
            {
                whoHas = await lookup.ConfigureAwait(false);
            }
            catch
            {
                guessing.Cancel();
                await guessed.ConfigureAwait(false);
                throw;
            }

            string? Holder(string key) =>
                whoHas.TryGetValue(key, out IReadOnlyList<string>? holders) && holders.Count > 0 ? (holders.Contains(guess!) ? guess : holders[0]) : null;

            // What the guessed worker holds comes with its request in flight (never twice); the rest from its holders.
            if (guess is not null && !keys.Any(k => Holder(k) == guess))
            {
                guessing.Cancel();
            }

            string[] elsewhere;
            lock (payloads)
            {
                elsewhere = keys.Where(k => Holder(k) is string holder && holder != guess && !payloads.ContainsKey(k)).ToArray();
            }

            string?[] suppliers = await Task.WhenAll(elsewhere.GroupBy(k => Holder(k)!, StringComparer.Ordinal)
                .Select(group => GetDataAsync(group.Key, group.ToArray(), payloads, cancellationToken))
                .Append(guessed)).ConfigureAwait(false);

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

            string?[] workers = suppliers.Where(w => w is not null).Distinct(StringComparer.Ordinal).ToArray();
            Remember(missing.Length == 0 && workers.Length == 1 ? workers[0] : null);
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

            return Decode(keys, payloads);
        }

        private IReadOnlyDictionary<string, object?> Decode(IReadOnlyList<string> keys, Dictionary<string, object?> payloads)
        {
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

        /// <summary>
        /// A guess pays when one worker gives value after value; with values spread over workers, a wrong guess would
        /// cost a get_data each time. So the next fetch guesses only after two in a row that one worker gave alone.
        /// </summary>
        private void Remember(string? supplier)
        {
            lock (_gate)
            {
                _guess = supplier is not null && supplier == _lastSupplier ? supplier : null;
                _lastSupplier = supplier;
            }
        }

        /// <summary>A guess that turned out wrong is called off: its values come from their holders.</summary>
        private async Task<string?> GuessAsync(string worker, IReadOnlyList<string> keys, Dictionary<string, object?> payloads, CancellationToken guessing, CancellationToken cancellationToken)
        {
            try
            {
                return await GetDataAsync(worker, keys, payloads, guessing).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        /// <summary>
        /// Adds what <paramref name="worker"/> holds of <paramref name="keys"/> to <paramref name="payloads"/>; a failed
        /// request adds nothing. The worker when it gave any value, else null.
        /// </summary>
        private async Task<string?> GetDataAsync(string worker, IReadOnlyList<string> keys, Dictionary<string, object?> payloads, CancellationToken cancellationToken)
        {
            try
            {
                var request = new GetDataRequest(keys.ToArray<object?>(), Who: null, MayRefuse: !_scheduler.Dialect.ClientsCanForbidBusy);
                GetDataReply reply = await DataExchange.RequestAsync(_pool, worker, request, cancellationToken).ConfigureAwait(false);
                lock (payloads)
                {
                    foreach (KeyValuePair<object, object?> entry in reply.Data)
                    {
                        payloads[(string)entry.Key] = entry.Value;
                    }
                }

                return reply.Data.Count > 0 ? worker : null;
            }
            catch (DaskException e)
            {
                _log.Debug($"direct gather from {worker} failed ({e.Message})");
                return null;
            }
        }
    }
}
