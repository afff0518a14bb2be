using System;
using System.Linq;
using System.Threading.Tasks;
using DaskPS.Hosting;

namespace DaskPS.Core.Tests.Hosting
{
    /// <summary>
    /// What SshWorker hands to ssh: host names and settings that ssh could read as options are refused, and the remote
    /// command reaches the remote shell word for word. Workers started over ssh are tested across namespace hosts with
    /// their own sshd in tests/Pester/RemoteWorkers.Tests.ps1.
    /// </summary>
    public sealed class SshWorkerTests
    {
        private static readonly string[] Pwsh = { "pwsh" };

        [Theory]
        [InlineData("node1")]
        [InlineData("node-1.cluster.example.org")]
        [InlineData("gpu_box")]
        [InlineData("10.0.0.5")]
        [InlineData("::1")]
        [InlineData("fe80::1%eth0")]
        public void TakesHostNamesAndAddresses(string host) => Assert.Equal(host, new SshWorkerOptions(host, Pwsh).HostName);

        [Theory]
        [InlineData("-oProxyCommand=touch /tmp/x")]
        [InlineData("-p")]
        [InlineData("host name")]
        [InlineData("host;reboot")]
        [InlineData("user@host")]
        [InlineData("host\n")]
        [InlineData("")]
        public void RefusesHostNamesSshCouldMisread(string host)
        {
            ArgumentException e = Assert.Throws<ArgumentException>(() => new SshWorkerOptions(host, Pwsh));
            Assert.Contains($"'{host}' is not a host name", e.Message);
        }

        [Theory]
        [InlineData("-oProxyCommand=x")]
        [InlineData("alice bob")]
        public void RefusesUserNamesSshCouldMisread(string user)
        {
            Assert.Throws<ArgumentException>(() => new SshWorkerOptions("node1", Pwsh) { UserName = user });
        }

        [Theory]
        [InlineData("-oProxyCommand=x")]
        [InlineData("NoValue")]
        [InlineData("=value")]
        public void RefusesSettingsNotOfTheFormNameValue(string option)
        {
            var options = new SshWorkerOptions("node1", Pwsh);
            options.Options.Add(option);
            Assert.Throws<ArgumentException>(() => options.SshArguments().ToList());
        }

        [Fact]
        public void NeverPromptsLetsTheCallersSettingsWinAndEndsOptionsBeforeTheHost()
        {
            var options = new SshWorkerOptions("node1", new[] { "dotnet", "/opt/pwsh/pwsh.dll", "-Command", "it's" })
            {
                UserName = "alice", Port = 2222, KeyFile = "/keys/id ed25519",
            };
            options.Options.Add("ConnectTimeout=5");
            string[] arguments = options.SshArguments().ToArray();

            Assert.Equal(new[] { "-T", "-o", "BatchMode=yes", "-l", "alice", "-p", "2222", "-i", "/keys/id ed25519", "-o", "ConnectTimeout=5" }, arguments.Take(11));
            // ssh keeps the first value of a setting: the default timeout comes after the caller's.
            Assert.True(Array.IndexOf(arguments, "ConnectTimeout=30") > Array.IndexOf(arguments, "ConnectTimeout=5"));
            Assert.Equal(new[] { "--", "node1", "dotnet /opt/pwsh/pwsh.dll -Command 'it'\\''s'" }, arguments.Skip(arguments.Length - 3));
        }

        [Theory]
        [InlineData("plain-word_1.2:3/4=5@6+7,8")]
        [InlineData("it's")]
        [InlineData("two words")]
        [InlineData("$(touch /tmp/daskps-quoted); `id` \"x\" \\ * ? ~ & | > <")]
        [InlineData("'")]
        [InlineData("")]
        public async Task QuotesEachWordSoThatAPosixShellReadsItBack(string word)
        {
            // printf prints the word between markers exactly as the shell passed it on.
            string command = "printf '[%s]' " + SshWorkerOptions.QuoteForShell(word);
            await using ChildProcess shell = ChildProcess.Start("/bin/sh", new[] { "-c", command });
            Assert.Equal($"[{word}]", (await shell.CompleteAsync(TimeSpan.FromSeconds(20))).TrimEnd('\n'));
        }

        [Fact]
        public async Task SaysHowToInstallSshWhenItIsMissing()
        {
            var options = new SshWorkerOptions("node1", Pwsh) { Ssh = "/nonexistent/ssh" };
            DaskException e = await Assert.ThrowsAsync<DaskException>(() => SshWorker.StartAsync(options));
            Assert.Contains("apt-get install openssh-client", e.Message);
        }
    }
}
