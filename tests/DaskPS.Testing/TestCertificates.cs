using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaskPS.Comm;

namespace DaskPS.Testing
{
    /// <summary>
    /// Throw-away certificates made at run time: a CA, a server certificate for 127.0.0.1, a client certificate, and on
    /// request peer certificates for other addresses.
    /// </summary>
    public sealed class TestCertificates : IDisposable
    {
        public TestCertificates()
        {
            using RSA caKey = RSA.Create(2048);
            var caRequest = new CertificateRequest("CN=DaskPS Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            DateTimeOffset now = DateTimeOffset.UtcNow;
            Authority = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));
            Server = Issue("CN=127.0.0.1", new[] { ServerAuthentication }, new[] { IPAddress.Loopback });
            Client = Issue("CN=daskps-client", new[] { ClientAuthentication }, Array.Empty<IPAddress>());
        }

        public X509Certificate2 Authority { get; }

        public X509Certificate2 Server { get; }

        public X509Certificate2 Client { get; }

        /// <summary>
        /// A certificate for these addresses that serves and connects, as a dask scheduler or worker on another host does
        /// (both listen and connect with one certificate); the caller disposes it.
        /// </summary>
        public X509Certificate2 IssuePeer(params IPAddress[] addresses) =>
            Issue("CN=" + addresses[0], new[] { ServerAuthentication, ClientAuthentication }, addresses);

        /// <summary>Writes the CA and a certificate with its key as PEM files in <paramref name="folder"/>, as dask's TLS settings name them.</summary>
        public DaskSecurity WritePem(X509Certificate2 certificate, string folder)
        {
            string name = Guid.NewGuid().ToString("N");
            var files = new DaskSecurity
            {
                CAFile = Path.Combine(folder, name + "-ca.pem"),
                CertificateFile = Path.Combine(folder, name + "-cert.pem"),
                KeyFile = Path.Combine(folder, name + "-key.pem"),
            };
            File.WriteAllText(files.CAFile, Authority.ExportCertificatePem());
            File.WriteAllText(files.CertificateFile, certificate.ExportCertificatePem());
            File.WriteAllText(files.KeyFile, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            return files;
        }

        public void Dispose()
        {
            Authority.Dispose();
            Server.Dispose();
            Client.Dispose();
        }

        private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
        private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

        private X509Certificate2 Issue(string subject, string[] usages, IPAddress[] addresses)
        {
            using RSA key = RSA.Create(2048);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            var oids = new OidCollection();
            foreach (string usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
            if (usages.Contains(ServerAuthentication))
            {
                var names = new SubjectAlternativeNameBuilder();
                foreach (IPAddress address in addresses)
                {
                    names.AddIpAddress(address);
                }

                names.AddDnsName("localhost");
                request.CertificateExtensions.Add(names.Build());
            }

            byte[] serial = new byte[8];
            RandomNumberGenerator.Fill(serial);
            DateTimeOffset now = DateTimeOffset.UtcNow;
            using X509Certificate2 issued = request.Create(Authority, now.AddMinutes(-5), now.AddMinutes(50), serial);
            using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
            // Through PFX so the private key is usable by SslStream on Linux.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
        }
    }
}
