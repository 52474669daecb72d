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
//!
//! [`KeyCache`] also keeps the MAC's state after the string to sign's
//! first block, which requests signed in the same second share (the
//! algorithm, the time and the start of the scope): a signer making many
//! requests a second hashes one block fewer for each. [`SharedKeyCache`]
//! does the same beside its entry: its entries are never changed in
//! place, so that readers take no lock, and the state for the current
//! second is a second snapshot that names the entry it was made with.

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::encode::ct_eq;
use crate::sha::{HmacKey, Mac};
use crate::sign::{HMAC_SHA256, Scope, StringToSign};
use crate::time::AmzDate;

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
    /// The string to sign's first block, hashed, for the last signing
    /// time seen.
    head: Option<Head>,
}

/// The HMAC's inner state after the string to sign's first block, for one
/// signing time. With this entry's date, region and service, an
/// `AWS4-HMAC-SHA256` string to sign begins with the same 64 bytes for
/// every request signed in the same second — the algorithm, the time and
/// the start of the scope, where the scope is long enough that the
/// canonical request's hash starts in a later block — so requests signed
/// within a second of each other skip one block of their MAC's five.
struct Head {
    time: AmzDate,
    state: [u32; 8],
}

impl Drop for Head {
    fn drop(&mut self) {
        // Derived from the key.
        self.state.zeroize();
    }
}

/// Keeps the first block written into it.
struct FirstBlock {
    buf: [u8; 64],
    len: usize,
}

impl crate::Sink for FirstBlock {
    fn put(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(64 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }
}

/// Passes on what is put into it after its first `skip` bytes.
struct Skip<'m, S: ?Sized> {
    skip: usize,
    to: &'m mut S,
}

impl<S: crate::Sink + ?Sized> crate::Sink for Skip<'_, S> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        match bytes.get(self.skip..) {
            Some(rest) => {
                self.skip = 0;
                self.to.put(rest);
            }
            None => self.skip -= bytes.len(),
        }
    }
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
            head: None,
        })
    }

    /// The key for `secret` and `scope` if it is this entry's.
    fn key_for(&self, secret: &[u8], scope: &Scope<'_>) -> Option<SigningKey> {
        self.fits(secret, scope)
            .then(|| SigningKey(self.key.clone()))
    }

    /// Whether this is the key for `secret` and `scope`.
    fn fits(&self, secret: &[u8], scope: &Scope<'_>) -> bool {
        self.matches(
            secret,
            scope.date.date_bytes(),
            scope.region.as_bytes(),
            scope.service.as_bytes(),
        )
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
/// When a signer or verifier signs through it, it also keeps the HMAC's
/// state after the string to sign's first 64 bytes (algorithm, time and
/// the start of the scope) for the last signing time, so signatures made
/// in the same second hash one block fewer. That state is derived from the
/// key, so it is kept like the key: replaced with it and zeroised when
/// dropped.
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

    /// The `AWS4-HMAC-SHA256` signature of `sts`: its HMAC under the
    /// signing key for `secret` and its scope, the first block of the
    /// string reused from the last call when the signing time is the same
    /// (see [`Head`]). Also the key, for what signs after it (chunks).
    pub(crate) fn sign_string(
        &mut self,
        secret: &[u8],
        sts: &StringToSign<'_>,
    ) -> (SigningKey, [u8; 32]) {
        let key = self.signing_key(secret, sts.scope());
        // The entry is this key's when there is one (a secret too long to
        // cache leaves none).
        let Some(entry) = self
            .entry
            .as_mut()
            .filter(|_| sts.algorithm() == HMAC_SHA256)
        else {
            let mac = key.sign_inline(|mac| sts.write(mac));
            return (key, mac);
        };
        let time = sts.scope().date;
        let state = match &entry.head {
            Some(head) if head.time == time => head.state,
            _ => {
                let Some(state) = first_block(&key, sts) else {
                    let mac = key.sign_inline(|mac| sts.write(mac));
                    return (key, mac);
                };
                entry.head = Some(Head { time, state });
                state
            }
        };
        let mac = after_first_block(&key, state, sts);
        (key, mac)
    }
}

/// The inner hash's state after the string to sign's first block, if
/// that block holds no byte of the canonical request's hash (else a
/// scope so short that the hash starts in it: `None`).
fn first_block(key: &SigningKey, sts: &StringToSign<'_>) -> Option<[u32; 8]> {
    let mut first = FirstBlock {
        buf: [0; 64],
        len: 0,
    };
    sts.write_head(&mut first);
    (first.len == 64).then(|| key.0.inner_after(&first.buf))
}

