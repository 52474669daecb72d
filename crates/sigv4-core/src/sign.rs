//! Header signing and query presigning.
//!
//! [`sign`] and [`presign`] take any [`SignatureAlgorithm`], so an
//! asymmetric signer (IAM Roles Anywhere's X.509 keys, SigV4a) reuses the
//! canonicalisation as it is; [`Signer`] is the HMAC-SHA256 signer with a
//! cached key that most callers want.
//!
//! Output is written into a caller-provided buffer: with a stack buffer,
//! signing performs no heap allocation at all.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::canonical::{self, CanonicalError, HeaderSet};
use crate::encode::{self, Sink, SliceSink};
use crate::key::KeyCache;
use crate::request::{Payload, Request, RequestError};
use crate::settings::{SessionTokenMode, SigningSettings};
use crate::time::{AmzDate, Timestamp};

/// The HMAC-SHA256 algorithm name of SigV4.
pub const HMAC_SHA256: &str = "AWS4-HMAC-SHA256";
/// The longest raw signature an algorithm may produce (RSA-4096).
pub const MAX_SIGNATURE_LEN: usize = 512;
/// The longest presigned URL lifetime AWS accepts: 7 days.
pub const MAX_EXPIRES: u64 = 604_800;
/// The payload hash line for an unsigned payload.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

const MAX_NAME: usize = 64;
const MAX_CREDENTIAL_ID: usize = 128;

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

/// Access key credentials, borrowed for one signature.
///
/// `Debug` shows the access key id only.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The access key id (`AKIA…`, `ASIA…`).
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

impl<'a> Credentials<'a> {
    /// Long-term credentials without a session token.
    pub fn new(access_key_id: &'a str, secret_access_key: &'a str) -> Self {
        Self {
            access_key_id,
            secret_access_key,
            session_token: None,
        }
    }

    /// The same credentials with a session token.
    pub fn with_session_token(mut self, token: &'a str) -> Self {
        self.session_token = Some(token);
        self
    }
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Where, when and how to sign.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// The region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The signing name of the service, e.g. `es`, `aoss`, `sts`, `s3`.
    pub service: &'a str,
    /// The signing time.
    pub time: Timestamp,
    /// Service-specific rules.
    pub settings: SigningSettings<'a>,
}

impl<'a> SigningParams<'a> {
    /// Default settings for `region` and `service` at `time`.
    pub fn new(region: &'a str, service: &'a str, time: Timestamp) -> Self {
        Self {
            region,
            service,
            time,
            settings: SigningSettings::default(),
        }
    }
}

/// The credential scope: `YYYYMMDD/region/service/aws4_request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The signing time.
    pub date: AmzDate,
    /// The region.
    pub region: &'a str,
    /// The service.
    pub service: &'a str,
}

impl Scope<'_> {
    /// Writes `YYYYMMDD/region/service/aws4_request`.
    pub fn write<S: Sink + ?Sized>(&self, sink: &mut S) {
        sink.put(self.date.date().as_bytes());
        sink.put(b"/");
        sink.put(self.region.as_bytes());
        sink.put(b"/");
        sink.put(self.service.as_bytes());
        sink.put(b"/aws4_request");
    }
}

impl fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/aws4_request",
            self.date.date(),
            self.region,
            self.service
        )
    }
}

/// The last step of SigV4: a signature over the string to sign.
///
/// HMAC-SHA256 with the derived key is the usual one ([`HmacSigner`]); IAM
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
    /// [`MAX_SIGNATURE_LEN`]) into `out`, which hex-encodes them.
    fn sign(
        &mut self,
        string_to_sign: &StringToSign<'_>,
        out: &mut dyn Sink,
    ) -> Result<(), SignError>;
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
        encode::hex_lower(canonical_request_hash, &mut hex);
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
        sink.put(self.algorithm.as_bytes());
        sink.put(b"\n");
        sink.put(self.scope.date.as_str().as_bytes());
        sink.put(b"\n");
        self.scope.write(sink);
        sink.put(b"\n");
        sink.put(&self.canonical_request_hash);
    }
}

/// HMAC-SHA256 with the SigV4 signing key, looked up in a [`KeyCache`].
pub struct HmacSigner<'k> {
    access_key_id: &'k str,
    secret: &'k [u8],
    cache: &'k mut KeyCache,
}

