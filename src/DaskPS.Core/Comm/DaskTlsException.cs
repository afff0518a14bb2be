namespace DaskPS.Comm
{
    /// <summary>What went wrong with TLS, so callers can tell a settings mistake from a refused certificate.</summary>
    public enum DaskTlsFailure
    {
        /// <summary>A tls:// address, but no certificates were given.</summary>
        SettingsMissing,

        /// <summary>A certificate, key or CA file could not be used.</summary>
        SettingsInvalid,

        /// <summary>A tcp:// address while encryption is required.</summary>
        EncryptionRequired,

        /// <summary>The peer ended the handshake and this side offered no certificate: the peer requires one.</summary>
        ClientCertificateMissing,

        /// <summary>The peer ended the handshake after this side offered its certificate: the peer does not trust its CA.</summary>
        ClientCertificateRefused,

        /// <summary>The peer's certificate is not signed by the trusted CA, or does not name the peer.</summary>
        ServerCertificateUntrusted,

        /// <summary>The TLS handshake failed otherwise: the peer does not speak TLS, or its TLS library gave up.</summary>
        HandshakeFailed,
    }

    /// <summary>A TLS connection could not be set up; <see cref="Failure"/> says why.</summary>
    public sealed class DaskTlsException : DaskException
    {
        public DaskTlsException(DaskTlsFailure failure, string message, System.Exception? inner = null) : base(message, inner)
        {
            Failure = failure;
        }

        public DaskTlsFailure Failure { get; }
    }
}
