//! SigV4a: `AWS4-ECDSA-P256-SHA256`, the asymmetric variant of SigV4 that
//! signs once for a set of regions (multi-region access points, global
//! endpoints).
//!
//! The canonical request is SigV4's, with the region set signed in an
//! `X-Amz-Region-Set` header (or query parameter); the credential scope has
//! no region (`YYYYMMDD/service/aws4_request`); the signature is a DER
//! ECDSA P-256 signature over the SHA-256 of the string to sign.
//!
//! The key is an ECDSA P-256 private key derived from the access key pair
//! (NIST SP 800-108, KDF in counter mode, HMAC-SHA256 as the PRF):
//!
//! ```text
//! for counter in 1..=254:
//!     k0 = HMAC-SHA256("AWS4A" + secret,
//!             be32(1) || "AWS4-ECDSA-P256-SHA256" || 0x00 || access_key_id || counter || be32(256))
//!     if k0 <= n - 2: private key = k0 + 1; done
//! ```
//!
//! Derivation costs a P-256 scalar multiplication (for the public key), so
//! [`SigV4aKeyCache`] keeps the last key, keyed on the access key id and
//! the secret (compared in constant time) and zeroised when replaced.
//! Signatures use RFC 6979 deterministic nonces; pass entropy to
//! [`EcdsaP256Algorithm::with_entropy`] to hedge them.

use core::fmt;

use ecdsa::hazmat::sign_prehashed_rfc6979;
use ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::PrimeField;
use p256::{FieldBytes, NistP256, NonZeroScalar, Scalar};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::encode::Sink;
use crate::sha::HmacKey;
use crate::sign::{CredentialsRef, SignError, SignatureAlgorithm, StringToSign};

/// The SigV4a algorithm name.
pub const ECDSA_P256_SHA256: &str = "AWS4-ECDSA-P256-SHA256";

/// The longest access key id [`SigV4aKeyCache`] stores; longer ids still
/// sign, deriving the key on every call.
const MAX_CACHED_ID: usize = 128;
/// The longest secret [`SigV4aKeyCache`] stores.
const MAX_CACHED_SECRET: usize = crate::key::MAX_CACHED_SECRET;

/// A SigV4a key pair derived from an access key pair.
///
/// `Debug` shows the public key only; the private scalar is zeroised on
/// drop.
#[derive(Clone)]
pub struct SigV4aKey {
    key: SigningKey,
}

impl fmt::Debug for SigV4aKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4aKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl SigV4aKey {
    /// Derives the key of an access key pair (see the [module](self) docs).
    pub fn derive(access_key_id: &str, secret_access_key: &[u8]) -> Result<Self, SignError> {
        // "AWS4A" + secret as the HMAC key: short secrets are copied into a
        // stack block; longer ones are hashed first, as HMAC itself would.
        let mac = {
            let mut key = Zeroizing::new([0u8; 64]);
            if secret_access_key.len() + 5 <= 64 {
                key[..5].copy_from_slice(b"AWS4A");
                key[5..5 + secret_access_key.len()].copy_from_slice(secret_access_key);
                HmacKey::new(&key[..5 + secret_access_key.len()])
            } else {
                let mut h = Sha256::new();
                h.update(b"AWS4A");
                h.update(secret_access_key);
                key[..32].copy_from_slice(&h.finalize());
                HmacKey::new(&key[..32])
            }
        };
        for counter in 1u8..=254 {
            let k0 = Zeroizing::new(mac.mac_with(|m| {
                m.put(&1u32.to_be_bytes());
                m.put(ECDSA_P256_SHA256.as_bytes());
                m.put(&[0]);
                m.put(access_key_id.as_bytes());
                m.put(&[counter]);
                m.put(&256u32.to_be_bytes());
            }));
            // k0 ≤ n − 2 exactly when k0 is a scalar (k0 < n, checked in
            // constant time by `from_repr`) and k0 + 1 is not zero mod n.
            let repr: FieldBytes = (*k0).into();
            let Some(k0) = Option::<Scalar>::from(Scalar::from_repr(repr)) else {
                continue;
            };
            let d = Zeroizing::new(k0 + Scalar::ONE);
            let Some(d) = Option::<NonZeroScalar>::from(NonZeroScalar::new(*d)) else {
                continue;
            };
            return Ok(Self {
                key: SigningKey::from(d),
            });
        }
        // Each round fails with probability about 2^-32.
        Err(SignError::Algorithm("no SigV4a key could be derived"))
    }