impl fmt::Debug for HmacSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSigner")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl<'k> HmacSigner<'k> {
    /// A signer for `credentials`, caching the key in `cache`.
    pub fn new(credentials: &Credentials<'k>, cache: &'k mut KeyCache) -> Self {
        Self {
            access_key_id: credentials.access_key_id,
            secret: credentials.secret_access_key.as_bytes(),
            cache,
        }
    }
}

impl SignatureAlgorithm for HmacSigner<'_> {
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
        let scope = string_to_sign.scope();
        let key =
            self.cache
                .signing_key(self.secret, scope.date.date(), scope.region, scope.service);
        out.put(&key.sign_with(|mac| string_to_sign.write(mac)));
        Ok(())
    }
}

/// Optional sinks that receive the canonical request and the string to
/// sign as they are produced (for debugging, `--format json`, tests).
pub struct Trace<'t> {
    /// Receives the canonical request.
    pub canonical_request: &'t mut dyn Sink,
    /// Receives the string to sign.
    pub string_to_sign: &'t mut dyn Sink,
}

impl fmt::Debug for Trace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Trace")
    }
}

/// What header signing adds to a request.
#[derive(Clone, Copy)]
pub struct HeaderSignature<'s> {
    authorization: &'s str,
    signature: &'s str,
    date: AmzDate,
    security_token: Option<&'s str>,
    content_sha256: Option<HashText>,
}

impl fmt::Debug for HeaderSignature<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderSignature")
            .field("authorization", &self.authorization)
            .field("date", &self.date)
            .field("security_token", &self.security_token.map(|_| "<redacted>"))
            .field("content_sha256", &self.content_sha256())
            .finish()
    }
}

impl<'s> HeaderSignature<'s> {
    /// The `Authorization` header value.
    pub fn authorization(&self) -> &'s str {
        self.authorization
    }

    /// The signature, as lower-case hex.
    pub fn signature(&self) -> &'s str {
        self.signature
    }

    /// The `X-Amz-Date` header value.
    pub fn date(&self) -> AmzDate {
        self.date
    }

    /// The `X-Amz-Security-Token` value to add, if any.
    pub fn security_token(&self) -> Option<&'s str> {
        self.security_token
    }

    /// The `X-Amz-Content-Sha256` value to add, if the settings asked for
    /// one and the request did not carry it already.
    pub fn content_sha256(&self) -> Option<&str> {
        self.content_sha256.as_ref().map(HashText::as_str)
    }

    /// Every header to add (replacing any of the same name), in the order
    /// to send them: `X-Amz-Date`, `X-Amz-Security-Token`,
    /// `X-Amz-Content-Sha256`, `Authorization`.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some(("X-Amz-Date", self.date.as_str())),
            self.security_token.map(|t| ("X-Amz-Security-Token", t)),
            self.content_sha256().map(|h| ("X-Amz-Content-Sha256", h)),
            Some(("Authorization", self.authorization)),
        ]
        .into_iter()
        .flatten()
    }
}

/// What presigning adds to a URL.
#[derive(Clone, Copy, Debug)]
pub struct QuerySignature<'s> {
    query: &'s str,
    signature: &'s str,
}

impl<'s> QuerySignature<'s> {
    /// The parameters to append to the query, `&`-joined and encoded
    /// (`X-Amz-Algorithm=…&…&X-Amz-Signature=…`).
    pub fn query(&self) -> &'s str {
        self.query
    }

    /// The signature, as lower-case hex.
    pub fn signature(&self) -> &'s str {
        self.signature
    }
}

fn valid_name(s: &str) -> bool {
    (1..=MAX_NAME).contains(&s.len())
        && encode::all_bytes(s.as_bytes(), |b| {
            b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_') | (b == b'.')
        })
}

/// Visible ASCII (0x21..=0x7e), non-empty.
fn printable(s: &str) -> bool {
    !s.is_empty() && encode::all_bytes(s.as_bytes(), encode::is_visible)
}

pub(crate) fn check_scope(region: &str, service: &str) -> Result<(), SignError> {
    if !valid_name(region) {
        return Err(SignError::InvalidRegion);
    }
    if !valid_name(service) {
        return Err(SignError::InvalidService);
    }
    Ok(())
}