/// The MAC of `sts` from `state`, its [`first_block`].
#[inline(always)]
fn after_first_block(key: &SigningKey, state: [u32; 8], sts: &StringToSign<'_>) -> [u8; 32] {
    key.0
        .mac_after(state, |mac| sts.write(&mut Skip { skip: 64, to: mac }))
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
/// zeroised when its last reader lets go of it. Like [`KeyCache`], it also
/// keeps the state after the string to sign's first block for the last
/// signing time, in a second snapshot tied to the key entry it was made
/// with (a new signing second allocates one). [`SharedSigner`] signs
/// through one.
///
/// [`SharedSigner`]: crate::SharedSigner
#[cfg(feature = "std")]
#[derive(Default)]
pub struct SharedKeyCache {
    entry: arc_swap::ArcSwapOption<Entry>,
    head: arc_swap::ArcSwapOption<SharedHead>,
}

/// [`Head`] for a [`SharedKeyCache`]: made with `entry`'s key. The weak
/// reference keeps that entry's allocation (not its key, which is
/// zeroised when the cache drops it), so no later entry can stand at
/// the same address while this is held.
#[cfg(feature = "std")]
struct SharedHead {
    entry: std::sync::Weak<Entry>,
    head: Head,
}

#[cfg(feature = "std")]
impl core::fmt::Debug for SharedKeyCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedKeyCache")
            .field("filled", &self.entry.load().is_some())
            .finish()
    }
}

#[cfg(feature = "std")]
impl SharedKeyCache {
    /// An empty cache.
    pub const fn new() -> Self {
        Self {
            entry: arc_swap::ArcSwapOption::const_empty(),
            head: arc_swap::ArcSwapOption::const_empty(),
        }
    }

    /// See [`KeyCache::signing_key`].
    pub fn signing_key(&self, secret: &[u8], scope: &Scope<'_>) -> SigningKey {
        if let Some(key) = self
            .entry
            .load()
            .as_deref()
            .and_then(|e| e.key_for(secret, scope))
        {
            return key;
        }
        let (key, entry) = Entry::derive(secret, scope);
        if let Some(entry) = entry {
            self.entry.store(Some(std::sync::Arc::new(entry)));
        }
        key
    }

    /// [`KeyCache::sign_string`], for any number of threads.
    pub(crate) fn sign_string(&self, secret: &[u8], sts: &StringToSign<'_>) -> [u8; 32] {
        let scope = sts.scope();
        if sts.algorithm() != HMAC_SHA256 {
            return self
                .signing_key(secret, scope)
                .sign_inline(|mac| sts.write(mac));
        }
        let entry = self.entry.load();
        if let Some(entry) = entry.as_ref().filter(|e| e.fits(secret, scope)) {
            return self.sign_with(entry, sts);
        }
        let (key, entry) = Entry::derive(secret, scope);
        let Some(entry) = entry else {
            return key.sign_inline(|mac| sts.write(mac));
        };
        let entry = std::sync::Arc::new(entry);
        self.entry.store(Some(std::sync::Arc::clone(&entry)));
        self.sign_with(&entry, sts)
    }

