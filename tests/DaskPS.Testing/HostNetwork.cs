using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using DaskPS.Hosting;

namespace DaskPS.Testing
{
    /// <summary>
    /// A network of hosts on one machine: each host is a Linux network namespace with one veth link to a bridge, and
    /// this process's own namespace is one more host (<see cref="LocalAddress"/>), so the test itself talks to the
    /// others across the bridge. Needs root and iproute2. Names are unique per network, and disposing deletes every
    /// namespace and link it made; stop the processes started in it first.
    /// </summary>
    public sealed class HostNetwork : IAsyncDisposable
    {
        private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);

        private readonly string _ip;
        private readonly string _prefix;
        private readonly string _subnet;
        private readonly Dictionary<string, int> _hostNumbers = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly List<string> _namespaces = new List<string>();
        private string? _localLink;

        private HostNetwork(string ip)
        {
            _ip = ip;
            byte[] random = RandomNumberGenerator.GetBytes(3);
            _prefix = "dps" + Convert.ToHexString(random).ToLowerInvariant();
            // A random third octet keeps this process's route apart from another network built at the same time.
            _subnet = $"10.77.{random[0]}";
        }

        /// <summary>This process's address on the network.</summary>
        public string LocalAddress => _subnet + ".254";

        /// <summary>The hosts' namespaces hang off a bridge in this one, so no firewall of this machine sees their traffic.</summary>
        private string Hub => _prefix + "-hub";

        /// <summary>Builds the network with one host per name, numbered .1, .2, … in the order given.</summary>
        public static async Task<HostNetwork> CreateAsync(params string[] hosts)
        {
            var network = new HostNetwork(IpCommand());
            try
            {
                await network.AddNamespaceAsync(network.Hub).ConfigureAwait(false);
                await network.RunAsync("-n", network.Hub, "link", "add", "name", "br0", "type", "bridge").ConfigureAwait(false);
                await network.RunAsync("-n", network.Hub, "link", "set", "dev", "br0", "up").ConfigureAwait(false);
                foreach (string host in hosts)
                {
                    await network.AddHostAsync(host).ConfigureAwait(false);
                }

                await network.AddLocalHostAsync().ConfigureAwait(false);
                return network;
            }
            catch
            {
                await network.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>The address of a host, e.g. 10.77.5.1.</summary>
        public string AddressOf(string host) => $"{_subnet}.{_hostNumbers[host]}";

        /// <summary>Starts a program inside a host's namespace (ip netns exec replaces itself with it, so the id is the program's).</summary>
        public ChildProcess Start(string host, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
            ChildProcess.Start(_ip, new[] { "netns", "exec", NamespaceOf(host), fileName }.Concat(arguments), environment);

        /// <summary>The ids of every process running in a host's namespace.</summary>
        public async Task<int[]> ProcessesAsync(string host)
        {
            await using ChildProcess ip = ChildProcess.Start(_ip, new[] { "netns", "pids", NamespaceOf(host) });
            string output = await ip.CompleteAsync(CommandTimeout).ConfigureAwait(false);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        }

        /// <summary>Takes a host off the network, as a pulled cable: its link on the bridge goes down and nothing passes.</summary>
        public Task CutAsync(string host) => RunAsync("-n", Hub, "link", "set", "dev", host, "down");

        public async ValueTask DisposeAsync()
        {
            // Deleting a namespace deletes the links in it, and a veth goes with its peer: the local link too.
            foreach (string name in Enumerable.Reverse(_namespaces))
            {
                await TryRunAsync("netns", "del", name).ConfigureAwait(false);
            }

            _namespaces.Clear();
            if (_localLink is not null && Directory.Exists("/sys/class/net/" + _localLink))
            {
                await TryRunAsync("link", "del", "dev", _localLink).ConfigureAwait(false);
            }
        }

        private string NamespaceOf(string host) => $"{_prefix}-{host}";

        private async Task AddHostAsync(string host)
        {
            _hostNumbers.Add(host, _hostNumbers.Count + 1);
            string ns = NamespaceOf(host);
            await AddNamespaceAsync(ns).ConfigureAwait(false);
            await RunAsync("-n", ns, "link", "set", "dev", "lo", "up").ConfigureAwait(false);
            // The bridge side of the link is named after the host, in the hub; the host's side is eth0.
            await RunAsync("-n", Hub, "link", "add", "name", host, "type", "veth", "peer", "name", "eth0", "netns", ns).ConfigureAwait(false);
            await RunAsync("-n", Hub, "link", "set", "dev", host, "master", "br0", "up").ConfigureAwait(false);
            await RunAsync("-n", ns, "addr", "add", AddressOf(host) + "/24", "dev", "eth0").ConfigureAwait(false);
            await RunAsync("-n", ns, "link", "set", "dev", "eth0", "up").ConfigureAwait(false);
        }

        private async Task AddLocalHostAsync()
        {
            _localLink = _prefix;
            await RunAsync("link", "add", "name", _localLink, "type", "veth", "peer", "name", "local", "netns", Hub).ConfigureAwait(false);
            await RunAsync("-n", Hub, "link", "set", "dev", "local", "master", "br0", "up").ConfigureAwait(false);
            await RunAsync("addr", "add", LocalAddress + "/24", "dev", _localLink).ConfigureAwait(false);
            await RunAsync("link", "set", "dev", _localLink, "up").ConfigureAwait(false);
        }

        private async Task AddNamespaceAsync(string name)
        {
            await RunAsync("netns", "add", name).ConfigureAwait(false);
            _namespaces.Add(name);
        }

        private async Task RunAsync(params string[] arguments)
        {
            await using ChildProcess ip = ChildProcess.Start(_ip, arguments);
            await ip.CompleteAsync(CommandTimeout).ConfigureAwait(false);
        }

        private async Task TryRunAsync(params string[] arguments)
        {
            try
            {
                await RunAsync(arguments).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException || e is DaskException)
            {
                // Teardown goes on with the rest; what is left shows in 'ip netns list' / 'ip link'.
            }
        }

        /// <summary>The path of iproute2's ip; fails saying why when this process cannot build namespaces.</summary>
        private static string IpCommand()
        {
            if (!Environment.IsPrivilegedProcess)
            {
                throw new InvalidOperationException($"Building network namespaces needs root; this test runs as '{Environment.UserName}'. Run it as root (CI does).");
            }

            string? ip = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
                .Concat(new[] { "/usr/sbin", "/sbin" })
                .Select(directory => Path.Combine(directory, "ip"))
                .FirstOrDefault(File.Exists);
            return ip ?? throw new InvalidOperationException("Building network namespaces needs iproute2's 'ip', which is not installed: run 'apt-get install -y iproute2'.");
        }
    }
}
