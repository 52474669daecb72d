//! The last step of SigV4 behind a trait, the string to sign, and the
//! HMAC-SHA256 signer.

use core::fmt;

use crate::encode::{self, Sink};
use crate::key::KeyCache;

use super::{CredentialsRef, HMAC_SHA256, Scope, SignError};

/// The last step of SigV4: a signature over the string to sign.
///
/// HMAC-SHA256 with the derived key is the usual one ([`HmacAlgorithm`]); IAM
/// Roles Anywhere signs with an X.509 private key instead and names a
/// certificate serial number as the credential. Everything before this
/// step — canonical request, string to sign — is shared.
pub trait SignatureAlgorithm {
    /// The algorithm name, e.g. `AWS4-HMAC-SHA256`.
    fn name(&self) -> &'static str;
    /// What goes before the scope in `Credential=`: an access key id, or a
    /// certificate serial number.
    fn credential_id(&self) -> &str;
    /// Signs the string to sign (write it with [`StringToSign::write`] into
    /// a hash or a buffer), putting the raw signature bytes (at most
    /// [`MAX_SIGNATURE_LEN`](super::MAX_SIGNATURE_LEN)) into `out`, which hex-encodes them.
    fn sign(
        &mut self,
        string_to_sign: &StringToSign<'_>,
        out: &mut dyn Sink,
    ) -> Result<(), SignError>;

    /// True for SigV4a-style algorithms, which sign for a region set: the
    /// credential scope then has no region, and the region of the
    /// [`SigningParams`](super::SigningParams) is signed as
    /// `X-Amz-Region-Set` instead. False by default.
    fn signs_region_set(&self) -> bool {
        false
    }
}

/// The string to sign, kept as its parts:
/// `ALGORITHM\nYYYYMMDDTHHMMSSZ\nscope\nhex(sha256(canonical request))`.
#[derive(Clone, Copy, Debug)]
pub struct StringToSign<'a> {
    algorithm: &'a str,
    scope: Scope<'a>,
    canonical_request_hash: [u8; 64],
}

impl<'a> StringToSign<'a> {
    /// The string to sign for a canonical request with this SHA-256.
    pub fn new(algorithm: &'a str, scope: Scope<'a>, canonical_request_hash: &[u8; 32]) -> Self {
        let mut hex = [0u8; 64];
        encode::hex_bytes(canonical_request_hash, &mut hex);
        Self {
            algorithm,
            scope,
            canonical_request_hash: hex,
        }
    }

    /// The credential scope.
    pub fn scope(&self) -> &Scope<'a> {
        &self.scope
    }

    /// Writes the string to sign.
    pub fn write<S: Sink + ?Sized>(&self, sink: &mut S) {
        self.write_head(sink);
        sink.put(&self.canonical_request_hash);
    }

    /// The algorithm name, as written on the first line.
    pub(crate) fn algorithm(&self) -> &str {
        self.algorithm
    }

    /// Writes the three lines before the canonical request's hash (the
    /// algorithm, the time and the scope): the part of the string that
    /// every request signed in the same second with the same scope
    /// shares.
    pub(crate) fn write_head<S: Sink + ?Sized>(&self, sink: &mut S) {
        sink.put(self.algorithm.as_bytes());
        sink.put(b"\n");
        sink.put(self.scope.date.as_bytes());
        sink.put(b"\n");
        self.scope.write(sink);
        sink.put(b"\n");
    }
}

/// HMAC-SHA256 with the SigV4 signing key, looked up in a [`KeyCache`].
pub struct HmacAlgorithm<'k> {
    access_key_id: &'k str,
    secret: &'k [u8],
    cache: Keys<'k>,
}

/// Where [`HmacAlgorithm`] finds the signing key.
enum Keys<'k> {
    /// A signer's own cache.
    Own(&'k mut KeyCache),
    /// A cache shared between threads.
    #[cfg(feature = "std")]
    Shared(&'k crate::key::SharedKeyCache),
}

impl fmt::Debug for HmacAlgorithm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacAlgorithm")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl<'k> HmacAlgorithm<'k> {
    /// A signer for `credentials`, caching the key in `cache`.
    pub fn new(credentials: &CredentialsRef<'k>, cache: &'k mut KeyCache) -> Self {
        Self {
            access_key_id: credentials.access_key_id,
            secret: credentials.secret_access_key.as_bytes(),
            cache: Keys::Own(cache),
        }
    }

    /// A signer for `credentials` with the key in a cache shared between
    /// threads.
    #[cfg(feature = "std")]
    pub(crate) fn shared(
        credentials: &CredentialsRef<'k>,
        cache: &'k crate::key::SharedKeyCache,
    ) -> Self {
        Self {
            access_key_id: credentials.access_key_id,
            secret: credentials.secret_access_key.as_bytes(),
            cache: Keys::Shared(cache),
        }
    }
}

impl SignatureAlgorithm for HmacAlgorithm<'_> {
    fn name(&self) -> &'static str {
        HMAC_SHA256
    }

    fn credential_id(&self) -> &str {
        self.access_key_id
    }

    fn sign(
        &mut self,
        string_to_sign: &StringToSign<'_>,
        out: &mut dyn Sink,
    ) -> Result<(), SignError> {
        let mac = match &mut self.cache {
            Keys::Own(cache) => cache.sign_string(self.secret, string_to_sign).1,
            #[cfg(feature = "std")]
            Keys::Shared(cache) => cache.sign_string(self.secret, string_to_sign),
        };
        out.put(&mac);
        Ok(())
    }
}

/// The former name of [`HmacAlgorithm`].
#[deprecated(
    note = "renamed HmacAlgorithm: the SigV4 HMAC-SHA256 step; `Signer` is the signer with a key cache"
)]
pub type HmacSigner<'k> = HmacAlgorithm<'k>;
