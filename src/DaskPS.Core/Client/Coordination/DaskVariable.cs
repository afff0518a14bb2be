using System;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;

namespace DaskPS.Client.Coordination
{
    /// <summary>
    /// A dask variable (distributed.Variable) on the scheduler: one value under a name, shared by every client of the
    /// scheduler. The value is a plain msgpack value or a node (a future to Python clients).
    /// </summary>
    public sealed class DaskVariable
    {
        private readonly DaskClient _client;

        public DaskVariable(DaskClient client, string name)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            Name = string.IsNullOrEmpty(name) ? throw new ArgumentException("A variable needs a name.", nameof(name)) : name;
        }

        public string Name { get; }

        /// <summary>Sets the value (replacing any).</summary>
        /// <exception cref="DaskValueNotPlainException">The value is not a node nor a plain msgpack value.</exception>
        public async Task SetAsync(object? value, CancellationToken cancellationToken = default)
        {
            (string field, object? wire) = CoordinationRecords.ToField(value, $"The variable '{Name}'", _client);
            await _client.CallSchedulerAsync("variable_set", new (string, object?)[] { ("name", Name), (field, wire) }, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The value, waiting up to <paramref name="timeout"/> (null: until one is set) for the variable to be set.</summary>
        /// <returns>Found false when the variable was not set within <paramref name="timeout"/>.</returns>
        public async Task<(bool Found, object? Value)> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            object? record = null;
            bool found = await SlicedWait.UntilAsync(async (seconds, call) =>
            {
                try
                {
                    record = await _client.CallSchedulerAsync("variable_get", new (string, object?)[]
                    {
                        ("name", Name), ("timeout", seconds), ("client", _client.Id),
                    }, call).ConfigureAwait(false);
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

            // The scheduler keeps a future's key for this reader until it confirms it has the future.
            string? token = (record as MsgMap)?.Get("token") as string;
            object? value = CoordinationRecords.FromRecord(record, _client, $"The variable '{Name}'", key => _client.SendToScheduler(new MsgMap(4)
                .With("op", _client.Dialect.VariableFutureReceivedOp).With("name", Name).With("key", key).With("token", token)));
            return (true, value);
        }

        /// <summary>Deletes the variable for every client (sent on the client's stream, as dask's clients do).</summary>
        public void Delete() => _client.SendToScheduler(new MsgMap(2).With("op", "variable_delete").With("name", Name));
    }
}
