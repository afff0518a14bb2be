using System;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Protocol.MessagePack;
using DaskPS.Rpc;

namespace DaskPS.Core.Tests.Comm
{
    public sealed class DaskAddressTests
    {
        [Theory]
        [InlineData("tcp://127.0.0.1:8786", "tcp", "127.0.0.1", 8786, "tcp://127.0.0.1:8786")]
        [InlineData("127.0.0.1:8786", "tcp", "127.0.0.1", 8786, "tcp://127.0.0.1:8786")]
        [InlineData("TCP://LocalHost:1", "tcp", "localhost", 1, "tcp://localhost:1")]
        [InlineData("tls://10.1.2.3:443", "tls", "10.1.2.3", 443, "tls://10.1.2.3:443")]
        [InlineData("tcp://[::1]:8786", "tcp", "::1", 8786, "tcp://[::1]:8786")]
        [InlineData("[fe80::1]:0", "tcp", "fe80::1", 0, "tcp://[fe80::1]:0")]
        [InlineData("tcp://[fe80::1]:0", "tcp", "fe80::1", 0, "tcp://[fe80::1]:0")]
        [InlineData("tcp://[FE80::A]:65535", "tcp", "fe80::a", 65535, "tcp://[fe80::a]:65535")]
        [InlineData("tcp://[::ffff:1.2.3.4]:80", "tcp", "::ffff:1.2.3.4", 80, "tcp://[::ffff:1.2.3.4]:80")]
        [InlineData("localhost:8786", "tcp", "localhost", 8786, "tcp://localhost:8786")]
        [InlineData("tls://Scheduler.Example.COM:1234", "tls", "scheduler.example.com", 1234, "tls://scheduler.example.com:1234")]
        [InlineData("tcp://my_host-1:0", "tcp", "my_host-1", 0, "tcp://my_host-1:0")]
        public void ParsesAndUnparses(string text, string scheme, string host, int port, string canonical)
        {
            DaskAddress address = DaskAddress.Parse(text);

            Assert.Equal(scheme, address.Scheme);
            Assert.Equal(host, address.Host);
            Assert.Equal(port, address.Port);
            Assert.Equal(canonical, address.ToString());
            Assert.Equal(canonical, DaskAddress.Normalize(text));
            Assert.Equal(host, DaskAddress.HostOf(text));
            Assert.Equal(address, DaskAddress.Parse(canonical));
            Assert.Equal(address.GetHashCode(), DaskAddress.Parse(canonical).GetHashCode());
            Assert.True(DaskAddress.TryParse(text, out DaskAddress? parsed, out string? error));
            Assert.Equal(address, parsed);
            Assert.Null(error);
        }

        [Theory]
        [InlineData("tcp://", "", 0, "tcp://")]
        [InlineData("tls://", "", 0, "tls://")]
        [InlineData("tcp://:8786", "", 8786, "tcp://:8786")]
        [InlineData("tcp://127.0.0.1", "127.0.0.1", 0, "tcp://127.0.0.1:0")]
        [InlineData("[::]", "::", 0, "tcp://[::]:0")]
        [InlineData("0.0.0.0:0", "0.0.0.0", 0, "tcp://0.0.0.0:0")]
        public void ListenAddressesParse(string text, string host, int port, string canonical)
        {
            DaskAddress address = DaskAddress.ParseListen(text);

            Assert.Equal(host, address.Host);
            Assert.Equal(port, address.Port);
            Assert.Equal(canonical, address.ToString());
            Assert.Equal(address, DaskAddress.ParseListen(canonical));
        }

        [Fact]
        public void InProcAddressesKeepTheirLocation()
        {
            DaskAddress address = DaskAddress.Parse("inproc://192.168.1.5/12345/1");

            Assert.True(address.IsInProc);
            Assert.Equal("192.168.1.5/12345/1", address.Location);
            Assert.Equal("192.168.1.5", address.GetHost());
            Assert.Equal("inproc://192.168.1.5/12345/1", address.ToString());
            Assert.Equal("192.168.1.5", DaskAddress.HostOf("INPROC://192.168.1.5/12345/1"));
            Assert.Equal(string.Empty, DaskAddress.ParseListen("inproc://").Location);
        }

        [Fact]
        public void EqualityIsOnTheNormalizedForm()
        {
            var set = new HashSet<DaskAddress> { DaskAddress.Parse("127.0.0.1:8786"), DaskAddress.Parse("TCP://127.0.0.1:8786") };

            Assert.Single(set);
            Assert.NotEqual(DaskAddress.Parse("tcp://127.0.0.1:8786"), DaskAddress.Parse("tls://127.0.0.1:8786"));
            Assert.NotEqual(DaskAddress.Parse("tcp://localhost:8786"), DaskAddress.Parse("tcp://127.0.0.1:8786"));
            Assert.False(DaskAddress.Parse("tcp://127.0.0.1:8786").Equals(null));
            Assert.Equal("tcp://[::1]:8786", DaskAddress.Normalize("[::1]:8786"));
        }

