using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using DaskPS.Comm;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>
    /// Cmdlets that take dask's TLS settings as files, as dask's --tls-ca-file, --tls-cert and --tls-key do, and
    /// -RequireEncryption; the core loads them.
    /// </summary>
    public abstract class DaskTlsCmdlet : DaskCmdlet
    {
        /// <summary>The CA whose certificates peers must present (PEM or DER).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CAFile { get; set; }

        /// <summary>This side's certificate: PEM (with its key, or the key in -KeyFile), or a PKCS#12 (.pfx) file without password.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CertificateFile { get; set; }

        /// <summary>The PEM private key of -CertificateFile, when that file does not hold it.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? KeyFile { get; set; }

        /// <summary>Refuse unencrypted tcp:// connections.</summary>
        [Parameter]
        public SwitchParameter RequireEncryption { get; set; }

        /// <summary>The settings, with paths resolved against the current PowerShell location (not the process's).</summary>
        protected virtual DaskSecurity Security => new DaskSecurity
        {
            CAFile = ResolvePath(CAFile),
            CertificateFile = ResolvePath(CertificateFile),
            KeyFile = ResolvePath(KeyFile),
            RequireEncryption = RequireEncryption,
        };

        /// <summary>The parameters that give TLS settings, for an error that says what to pass.</summary>
        protected virtual string TlsParameters => "-CAFile and -CertificateFile (and -KeyFile, unless the key is in the certificate file)";

        /// <summary>An error record for a failure of the core: TLS failures by their own ErrorId (DaskTls + the failure), others by <paramref name="errorId"/>.</summary>
        protected ErrorRecord ErrorOf(DaskException exception, string errorId, object? target)
        {
            if (exception is not DaskTlsException tls)
            {
                return Error(exception, errorId, CategoryOf(exception), target);
            }

            ErrorRecord record = Error(exception, "DaskTls" + tls.Failure, CategoryOf(exception), target);
            if (tls.Failure == DaskTlsFailure.SettingsMissing)
            {
                record.ErrorDetails = new ErrorDetails($"{exception.Message} Pass {TlsParameters}.");
            }

            return record;
        }

        private string? ResolvePath(string? path) =>
            path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
    }

    /// <summary>The client and workers, which also take a certificate object (from a store or a PFX), as the scheduler cannot.</summary>
    public abstract class DaskTlsPeerCmdlet : DaskTlsCmdlet
    {
        /// <summary>This side's certificate with its private key, instead of -CertificateFile.</summary>
        [Parameter]
        [ValidateNotNull]
        public X509Certificate2? Certificate { get; set; }

        protected override DaskSecurity Security
        {
            get
            {
                DaskSecurity security = base.Security;
                security.Certificate = Certificate;
                return security;
            }
        }

        protected override string TlsParameters => "-CAFile and either -CertificateFile (with -KeyFile, unless the key is in the certificate file) or -Certificate";
    }
}