fn check<A: SignatureAlgorithm + ?Sized>(
    alg: &A,
    request: &Request<'_>,
    params: &SigningParams<'_>,
    token: Option<&str>,
) -> Result<(), SignError> {
    request.validate_headers()?;
    check_scope(params.region, params.service)?;
    let name = alg.name();
    if name.len() > MAX_NAME || !printable(name) {
        return Err(SignError::InvalidAlgorithm);
    }
    let id = alg.credential_id();
    if id.len() > MAX_CREDENTIAL_ID
        || !printable(id)
        || !encode::all_bytes(id.as_bytes(), |b| (b != b'/') & (b != b','))
    {
        return Err(SignError::InvalidCredentialId);
    }
    if token.is_some_and(|t| !printable(t)) {
        return Err(SignError::InvalidSessionToken);
    }
    Ok(())
}

/// The payload hash line: from `x-amz-content-sha256` if the request has
/// one, else from the payload.
pub(crate) fn payload_hash<'p>(
    request: &Request<'p>,
    scratch: &'p mut [u8; 64],
) -> Result<&'p str, SignError> {
    if let Some(v) = request.header_value("x-amz-content-sha256") {
        let v = v.trim_matches([' ', '\t']);
        return if printable(v) && v.len() <= 64 {
            Ok(v)
        } else {
            Err(SignError::InvalidPayloadHash)
        };
    }
    match request.payload() {
        Payload::Bytes(body) => {
            let digest: [u8; 32] = Sha256::digest(body).into();
            Ok(encode::hex_lower(&digest, scratch))
        }
        Payload::Precomputed(h) if printable(h) && h.len() <= 64 => Ok(h),
        Payload::Precomputed(_) => Err(SignError::InvalidPayloadHash),
        Payload::Unsigned => Ok(UNSIGNED_PAYLOAD),
    }
}

/// A payload hash line (at most 64 bytes) held by value.
#[derive(Clone, Copy)]
struct HashText {
    buf: [u8; 64],
    len: usize,
}

impl HashText {
    fn new(s: &str) -> Self {
        let mut buf = [0u8; 64];
        let len = s.len().min(64);
        buf[..len].copy_from_slice(&s.as_bytes()[..len]);
        Self { buf, len }
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// A SHA-256 fed through a 512-byte stack buffer (the canonical request
/// arrives in many small pieces; hashing them one by one costs more than
/// the hash), that also copies what it hashes to an optional trace sink.
struct HashTee<'t> {
    hash: Sha256,
    buf: [u8; 512],
    len: usize,
    copy: Option<&'t mut dyn Sink>,
}

impl<'t> HashTee<'t> {
    fn new(copy: Option<&'t mut dyn Sink>) -> Self {
        Self {
            hash: Sha256::new(),
            buf: [0; 512],
            len: 0,
            copy,
        }
    }

    fn finalize(mut self) -> [u8; 32] {
        self.hash.update(&self.buf[..self.len]);
        self.hash.finalize().into()
    }
}

impl Sink for HashTee<'_> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            self.hash.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() >= self.buf.len() {
                self.hash.update(bytes);
            } else {
                self.buf[..bytes.len()].copy_from_slice(bytes);
                self.len = bytes.len();
            }
        }
        if let Some(c) = self.copy.as_deref_mut() {
            c.put(bytes);
        }
    }
}

/// Writes `bytes` encoded into the inner sink.
struct Encoding<'s, S: ?Sized>(&'s mut S);

impl<S: Sink + ?Sized> Sink for Encoding<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        encode::encode(self.0, bytes, false);
    }
}

/// Hex-encodes what is put into it, counting the raw bytes.
struct HexSink<'s, 'b> {
    out: &'s mut SliceSink<'b>,
    raw_len: usize,
}

impl Sink for HexSink<'_, '_> {
    fn put(&mut self, bytes: &[u8]) {
        self.raw_len += bytes.len();
        let mut hex = [0u8; 64];
        for chunk in bytes.chunks(32) {
            let n = 2 * chunk.len();
            encode::hex_lower(chunk, &mut hex[..n]);
            self.out.put(&hex[..n]);
        }
    }
}

/// Builds the string to sign from a canonical-request hash, signs it, and
/// writes the hex signature into `out`.
fn finish<A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    scope: &Scope<'_>,
    canonical_hash: &[u8; 32],
    trace: Option<&mut dyn Sink>,
    out: &mut SliceSink<'_>,
) -> Result<(), SignError> {
    let sts = StringToSign::new(alg.name(), *scope, canonical_hash);
    if let Some(t) = trace {
        sts.write(t);
    }
    let mut hex = HexSink { out, raw_len: 0 };
    alg.sign(&sts, &mut hex)?;
    if hex.raw_len == 0 || hex.raw_len > MAX_SIGNATURE_LEN {
        return Err(SignError::Algorithm("signature of an impossible length"));
    }
    Ok(())
}