    /// The public key, for verifiers that hold no secret.
    pub fn public_key(&self) -> SigV4aPublicKey {
        SigV4aPublicKey(*self.key.verifying_key())
    }

    /// Signs a SHA-256 prehash: a DER signature into `out`, hex-encoded
    /// by the sink's owner. RFC 6979 nonce, hedged with `entropy` if given.
    pub(crate) fn sign_prehash(&self, hash: &[u8; 32], entropy: &[u8], out: &mut dyn Sink) {
        let (sig, _) =
            sign_prehashed_rfc6979::<NistP256, Sha256>(self.key.as_nonzero_scalar(), hash, entropy);
        out.put(sig.to_der().as_bytes());
    }

    /// Signs a string to sign.
    fn sign_sts(&self, sts: &StringToSign<'_>, entropy: &[u8], out: &mut dyn Sink) {
        self.sign_prehash(&sts_digest(sts), entropy, out);
    }
}

/// SHA-256 of the string to sign: what ECDSA signs.
fn sts_digest(sts: &StringToSign<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    sts.write(&mut h);
    h.finalize().into()
}

/// A SigV4a public key (an ECDSA P-256 point).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SigV4aPublicKey(VerifyingKey);

impl fmt::Debug for SigV4aPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut hex = [0u8; 130];
        let text = crate::encode::hex_lower(&self.to_uncompressed(), &mut hex);
        write!(f, "SigV4aPublicKey({text})")
    }
}

/// Why bytes are not a SigV4a public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a P-256 public key: expected a SEC1 point (65 bytes 04‖X‖Y, or 33 bytes compressed) on the curve"
)]
pub struct InvalidPublicKey;

impl SigV4aPublicKey {
    /// A key from its SEC1 encoding (uncompressed `04‖X‖Y` or compressed).
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self, InvalidPublicKey> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| InvalidPublicKey)
    }

    /// A key from its affine coordinates, big-endian.
    pub fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> Result<Self, InvalidPublicKey> {
        let mut sec1 = [0u8; 65];
        sec1[0] = 4;
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        Self::from_sec1_bytes(&sec1)
    }

    /// The uncompressed SEC1 encoding, `04‖X‖Y`.
    pub fn to_uncompressed(&self) -> [u8; 65] {
        let point = self.0.to_sec1_point(false);
        let mut out = [0u8; 65];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// Checks a DER signature (lower-case hex) over the string to sign.
    pub(crate) fn verify_sts(&self, sts: &StringToSign<'_>, hex_der: &[u8]) -> bool {
        self.verify_prehash_hex(&sts_digest(sts), hex_der)
    }
}

impl SigV4aPublicKey {
    /// Checks a DER signature, in lower-case hex, over a SHA-256 prehash.
    pub(crate) fn verify_prehash_hex(&self, hash: &[u8; 32], hex_der: &[u8]) -> bool {
        let mut der = [0u8; MAX_DER_SIGNATURE];
        let Some(der) = crate::encode::hex_decode(hex_der, &mut der) else {
            return false;
        };
        let Ok(sig) = Signature::from_der(der) else {
            return false;
        };
        self.0.verify_prehash(hash, &sig).is_ok()
    }
}

/// The longest DER ECDSA P-256 signature: `30 46 (02 21 00‖r) (02 21 00‖s)`.
pub(crate) const MAX_DER_SIGNATURE: usize = 72;

