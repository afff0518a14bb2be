using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaskPS.Comm
{
    /// <summary>
    /// dask's security settings (its Security object): files of PEM certificates as dask's tls_ca_file, tls_cert and
    /// tls_key take them, or a certificate object, and whether plain tcp:// is refused.
    /// </summary>
    public sealed class DaskSecurity
    {
        /// <summary>The CA (PEM or DER) that peers' certificates must be signed by; the system's CAs when null.</summary>
        public string? CAFile { get; set; }

        /// <summary>This side's certificate: PEM (with its key, or the key in <see cref="KeyFile"/>), or a PKCS#12 file without password.</summary>
        public string? CertificateFile { get; set; }

        /// <summary>The PEM private key of <see cref="CertificateFile"/>, when that file does not hold it.</summary>
        public string? KeyFile { get; set; }

        /// <summary>This side's certificate with its private key, instead of <see cref="CertificateFile"/>.</summary>
        public X509Certificate2? Certificate { get; set; }

        /// <summary>Refuse tcp:// connections and listeners (dask's distributed.comm.require-encryption).</summary>
        public bool RequireEncryption { get; set; }

        /// <summary>Whether any certificate or CA is given.</summary>
        public bool HasTls => CAFile is not null || CertificateFile is not null || KeyFile is not null || Certificate is not null;

        /// <summary>Puts these settings into <paramref name="comm"/>: the loaded certificates and the tcp:// refusal.</summary>
        public void ApplyTo(CommOptions comm)
        {
            comm.Tls = ToTlsOptions();
            comm.RequireEncryption = RequireEncryption;
        }

        /// <summary>The certificates loaded from the files (or the object); null when no TLS setting is given.</summary>
        public TlsOptions? ToTlsOptions()
        {
            if (!HasTls)
            {
                return null;
            }

            if (KeyFile is not null && CertificateFile is null)
            {
                throw Invalid("A key file needs the certificate file it belongs to.");
            }

            if (Certificate is not null && CertificateFile is not null)
            {
                throw Invalid("Give either a certificate object or a certificate file, not both.");
            }

            if (Certificate is not null && !Certificate.HasPrivateKey)
            {
                throw Invalid($"The certificate '{Certificate.Subject}' has no private key; TLS needs one to prove this side's identity.");
            }

            return new TlsOptions
            {
                TrustedAuthority = CAFile is null ? null : LoadAuthority(CAFile),
                Certificate = Certificate ?? (CertificateFile is null ? null : LoadCertificate(CertificateFile, KeyFile)),
            };
        }

        /// <summary>dask-scheduler's command-line options for these settings (it takes files only).</summary>
        internal IEnumerable<string> SchedulerArguments()
        {
            if (Certificate is not null)
            {
                throw Invalid("dask-scheduler reads its certificate from files: give a certificate file (and key file), not a certificate object.");
            }

            if (!HasTls && !RequireEncryption)
            {
                yield break;
            }

            if (CertificateFile is null)
            {
                throw Invalid("A TLS scheduler needs a certificate file (and its key) to present to clients and workers.");
            }

            yield return "--protocol";
            yield return "tls";
            foreach ((string option, string? file, string what) in new[] { ("--tls-ca-file", CAFile, "CA"), ("--tls-cert", CertificateFile, "certificate"), ("--tls-key", KeyFile, "key") })
            {
                if (file is not null)
                {
                    // Unreadable files are reported here, clearly, rather than in the scheduler's start-up log.
                    ReadFile(file, what);
                    yield return option;
                    yield return Path.GetFullPath(file);
                }
            }
        }

        private static X509Certificate2 LoadAuthority(string caFile)
        {
            try
            {
                // X509Certificate2 reads PEM and DER alike; of a PEM bundle it takes the first certificate.
                return new X509Certificate2(ReadFile(caFile, "CA"));
            }
            catch (CryptographicException e)
            {
                throw Invalid($"The CA file '{caFile}' holds no certificate: {e.Message}", e);
            }
        }

        private static X509Certificate2 LoadCertificate(string certificateFile, string? keyFile)
        {
            byte[] contents = ReadFile(certificateFile, "certificate");
            if (keyFile is not null)
            {
                // Read here so that a missing or unreadable key file is named as such.
                ReadFile(keyFile, "key");
            }

            X509Certificate2 certificate = IsPem(contents) ? LoadPem(certificateFile, keyFile) : LoadPkcs12(certificateFile, contents, keyFile);
            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                throw Invalid($"The certificate file '{certificateFile}' holds no private key; give the key file too.");
            }

            return certificate;
        }

        private static X509Certificate2 LoadPem(string certificateFile, string? keyFile)
        {
            // netstandard2.0 cannot read PEM keys; .NET 5 and later (PowerShell 7) can, through this method.
            MethodInfo? createFromPemFile = typeof(X509Certificate2).GetMethod("CreateFromPemFile", new[] { typeof(string), typeof(string) });
            if (createFromPemFile is null)
            {
                throw Invalid("Reading a PEM private key needs .NET 5 or later (PowerShell 7). Here, give a certificate object with its private key, or a PKCS#12 (.pfx) certificate file.");
            }

            X509Certificate2 ephemeral;
            try
            {
                ephemeral = (X509Certificate2)createFromPemFile.Invoke(null, new object?[] { Path.GetFullPath(certificateFile), keyFile is null ? null : Path.GetFullPath(keyFile) })!;
            }
            catch (TargetInvocationException e) when (e.InnerException is CryptographicException || e.InnerException is ArgumentException)
            {
                string key = keyFile is null ? "its private key (no key file given)" : $"the key file '{keyFile}'";
                throw Invalid($"Could not read the certificate '{certificateFile}' with {key}: {e.InnerException.Message}", e.InnerException);
            }

            using (ephemeral)
            {
                // SslStream on Windows cannot use a key that lives only in memory; a PKCS#12 round trip stores it.
                return new X509Certificate2(ephemeral.Export(X509ContentType.Pkcs12));
            }
        }

        private static X509Certificate2 LoadPkcs12(string certificateFile, byte[] contents, string? keyFile)
        {
            if (keyFile is not null)
            {
                throw Invalid($"A key file goes with a PEM certificate; '{certificateFile}' is not PEM (a PKCS#12 file holds its own key).");
            }

            try
            {
                return new X509Certificate2(contents);
            }
            catch (CryptographicException e)
            {
                throw Invalid($"The certificate file '{certificateFile}' is neither PEM nor a PKCS#12 file without password: {e.Message}", e);
            }
        }

        private static bool IsPem(byte[] contents) =>
            System.Text.Encoding.ASCII.GetString(contents, 0, Math.Min(contents.Length, 4096)).Contains("-----BEGIN ");

        private static byte[] ReadFile(string path, string what)
        {
            try
            {
                return File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                throw Invalid($"Could not read the {what} file '{path}': {e.Message}", e);
            }
        }

        private static DaskTlsException Invalid(string message, Exception? inner = null) =>
            new DaskTlsException(DaskTlsFailure.SettingsInvalid, message, inner);
    }
}