        [Fact]
        public void EndPointsNeedAnIPHost()
        {
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8786), DaskAddress.Parse("tcp://127.0.0.1:8786").ToEndPoint());
            Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 1), DaskAddress.Parse("tls://[::1]:1").ToEndPoint());
            Assert.Contains("'localhost'", Assert.Throws<DaskAddressException>(() => DaskAddress.Parse("localhost:1").ToEndPoint()).Message);
            Assert.Contains("in-process", Assert.Throws<DaskAddressException>(() => DaskAddress.Parse("inproc://a/1/2").ToEndPoint()).Message);
            Assert.Contains("no host", Assert.Throws<DaskAddressException>(() => DaskAddress.ParseListen("tcp://").ToEndPoint()).Message);
        }

        [Theory]
        [InlineData("", "empty string")]
        [InlineData("   ", "empty string")]
        [InlineData("udp://1.2.3.4:5", "scheme 'udp' is not supported (use tcp, tls or inproc)")]
        [InlineData("://1.2.3.4:5", "scheme '' is not supported")]
        [InlineData("tcp://127.0.0.1", "no port")]
        [InlineData("tcp://127.0.0.1:", "no port")]
        [InlineData("tcp://[::1]", "no port")]
        [InlineData("tcp://127.0.0.1:http", "port 'http'")]
        [InlineData("tcp://127.0.0.1:70000", "port '70000' is not a number from 0 to 65535")]
        [InlineData("tcp://127.0.0.1:-1", "port '-1'")]
        [InlineData("tcp://127.0.0.1:99999999999", "port '99999999999'")]
        [InlineData("tcp://::1:80", "must be written in brackets, e.g. 'tcp://[::1]:80'")]
        [InlineData("tls://fe80::1", "must be written in brackets, e.g. 'tls://[fe80::1]:8786'")]
        [InlineData("tcp://[::1]x:80", "'x:80' follows the bracketed host")]
        [InlineData("tcp://[127.0.0.1]:80", "not an IPv6 address")]
        [InlineData("tcp://host:80/path", "'/' cannot appear")]
        [InlineData("tcp:/host:80", "'/' cannot appear")]
        [InlineData("tcp://user@host:80", "not a valid host name")]
        [InlineData(" tcp://127.0.0.1:80", "white space")]
        [InlineData("tcp://127.0.0.1:80\n", "white space")]
        [InlineData("inproc://", "no location")]
        [InlineData("tcp://[::1:80", "'[' without ']'")]
        [InlineData("tcp://::1]:80", "']' without '['")]
        [InlineData("tcp://[nonsense]:80", "not an IPv6 address")]
        [InlineData("tcp://host name:80", "white space")]
        [InlineData("tcp://:80", "no host")]
        public void BadAddressesNameTheAddressAndTheProblem(string text, string problem)
        {
            var error = Assert.Throws<DaskAddressException>(() => DaskAddress.Parse(text));

            Assert.Contains(problem, error.Message);
            Assert.Contains($"'{text}'", error.Message);
            Assert.IsAssignableFrom<DaskException>(error);

            Assert.False(DaskAddress.TryParse(text, out _, out string? reason));
            Assert.Equal(error.Message, reason);
        }

        [Fact]
        public void ListenAddressesMayLeaveOutHostAndPort()
        {
            DaskAddress any = DaskAddress.ParseListen("tcp://");

            Assert.Equal(string.Empty, any.Host);
            Assert.Equal(0, any.Port);
            Assert.Throws<DaskAddressException>(() => DaskAddress.Parse("tcp://"));
        }

        [Fact]
        public async Task ResolvesHostNamesToIPv4First()
        {
            DaskAddress resolved = await DaskAddress.Parse("tcp://localhost:8786").ResolveAsync();

            Assert.Equal("127.0.0.1", resolved.Host);
            Assert.Equal(8786, resolved.Port);
            var error = await Assert.ThrowsAsync<DaskAddressException>(() => DaskAddress.Parse("tcp://no-such-host.invalid:1").ResolveAsync());
            Assert.Contains("'no-such-host.invalid'", error.Message);
        }

        [Fact]
        public async Task LiteralsAndInProcAddressesResolveToThemselves()
        {
            foreach (string text in new[] { "tcp://10.0.0.1:1", "tls://[::1]:2", "inproc://127.0.0.1/1/1" })
            {
                DaskAddress address = DaskAddress.Parse(text);
                Assert.Same(address, await address.ResolveAsync());
            }

            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DaskAddress.Parse("tcp://localhost:1").ResolveAsync(cancelled.Token));
        }

        [Fact]
        public async Task ServesAndConnectsOverIPv6Loopback()
        {
            await using var server = new DaskServer("Six");
            string address = await server.ListenAsync("tcp://[::1]:0");
            await using var pool = new ConnectionPool();

            Assert.StartsWith("tcp://[::1]:", address);
            Assert.IsType<MsgMap>(await pool[address].CallAsync("identity"));
        }
    }
}
