//! What varies between services: path rules, payload header, token placement,
//! and which headers are never signed.

/// How the canonical path is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathEncoding {
    /// The wire path is encoded once more (`%` becomes `%25`): every service
    /// except S3.
    Double,
    /// The wire path is used as it is: S3.
    Single,
}

/// Where the session token goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionTokenMode {
    /// `X-Amz-Security-Token` is part of what is signed (the default).
    Signed,
    /// `X-Amz-Security-Token` is added after signing and not covered by the
    /// signature, for the few services that want that (e.g. IoT presigned
    /// WebSocket URLs).
    AppendedAfterSigning,
}

/// Headers the AWS SDKs never sign: they are changed by proxies and clients
/// on the way (hop-by-hop headers, `user-agent`, `expect`, the X-Ray trace
/// id), so signing them would break requests that are otherwise valid.
pub const DEFAULT_UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "expect",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Signing settings. [`SigningSettings::default`] fits most services;
/// [`SigningSettings::s3`] fits S3.
///
/// # Examples
///
/// ```
/// use sigv4_core::{PathEncoding, SigningSettings};
/// // OpenSearch Serverless (`aoss`) requires a signed x-amz-content-sha256.
/// let aoss = SigningSettings { content_sha256_header: true, ..Default::default() };
/// assert_eq!(aoss.path_encoding, PathEncoding::Double);
/// assert!(SigningSettings::s3().content_sha256_header);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningSettings<'a> {
    /// Remove `.`/`..` and empty segments from the path before signing.
    pub normalize_path: bool,
    /// Encode the wire path once more (most services) or not (S3).
    pub path_encoding: PathEncoding,
    /// Add `x-amz-content-sha256` with the payload hash, and sign it
    /// (header signing only). Required by S3 and OpenSearch Serverless.
    pub content_sha256_header: bool,
    /// Whether the session token is signed or appended afterwards.
    pub session_token: SessionTokenMode,
    /// Header names (lower-case) left out of the signature.
    pub unsigned_headers: &'a [&'a str],
}

impl Default for SigningSettings<'_> {
    fn default() -> Self {
        Self {
            normalize_path: true,
            path_encoding: PathEncoding::Double,
            content_sha256_header: false,
            session_token: SessionTokenMode::Signed,
            unsigned_headers: DEFAULT_LIST,
        }
    }
}

/// The default list, behind one address: a signer recognises it by that
/// address and uses its filter ([`DEFAULT_FILTER`]) computed at compile
/// time.
static DEFAULT_LIST: &[&str] = DEFAULT_UNSIGNED_HEADERS;

/// [`name_filter`] of every default unsigned header.
const DEFAULT_FILTER: u64 = {
    let mut f = 0;
    let mut i = 0;
    while i < DEFAULT_UNSIGNED_HEADERS.len() {
        f |= name_filter(DEFAULT_UNSIGNED_HEADERS[i].as_bytes());
        i += 1;
    }
    f
};

/// One bit of 64 chosen by a header name's length and its first and last
/// bytes, case-folded: names equal but for ASCII case get the same bit, so
/// a name whose bit is not in a list's filter is in no list entry.
pub(crate) const fn name_filter(name: &[u8]) -> u64 {
    let (first, last) = match name {
        [] => (0, 0),
        [f, .., l] => (*f | 0x20, *l | 0x20),
        [f] => (*f | 0x20, *f | 0x20),
    };
    let mix = name.len() ^ ((first as usize) * 5) ^ ((last as usize) * 3);
    1u64 << (mix % 64)
}

impl SigningSettings<'_> {
    /// S3's rules: no path normalisation, single encoding, and a signed
    /// `x-amz-content-sha256`.
    pub fn s3() -> Self {
        Self {
            normalize_path: false,
            path_encoding: PathEncoding::Single,
            content_sha256_header: true,
            ..Self::default()
        }
    }

    /// The union of [`name_filter`] over the unsigned list.
    pub(crate) fn unsigned_filter(&self) -> u64 {
        if self.uses_default_unsigned() {
            return DEFAULT_FILTER;
        }
        self.unsigned_headers
            .iter()
            .fold(0, |f, u| f | name_filter(u.as_bytes()))
    }

    /// Whether the unsigned list is the default one (by address: the
    /// default list is a `static`, so its contents never change).
    pub(crate) fn uses_default_unsigned(&self) -> bool {
        core::ptr::eq(self.unsigned_headers, DEFAULT_LIST)
    }

    pub(crate) fn is_unsigned(&self, name: &str) -> bool {
        self.unsigned_headers
            .iter()
            .any(|u| crate::encode::eq_ignore_case(u.as_bytes(), name.as_bytes()))
    }
}
