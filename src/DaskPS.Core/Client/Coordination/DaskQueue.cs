using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol.MessagePack;
using DaskPS.Protocol.Messages;
using DaskPS.Rpc;

namespace DaskPS.Client.Coordination
{
    /// <summary>
    /// A dask queue (distributed.Queue) on the scheduler: first in, first out, shared by every client of the scheduler
    /// that names it. Items are plain msgpack values or nodes (which Python clients get as futures, and the other way round).
    /// </summary>
    public sealed class DaskQueue
    {
        private readonly DaskClient _client;

        public DaskQueue(DaskClient client, string name)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            Name = string.IsNullOrEmpty(name) ? throw new ArgumentException("A queue needs a name.", nameof(name)) : name;
        }

        public string Name { get; }

        /// <summary>Adds an item at the end; a full queue (one a Python client made with a maxsize) is waited on up to <paramref name="timeout"/>.</summary>
        /// <returns>False when the queue stayed full for <paramref name="timeout"/>.</returns>
        /// <exception cref="DaskValueNotPlainException">The item is not a node nor a plain msgpack value.</exception>
        public Task<bool> PutAsync(object? item, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            (string field, object? value) = CoordinationRecords.ToField(item, $"The queue '{Name}'", _client);
            return SlicedWait.UntilAsync(async (seconds, call) =>
            {
                try
                {
                    await CallAsync("queue_put", call, ("name", Name), (field, value), ("timeout", seconds)).ConfigureAwait(false);
                    return true;
                }
                catch (DaskRemoteException e) when (SlicedWait.IsTimeout(e))
                {
                    return false;
                }
            }, timeout, cancellationToken);
        }

        /// <summary>
        /// Takes the first item, waiting up to <paramref name="timeout"/> (null: until one comes). An item taken as the
        /// wait is cancelled goes back to the end of the queue, so none is lost.
        /// </summary>
        /// <returns>Found false when the queue stayed empty for <paramref name="timeout"/>.</returns>
        public async Task<(bool Found, object? Item)> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            object? record = null;
            bool found = await SlicedWait.UntilAsync(async (seconds, call) =>
            {
                try
                {
                    record = await CallAsync("queue_get", call, ("name", Name), ("timeout", seconds), ("batch", false)).ConfigureAwait(false);
                    return true;
                }
                catch (DaskRemoteException e) when (SlicedWait.IsTimeout(e))
                {
                    return false;
                }
            }, timeout, cancellationToken).ConfigureAwait(false);
            if (!found)
            {
                return (false, null);
            }

            object? item = Read(record);
            if (cancellationToken.IsCancellationRequested)
            {
                using (CancellationTokenSource givingBack = SlicedWait.GivingBack())
                {
                    await PutAsync(item, null, givingBack.Token).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            return (true, item);
        }

        /// <summary>Takes every item the queue holds now, without waiting (dask's <c>get(batch=True)</c>).</summary>
        public async Task<IReadOnlyList<object?>> GetAllAsync(CancellationToken cancellationToken = default)
        {
            object? reply = await CallAsync("queue_get", cancellationToken, ("name", Name), ("timeout", null), ("batch", true)).ConfigureAwait(false);
            if (reply is not object?[] records)
            {
                throw new DaskException($"The scheduler answered a batch get of the queue '{Name}' with {WireFields.Describe(reply)}, not a list.");
            }

            return records.Select(Read).ToArray();
        }

        /// <summary>How many items the queue holds.</summary>
        public async Task<long> CountAsync(CancellationToken cancellationToken = default) =>
            await CallAsync("queue_qsize", cancellationToken, ("name", Name)).ConfigureAwait(false) is long count
                ? count
                : throw new DaskException($"The scheduler did not answer queue_qsize for '{Name}' with a number.");

        private object? Read(object? record) => CoordinationRecords.FromRecord(record, _client, $"The queue '{Name}'",
            key => _client.SendToScheduler(new MsgMap(3).With("op", "queue-future-release").With("name", Name).With("key", key)));

        /// <summary>A queue call, after opening the queue; opened again once if another client closed it meanwhile (KeyError).</summary>
        private async Task<object?> CallAsync(string op, CancellationToken cancellationToken, params (string, object?)[] arguments)
        {
            for (int attempt = 1; ; attempt++)
            {
                await _client.Coordination.OpenQueueAsync(Name, cancellationToken).ConfigureAwait(false);
                try
                {
                    return await _client.CallSchedulerAsync(op, arguments, cancellationToken).ConfigureAwait(false);
                }
                catch (DaskRemoteException e) when (e.RemoteType == "KeyError" && attempt == 1)
                {
                    _client.Coordination.ForgetQueue(Name);
                }
            }
        }
    }
}
