using System;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Protocol.Messages;

namespace DaskPS.Rpc
{
    /// <summary>
    /// Calls operations on one remote server: <c>await rpc.CallAsync("identity")</c> or
    /// <c>await rpc.CallAsync("gather", ("keys", keys))</c>. Comms come from a pool and are reused.
    /// </summary>
    public sealed class DaskRpc
    {
        private readonly ConnectionPool _pool;

        public DaskRpc(string address, ConnectionPool pool)
        {
            Address = address;
            _pool = pool;
        }

        public string Address { get; }

        /// <summary>Deadline for each call; infinite by default, like dask's rpc without a timeout.</summary>
        public TimeSpan Timeout { get; set; } = System.Threading.Timeout.InfiniteTimeSpan;

        public Task<object?> CallAsync(string op, params (string Name, object? Value)[] arguments) =>
            CallAsync(op, arguments, CancellationToken.None);

        public Task<object?> CallAsync(string op, (string Name, object? Value)[] arguments, CancellationToken cancellationToken)
        {
            return _pool.SendRecvAsync(Address, RpcRequest.Create(op, arguments), Timeout, cancellationToken);
        }
    }
}
