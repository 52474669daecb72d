#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
//! AWS Signature Version 4 — canonicalisation, signing, presigning and
//! server-side verification.
//!
//! * `no_std`, no I/O, no clock: the signing time is an argument.
//! * Signing into a caller-provided buffer allocates nothing; the signing
//!   key is cached, so steady-state signing is one SHA-256 over the
//!   canonical request and one HMAC over the string to sign.
//! * The canonical request and string to sign are produced by the same code
//!   for signing, presigning and verifying, and the last step sits behind
//!   [`SignatureAlgorithm`], so asymmetric signers (IAM Roles Anywhere)
//!   reuse it.
//!
//! # Example
//!
//! ```
//! use sigv4_core::{CredentialsRef, Payload, Request, Signer, SigningParams, Timestamp};
//!
//! let creds = CredentialsRef::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let body = br#"{"query":{"match_all":{}}}"#;
//! let headers = [("content-type", "application/json")];
//! let req = Request::new("POST", "https://search-d.us-east-1.es.amazonaws.com/idx/_search")?
//!     .with_headers(&headers)
//!     .with_payload(Payload::Bytes(body));
//! let now: Timestamp = "20150830T123600Z".parse()?; // or Timestamp::now() with `std`
//! let params = SigningParams::new("us-east-1", "es", now);
//!
//! let mut signer = Signer::new(); // keep it: it caches the signing key and the header layout
//! let mut buf = [0u8; 512];
//! let signed = signer.sign(&req, &creds, &params, &mut buf)?;
//! for (name, value) in signed.headers() {
//!     println!("{name}: {value}"); // X-Amz-Date, then Authorization
//! }
//! assert!(signed.authorization().starts_with(
//!     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/es/aws4_request, \
//!      SignedHeaders=content-type;host;x-amz-date, Signature="));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! * `alloc`: owned outputs ([`SignedHeaders`], [`SignedQuery`]).
//! * `std` (default): [`Timestamp::now`], `SystemTime` conversions, and
//!   [`SharedSigner`] with its lock-free [`SharedKeyCache`] for signing
//!   from many threads through one signer.
//! * `http` (default): sign and verify `http::Request<B>` in place
//!   ([`http_sign`]).
//! * `chunked`: S3 streaming uploads (`aws-chunked`): chunk and trailer
//!   signatures, checksum trailers, an encoder and a verifying decoder
//!   (`chunked` module).
//! * `eventstream`: event-stream message signatures (`:chunk-signature`),
//!   signed and verified (`eventstream` module).
//! * `sigv4a`: SigV4a (`AWS4-ECDSA-P256-SHA256`) signing, presigning and
//!   verification (`sigv4a` module), through the `p256` crate.
//!
//! Errors implement `core::error::Error` in every configuration.

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod canonical;
#[cfg(feature = "chunked")]
#[cfg_attr(docsrs, doc(cfg(feature = "chunked")))]
pub mod chunked;
mod encode;
#[cfg(feature = "eventstream")]
#[cfg_attr(docsrs, doc(cfg(feature = "eventstream")))]
pub mod eventstream;
mod key;
mod request;
mod settings;
mod sha;
mod sign;
#[cfg(feature = "sigv4a")]
#[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
pub mod sigv4a;
mod time;
mod verify;

#[cfg(feature = "http")]
pub mod http_sign;
#[cfg(feature = "alloc")]
mod owned;

pub use canonical::{CanonicalError, MAX_PATH_SEGMENTS, MAX_QUERY_PARAMS};
pub use encode::Sink;
#[cfg(feature = "std")]
pub use key::SharedKeyCache;
pub use key::{KeyCache, MAX_CACHED_NAME, MAX_CACHED_SECRET, SigningKey};
#[cfg(feature = "alloc")]
pub use owned::{SCRATCH_BYTES, SignedHeaders, SignedQuery, Traced, append_query, with_scratch};
pub use request::{Header, MAX_HEADERS, Payload, Request, RequestError, Scheme};
pub use settings::{DEFAULT_UNSIGNED_HEADERS, PathEncoding, SessionTokenMode, SigningSettings};
#[cfg(feature = "std")]
pub use sign::SharedSigner;
#[allow(deprecated)]
pub use sign::{Credentials, HmacSigner};
pub use sign::{
    CredentialsRef, HMAC_SHA256, HeaderSignature, HmacAlgorithm, MAX_EXPIRES, MAX_SIGNATURE_LEN,
    QuerySignature, Scope, SignError, SignatureAlgorithm, Signer, SigningInput, SigningParams,
    StringToSign, Trace, UNSIGNED_PAYLOAD, presign, presign_traced, sign, sign_traced,
};
#[cfg(feature = "sigv4a")]
pub use sigv4a::{
    ECDSA_P256_SHA256, EcdsaP256Algorithm, SigV4aKey, SigV4aKeyCache, SigV4aPublicKey, SigV4aSigner,
};
pub use time::{AmzDate, TimeError, Timestamp};
pub use verify::{ShortStr, Verified, Verifier, VerifyError, VerifySettings};

/// Entry points for the fuzz targets; not part of the API.
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub mod __fuzz {
    use alloc::vec::Vec;

    use crate::canonical::{self, CanonicalError};
    use crate::settings::{PathEncoding, SigningSettings};

    /// The canonical path of a wire path.
    pub fn canonical_path(
        path: &str,
        normalize: bool,
        double: bool,
    ) -> Result<Vec<u8>, CanonicalError> {
        let settings = SigningSettings {
            normalize_path: normalize,
            path_encoding: if double {
                PathEncoding::Double
            } else {
                PathEncoding::Single
            },
            ..SigningSettings::default()
        };
        let mut out = Vec::new();
        canonical::write_path(&mut out, path, &settings)?;
        Ok(out)
    }

    /// The canonical query of a wire query, sorted in a stack array (or by
    /// selection past it).
    pub fn canonical_query(query: &[u8]) -> Result<Vec<u8>, CanonicalError> {
        let mut out = Vec::new();
        canonical::write_query(&mut out, canonical::params(query))?;
        Ok(out)
    }

    /// The canonical query, always by selection.
    pub fn canonical_query_by_selection(query: &[u8]) -> Result<Vec<u8>, CanonicalError> {
        let mut out = Vec::new();
        canonical::write_query_by_selection(&mut out, canonical::params(query))?;
        Ok(out)
    }
}
