//! Why a request could not be signed.

use crate::canonical::CanonicalError;
use crate::request::RequestError;

/// Why a request could not be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The region is empty, longer than 64 bytes, or has characters other
    /// than letters, digits, `-`, `_` and `.`.
    #[error("invalid region: must be 1-64 letters, digits, '-', '_' or '.'")]
    InvalidRegion,
    /// The service name breaks the same rules as a region.
    #[error("invalid service name: must be 1-64 letters, digits, '-', '_' or '.'")]
    InvalidService,
    /// The access key id (or other credential id) is empty, too long, or
    /// holds `/`, `,`, spaces or control characters.
    #[error("invalid access key id: must be 1-128 printable characters without '/', ',' or spaces")]
    InvalidCredentialId,
    /// The algorithm name is empty, too long or not printable.
    #[error("invalid algorithm name")]
    InvalidAlgorithm,
    /// The session token is empty or has characters a header cannot carry.
    #[error("invalid session token: must be printable ASCII without spaces")]
    InvalidSessionToken,
    /// A precomputed payload hash (or an `x-amz-content-sha256` header) is
    /// empty or not printable ASCII.
    #[error("invalid payload hash: must be printable ASCII, e.g. 64 hex digits")]
    InvalidPayloadHash,
    /// The presigned URL lifetime is outside 1..=604800 seconds.
    #[error("expiry must be between 1 and 604800 seconds (7 days)")]
    InvalidExpires,
    /// The output buffer is too small; `needed` bytes would do.
    #[error("output buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// Bytes the output needs.
        needed: usize,
    },
    /// The request's headers cannot be signed.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The request has no canonical form.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    /// The signature algorithm failed (e.g. a hardware key refused).
    #[error("the signature algorithm failed: {0}")]
    Algorithm(&'static str),
}
