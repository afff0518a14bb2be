using System;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaskPS.Testing
{
    /// <summary>Throw-away certificates made at run time: a CA, a server certificate for 127.0.0.1 and a client certificate.</summary>
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
            Server = Issue("CN=127.0.0.1", server: true);
            Client = Issue("CN=daskps-client", server: false);
        }

        public X509Certificate2 Authority { get; }

        public X509Certificate2 Server { get; }

        public X509Certificate2 Client { get; }

        public void Dispose()
        {
            Authority.Dispose();
            Server.Dispose();
            Client.Dispose();
        }

        private X509Certificate2 Issue(string subject, bool server)
        {
            using RSA key = RSA.Create(2048);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                new OidCollection { new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2") }, false));
            if (server)
            {
                var names = new SubjectAlternativeNameBuilder();
                names.AddIpAddress(IPAddress.Loopback);
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
