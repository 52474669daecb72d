//! IAM Roles Anywhere: an X.509 certificate and its private key become
//! temporary AWS credentials through `CreateSession`.
//!
//! In progress: certificate loading, the RSA signer
//! (`AWS4-X509-RSA-SHA256`) behind `sigv4-core`'s `SignatureAlgorithm`, and
//! the signed CreateSession request, checked byte for byte against a
//! request the official `aws_signing_helper` signed.

pub mod cert;
pub mod session;
pub mod signer;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The certificate could not be read.
    #[error("cannot read the certificate: {0}")]
    Certificate(String),
    /// The private key could not be read or used.
    #[error("cannot use the private key: {0}")]
    Key(String),
    /// Bad input.
    #[error("{0}")]
    Input(String),
    /// Signing failed.
    #[error("cannot sign: {0}")]
    Sign(String),
}
