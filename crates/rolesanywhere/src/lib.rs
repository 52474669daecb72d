//! IAM Roles Anywhere: an X.509 certificate and its private key become
//! temporary AWS credentials through `CreateSession`.
//!
//! * [`identity`] loads the certificate (PEM/DER), intermediates and key
//!   (RSA PKCS#1/PKCS#8, EC P-256/P-384 SEC1/PKCS#8, encrypted PKCS#8,
//!   PKCS#12 bundles), and checks the key belongs to the certificate;
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
//! let params = SessionParams::new(
//!     "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta",
//!     "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p",
//!     "arn:aws:iam::123456789012:role/reader",
//!     None,
//!     None,
//! )?;
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
pub mod provider;
pub mod refresh;
pub mod session;
pub mod signer;

pub use identity::{Identity, IdentitySource, Source};
pub use provider::RolesAnywhereProvider;
pub use session::{ServiceErrorKind, SessionParams};

/// What went wrong. Messages never contain key material or credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The certificate could not be read or is not usable now.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The private key could not be read or used.
    #[error("private key: {0}")]
    Key(String),
    /// The private key does not belong to the certificate.
    #[error(
        "the private key does not match the certificate's public key; check that --private-key is the key the certificate was issued for"
    )]
    KeyMismatch,
    /// Bad input (an ARN, a duration, a file that cannot be read).
    #[error("{0}")]
    Input(String),
    /// Signing failed.
    #[error("cannot sign: {0}")]
    Sign(String),
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
    #[error("{0}")]
    Response(String),
    /// No response (connection, TLS, timeout).
    #[error("cannot reach Roles Anywhere: {0}")]
    Transport(String),
    /// A feature of `aws_signing_helper` this crate does not have.
    #[error("{0}")]
    Unsupported(String),
}
