using System;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Protocol;
using DaskPS.Protocol.Messages;

namespace DaskPS.Rpc
{
    /// <summary>
    /// The get_data exchange, both sides: the holder sends the values and keeps the connection until the requester
    /// acknowledges with "OK"; a holder with too many transfers may answer "busy" instead.
    /// </summary>
    public static class DataExchange
    {
        /// <summary>Asks <paramref name="peer"/> for values on a pooled comm; a busy reply comes back as <see cref="GetDataReply.Busy"/>.</summary>
        public static async Task<GetDataReply> RequestAsync(ConnectionPool pool, string peer, GetDataRequest request, CancellationToken cancellationToken)
        {
            DaskComm comm = await pool.AcquireAsync(peer, cancellationToken).ConfigureAwait(false);
            try
            {
                await comm.WriteAsync(request.ToMap(), cancellationToken).ConfigureAwait(false);
                GetDataReply reply = GetDataReply.FromReply(
                    RemoteErrors.ThrowIfError(await comm.ReadAsync(cancellationToken).ConfigureAwait(false), peer, "get_data"), peer);
                if (!reply.IsBusy)
                {
                    await comm.WriteAsync("OK", cancellationToken).ConfigureAwait(false);
                }

                pool.Release(peer, comm);
                return reply;
            }
            catch
            {
                pool.Discard(comm);
                throw;
            }
        }

        /// <summary>Sends <paramref name="reply"/> and, unless it is "busy", waits up to <paramref name="ackTimeout"/> for the requester's "OK".</summary>
        public static async Task ServeAsync(DaskComm comm, GetDataReply reply, TimeSpan ackTimeout, CancellationToken cancellationToken)
        {
            await comm.WriteAsync(reply.ToMap(), cancellationToken).ConfigureAwait(false);
            if (reply.IsBusy)
            {
                return;
            }

            using var ack = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ack.CancelAfter(ackTimeout);
            object? answer = await comm.ReadAsync(ack.Token).ConfigureAwait(false);
            if (answer is not "OK")
            {
                throw new DaskProtocolException($"{comm.PeerAddress} answered get_data with {answer ?? "nil"} instead of \"OK\".");
            }
        }
    }
}