fn too_small(out: &SliceSink<'_>, extra: usize) -> SignError {
    SignError::BufferTooSmall {
        needed: out.needed() + extra,
    }
}

/// What header signing and presigning both work out first.
struct Start<'p> {
    date: AmzDate,
    scope: Scope<'p>,
    payload: &'p str,
}

fn start<'p, A: SignatureAlgorithm + ?Sized>(
    alg: &A,
    request: &Request<'p>,
    params: &'p SigningParams<'p>,
    session_token: Option<&str>,
    hash_buf: &'p mut [u8; 64],
) -> Result<Start<'p>, SignError> {
    check(alg, request, params, session_token)?;
    let date = params.time.amz_date();
    Ok(Start {
        date,
        scope: Scope {
            date,
            region: params.region,
            service: params.service,
        },
        payload: payload_hash(request, hash_buf)?,
    })
}

/// Hashes the canonical request. `signed_names` is the signed header list
/// when it was written already (header signing reads it back from the
/// output); otherwise it is written from `headers`.
fn hash_canonical<'q>(
    request: &Request<'_>,
    settings: &SigningSettings<'_>,
    query: impl Iterator<Item = canonical::Param<'q>> + Clone,
    headers: &HeaderSet<'_, '_>,
    signed_names: Option<&[u8]>,
    payload: &str,
    trace: Option<&mut dyn Sink>,
) -> Result<[u8; 32], SignError> {
    let mut h = HashTee::new(trace);
    canonical::write_head(&mut h, request, settings, query)?;
    headers.write_canonical(&mut h);
    h.put(b"\n");
    match signed_names {
        Some(names) => h.put(names),
        None => headers.write_signed_names(&mut h),
    }
    h.put(b"\n");
    h.put(payload.as_bytes());
    Ok(h.finalize())
}

/// Writes `separator`, the hex signature and then `after` behind the first
/// `head_len` bytes of `buf`; returns the whole text and where the
/// signature stands in it.
#[allow(clippy::too_many_arguments)]
fn sign_into<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    scope: &Scope<'_>,
    canonical_hash: &[u8; 32],
    trace: Option<&mut dyn Sink>,
    buf: &'s mut [u8],
    head_len: usize,
    separator: &[u8],
    after: impl FnOnce(&mut SliceSink<'_>),
) -> Result<(&'s str, core::ops::Range<usize>), SignError> {
    let mut out = SliceSink::new(&mut buf[head_len..]);
    out.put(separator);
    let sig_start = head_len + out.len();
    finish(alg, scope, canonical_hash, trace, &mut out)?;
    let sig_end = head_len + out.len();
    after(&mut out);
    if out.overflowed() {
        return Err(too_small(&out, head_len));
    }
    let total = head_len + out.len();
    let buf: &'s [u8] = buf;
    // Everything written is ASCII or came from a `&str`.
    let text = core::str::from_utf8(&buf[..total]).map_err(|_| SignError::InvalidCredentialId)?;
    Ok((text, sig_start..sig_end))
}

