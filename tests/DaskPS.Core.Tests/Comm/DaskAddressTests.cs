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
        }

        [Fact]
        public void InProcAddressesKeepTheirLocation()
        {
            DaskAddress address = DaskAddress.Parse("inproc://192.168.1.5/12345/1");

            Assert.True(address.IsInProc);
            Assert.Equal("192.168.1.5/12345/1", address.Location);
            Assert.Equal("192.168.1.5", address.GetHost());
            Assert.Equal("inproc://192.168.1.5/12345/1", address.ToString());
        }

        [Theory]
        [InlineData("", "empty string")]
        [InlineData("   ", "empty string")]
        [InlineData("udp://1.2.3.4:5", "scheme 'udp' is not supported")]
        [InlineData("tcp://127.0.0.1", "no port")]
        [InlineData("tcp://127.0.0.1:http", "port 'http'")]
        [InlineData("tcp://127.0.0.1:70000", "port '70000'")]
        [InlineData("tcp://::1:80", "must be written in brackets")]
        [InlineData("tcp://[::1:80", "'[' without ']'")]
        [InlineData("tcp://::1]:80", "']' without '['")]
        [InlineData("tcp://[nonsense]:80", "not an IPv6 address")]
        [InlineData("tcp://host name:80", "white space")]
        [InlineData("tcp://:80", "no host")]
        public void BadAddressesNameTheAddressAndTheProblem(string text, string problem)
        {
            var error = Assert.Throws<DaskAddressException>(() => DaskAddress.Parse(text));

            Assert.Contains(problem, error.Message);
            if (text.Trim().Length > 0)
            {
                Assert.Contains($"'{text}'", error.Message);
            }

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
            Assert.Contains("no-such-host.invalid", error.Message);
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
