using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Dialects;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;

namespace DaskPS.Protocol.Messages
{
    /// <summary>The scheduler's request/reply operations a client uses, with their arguments and replies typed.</summary>
    internal sealed class SchedulerCalls
    {
        private readonly ConnectionPool _pool;
        private readonly string _address;

        public SchedulerCalls(ConnectionPool pool, string address)
        {
            _pool = pool;
            _address = address;
        }

        private DaskRpc Scheduler => _pool[_address];

        public string Address => _address;

        /// <summary>The scheduler's dialect, set once the link is up.</summary>
        public SchedulerDialect Dialect { get; set; } = null!;

        /// <summary>Any scheduler op, untyped: the coordination extensions' calls are typed where they are used (Client/Coordination).</summary>
        public Task<object?> CallAsync(string op, (string, object?)[] arguments, CancellationToken cancellationToken) =>
            Scheduler.CallAsync(op, arguments, cancellationToken);

        /// <summary>scatter: places serialized values (key to payload) on workers.</summary>
        public async Task ScatterAsync(IReadOnlyDictionary<string, SerializedPayload> data, IReadOnlyList<string>? workers, string clientId, bool broadcast, CancellationToken cancellationToken)
        {
            var values = new MsgMap(data.Count);
            foreach (KeyValuePair<string, SerializedPayload> entry in data)
            {
                values[entry.Key] = entry.Value;
            }

            object? reply = await Scheduler.CallAsync("scatter", new (string, object?)[]
            {
                ("data", values), ("workers", Strings(workers)), ("client", clientId), ("broadcast", broadcast), ("timeout", 20L),
            }, cancellationToken).ConfigureAwait(false);
            if (reply is not object?[])
            {
                throw new DaskException($"The scheduler refused the scatter: {WireFields.Describe(reply)}");
            }
        }

        public Task ReplicateAsync(object?[] keys, int? copies, IReadOnlyList<string>? workers, CancellationToken cancellationToken) =>
            Scheduler.CallAsync("replicate", new (string, object?)[]
            {
                ("keys", keys), ("n", copies is int n ? (object)(long)n : null), ("workers", Strings(workers)), ("branching_factor", 2L),
            }, cancellationToken);

        public async Task<bool> IsActiveMemoryManagerRunningAsync(CancellationToken cancellationToken) =>
            await Scheduler.CallAsync("amm_handler", new (string, object?)[] { ("method", "running") }, cancellationToken).ConfigureAwait(false) is true;

        public Task CancelAsync(object?[] keys, string clientId, bool force, CancellationToken cancellationToken) =>
            Scheduler.CallAsync("cancel", Dialect.CancelArguments(keys, clientId, force), cancellationToken);

        public Task RetryAsync(string key, string clientId) =>
            Scheduler.CallAsync("retry", new (string, object?)[] { ("keys", new object?[] { key }), ("client", clientId) });

        public Task RetireWorkersAsync(IEnumerable<string> workers, CancellationToken cancellationToken) =>
            Scheduler.CallAsync("retire_workers", new (string, object?)[]
            {
                ("workers", workers.Cast<object?>().ToArray()), ("close_workers", true), ("remove", true),
            }, cancellationToken);

        /// <summary>get_task_status: each key's state on the scheduler (null for a key it does not know).</summary>
        public async Task<IReadOnlyDictionary<string, string?>> TaskStatusAsync(object?[] keys, CancellationToken cancellationToken)
        {
            object? reply = await Scheduler.CallAsync("get_task_status", new (string, object?)[] { ("keys", keys) }, cancellationToken).ConfigureAwait(false);
            var result = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (KeyValuePair<object, object?> entry in reply as MsgMap ?? new MsgMap())
            {
                if (entry.Key is string key)
                {
                    result[key] = entry.Value as string;
                }
            }

            return result;
        }

        /// <summary>who_has: each key's holders.</summary>
        public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> WhoHasAsync(object?[] keys, CancellationToken cancellationToken)
        {
            object? reply = await Scheduler.CallAsync("who_has", new (string, object?)[] { ("keys", keys) }, cancellationToken).ConfigureAwait(false);
            var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (KeyValuePair<object, IReadOnlyList<string>> entry in WireFields.WhoHas(reply))
            {
                result[(string)entry.Key] = entry.Value;
            }

            return result;
        }

        /// <summary>gather through the scheduler: each key's value, or null when the scheduler could not gather them (with why).</summary>
        public async Task<(IReadOnlyDictionary<object, object?>? Data, string Reply)> GatherAsync(string[] keys, CancellationToken cancellationToken)
        {
            object? reply = await Scheduler.CallAsync("gather", new (string, object?)[]
            {
                ("keys", keys.Cast<object?>().ToArray()), ("serializers", GetDataRequest.Serializers),
            }, cancellationToken).ConfigureAwait(false);
            return reply is MsgMap map && map.Get("status") is "OK" && map.Get("data") is MsgMap data
                ? (data, string.Empty)
                : (null, WireFields.Describe(reply));
        }

        /// <summary>Polls identity until the scheduler has <paramref name="count"/> workers; a DaskTimeoutException after <paramref name="timeout"/>.</summary>
        public async Task WaitForWorkersAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            int seen = 0;
            while (DateTime.UtcNow < deadline)
            {
                seen = (await IdentityWorkersAsync(cancellationToken).ConfigureAwait(false)).Count;
                if (seen >= count)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            }

            throw new DaskTimeoutException($"The scheduler at {_address} has {seen} of the {count} workers asked for after {timeout.TotalSeconds:0.#} s.");
        }

        /// <summary>identity and has_what: the workers and what each holds.</summary>
        public async Task<IReadOnlyList<DaskWorkerInfo>> WorkersAsync(CancellationToken cancellationToken)
        {
            MsgMap identityWorkers = await IdentityWorkersAsync(cancellationToken).ConfigureAwait(false);
            var hasWhat = await Scheduler.CallAsync("has_what", Array.Empty<(string, object?)>(), cancellationToken).ConfigureAwait(false) as MsgMap;
            var workers = new List<DaskWorkerInfo>();
            foreach (KeyValuePair<object, object?> entry in identityWorkers)
            {
                var address = (string)entry.Key;
                var info = entry.Value as MsgMap ?? new MsgMap();
                var held = KeyLists.Of(hasWhat?.Get(address)).Select(k => k?.ToString() ?? string.Empty).ToArray();
                var resources = new Dictionary<string, double>();
                foreach (KeyValuePair<object, object?> resource in info.Get("resources") as MsgMap ?? new MsgMap())
                {
                    if (resource.Key is string name && resource.Value is long or double)
                    {
                        resources[name] = Convert.ToDouble(resource.Value, CultureInfo.InvariantCulture);
                    }
                }

                workers.Add(new DaskWorkerInfo(address, info.Get("name")?.ToString(), info.Get("nthreads") is long n ? (int)n : 0,
                    resources, info.Get("memory_limit") is long m ? m : 0, held));
            }

            return workers;
        }

        private async Task<MsgMap> IdentityWorkersAsync(CancellationToken cancellationToken) =>
            (await Scheduler.CallAsync("identity", Array.Empty<(string, object?)>(), cancellationToken).ConfigureAwait(false) as MsgMap)?.Get("workers") as MsgMap ?? new MsgMap();

        private static object?[]? Strings(IReadOnlyList<string>? items) => items?.Cast<object?>().ToArray();
    }
}
