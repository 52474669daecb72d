//! The SigV4 signing key and its cache.
//!
//! The key is four chained HMACs over the date, region and service:
//!
//! ```text
//! kDate    = HMAC("AWS4" + secret, YYYYMMDD)
//! kRegion  = HMAC(kDate, region)
//! kService = HMAC(kRegion, service)
//! kSigning = HMAC(kService, "aws4_request")
//! ```
//!
//! That is eight SHA-256 compressions and more per request than the rest of
//! signing together, so [`KeyCache`] keeps the last key — as a keyed HMAC
//! state, with the inner and outer pads already absorbed — for as long as
//! the secret, date, region and service stay the same. The cache compares
//! each of those fields on its own (no concatenated key that `a`+`bc` and
//! `ab`+`c` could share) and the secret itself, in constant time, so a
//! rotated secret never reuses the old key.

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::encode::ct_eq;
use crate::sha::{HmacKey, Mac};
use crate::sign::Scope;

/// The longest secret the cache stores (AWS secrets are 40 bytes). Longer
/// secrets still sign correctly; their keys are derived on every call.
pub const MAX_CACHED_SECRET: usize = 128;
/// The longest region or service name the cache stores.
pub const MAX_CACHED_NAME: usize = 64;

fn mac_once(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(HmacKey::new(key).mac(data))
}

/// Derives the signing key and returns it as a keyed HMAC-SHA256 state.
pub(crate) fn derive(secret: &[u8], date: &str, region: &str, service: &str) -> HmacKey {
    // HMAC keys longer than the 64-byte block are hashed first; do that
    // ourselves for "AWS4" + secret so nothing has to be concatenated on
    // the heap.
    let k_date = if secret.len() + 4 <= 64 {
        let mut key = Zeroizing::new([0u8; 64]);
        key[..4].copy_from_slice(b"AWS4");
        key[4..4 + secret.len()].copy_from_slice(secret);
        mac_once(&key[..4 + secret.len()], date.as_bytes())
    } else {
        let mut h = Sha256::new();
        h.update(b"AWS4");
        h.update(secret);
        let hashed: Zeroizing<[u8; 32]> = Zeroizing::new(h.finalize().into());
        mac_once(&hashed[..], date.as_bytes())
    };
    let k_region = mac_once(&k_date[..], region.as_bytes());
    let k_service = mac_once(&k_region[..], service.as_bytes());
    let k_signing = mac_once(&k_service[..], b"aws4_request");
    HmacKey::new(&k_signing[..])
}

/// A fixed-capacity field of the cache key.
#[derive(Clone)]
struct Field<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Field<N> {
    fn new(v: &[u8]) -> Option<Self> {
        let mut buf = [0u8; N];
        buf.get_mut(..v.len())?.copy_from_slice(v);
        Some(Self { buf, len: v.len() })
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<const N: usize> Zeroize for Field<N> {
    fn zeroize(&mut self) {
        self.buf.zeroize();
        self.len = 0;
    }
}

struct Entry {
    secret: Field<MAX_CACHED_SECRET>,
    date: [u8; 8],
    region: Field<MAX_CACHED_NAME>,
    service: Field<MAX_CACHED_NAME>,
    key: HmacKey,
}

impl Entry {
    /// An entry for the key of these fields; `None` when a field is too
    /// long to store (the key is then derived on every call).
    fn new(secret: &[u8], date: &str, region: &str, service: &str, key: &HmacKey) -> Option<Self> {
        Some(Entry {
            secret: Field::new(secret)?,
            date: <[u8; 8]>::try_from(date.as_bytes()).ok()?,
            region: Field::new(region.as_bytes())?,
            service: Field::new(service.as_bytes())?,
            key: key.clone(),
        })
    }

    /// The key for `secret` and `scope` if it is this entry's.
    fn key_for(&self, secret: &[u8], scope: &Scope<'_>) -> Option<SigningKey> {
        let date = scope.date;
        self.matches(
            secret,
            date.date_bytes(),
            scope.region.as_bytes(),
            scope.service.as_bytes(),
        )
        .then(|| SigningKey(self.key.clone()))
    }

    /// Derives the key for `secret` and `scope`, and the entry that holds
    /// it (none when a field is too long to store).
    fn derive(secret: &[u8], scope: &Scope<'_>) -> (SigningKey, Option<Self>) {
        let date_text = scope.date;
        let (date, region, service) = (date_text.date(), scope.region, scope.service);
        let key = derive(secret, date, region, service);
        let entry = Self::new(secret, date, region, service, &key);
        (SigningKey(key), entry)
    }

    fn matches(&self, secret: &[u8], date: &[u8], region: &[u8], service: &[u8]) -> bool {
        // Constant time over the secret; the rest is public.
        ct_eq(self.secret.bytes(), secret)
            && self.date[..] == *date
            && self.region.bytes() == region
            && self.service.bytes() == service
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// A one-entry cache of the derived signing key.
///
/// Keeps the key for the last (secret, date, region, service); a change of
/// any of them derives a new key. The stored secret is zeroised when it is
/// replaced or dropped, and `Debug` shows nothing of it.
///
/// # Examples
///
/// ```
/// use sigv4_core::KeyCache;
/// let mut cache = KeyCache::new();
/// use sigv4_core::Scope;
/// let scope = Scope { date: "20150830T123600Z".parse::<sigv4_core::Timestamp>()?.amz_date(), region: "us-east-1", service: "es" };
/// let a = cache.signing_key(b"secret", &scope);
/// let b = cache.signing_key(b"secret", &scope);
/// assert!(cache.hits() == 1);
/// # let _ = (a, b);
/// # Ok::<(), sigv4_core::TimeError>(())
/// ```
#[derive(Default)]
pub struct KeyCache {
    entry: Option<Entry>,
    hits: u64,
}

impl core::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyCache")
            .field("filled", &self.entry.is_some())
            .field("hits", &self.hits)
            .finish()
    }
}

impl KeyCache {
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

    /// The signing key of `secret` for `scope` (its date, region and
    /// service), as an HMAC-SHA256 state keyed with it: clone it and feed it
    /// the string to sign.
    pub fn signing_key(&mut self, secret: &[u8], scope: &Scope<'_>) -> SigningKey {
        if let Some(key) = self.entry.as_ref().and_then(|e| e.key_for(secret, scope)) {
            self.hits += 1;
            return key;
        }
        let (key, entry) = Entry::derive(secret, scope);
        self.entry = entry;
        key
    }
}

/// A derived signing key, as a keyed HMAC-SHA256 state.
#[derive(Clone)]
pub struct SigningKey(pub(crate) HmacKey);

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    /// Derives the key without a cache.
    pub fn derive(secret: &[u8], date: &str, region: &str, service: &str) -> Self {
        Self(derive(secret, date, region, service))
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        self.sign_with(|mac| mac.put(data))
    }

    /// [`Self::sign_with`] for the crate's own writers: the sink is a
    /// concrete type, so each piece goes into the MAC's buffer inline
    /// instead of through a call.
    #[inline(always)]
    pub(crate) fn sign_inline(&self, write: impl FnOnce(&mut Mac<'_, '_>)) -> [u8; 32] {
        self.0.mac_with(write)
    }

    /// HMAC-SHA256 under this key of whatever `write` puts into the sink.
    pub fn sign_with(&self, write: impl FnOnce(&mut dyn crate::Sink)) -> [u8; 32] {
        self.0.mac_with(|m| write(m))
    }
}

/// Feeds an HMAC.
impl crate::Sink for Mac<'_, '_> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        Mac::put(self, bytes);
    }
}