struct CacheEntry {
    id: [u8; MAX_CACHED_ID],
    id_len: usize,
    secret: [u8; MAX_CACHED_SECRET],
    secret_len: usize,
    /// False when the id or secret was too long to store: never a hit.
    cacheable: bool,
    key: SigV4aKey,
}

impl Drop for CacheEntry {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// A one-entry cache of the derived SigV4a key, keyed on the access key id
/// and the secret (compared in constant time). The stored secret is
/// zeroised when replaced or dropped, and `Debug` shows nothing of it.
#[derive(Default)]
pub struct SigV4aKeyCache {
    entry: Option<CacheEntry>,
    hits: u64,
}

impl fmt::Debug for SigV4aKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4aKeyCache")
            .field("filled", &self.entry.is_some())
            .field("hits", &self.hits)
            .finish()
    }
}

impl SigV4aKeyCache {
    /// An empty cache.
    pub const fn new() -> Self {
        Self {
            entry: None,
            hits: 0,
        }
    }

    /// How many lookups were answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// The key of this access key pair, derived on a miss.
    pub fn key(&mut self, access_key_id: &str, secret: &[u8]) -> Result<&SigV4aKey, SignError> {
        let id = access_key_id.as_bytes();
        let hit = self.entry.as_ref().is_some_and(|e| {
            let same_secret: bool = crate::encode::ct_eq(&e.secret[..e.secret_len], secret);
            e.cacheable & same_secret & (e.id[..e.id_len] == *id)
        });
        if hit {
            self.hits += 1;
        } else {
            let key = SigV4aKey::derive(access_key_id, secret)?;
            let cacheable = id.len() <= MAX_CACHED_ID && secret.len() <= MAX_CACHED_SECRET;
            let mut e = CacheEntry {
                id: [0; MAX_CACHED_ID],
                id_len: 0,
                secret: [0; MAX_CACHED_SECRET],
                secret_len: 0,
                cacheable,
                key,
            };
            if cacheable {
                e.id[..id.len()].copy_from_slice(id);
                e.id_len = id.len();
                e.secret[..secret.len()].copy_from_slice(secret);
                e.secret_len = secret.len();
            }
            self.entry = Some(e);
        }
        self.entry
            .as_ref()
            .map(|e| &e.key)
            .ok_or(SignError::Algorithm("cache"))
    }
}

/// The SigV4a last step: ECDSA P-256 over the string to sign, with the key
/// derived from the access key pair and looked up in a [`SigV4aKeyCache`].
///
/// With [`sign`](crate::sign()) and [`presign`](crate::presign()) the
/// `region` of [`SigningParams`](crate::SigningParams) is the region set: one region, a
/// comma-separated list (`us-east-1,us-west-2`) or `*`.
pub struct EcdsaP256Algorithm<'k> {
    access_key_id: &'k str,
    secret: &'k [u8],
    cache: &'k mut SigV4aKeyCache,
    entropy: [u8; 32],
    hedged: bool,
}

impl fmt::Debug for EcdsaP256Algorithm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcdsaP256Algorithm")
            .field("access_key_id", &self.access_key_id)
            .field("hedged", &self.hedged)
            .finish_non_exhaustive()
    }
}

impl<'k> EcdsaP256Algorithm<'k> {
    /// A signer for `credentials`, caching the derived key in `cache`.
    /// Nonces are RFC 6979 deterministic: the same request signs to the
    /// same signature.
    pub fn new(credentials: &CredentialsRef<'k>, cache: &'k mut SigV4aKeyCache) -> Self {
        Self {
            access_key_id: credentials.access_key_id,
            secret: credentials.secret_access_key.as_bytes(),
            cache,
            entropy: [0; 32],
            hedged: false,
        }
    }

    /// Mixes `entropy` (fresh random bytes from the caller's RNG) into the
    /// nonce (RFC 6979 §3.6), so signatures are randomised; the core has
    /// no RNG of its own.
    pub fn with_entropy(mut self, entropy: [u8; 32]) -> Self {
        self.entropy = entropy;
        self.hedged = true;
        self
    }
}

