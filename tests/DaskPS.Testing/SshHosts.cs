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
    /// Hosts of a <see cref="HostNetwork"/> that take ssh logins: OpenSSH's sshd runs in each, on a random port, with a
    /// host key and one client key that ssh-keygen makes for this instance; logins are as this process's user with that
    /// key only. <see cref="ClientOptions"/> make ssh check the hosts against a known_hosts file written here. Disposing
    /// stops each sshd (and what runs under it), deletes the network and the keys.
    /// </summary>
    public sealed class SshHosts : IAsyncDisposable
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

        private readonly string _folder = Directory.CreateTempSubdirectory("daskps-ssh-").FullName;
        private readonly Dictionary<string, ChildProcess> _servers = new Dictionary<string, ChildProcess>(StringComparer.Ordinal);

        private SshHosts(HostNetwork network)
        {
            Network = network;
            Port = RandomNumberGenerator.GetInt32(20000, 32000);
        }

        public HostNetwork Network { get; }

        /// <summary>sshd's port on every host.</summary>
        public int Port { get; }

        /// <summary>The private key the hosts accept.</summary>
        public string KeyFile => Path.Combine(_folder, "client_ed25519");

        /// <summary>Settings for ssh's -o: check host keys against the ones made here, and keep ssh's own chatter out of the output.</summary>
        public string[] ClientOptions => new[] { "StrictHostKeyChecking=yes", "UserKnownHostsFile=" + Path.Combine(_folder, "known_hosts"), "LogLevel=ERROR" };

        /// <summary>Builds the network with hosts named <paramref name="withSsh"/> (sshd running) and <paramref name="withoutSsh"/> (nothing listening).</summary>
        public static async Task<SshHosts> StartAsync(string[] withSsh, string[] withoutSsh)
        {
            string sshd = new[] { "/usr/sbin/sshd", "/usr/bin/sshd" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("These tests need OpenSSH's server (sshd), which is not installed: run 'apt-get install -y openssh-server' (scripts/install-prerequisites.sh does).");
            HostNetwork network = await HostNetwork.CreateAsync(withSsh.Concat(withoutSsh).ToArray()).ConfigureAwait(false);
            var hosts = new SshHosts(network);
            try
            {
                await hosts.MakeKeysAsync(withSsh).ConfigureAwait(false);
                // sshd refuses to start without its privilege separation folder, which the service would create.
                Directory.CreateDirectory("/run/sshd");
                foreach (string host in withSsh)
                {
                    hosts._servers[host] = network.Start(host, sshd, new[] { "-D", "-e", "-f", hosts.WriteConfig(host) });
                }

                foreach ((string host, ChildProcess server) in hosts._servers)
                {
                    await server.WaitForLineAsync(l => l.Contains("Server listening on " + network.AddressOf(host), StringComparison.Ordinal), Deadline).ConfigureAwait(false);
                }

                return hosts;
            }
            catch
            {
                await hosts.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>The processes in a host besides its sshd: what logins left running.</summary>
        public async Task<int[]> ProcessesLeftAsync(string host) =>
            (await Network.ProcessesAsync(host).ConfigureAwait(false)).Where(id => !_servers.TryGetValue(host, out ChildProcess? server) || id != server.Id).ToArray();

        /// <summary>What a host's sshd logged (connections, logins, refusals).</summary>
        public string LogOf(string host) => _servers[host].Output;

        public async ValueTask DisposeAsync()
        {
            foreach (ChildProcess server in _servers.Values)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            await Network.DisposeAsync().ConfigureAwait(false);
            Directory.Delete(_folder, recursive: true);
        }

        private async Task MakeKeysAsync(IEnumerable<string> hosts)
        {
            foreach (string key in new[] { "host_ed25519", "client_ed25519" })
            {
                await using ChildProcess keygen = ChildProcess.Start("ssh-keygen", new[] { "-q", "-t", "ed25519", "-N", string.Empty, "-C", "daskps-test", "-f", Path.Combine(_folder, key) });
                await keygen.CompleteAsync(Deadline).ConfigureAwait(false);
            }

            File.Copy(Path.Combine(_folder, "client_ed25519.pub"), Path.Combine(_folder, "authorized_keys"));
            string hostKey = File.ReadAllText(Path.Combine(_folder, "host_ed25519.pub")).Trim();
            File.WriteAllLines(Path.Combine(_folder, "known_hosts"), hosts.Select(h => $"[{Network.AddressOf(h)}]:{Port} {hostKey}"));
        }

        private string WriteConfig(string host)
        {
            string config = Path.Combine(_folder, $"sshd_config-{host}");
            File.WriteAllLines(config, new[]
            {
                $"ListenAddress {Network.AddressOf(host)}:{Port}",
                $"HostKey {Path.Combine(_folder, "host_ed25519")}",
                $"AuthorizedKeysFile {Path.Combine(_folder, "authorized_keys")}",
                // The keys live in a temporary folder, not in the user's home with sshd's expected modes.
                "StrictModes no",
                "PidFile none",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "PrintMotd no",
            });
            return config;
        }
    }
}
