using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace DaskPS.Comm
{
    /// <summary>Certificates for tls:// connections, as dask's tls transport takes them.</summary>
    public sealed class TlsOptions
    {
        /// <summary>This side's certificate (with private key): required to listen, optional to connect (client certificate).</summary>
        public X509Certificate2? Certificate { get; set; }

        /// <summary>Whether a listener insists on a client certificate (dask's mutual TLS).</summary>
        public bool RequireClientCertificate { get; set; } = true;

        /// <summary>A CA (or self-signed peer certificate) to trust instead of the system store.</summary>
        public X509Certificate2? TrustedAuthority { get; set; }

        /// <summary>The name to expect in the server certificate; by default the host of the address.</summary>
        public string? ServerName { get; set; }

        public SslProtocols Protocols { get; set; } = SslProtocols.None;

        internal bool ValidatePeer(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, bool isServer)
        {
            if (certificate is null)
            {
                return isServer && !RequireClientCertificate;
            }

            if (TrustedAuthority is null)
            {
                return errors == SslPolicyErrors.None;
            }

            // Name mismatches still count; chain errors are re-judged against the trusted authority only.
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var custom = new X509Chain();
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            custom.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            custom.ChainPolicy.ExtraStore.Add(TrustedAuthority);
            var leaf = new X509Certificate2(certificate);
            if (!custom.Build(leaf))
            {
                return false;
            }

            X509Certificate2 root = custom.ChainElements[custom.ChainElements.Count - 1].Certificate;
            return root.Thumbprint == TrustedAuthority.Thumbprint;
        }
    }
}
