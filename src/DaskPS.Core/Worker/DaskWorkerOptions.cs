using System;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Diagnostics;
using DaskPS.Tasks;

namespace DaskPS.Worker
{
    public sealed class DaskWorkerOptions
    {
        public DaskWorkerOptions(string schedulerAddress)
        {
            SchedulerAddress = schedulerAddress ?? throw new ArgumentNullException(nameof(schedulerAddress));
        }

        public string SchedulerAddress { get; }

        /// <summary>
        /// Where peers and the scheduler reach this worker; when null, loopback and a free port, over tls:// when
        /// <see cref="CommOptions.Tls"/> is set (as a dask worker with TLS settings listens).
        /// </summary>
        public string? ListenAddress { get; set; }

        internal string ResolvedListenAddress => ListenAddress ?? (Comm.Tls is null ? "tcp" : "tls") + "://127.0.0.1:0";

        /// <summary>
        /// What this worker tells the scheduler and its peers to connect to, as dask's --contact-address: e.g. a routable
        /// address when it listens on every interface or behind a port forward. When null, the address it listens on, or
        /// when it listens on every interface, this host's address on the route to the scheduler (as a dask worker picks
        /// its host). A port of 0 (or none) stands for the port it listens on.
        /// </summary>
        public string? ContactAddress { get; set; }

        internal async Task<string> ResolveContactAddressAsync(string listening, CancellationToken cancellationToken)
        {
            if (ContactAddress is not null)
            {
                DaskAddress contact = DaskAddress.ParseListen(ContactAddress);
                return (contact.Port == 0 ? contact.WithPort(DaskAddress.Parse(listening).Port) : contact).ToString();
            }

            DaskAddress requested = DaskAddress.ParseListen(ResolvedListenAddress);
            DaskAddress scheduler = DaskAddress.Parse(SchedulerAddress);
            if (requested.IsInProc || scheduler.IsInProc || !TcpTransport.IsEveryInterface(requested.Host))
            {
                return listening;
            }

            IPEndPoint route = (await scheduler.ResolveAsync(cancellationToken).ConfigureAwait(false)).ToEndPoint();
            DaskAddress listened = DaskAddress.Parse(listening);
            return TcpTransport.Format(new IPEndPoint(TcpTransport.LocalAddressToward(route), listened.Port), listened.Scheme);
        }

        /// <summary>Unique among the scheduler's workers; generated when null.</summary>
        public string? Name { get; set; }

        /// <summary>Tasks run at once (reported to the scheduler as nthreads).</summary>
        public int Slots { get; set; } = 1;

        /// <summary>Resources to advertise besides the DaskPS routing resource (one unit per slot).</summary>
        public IDictionary<string, double> Resources { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

        /// <summary>Task runtimes by name; the .NET runtime is added when none is named "dotnet".</summary>
        public IList<ITaskRuntime> Runtimes { get; } = new List<ITaskRuntime>();

        public CommOptions Comm { get; set; } = new CommOptions();

        public DaskLogger Logger { get; set; } = DaskLogger.None;

        /// <summary>Reported to the scheduler; DaskPS does not spill.</summary>
        public long MemoryLimit { get; set; } = 4L << 30;

        /// <summary>Dependency transfers in flight to one peer at a time.</summary>
        public int TransfersPerPeer { get; set; } = 2;

        /// <summary>get_data requests served at once before answering "busy" (never to the scheduler).</summary>
        public int MaxIncomingTransfers { get; set; } = 10;

        /// <summary>
        /// How long a worker that lost its scheduler keeps trying to register again (as dask's death-timeout) before it
        /// stops with an error; zero stops at once.
        /// </summary>
        public TimeSpan DeathTimeout { get; set; } = TimeSpan.FromSeconds(60);
    }
}
