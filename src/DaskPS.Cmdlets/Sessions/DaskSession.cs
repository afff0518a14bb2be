using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Sessions
{
    /// <summary>A connection to a dask scheduler, and whatever Connect-DaskScheduler -Local started for it.</summary>
    public sealed class DaskSession
    {
        private readonly List<IAsyncDisposable> _owned = new List<IAsyncDisposable>();

        internal DaskSession(DaskClient client)
        {
            Client = client;
        }

        public string Address => Client.SchedulerAddress;

        public string ClientId => Client.Id;

        /// <summary>The dask.distributed release family the scheduler speaks.</summary>
        public string SchedulerVersion => Client.Dialect.Release.Text;

        public bool IsConnected => Client.IsConnected;

        /// <summary>Whether this session started its own scheduler and workers (-Local).</summary>
        public bool IsLocal => _owned.Count > 0;

        public DaskClient Client { get; }

        internal void Own(IAsyncDisposable resource) => _owned.Add(resource);

        /// <summary>Shuts the client down, then stops what the session started, newest first.</summary>
        internal async Task CloseAsync()
        {
            try
            {
                await Client.ShutdownAsync().ConfigureAwait(false);
            }
            finally
            {
                for (int i = _owned.Count - 1; i >= 0; i--)
                {
                    await _owned[i].DisposeAsync().ConfigureAwait(false);
                }

                _owned.Clear();
            }
        }

        public override string ToString() => $"{Address} ({(IsConnected ? "connected" : "closed")})";
    }

    /// <summary>Every open session of this process, and the default one of each runspace.</summary>
    internal static class SessionRegistry
    {
        private static readonly object Gate = new object();
        private static readonly List<DaskSession> Sessions = new List<DaskSession>();
        private static readonly Dictionary<Guid, DaskSession> Defaults = new Dictionary<Guid, DaskSession>();
        private static readonly ConditionalWeakTable<DaskClient, DaskSession> ByClient = new ConditionalWeakTable<DaskClient, DaskSession>();

        public static IReadOnlyList<DaskSession> All
        {
            get
            {
                lock (Gate)
                {
                    return Sessions.ToArray();
                }
            }
        }

        public static void Add(DaskSession session, bool makeDefault)
        {
            lock (Gate)
            {
                Sessions.Add(session);
                ByClient.Remove(session.Client);
                ByClient.Add(session.Client, session);
                if (makeDefault)
                {
                    Defaults[CurrentRunspace] = session;
                }
            }
        }

        public static DaskSession? Default
        {
            get
            {
                lock (Gate)
                {
                    return Defaults.TryGetValue(CurrentRunspace, out DaskSession? session) ? session : null;
                }
            }
        }

        /// <summary>The session of a client: the one connected for it, else one made now (a worker's client for its tasks).</summary>
        public static DaskSession Of(DaskClient client)
        {
            lock (Gate)
            {
                return ByClient.GetValue(client, c => new DaskSession(c));
            }
        }

        /// <summary>The session a task reaches its own cluster through: its worker's client, connected on first use.</summary>
        public static async Task<DaskSession> ForTaskAsync(TaskRun run, CancellationToken cancellationToken) =>
            Of(await run.GetClientAsync(cancellationToken).ConfigureAwait(false));

        public static void Remove(DaskSession session)
        {
            lock (Gate)
            {
                Sessions.Remove(session);
                foreach (Guid runspace in Defaults.Where(p => p.Value == session).Select(p => p.Key).ToList())
                {
                    Defaults.Remove(runspace);
                }
            }
        }

        private static Guid CurrentRunspace => Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;
    }
}
