using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Comm;
using DaskPS.Hosting;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Hosting
{
    /// <summary>
    /// A cluster across hosts: the scheduler and two worker hosts in network namespaces of their own, and this test
    /// process as the client host, so every connection crosses a link that can be cut (needs root, as CI runs). Over
    /// TLS every host has one certificate for all the hosts' addresses, as a cluster's nodes may share one.
    /// </summary>
    public sealed class MultiHostTests : IDisposable
    {
        private const string Functions = "DaskPS.WorkerHost.HostFunctions";
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

        private readonly string _folder = Directory.CreateTempSubdirectory("daskps-multihost-").FullName;

        public void Dispose() => Directory.Delete(_folder, recursive: true);

        [Theory]
        [InlineData("tcp")]
        [InlineData("tls")]
        public async Task DataMovesBetweenWorkerHostsAndAGraphSurvivesACutLink(string scheme)
        {
            await using HostNetwork network = await HostNetwork.CreateAsync("scheduler", "a", "b");
            DaskSecurity security = scheme == "tls" ? WriteCertificate(network) : new DaskSecurity();
            await using ChildProcess scheduler = StartScheduler(network, security);
            string schedulerAddress = $"{scheme}://{network.AddressOf("scheduler")}:8786";
            await scheduler.WaitForLineAsync(l => l.Contains("Scheduler at:", StringComparison.Ordinal), Deadline);
            // a listens on every interface and advertises the address it is given (the port it got stands in for 0); b
            // listens on every interface too and, given none, advertises its address on the route to the scheduler.
            await using ChildProcess a = StartWorker(network, security, "a", schedulerAddress, $"{scheme}://0.0.0.0:0", $"{scheme}://{network.AddressOf("a")}");
            await using ChildProcess b = StartWorker(network, security, "b", schedulerAddress, $"{scheme}://0.0.0.0:0");
            string aAddress = await ContactAddressAsync(a);
            string bAddress = await ContactAddressAsync(b);
            Assert.StartsWith($"{scheme}://{network.AddressOf("a")}:", aAddress);
            Assert.StartsWith($"{scheme}://{network.AddressOf("b")}:", bAddress);
            var options = new DaskClientOptions();
            security.ApplyTo(options.Comm);
            await using DaskClient client = await DaskClient.ConnectAsync(schedulerAddress, options);
            await client.WaitForWorkersAsync(2, Deadline);

            // A value made on a and a task on b that needs it: the value crosses from host to host.
            DaskNode onA = DaskNode.Call(Functions, "Slow", new object?[] { 40L, 0L }, new DaskTaskOptions { Workers = new[] { aAddress } });
            DaskNode onB = DaskNode.Call(Functions, "Slow", new object?[] { 2L, 0L }, new DaskTaskOptions { Workers = new[] { bAddress } });
            DaskNode sum = client.Submit(DaskNode.Call(Functions, "Sum", new object?[] { new[] { onA, onB } }, new DaskTaskOptions { Workers = new[] { bAddress } }));
            Assert.Equal(42L, await client.ResultAsync(sum).WaitAsync(Deadline));
            Assert.Equal(new[] { bAddress }, (await client.WhoHasAsync(new[] { sum }))[sum.Key]);
            await Eventually.TrueAsync(
                async () => (await client.WhoHasAsync(new[] { onA }))[onA.Key].OrderBy(h => h, StringComparer.Ordinal).SequenceEqual(new[] { aAddress, bAddress }.OrderBy(h => h, StringComparer.Ordinal)),
                Deadline, "b holds a replica of a's value");

            // Slow parts on both hosts; once a holds some, its link is cut. The scheduler loses a by its heartbeat
            // timeout and b computes again what a held.
            DaskNode[] parts = Enumerable.Range(0, 40).Select(i => DaskNode.Call(Functions, "Slow", new object?[] { (long)i, 200L })).ToArray();
            DaskNode total = client.Submit(DaskNode.Call(Functions, "Sum", new object?[] { parts }));
            await Eventually.TrueAsync(
                async () => (await client.WhoHasAsync(parts)).Values.Count(holders => holders.Contains(aAddress)) >= 4,
                Deadline, "a holds some of the parts");

            await network.CutAsync("a");

            Assert.Equal(Enumerable.Range(0, 40).Sum(), (long)(await client.ResultAsync(total).WaitAsync(Deadline))!);
            Assert.Equal(new[] { bAddress }, (await client.GetWorkersAsync()).Select(w => w.Address));
            Assert.Equal(new[] { bAddress }, (await client.WhoHasAsync(new[] { total }))[total.Key]);
        }

        /// <summary>PEM files of one certificate for every host of the network.</summary>
        private DaskSecurity WriteCertificate(HostNetwork network)
        {
            using var certificates = new TestCertificates();
            using var certificate = certificates.IssuePeer(new[] { "scheduler", "a", "b" }.Select(h => IPAddress.Parse(network.AddressOf(h))).ToArray());
            return certificates.WritePem(certificate, _folder);
        }

        private static ChildProcess StartScheduler(HostNetwork network, DaskSecurity security)
        {
            // The selected dask release's environment; a worker that stops answering is dropped after 5 s.
            LocalSchedulerOptions options = DaskInstallation.Selected.SchedulerOptions(new Dictionary<string, string>
            {
                ["DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL"] = "5s",
                [LocalScheduler.ActiveMemoryManagerSetting] = "False",
            });
            return network.Start("scheduler", DaskInstallation.SystemPython, new[]
            {
                "-m", "distributed.cli.dask_scheduler", "--host", network.AddressOf("scheduler"), "--port", "8786", "--no-dashboard",
            }.Concat(security.SchedulerArguments()), options.Environment.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        }

        /// <summary>A worker host in the host's namespace, with the TLS files in the variables a dask worker reads.</summary>
        private static ChildProcess StartWorker(HostNetwork network, DaskSecurity security, string host, string scheduler, params string[] addresses)
        {
            var tls = new Dictionary<string, string>(StringComparer.Ordinal);
            if (security.HasTls)
            {
                tls["DASK_DISTRIBUTED__COMM__TLS__CA_FILE"] = security.CAFile!;
                tls["DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT"] = security.CertificateFile!;
                tls["DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY"] = security.KeyFile!;
            }

            return network.Start(host, Path.Combine(AppContext.BaseDirectory, "DaskPS.WorkerHost"), new[] { scheduler, host, "2" }.Concat(addresses), tls);
        }

        private static async Task<string> ContactAddressAsync(ChildProcess worker) =>
            (await worker.WaitForLineAsync(l => l.StartsWith("ADDRESS ", StringComparison.Ordinal), Deadline)).Substring("ADDRESS ".Length);
    }
}