/// A one-entry key cache for many threads at once, read without a lock.
///
/// The entry is an immutable snapshot behind an atomically swapped pointer
/// (`arc-swap`): a lookup that hits takes no lock and writes no shared
/// memory, so threads signing with the same key do not contend; a miss
/// derives the key and swaps in a new snapshot (two threads missing at once
/// may both derive it; the last store wins). The old snapshot's secret is
/// zeroised when its last reader lets go of it. [`SharedSigner`] signs
/// through one.
///
/// [`SharedSigner`]: crate::SharedSigner
#[cfg(feature = "std")]
#[derive(Default)]
pub struct SharedKeyCache(arc_swap::ArcSwapOption<Entry>);

#[cfg(feature = "std")]
impl core::fmt::Debug for SharedKeyCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedKeyCache")
            .field("filled", &self.0.load().is_some())
            .finish()
    }
}

#[cfg(feature = "std")]
impl SharedKeyCache {
    /// An empty cache.
    pub const fn new() -> Self {
        Self(arc_swap::ArcSwapOption::const_empty())
    }

    /// See [`KeyCache::signing_key`].
    pub fn signing_key(&self, secret: &[u8], scope: &Scope<'_>) -> SigningKey {
        if let Some(key) = self
            .0
            .load()
            .as_deref()
            .and_then(|e| e.key_for(secret, scope))
        {
            return key;
        }
        let (key, entry) = Entry::derive(secret, scope);
        if let Some(entry) = entry {
            self.0.store(Some(std::sync::Arc::new(entry)));
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_key() {
        // kSigning for the AWS documentation's example is
        // c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9;
        // the expected MAC of "x" under it was computed with Python's hmac.
        let k = SigningKey::derive(
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        let mut hex = [0u8; 64];
        assert_eq!(
            crate::encode::hex_lower(&k.sign(b"x"), &mut hex),
            "8308ae1d6b6da6a0b33ec660ba35cfd48e7cd000cce6af9f0b17775e8eda9018"
        );
    }

    #[test]
    fn long_secrets_match_the_definition() {
        let secret = [7u8; 100];
        let mut key = [0u8; 104];
        key[..4].copy_from_slice(b"AWS4");
        key[4..].copy_from_slice(&secret);
        let direct = mac_once(&key, b"20150830");
        let mut h = Sha256::new();
        h.update(key);
        let hashed: [u8; 32] = h.finalize().into();
        assert_eq!(*direct, *mac_once(&hashed, b"20150830"));
        let _ = derive(&secret, "20150830", "r", "s");
    }

    fn scope<'a>(date: &str, region: &'a str, service: &'a str) -> Scope<'a> {
        let t: crate::Timestamp = alloc::format!("{date}T000000Z").parse().unwrap();
        Scope {
            date: t.amz_date(),
            region,
            service,
        }
    }

    #[test]
    fn cache_keys_on_every_field() {
        let mut c = KeyCache::new();
        let base = c
            .signing_key(b"s1", &scope("20150830", "ab", "c"))
            .sign(b"m");
        // The same concatenation split differently must not hit.
        let shifted = c
            .signing_key(b"s1", &scope("20150830", "a", "bc"))
            .sign(b"m");
        assert_ne!(base, shifted);
        // A rotated secret must not hit.
        let rotated = c
            .signing_key(b"s2", &scope("20150830", "a", "bc"))
            .sign(b"m");
        assert_ne!(shifted, rotated);
        assert_eq!(c.hits(), 0);
        let again = c
            .signing_key(b"s2", &scope("20150830", "a", "bc"))
            .sign(b"m");
        assert_eq!(rotated, again);
        assert_eq!(c.hits(), 1);
        let next_day = c
            .signing_key(b"s2", &scope("20150831", "a", "bc"))
            .sign(b"m");
        assert_ne!(again, next_day);
        assert_eq!(c.hits(), 1);
    }
}
