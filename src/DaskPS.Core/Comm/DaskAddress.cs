using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Internal;

namespace DaskPS.Comm
{
    /// <summary>
    /// A dask address URI: <c>tcp://host:port</c>, <c>tls://host:port</c> or <c>inproc://location</c>
    /// (tcp when the scheme is left out; IPv6 hosts in brackets). dask's parse / unparse / normalize /
    /// resolve / get_address_host.
    /// </summary>
    public sealed class DaskAddress : IEquatable<DaskAddress>
    {
        private static readonly string[] Schemes = { "tcp", "tls", "inproc" };

        private DaskAddress(string scheme, string host, int port, string location)
        {
            Scheme = scheme;
            Host = host;
            Port = port;
            Location = location;
        }

        public string Scheme { get; }

        /// <summary>Host name or IP (IPv6 without brackets); empty for "every interface" when listening.</summary>
        public string Host { get; }

        /// <summary>0 lets the system pick when listening.</summary>
        public int Port { get; }

        /// <summary>For inproc: everything after <c>inproc://</c>.</summary>
        public string Location { get; }

        public bool IsInProc => Scheme == "inproc";

        /// <summary>Parses an address to connect to: host and port are required.</summary>
        public static DaskAddress Parse(string address) => ParseCore(address, listening: false);

        /// <summary>Parses an address to listen on: host and port may be left out (all interfaces, any port).</summary>
        public static DaskAddress ParseListen(string address) => ParseCore(address, listening: true);

        public static bool TryParse(string address, out DaskAddress? result, out string? error)
        {
            try
            {
                result = Parse(address);
                error = null;
                return true;
            }
            catch (DaskAddressException e)
            {
                result = null;
                error = e.Message;
                return false;
            }
        }

        /// <summary>The canonical text of an address (scheme added, lower case, IPv6 bracketed).</summary>
        public static string Normalize(string address) => ParseListen(address).ToString();

        /// <summary>The host part of an address (dask's get_address_host).</summary>
        public static string HostOf(string address) => ParseListen(address).GetHost();

        public string GetHost()
        {
            if (!IsInProc)
            {
                return Host;
            }

            int slash = Location.IndexOf('/');
            return slash < 0 ? Location : Location.Substring(0, slash);
        }

        /// <summary>Resolves a host name to an IP address (IPv4 first); IP literals and inproc addresses stay as they are.</summary>
        public async Task<DaskAddress> ResolveAsync(CancellationToken cancellationToken = default)
        {
            if (IsInProc || Host.Length == 0 || IPAddress.TryParse(Host, out _))
            {
                return this;
            }

            IPAddress[] candidates;
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                // netstandard2.0's lookup takes no token: stop waiting for it instead, so connect timeouts cover DNS.
                Task<IPAddress[]> lookup = Dns.GetHostAddressesAsync(Host);
                await lookup.WithCancellation(cancellationToken).ConfigureAwait(false);
                candidates = await lookup.ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new DaskAddressException($"The host '{Host}' of address '{this}' could not be resolved: {e.SocketErrorCode}.", e);
            }
            catch (ArgumentException e)
            {
                throw new DaskAddressException($"The host '{Host}' of address '{this}' could not be resolved: {e.Message}", e);
            }

            IPAddress? chosen = Array.Find(candidates, a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? Array.Find(candidates, a => a.AddressFamily == AddressFamily.InterNetworkV6);
            if (chosen is null)
            {
                throw new DaskAddressException($"The host '{Host}' of address '{this}' has no IP address.");
            }

            return new DaskAddress(Scheme, chosen.ToString(), Port, Location);
        }

        /// <summary>The socket end point of a tcp or tls address whose host is an IP literal (see <see cref="ResolveAsync"/>).</summary>
        public IPEndPoint ToEndPoint()
        {
            if (IsInProc)
            {
                throw new DaskAddressException($"The address '{this}' is in-process; it has no network end point.");
            }

            if (Host.Length == 0)
            {
                throw new DaskAddressException($"The address '{this}' has no host (it means every interface, for listening); it has no single end point.");
            }

            if (!IPAddress.TryParse(Host, out IPAddress? ip))
            {
                throw new DaskAddressException($"The host '{Host}' of address '{this}' is a name; resolve it first.");
            }

            return new IPEndPoint(ip, Port);
        }

        /// <summary>The same address with another port.</summary>
        public DaskAddress WithPort(int port) => new DaskAddress(Scheme, Host, port, Location);

        public override string ToString()
        {
            if (IsInProc)
            {
                return "inproc://" + Location;
            }

            if (Host.Length == 0 && Port == 0)
            {
                return Scheme + "://";
            }

            string host = Host.IndexOf(':') >= 0 ? "[" + Host + "]" : Host;
            return $"{Scheme}://{host}:{Port.ToString(CultureInfo.InvariantCulture)}";
        }