/// Signs `request` in the `Authorization` header.
///
/// `buf` receives the `Authorization` value; 512 bytes fit any ordinary
/// request. The session token, if any, is signed or left out of the
/// signature as `params.settings.session_token` says; either way it is
/// returned among the headers to add.
pub fn sign<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    request: &Request<'_>,
    params: &SigningParams<'_>,
    session_token: Option<&'s str>,
    buf: &'s mut [u8],
    trace: Option<Trace<'_>>,
) -> Result<HeaderSignature<'s>, SignError> {
    let mut hash_buf = [0u8; 64];
    let Start {
        date,
        scope,
        payload,
    } = start(alg, request, params, session_token, &mut hash_buf)?;
    let settings = &params.settings;
    let signed_token = session_token.filter(|_| settings.session_token == SessionTokenMode::Signed);
    let add_sha =
        settings.content_sha256_header && request.header_value("x-amz-content-sha256").is_none();
    let mut extra: [(&str, &str); 4] = [("", ""); 4];
    let mut n_extra = 0;
    for (wanted, name, value) in [
        (
            request.header_value("host").is_none(),
            "host",
            request.host(),
        ),
        (true, "x-amz-date", date.as_str()),
        (
            signed_token.is_some(),
            "x-amz-security-token",
            signed_token.unwrap_or(""),
        ),
        (add_sha, "x-amz-content-sha256", payload),
    ] {
        if wanted {
            extra[n_extra] = (name, value);
            n_extra += 1;
        }
    }
    let signable = Signable::new(settings);
    let headers = HeaderSet::new(request.headers(), &extra[..n_extra], |n| {
        signable.includes(n)
    });

    // "ALG Credential=ID/SCOPE, SignedHeaders=a;b" goes into `buf` first;
    // the canonical request then reads the signed header list back from it.
    let mut out = SliceSink::new(&mut *buf);
    out.put(alg.name().as_bytes());
    out.put(b" Credential=");
    out.put(alg.credential_id().as_bytes());
    out.put(b"/");
    scope.write(&mut out);
    out.put(b", SignedHeaders=");
    let names_start = out.len();
    headers.write_signed_names(&mut out);
    if out.overflowed() {
        return Err(too_small(&out, 13 + 64));
    }
    let head_len = out.len();

    let (creq_trace, sts_trace) = split_trace(trace);
    let query = canonical::params(request.query().as_bytes());
    let names = Some(&buf[names_start..head_len]);
    let creq_hash = hash_canonical(
        request, settings, query, &headers, names, payload, creq_trace,
    )?;
    let (text, sig) = sign_into(
        alg,
        &scope,
        &creq_hash,
        sts_trace,
        buf,
        head_len,
        b", Signature=",
        |_| {},
    )?;
    Ok(HeaderSignature {
        authorization: text,
        signature: &text[sig],
        date,
        security_token: session_token,
        content_sha256: add_sha.then(|| HashText::new(payload)),
    })
}

/// Decides which request headers are signed: not those in the unsigned
/// list, nor those the signer sets itself. Names are first told apart by
/// length (a bit mask of the listed lengths), which rejects most at once.
struct Signable<'s> {
    settings: &'s SigningSettings<'s>,
    lengths: u64,
}

impl<'s> Signable<'s> {
    fn new(settings: &'s SigningSettings<'s>) -> Self {
        let mut lengths = (1u64 << "x-amz-date".len()) | (1u64 << "x-amz-security-token".len());
        for u in settings.unsigned_headers {
            lengths |= 1u64.checked_shl(u.len() as u32).unwrap_or(0);
        }
        Self { settings, lengths }
    }

    fn includes(&self, name: &str) -> bool {
        let len_bit = 1u64.checked_shl(name.len() as u32).unwrap_or(0);
        if name.len() < 64 && self.lengths & len_bit == 0 {
            return true;
        }
        !self.settings.is_unsigned(name)
            && !name.eq_ignore_ascii_case("x-amz-date")
            && !name.eq_ignore_ascii_case("x-amz-security-token")
    }
}

fn split_trace(trace: Option<Trace<'_>>) -> (Option<&mut dyn Sink>, Option<&mut dyn Sink>) {
    match trace {
        Some(t) => (Some(t.canonical_request), Some(t.string_to_sign)),
        None => (None, None),
    }
}