impl SignatureAlgorithm for EcdsaP256Algorithm<'_> {
    fn name(&self) -> &'static str {
        ECDSA_P256_SHA256
    }

    fn credential_id(&self) -> &str {
        self.access_key_id
    }

    fn signs_region_set(&self) -> bool {
        true
    }

    fn sign(
        &mut self,
        string_to_sign: &StringToSign<'_>,
        out: &mut dyn Sink,
    ) -> Result<(), SignError> {
        let entropy: &[u8] = if self.hedged { &self.entropy } else { &[] };
        let key = self.cache.key(self.access_key_id, self.secret)?;
        key.sign_sts(string_to_sign, entropy, out);
        Ok(())
    }
}

/// The SigV4a signer, with a cached derived key: [`Signer`](crate::Signer)
/// for `AWS4-ECDSA-P256-SHA256`.
/// Like it, it keeps the last session token it presigned with, encoded
/// (with `alloc`; zeroised when replaced or dropped), the last request's
/// header layout and the last canonical request's first blocks with their
/// hash states (zeroised when dropped; about 3.5 KB in all).
///
/// `params.region` is the region set (`us-east-1`, `us-east-1,us-west-2`
/// or `*`); it is signed in `X-Amz-Region-Set`.
///
/// # Examples
///
/// ```
/// use sigv4_core::{CredentialsRef, Request, SigV4aSigner, SigningParams};
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let req = Request::new("GET", "https://example.amazonaws.com/")?;
/// let params = SigningParams::new("*", "service", "20150830T123600Z".parse()?);
/// let mut signer = SigV4aSigner::new();
/// let mut buf = [0u8; 512];
/// let out = signer.sign(&req, &creds, &params, &mut buf)?;
/// assert_eq!(out.region_set(), Some("*"));
/// assert!(out.authorization().starts_with(
///     "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/service/aws4_request, \
///      SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=30"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct SigV4aSigner {
    cache: SigV4aKeyCache,
    tokens: crate::sign::token::EncodedToken,
    layout: crate::canonical::HeaderLayout,
    presign_layout: crate::canonical::HeaderLayout,
    memo: crate::sha::PrefixMemo,
}

impl SigV4aSigner {
    /// A signer with an empty key cache.
    pub const fn new() -> Self {
        Self {
            cache: SigV4aKeyCache::new(),
            tokens: crate::sign::token::EncodedToken::new(),
            layout: crate::canonical::HeaderLayout::new(),
            presign_layout: crate::canonical::HeaderLayout::new(),
            memo: crate::sha::PrefixMemo::new(),
        }
    }

    /// The derived key of `credentials` (from the cache), e.g. to hand its
    /// public key to a verifier.
    pub fn key(&mut self, credentials: &CredentialsRef<'_>) -> Result<&SigV4aKey, SignError> {
        self.cache.key(
            credentials.access_key_id,
            credentials.secret_access_key.as_bytes(),
        )
    }

    crate::sign::signer_methods!(EcdsaP256Algorithm);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_on_id_and_secret() {
        let mut c = SigV4aKeyCache::new();
        let a = c.key("AKID", b"s1").unwrap().public_key();
        let b = c.key("AKID", b"s2").unwrap().public_key();
        assert_ne!(a, b);
        let b2 = c.key("AKID", b"s2").unwrap().public_key();
        assert_eq!(b, b2);
        assert_eq!(c.hits(), 1);
        let other = c.key("AKID2", b"s2").unwrap().public_key();
        assert_ne!(b, other);
        let long = [b'x'; 300];
        let l1 = c.key("AKID", &long).unwrap().public_key();
        let l2 = c.key("AKID", &long).unwrap().public_key();
        assert_eq!(l1, l2);
        assert_eq!(c.hits(), 1, "over-long secrets are derived every time");
    }
}
