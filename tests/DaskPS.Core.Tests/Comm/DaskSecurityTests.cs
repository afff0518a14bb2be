using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Testing;
using Xunit;

namespace DaskPS.Core.Tests.Comm
{
    public sealed class DaskSecurityTests : IDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("daskps-security-").FullName;
        private readonly TestCertificates _certificates = new TestCertificates();

        public void Dispose()
        {
            _certificates.Dispose();
            Directory.Delete(_folder, recursive: true);
        }

        [Fact]
        public void PemFilesLoadWithTheKeyInItsOwnFileOrBesideTheCertificate()
        {
            (string ca, string certificate, string key) = WritePem(_certificates.Client);
            string combined = Path.Combine(_folder, "combined.pem");
            File.WriteAllText(combined, File.ReadAllText(certificate) + "\n" + File.ReadAllText(key));

            foreach (DaskSecurity security in new[]
            {
                new DaskSecurity { CAFile = ca, CertificateFile = certificate, KeyFile = key },
                new DaskSecurity { CAFile = ca, CertificateFile = combined },
            })
            {
                TlsOptions tls = security.ToTlsOptions()!;
                Assert.Equal(_certificates.Authority.Thumbprint, tls.TrustedAuthority!.Thumbprint);
                Assert.Equal(_certificates.Client.Thumbprint, tls.Certificate!.Thumbprint);
                Assert.True(tls.Certificate.HasPrivateKey);
            }
        }

        [Fact]
        public void SettingsThatCannotWorkAreRefusedNamingTheProblem()
        {
            (string ca, string certificate, string key) = WritePem(_certificates.Client);
            using var withoutKey = X509CertificateLoader.LoadCertificate(_certificates.Client.RawData);
            string missing = Path.Combine(_folder, "missing.pem");
            foreach ((DaskSecurity security, string expected) in new[]
            {
                (new DaskSecurity { KeyFile = key }, "needs the certificate file"),
                (new DaskSecurity { CertificateFile = certificate }, "with its private key (no key file given)"),
                (new DaskSecurity { CertificateFile = missing, KeyFile = key }, $"certificate file '{missing}'"),
                (new DaskSecurity { CAFile = key }, $"The CA file '{key}' holds no certificate"),
                (new DaskSecurity { Certificate = withoutKey }, "has no private key"),
                (new DaskSecurity { Certificate = _certificates.Client, CertificateFile = certificate }, "not both"),
            })
            {
                var error = Assert.Throws<DaskTlsException>(() => security.ToTlsOptions());
                Assert.Equal(DaskTlsFailure.SettingsInvalid, error.Failure);
                Assert.Contains(expected, error.Message);
            }
        }

        [Fact]
        public void TheSchedulerGetsDasksTlsOptionsWithFullPaths()
        {
            (string ca, string certificate, string key) = WritePem(_certificates.Server);
            var security = new DaskSecurity { CAFile = ca, CertificateFile = certificate, KeyFile = key };
            Assert.Equal(
                new[] { "--protocol", "tls", "--tls-ca-file", ca, "--tls-cert", certificate, "--tls-key", key },
                security.SchedulerArguments().ToArray());
            Assert.Empty(new DaskSecurity().SchedulerArguments());

            foreach (DaskSecurity unusable in new[] { new DaskSecurity { Certificate = _certificates.Server }, new DaskSecurity { CAFile = ca }, new DaskSecurity { RequireEncryption = true } })
            {
                var error = Assert.Throws<DaskTlsException>(() => unusable.SchedulerArguments().ToArray());
                Assert.Equal(DaskTlsFailure.SettingsInvalid, error.Failure);
            }
        }

        [Fact]
        public async Task RequiredEncryptionRefusesTcpAndAcceptsTls()
        {
            var options = new CommOptions { RequireEncryption = true };
            var connect = await Assert.ThrowsAsync<DaskTlsException>(() => Transports.ConnectAsync("tcp://127.0.0.1:1", options));
            var listen = await Assert.ThrowsAsync<DaskTlsException>(() => Transports.ListenAsync("tcp://127.0.0.1:0", options));
            Assert.All(new[] { connect, listen }, e => Assert.Equal(DaskTlsFailure.EncryptionRequired, e.Failure));
            var missing = await Assert.ThrowsAsync<DaskTlsException>(() => Transports.ConnectAsync("tls://127.0.0.1:1", options));
            Assert.Equal(DaskTlsFailure.SettingsMissing, missing.Failure);
        }

        private (string CA, string Certificate, string Key) WritePem(X509Certificate2 certificate)
        {
            DaskSecurity files = _certificates.WritePem(certificate, _folder);
            return (files.CAFile!, files.CertificateFile!, files.KeyFile!);
        }
    }
}