/// Presigns `request`: the signature goes in the query string.
///
/// `buf` receives the parameters to append to the URL's query (`&`-joined,
/// encoded). The payload hash comes from the request's [`Payload`]; S3
/// presigned URLs use [`Payload::Unsigned`].
pub fn presign<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    request: &Request<'_>,
    params: &SigningParams<'_>,
    session_token: Option<&str>,
    expires_secs: u64,
    buf: &'s mut [u8],
    trace: Option<Trace<'_>>,
) -> Result<QuerySignature<'s>, SignError> {
    let mut hash_buf = [0u8; 64];
    let Start {
        date,
        scope,
        payload,
    } = start(alg, request, params, session_token, &mut hash_buf)?;
    if !(1..=MAX_EXPIRES).contains(&expires_secs) {
        return Err(SignError::InvalidExpires);
    }
    let settings = &params.settings;
    let host = [("host", request.host())];
    let extra = if request.header_value("host").is_none() {
        &host[..]
    } else {
        &[]
    };
    let signable = Signable::new(settings);
    let headers = HeaderSet::new(request.headers(), extra, |n| signable.includes(n));

    // The X-Amz-* parameters are written, encoded, into `buf`; the
    // canonical query reads them back from there, sorted in among the
    // request's own parameters.
    let mut out = SliceSink::new(&mut *buf);
    out.put(b"X-Amz-Algorithm=");
    encode::encode(&mut out, alg.name().as_bytes(), false);
    out.put(b"&X-Amz-Credential=");
    encode::encode(&mut out, alg.credential_id().as_bytes(), false);
    out.put(b"%2F");
    scope.write(&mut Encoding(&mut out));
    out.put(b"&X-Amz-Date=");
    out.put(date.as_str().as_bytes());
    out.put(b"&X-Amz-Expires=");
    let mut digits = [0u8; 20];
    out.put(decimal(expires_secs, &mut digits));
    out.put(b"&X-Amz-SignedHeaders=");
    headers.write_signed_names(&mut Encoding(&mut out));
    let token_param = |out: &mut SliceSink<'_>, token: &str| {
        out.put(b"&X-Amz-Security-Token=");
        encode::encode(out, token.as_bytes(), false);
    };
    let token_signed = settings.session_token == SessionTokenMode::Signed;
    if let (Some(t), true) = (session_token, token_signed) {
        token_param(&mut out, t);
    }
    if out.overflowed() {
        return Err(too_small(&out, 20 + 64));
    }
    let head_len = out.len();

    let (creq_trace, sts_trace) = split_trace(trace);
    let added = &buf[..head_len];
    let query = canonical::params(request.query().as_bytes()).chain(canonical::params(added));
    let creq_hash = hash_canonical(
        request, settings, query, &headers, None, payload, creq_trace,
    )?;
    let (text, sig) = sign_into(
        alg,
        &scope,
        &creq_hash,
        sts_trace,
        buf,
        head_len,
        b"&X-Amz-Signature=",
        |out| {
            if let (Some(t), false) = (session_token, token_signed) {
                token_param(out, t);
            }
        },
    )?;
    Ok(QuerySignature {
        query: text,
        signature: &text[sig],
    })
}

fn decimal(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

/// The HMAC-SHA256 SigV4 signer, with a cached signing key.
///
/// Keep one per thread (or per task) and reuse it: after the first request
/// of a day, signing costs one SHA-256 over the canonical request and one
/// HMAC over the string to sign.
///
/// # Examples
///
/// ```
/// use sigv4_core::{Credentials, Request, Signer, SigningParams};
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let req = Request::new("GET", "https://example.amazonaws.com/")?;
/// let params = SigningParams::new("us-east-1", "service", "20150830T123600Z".parse()?);
/// let mut signer = Signer::new();
/// let mut buf = [0u8; 512];
/// let out = signer.sign(&req, &creds, &params, &mut buf)?;
/// assert_eq!(
///     out.signature(),
///     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Signer {
    cache: KeyCache,
}

impl Signer {
    /// A signer with an empty key cache.
    pub const fn new() -> Self {
        Self {
            cache: KeyCache::new(),
        }
    }

    /// Signs in the `Authorization` header; see [`sign`].
    pub fn sign<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &Credentials<'s>,
        params: &SigningParams<'_>,
        buf: &'s mut [u8],
    ) -> Result<HeaderSignature<'s>, SignError> {
        self.sign_traced(request, credentials, params, buf, None)
    }

    /// [`Signer::sign`], also writing the canonical request and the string
    /// to sign to `trace`.
    pub fn sign_traced<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &Credentials<'s>,
        params: &SigningParams<'_>,
        buf: &'s mut [u8],
        trace: Option<Trace<'_>>,
    ) -> Result<HeaderSignature<'s>, SignError> {
        let mut alg = HmacSigner::new(credentials, &mut self.cache);
        sign(
            &mut alg,
            request,
            params,
            credentials.session_token,
            buf,
            trace,
        )
    }

    /// Presigns in the query string; see [`presign`].
    pub fn presign<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &Credentials<'_>,
        params: &SigningParams<'_>,
        expires_secs: u64,
        buf: &'s mut [u8],
    ) -> Result<QuerySignature<'s>, SignError> {
        self.presign_traced(request, credentials, params, expires_secs, buf, None)
    }

    /// [`Signer::presign`], also writing the canonical request and the
    /// string to sign to `trace`.
    pub fn presign_traced<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &Credentials<'_>,
        params: &SigningParams<'_>,
        expires_secs: u64,
        buf: &'s mut [u8],
        trace: Option<Trace<'_>>,
    ) -> Result<QuerySignature<'s>, SignError> {
        let mut alg = HmacSigner::new(credentials, &mut self.cache);
        presign(
            &mut alg,
            request,
            params,
            credentials.session_token,
            expires_secs,
            buf,
            trace,
        )
    }
}