    /// [`Self::sign_string`] with `entry`, the key for `sts`'s scope.
    #[inline(always)]
    fn sign_with(&self, entry: &std::sync::Arc<Entry>, sts: &StringToSign<'_>) -> [u8; 32] {
        let key = SigningKey(entry.key.clone());
        let time = sts.scope().date;
        let head = self.head.load();
        let state = match head.as_deref() {
            Some(h)
                if h.head.time == time
                    && std::sync::Weak::as_ptr(&h.entry) == std::sync::Arc::as_ptr(entry) =>
            {
                h.head.state
            }
            _ => {
                let Some(state) = first_block(&key, sts) else {
                    return key.sign_inline(|mac| sts.write(mac));
                };
                self.head.store(Some(std::sync::Arc::new(SharedHead {
                    entry: std::sync::Arc::downgrade(entry),
                    head: Head { time, state },
                })));
                state
            }
        };
        after_first_block(&key, state, sts)
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

    /// The string to sign's MAC with the first block reused, against the
    /// `hmac` crate over the whole string (the key derived with it too),
    /// through every way the reused block could go stale: the next
    /// second, back again, another algorithm in the same second, another
    /// region, service or secret, and a scope too short to have a first
    /// block of its own.
    #[test]
    fn reused_first_block_matches_the_whole_mac() {
        use hmac::{KeyInit, Mac as _};
        fn mac(key: &[u8], data: &[u8]) -> [u8; 32] {
            let mut m = hmac::Hmac::<Sha256>::new_from_slice(key).unwrap();
            m.update(data);
            m.finalize().into_bytes().into()
        }
        fn reference(secret: &[u8], sts: &StringToSign<'_>) -> [u8; 32] {
            let scope = sts.scope();
            let k = mac(&[b"AWS4", secret].concat(), scope.date.date_bytes());
            let k = mac(&k, scope.region.as_bytes());
            let k = mac(&k, scope.service.as_bytes());
            let k = mac(&k, b"aws4_request");
            let mut text = alloc::vec::Vec::new();
            sts.write(&mut text);
            mac(&k, &text)
        }
        let at = |time: &str, region: &'static str, service: &'static str| {
            let t: crate::Timestamp = time.parse().unwrap();
            Scope {
                date: t.amz_date(),
                region,
                service,
            }
        };
        let hash = [7u8; 32];
        // Times in the same second, the next one, and an algorithm that
        // must not share the HMAC one's first block.
        const T0: &str = "20150830T123600Z";
        const T1: &str = "20150830T123601Z";
        const ECDSA: &str = "AWS4-ECDSA-P256-SHA256";
        let cases: [(&str, &[u8], Scope<'_>); 10] = [
            (HMAC_SHA256, b"s1", at(T0, "us-east-1", "iam")),
            (HMAC_SHA256, b"s1", at(T0, "us-east-1", "iam")),
            (HMAC_SHA256, b"s1", at(T1, "us-east-1", "iam")),
            (HMAC_SHA256, b"s1", at(T0, "us-east-1", "iam")),
            (ECDSA, b"s1", at(T0, "us-east-1", "iam")),
            (HMAC_SHA256, b"s1", at(T0, "us-west-2", "iam")),
            (HMAC_SHA256, b"s1", at(T0, "us-west-2", "sts")),
            (HMAC_SHA256, b"s2", at(T0, "us-west-2", "sts")),
            (HMAC_SHA256, b"s2", at(T0, "a", "b")),
            (HMAC_SHA256, b"s2", at(T0, "a", "b")),
        ];
        let mut cache = KeyCache::new();
        for (i, (alg, secret, scope)) in cases.into_iter().enumerate() {
            let sts = StringToSign::new(alg, scope, &hash);
            assert_eq!(
                cache.sign_string(secret, &sts).1,
                reference(secret, &sts),
                "case {i}"
            );
        }
        // The first block is reused within the second: a spoiled kept
        // state shows in the next MAC of that second, and not after.
        let mut cache = KeyCache::new();
        let first = StringToSign::new(HMAC_SHA256, at(T0, "us-east-1", "iam"), &hash);
        cache.sign_string(b"s1", &first);
        if let Some(head) = cache.entry.as_mut().and_then(|e| e.head.as_mut()) {
            head.state[0] ^= 1;
        }
        let same_second = StringToSign::new(HMAC_SHA256, at(T0, "us-east-1", "iam"), &[8; 32]);
        assert_ne!(
            cache.sign_string(b"s1", &same_second).1,
            reference(b"s1", &same_second)
        );
        let next = StringToSign::new(HMAC_SHA256, at(T1, "us-east-1", "iam"), &[8; 32]);
        assert_eq!(cache.sign_string(b"s1", &next).1, reference(b"s1", &next));

        // The shared cache likewise, and a state made with another
        // secret's entry at the same time (cases 6 and 7) is not reused.
        #[cfg(feature = "std")]
        {
            let shared = SharedKeyCache::new();
            for (i, (alg, secret, scope)) in cases.into_iter().enumerate() {
                let sts = StringToSign::new(alg, scope, &hash);
                assert_eq!(
                    shared.sign_string(secret, &sts),
                    reference(secret, &sts),
                    "shared, case {i}"
                );
            }
            let shared = SharedKeyCache::new();
            shared.sign_string(b"s1", &first);
            let spoiled = shared.head.load_full().map(|h| {
                let mut state = h.head.state;
                state[0] ^= 1;
                std::sync::Arc::new(SharedHead {
                    entry: h.entry.clone(),
                    head: Head {
                        time: h.head.time,
                        state,
                    },
                })
            });
            assert!(spoiled.is_some());
            shared.head.store(spoiled);
            assert_ne!(
                shared.sign_string(b"s1", &same_second),
                reference(b"s1", &same_second)
            );
            assert_eq!(shared.sign_string(b"s1", &next), reference(b"s1", &next));
        }
    }
}