        public bool Equals(DaskAddress? other) => other is not null && string.Equals(ToString(), other.ToString(), StringComparison.Ordinal);

        public override bool Equals(object? obj) => Equals(obj as DaskAddress);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

        private static DaskAddress ParseCore(string address, bool listening)
        {
            if (address is null)
            {
                throw new ArgumentNullException(nameof(address));
            }

            if (address.Trim().Length == 0)
            {
                throw Bad(address, "it is an empty string; expected e.g. 'tcp://127.0.0.1:8786'");
            }

            foreach (char c in address)
            {
                if (char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    throw Bad(address, "it contains white space or control characters");
                }
            }

            string scheme = "tcp";
            string rest = address;
            int separator = address.IndexOf("://", StringComparison.Ordinal);
            if (separator >= 0)
            {
                scheme = address.Substring(0, separator).ToLowerInvariant();
                rest = address.Substring(separator + 3);
                if (Array.IndexOf(Schemes, scheme) < 0)
                {
                    throw Bad(address, $"the scheme '{scheme}' is not supported (use tcp, tls or inproc)");
                }
            }

            if (scheme == "inproc")
            {
                if (rest.Length == 0 && !listening)
                {
                    throw Bad(address, "it has no location; expected e.g. 'inproc://192.168.1.5/12345/1'");
                }

                return new DaskAddress(scheme, string.Empty, 0, rest);
            }

            if (rest.IndexOf('/') >= 0)
            {
                throw Bad(address, $"'/' cannot appear in a {scheme} address; expected {scheme}://host:port");
            }

            string host;
            string? portText;
            if (rest.StartsWith("[", StringComparison.Ordinal))
            {
                int close = rest.IndexOf(']');
                if (close < 0)
                {
                    throw Bad(address, "the IPv6 host has '[' without ']'");
                }

                host = rest.Substring(1, close - 1);
                string after = rest.Substring(close + 1);
                if (after.Length > 0 && !after.StartsWith(":", StringComparison.Ordinal))
                {
                    throw Bad(address, $"'{after}' follows the bracketed host where ':port' was expected");
                }

                portText = after.Length > 0 ? after.Substring(1) : null;
                if (!IPAddress.TryParse(host, out IPAddress? ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
                {
                    throw Bad(address, $"'{host}' in brackets is not an IPv6 address");
                }
            }
            else
            {
                if (rest.IndexOf(']') >= 0)
                {
                    throw Bad(address, "it has ']' without '['");
                }

                int colon = rest.IndexOf(':');
                if (colon >= 0 && rest.IndexOf(':', colon + 1) >= 0)
                {
                    throw Bad(address, $"an IPv6 host must be written in brackets, e.g. '{SuggestBrackets(scheme, rest)}'");
                }

                host = colon >= 0 ? rest.Substring(0, colon) : rest;
                portText = colon >= 0 ? rest.Substring(colon + 1) : null;
            }

            int port = 0;
            if (portText is null || portText.Length == 0)
            {
                if (!listening)
                {
                    throw Bad(address, "it has no port; expected host:port");
                }
            }
            else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
            {
                throw Bad(address, $"the port '{portText}' is not a number from 0 to 65535");
            }

            if (host.Length == 0 && !listening)
            {
                throw Bad(address, "it has no host");
            }

            if (host.Length > 0 && Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                throw Bad(address, $"'{host}' is not a valid host name or IP address");
            }

            return new DaskAddress(scheme, host.ToLowerInvariant(), port, string.Empty);
        }

        // '::1:80' reads as host ::1 port 80 or as the bare IPv6 ::1:80; suggest the host:port reading when it is one.
        private static string SuggestBrackets(string scheme, string rest)
        {
            int last = rest.LastIndexOf(':');
            string host = rest.Substring(0, last);
            string port = rest.Substring(last + 1);
            if (port.Length > 0 && IPAddress.TryParse(host, out _) && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return $"{scheme}://[{host}]:{port}";
            }

            return IPAddress.TryParse(rest, out _) ? $"{scheme}://[{rest}]:8786" : $"{scheme}://[::1]:8786";
        }

        private static DaskAddressException Bad(string address, string reason) =>
            new DaskAddressException($"'{address}' is not a valid dask address: {reason}.");
    }

    /// <summary>An address that cannot be parsed or resolved; the message names it and what is wrong.</summary>
    public sealed class DaskAddressException : DaskException
    {
        public DaskAddressException(string message, Exception? inner = null) : base(message, inner) { }
    }
}
