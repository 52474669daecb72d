//! IAM Roles Anywhere: an X.509 certificate and its private key become
//! temporary AWS credentials through `CreateSession`.
//!
//! * [`identity`] loads the certificate (PEM/DER), intermediates and key
//!   (RSA PKCS#1/PKCS#8, EC P-256/P-384 SEC1/PKCS#8, encrypted PKCS#8,
//!   PKCS#12 bundles), and checks the key belongs to the certificate;
//!   keys that never leave their device come from [`pkcs11`] (smart cards,
//!   HSMs; feature `pkcs11`) and `tpm` (a TPM 2.0's `TSS2 PRIVATE KEY`
//!   files and persistent handles; feature `tpm`, which links
//!   `libtss2-esys`);
//! * [`signer`] signs with `AWS4-X509-RSA-SHA256` or
//!   `AWS4-X509-ECDSA-SHA256` behind `sigv4-core`'s `SignatureAlgorithm`;
//! * [`session`] builds the signed CreateSession request and reads its
//!   response, without I/O;
//! * [`provider`] is a `cred-providers` provider for in-process use;
//! * the `rolesanywhere` binary (feature `cli`) is a drop-in for
//!   `aws_signing_helper`: `credential-process`, `sign-string`,
//!   `read-certificate-data`, `serve`, `update`.
//!
//! # Example
//!
//! Build (without sending) the CreateSession request for a certificate and
//! key:
//!
//! ```
//! use rolesanywhere::identity::{Identity, IdentitySource, Source};
//! use rolesanywhere::session::{SessionParams, create_session_request};
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/kat/");
//! let mut id = Identity::load(&IdentitySource {
//!     certificate: Source::path(format!("{dir}alice-cert.crt")),
//!     private_key: Some(Source::path(format!("{dir}alice-cert.key"))),
//!     intermediates: None,
//!     password: None,
//! })?;
//! let params = SessionParams::builder(
//!     "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta",
//!     "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p",
//!     "arn:aws:iam::123456789012:role/reader",
//! )
//! .build()?;
//! let time = "20240101T000000Z".parse().unwrap();
//! let req = create_session_request(&params, &id.certificate, &id.chain, &mut id.signer, time, None)?;
//! assert_eq!(req.uri().host(), Some("rolesanywhere.us-east-1.amazonaws.com"));
//! assert!(req.headers()["authorization"].to_str().unwrap().starts_with("AWS4-X509-RSA-SHA256 "));
//! # Ok::<(), rolesanywhere::Error>(())
//! ```

pub mod cert;
pub mod credentials_file;
pub mod identity;
pub mod imds_server;
pub mod key;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
pub mod policy;
pub mod provider;
pub mod refresh;
pub mod session;
pub mod signer;
#[cfg(feature = "tpm")]
pub mod tpm;

pub use identity::{Identity, IdentitySource, Source};
pub use provider::RolesAnywhereProvider;
pub use session::{ServiceErrorKind, SessionParams};

/// A lower error kept as the source of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong. Messages never contain key material or credentials,
/// and never name a command-line flag (the `rolesanywhere` binary adds
/// that wording). Variants that come from a lower error keep it as their
/// [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The certificate could not be parsed or is not usable now.
    #[error("certificate: {message}")]
    Certificate {
        /// What is wrong.
        message: String,
        /// The parser's error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// The private key could not be parsed, decrypted or used.
    #[error("private key: {message}")]
    Key {
        /// What is wrong.
        message: String,
        /// The parser's or the crypto library's error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// The private key does not belong to the certificate.
    #[error(
        "the private key does not match the certificate's public key: it is not the key the certificate was issued for"
    )]
    KeyMismatch,
    /// The private key (or PKCS#12 bundle) is encrypted and no passphrase
    /// was given.
    #[error("the private key is encrypted and needs its passphrase")]
    PassphraseRequired,
    /// The passphrase does not open the key or bundle.
    #[error(
        "wrong passphrase for the {what} (or an encryption other than PBES2 with PBKDF2 or scrypt and AES-CBC)"
    )]
    WrongPassphrase {
        /// "private key" or "PKCS#12 bundle".
        what: &'static str,
    },
    /// A certificate, key or bundle could not be read.
    #[error("cannot read the {what} {from}: {source}")]
    Read {
        /// What was read ("certificate", "private key", …).
        what: String,
        /// The file, or "from stdin".
        from: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A parameter is not valid (an ARN, a region, a duration, a session
    /// name, an endpoint URL).
    #[error("{0}")]
    InvalidParameter(String),
    /// The request could not be signed.
    #[error("cannot sign: {0}")]
    Sign(#[from] sigv4_core::SignError),
    /// The service refused, in its own words.
    #[error("CreateSession failed: {kind} (HTTP {status}): {message}")]
    Service {
        /// The error the service named.
        kind: ServiceErrorKind,
        /// The HTTP status.
        status: u16,
        /// The service's message.
        message: String,
    },
    /// The response could not be read.
    #[error("{message}")]
    Response {
        /// What did not fit.
        message: String,
        /// The JSON error, when there is one.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// No response (connection, TLS, timeout).
    #[error("cannot reach Roles Anywhere: {0}")]
    Transport(#[from] cred_providers::TransportError),
    /// A feature of `aws_signing_helper` this crate does not have.
    #[error("{0}")]
    Unsupported(String),
}

impl Error {
    /// A certificate error.
    pub fn certificate(message: impl Into<String>) -> Self {
        Self::Certificate {
            message: message.into(),
            source: None,
        }
    }

    /// A key error.
    pub fn key(message: impl Into<String>) -> Self {
        Self::Key {
            message: message.into(),
            source: None,
        }
    }

    /// A response error.
    pub fn response(message: impl Into<String>) -> Self {
        Self::Response {
            message: message.into(),
            source: None,
        }
    }

    /// The same error with `source` as its cause (certificate and key
    /// errors; others are returned unchanged).
    pub fn with_source(mut self, e: impl Into<BoxError>) -> Self {
        match &mut self {
            Self::Certificate { source, .. } | Self::Key { source, .. } => {
                *source = Some(e.into());
            }
            _ => {}
        }
        self
    }

    /// True when the inputs are at fault (certificate, key, a parameter,
    /// a file): retrying will not help.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Self::Certificate { .. }
                | Self::Key { .. }
                | Self::KeyMismatch
                | Self::PassphraseRequired
                | Self::WrongPassphrase { .. }
                | Self::Read { .. }
                | Self::InvalidParameter(_)
                | Self::Unsupported(_)
        )
    }

    /// True when trying again later may succeed: the service could not be
    /// reached, throttled or failed on its side.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(t) => t.is_retryable(),
            Self::Service { status, kind, .. } => {
                *status >= 500
                    || *status == 429
                    || matches!(kind, ServiceErrorKind::Other(n) if n == "ThrottlingException")
            }
            _ => false,
        }
    }
}
