//! Server-side verification of SigV4 requests and presigned URLs.
//!
//! The verifier parses the `Authorization` header (or the `X-Amz-*` query
//! parameters of a presigned URL), checks the signing time against `now`,
//! asks the caller for the secret of the named access key, rebuilds the
//! canonical request from the request as received, and compares signatures
//! in constant time. It shares the canonicalisation code with the signer.

use core::fmt;

use crate::canonical::{self, CanonicalError, Param};
use crate::encode::{self, Decoded};
use crate::key::KeyCache;
use crate::request::{Payload, Request};
use crate::settings::SigningSettings;
use crate::sign::{
    HMAC_SHA256, MAX_EXPIRES, Scope, StringToSign, UNSIGNED_PAYLOAD, check_scope, check_service,
};
use crate::time::{AmzDate, Timestamp};

/// Why a request failed verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request carries no usable signature: missing or malformed
    /// `Authorization` header, presigned parameters or date.
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
    /// The algorithm is neither `AWS4-HMAC-SHA256` nor (with the `sigv4a`
    /// feature) `AWS4-ECDSA-P256-SHA256`, or it is not the one the
    /// verification method handles (a public key verifies SigV4a only).
    #[error(
        "unsupported signature algorithm: AWS4-HMAC-SHA256 and (with the sigv4a feature) AWS4-ECDSA-P256-SHA256 are verified"
    )]
    UnsupportedAlgorithm,
    /// The lookup knows no secret for the access key id.
    #[error("unknown access key id")]
    UnknownAccessKey,
    /// Signed too long ago: outside the clock-skew window, or past the
    /// presigned URL's expiry.
    #[error("signature expired: signed too long ago or past its expiry")]
    Expired,
    /// Signed in the future, beyond the allowed clock skew.
    #[error("signature not yet valid: signing time is ahead of the server clock")]
    NotYetValid,
    /// The signature does not match the request.
    #[error("signature mismatch: the request was changed or signed with another secret")]
    SignatureMismatch,
    /// The signature is valid, but the body is not the one whose SHA-256
    /// the request signed in `x-amz-content-sha256`: the body was changed
    /// on the way. (Without that header a changed body is a
    /// [`SignatureMismatch`](Self::SignatureMismatch).)
    #[error("payload hash mismatch: the body is not the one that was signed")]
    PayloadHashMismatch,
    /// The request signs `UNSIGNED-PAYLOAD`, so its body is not
    /// authenticated, and the settings do not allow that
    /// ([`VerifySettings::allow_unsigned_payload`]).
    #[error(
        "unsigned payload refused: the request signs UNSIGNED-PAYLOAD and this verifier requires a signed body hash"
    )]
    UnsignedPayload,
    /// The request signs a `STREAMING-…` payload (S3's `aws-chunked`
    /// uploads, whose chunks carry their own signatures). This verifier
    /// does not decode chunked bodies, so it refuses them rather than take
    /// the marker for a body hash.
    #[error(
        "streaming payload refused: STREAMING-… (aws-chunked) payload signatures are not verified here"
    )]
    StreamingPayload,
    /// The caller's [`Payload`] cannot be checked against the request: a
    /// precomputed hash that is not 64 lower-case hex digits, or
    /// [`Payload::Unsigned`] (no body) for a request that signs a body hash.
    #[error("the payload given to the verifier is unusable: {0}")]
    PayloadArgument(&'static str),
    /// The request's headers are unusable.
    #[error(transparent)]
    Request(#[from] crate::request::RequestError),
    /// The request has no canonical form.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
}

/// What the verifier accepts.
#[derive(Clone, Copy, Debug)]
pub struct VerifySettings<'a> {
    /// How far the signing time may be from `now`, in seconds. AWS allows
    /// five minutes.
    pub max_skew_secs: u64,
    /// The path rules the signer used (normalisation, encoding).
    pub signing: SigningSettings<'a>,
    /// Presigned URLs without `x-amz-content-sha256` sign
    /// `UNSIGNED-PAYLOAD` instead of the body hash (S3). Setting this also
    /// accepts such presigned URLs, whatever
    /// [`allow_unsigned_payload`](Self::allow_unsigned_payload) says.
    pub unsigned_presigned_payload: bool,
    /// Accept requests that sign `UNSIGNED-PAYLOAD` (in
    /// `x-amz-content-sha256`, or as [`Payload::Unsigned`]): their body is
    /// then not authenticated at all. Off by default:
    /// [`VerifyError::UnsignedPayload`].
    pub allow_unsigned_payload: bool,
    /// When the credential scope names `s3`, apply S3's rules (no path
    /// normalisation, single encoding, unsigned payloads accepted, presigned
    /// URLs unsigned-payload) instead of `signing`,
    /// `unsigned_presigned_payload` and `allow_unsigned_payload`. On by
    /// default.
    pub s3_rules_for_s3_scope: bool,
}

impl Default for VerifySettings<'_> {
    fn default() -> Self {
        Self {
            max_skew_secs: 300,
            signing: SigningSettings::default(),
            unsigned_presigned_payload: false,
            allow_unsigned_payload: false,
            s3_rules_for_s3_scope: true,
        }
    }
}

/// A short owned string (at most `N` bytes) from a verified request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShortStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> ShortStr<N> {
    /// A copy of `s`, if it fits.
    fn from_str(s: &str) -> Option<Self> {
        let mut buf = [0u8; N];
        buf.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(Self { buf, len: s.len() })
    }

    fn from_bytes(b: impl IntoIterator<Item = u8>) -> Option<Self> {
        let mut buf = [0u8; N];
        let mut len = 0;
        for c in b {
            *buf.get_mut(len)? = c;
            len += 1;
        }
        core::str::from_utf8(&buf[..len]).ok()?;
        Some(Self { buf, len })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Debug for ShortStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for ShortStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request whose signature checked out.
#[derive(Clone, Copy, Debug)]
pub struct Verified {
    /// Who signed it.
    pub access_key_id: ShortStr<128>,
    /// The region of the credential scope; for SigV4a, the signed region
    /// set (`us-east-1`, `us-east-1,us-west-2`, `*`).
    pub region: ShortStr<128>,
    /// The service of the credential scope.
    pub service: ShortStr<128>,
    /// When it was signed.
    pub signed_at: Timestamp,
    /// True for a presigned URL, false for an `Authorization` header.
    pub presigned: bool,
    /// True when the request signed `UNSIGNED-PAYLOAD` (accepted because
    /// the settings allow it): the body is then **not** authenticated.
    /// False when the body was checked against the signature.
    pub unsigned_payload: bool,
    /// True for a SigV4a (`AWS4-ECDSA-P256-SHA256`) signature.
    pub sigv4a: bool,
}

impl Verified {
    /// The credential scope.
    pub fn scope(&self) -> Scope<'_> {
        Scope {
            date: self.signed_at.amz_date(),
            region: if self.sigv4a {
                ""
            } else {
                self.region.as_str()
            },
            service: self.service.as_str(),
        }
    }
}

/// The parts of a signature, before any check.
struct Parsed<'p> {
    sigv4a: bool,
    credential: Credential<'p>,
    signed_headers: &'p str,
    signature: &'p [u8],
    signed_at: Timestamp,
    /// `signed_at` as it was sent, which is as `amz_date` writes it.
    signed_text: AmzDate,
    expires: Option<u64>,
    /// A SigV4a presigned URL's `X-Amz-Region-Set`, as sent (encoded).
    region_set_param: Option<&'p [u8]>,
}

const MALFORMED_CREDENTIAL: VerifyError =
    VerifyError::Malformed("Credential must be ACCESS_KEY/YYYYMMDD/region/service/aws4_request");
const MALFORMED_CREDENTIAL_V4A: VerifyError =
    VerifyError::Malformed("SigV4a Credential must be ACCESS_KEY/YYYYMMDD/service/aws4_request");

/// Which algorithm a request names, if it is one this build verifies.
fn algorithm(name: impl Iterator<Item = u8> + Clone) -> Result<bool, VerifyError> {
    if name.clone().eq(HMAC_SHA256.bytes()) {
        return Ok(false);
    }
    #[cfg(feature = "sigv4a")]
    if name.eq(crate::sigv4a::ECDSA_P256_SHA256.bytes()) {
        return Ok(true);
    }
    Err(VerifyError::UnsupportedAlgorithm)
}

/// A credential as the request gives it,
/// `ID/YYYYMMDD/region/service/aws4_request` (SigV4a's has no region; it
/// is then empty).
#[derive(Clone, Copy)]
struct Credential<'p> {
    id: &'p str,
    date: &'p str,
    region: &'p str,
    service: &'p str,
}

/// Splits and checks a credential.
fn split_credential(cred: &str, sigv4a: bool) -> Result<Credential<'_>, VerifyError> {
    if sigv4a {
        let [id, date, service, _, _] =
            split_credential_parts(cred, 4).map_err(|_| MALFORMED_CREDENTIAL_V4A)?;
        if check_service(service).is_err() {
            return Err(MALFORMED_CREDENTIAL_V4A);
        }
        return Ok(Credential {
            id,
            date,
            region: "",
            service,
        });
    }
    let [id, date, region, service, _] = split_credential_parts(cred, 5)?;
    if check_scope(region, service).is_err() {
        return Err(MALFORMED_CREDENTIAL);
    }
    Ok(Credential {
        id,
        date,
        region,
        service,
    })
}

/// Splits into exactly `n` `/`-separated parts of at most 128 bytes: a
/// non-empty id, an 8-digit date, …, `aws4_request` last.
fn split_credential_parts(cred: &str, n: usize) -> Result<[&str; 5], VerifyError> {
    let mut parts = [""; 5];
    let mut count = 0;
    for part in encode::split_ascii(cred, b'/') {
        *parts.get_mut(count).ok_or(MALFORMED_CREDENTIAL)? = part;
        count += 1;
    }
    if count != n
        || parts.iter().any(|p| p.len() > 128)
        || parts[0].is_empty()
        || parts[1].len() != 8
        || parts[n - 1] != "aws4_request"
    {
        return Err(MALFORMED_CREDENTIAL);
    }
    Ok(parts)
}

fn check_signed_headers(list: &str) -> Result<(), VerifyError> {
    const BAD: VerifyError = VerifyError::Malformed(
        "SignedHeaders must be sorted, distinct, lower-case names including host",
    );
    // The bytes in one pass; then each name is non-empty.
    if !crate::request::is_lower_token_list(list.as_bytes()) {
        return Err(BAD);
    }
    // Names are ordered by their first eight bytes as one big-endian word
    // (zero-padded: a token holds no zero byte), then by the rest.
    let mut prev: Option<(u64, &str)> = None;
    let mut has_host = false;
    for name in encode::split_ascii(list, b';') {
        if name.is_empty() {
            return Err(BAD);
        }
        let key = (encode::prefix_word(name.as_bytes()), name);
        if prev.is_some_and(|p| p >= key) {
            return Err(BAD);
        }
        has_host |= name == "host";
        prev = Some(key);
    }
    if has_host { Ok(()) } else { Err(BAD) }
}

fn is_hex64(s: &[u8]) -> bool {
    s.len() == 64 && is_lower_hex(s)
}

/// Lower-case hex digits only (one pass, no early exit: the signature is
/// short and usually valid).
fn is_lower_hex(s: &[u8]) -> bool {
    s.iter().fold(true, |ok, &b| {
        ok & (b.is_ascii_digit() | (b'a'..=b'f').contains(&b))
    })
}

fn parse_header<'p>(auth: &'p str, request: &Request<'p>) -> Result<Parsed<'p>, VerifyError> {
    let (alg, rest) = encode::split_once_ascii(auth, b' ').ok_or(VerifyError::Malformed(
        "Authorization must be 'ALGORITHM Credential=…, SignedHeaders=…, Signature=…'",
    ))?;
    let sigv4a = algorithm(alg.bytes())?;
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in encode::split_wide(rest, b',') {
        let part = trim_spaces(part);
        // A name holds no '=', so the name is one of these exactly when
        // the component starts with it and '='.
        let (slot, v) = if let Some(v) = part.strip_prefix("Credential=") {
            (&mut cred, v)
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            (&mut signed, v)
        } else if let Some(v) = part.strip_prefix("Signature=") {
            (&mut sig, v)
        } else if part.contains('=') {
            return Err(VerifyError::Malformed("unknown Authorization component"));
        } else {
            return Err(VerifyError::Malformed(
                "Authorization component without '='",
            ));
        };
        if slot.replace(v).is_some() {
            return Err(VerifyError::Malformed("repeated Authorization component"));
        }
    }
    let (Some(cred), Some(signed), Some(sig)) = (cred, signed, sig) else {
        return Err(VerifyError::Malformed(
            "Authorization lacks Credential, SignedHeaders or Signature",
        ));
    };
    let date = request
        .header_lower("x-amz-date")
        .ok_or(VerifyError::Malformed("missing X-Amz-Date header"))?;
    let (signed_at, signed_text) =
        Timestamp::parse_keeping_text(date)
            .ok()
            .ok_or(VerifyError::Malformed(
                "X-Amz-Date must be YYYYMMDDTHHMMSSZ",
            ))?;
    Ok(Parsed {
        sigv4a,
        credential: split_credential(cred, sigv4a)?,
        signed_headers: signed,
        signature: sig.as_bytes(),
        signed_at,
        signed_text,
        expires: None,
        region_set_param: None,
    })
}

/// `s` without the spaces (not tabs) at either end, as
/// `s.trim_matches(' ')`.
fn trim_spaces(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |i| i + 1);
    // Spaces are ASCII: both ends are character boundaries.
    s.get(start..end).unwrap_or_default()
}

/// Room for a presigned URL's decoded credential (five parts of at most
/// 128 bytes) and signed header list.
const CREDENTIAL_BUF: usize = 5 * 129;
const PRESIGNED_BUF: usize = CREDENTIAL_BUF + 1024;

/// `encoded` percent-decoded into `buf`, if it fits and is UTF-8.
fn decode_into<'b>(encoded: &[u8], buf: &'b mut [u8]) -> Option<&'b str> {
    let mut n = 0;
    for b in Decoded::new(encoded) {
        *buf.get_mut(n)? = b;
        n += 1;
    }
    let buf: &'b [u8] = buf;
    core::str::from_utf8(&buf[..n]).ok()
}

fn key_is(p: &Param<'_>, name: &str) -> bool {
    Decoded::new(p.key).eq(name.bytes())
}

fn parse_presigned<'p>(
    request: &Request<'p>,
    buf: &'p mut [u8; PRESIGNED_BUF],
) -> Result<Parsed<'p>, VerifyError> {
    let (cred_buf, list_buf) = buf.split_at_mut(CREDENTIAL_BUF);
    let query = request.query().as_bytes();
    let get = |name: &'static str| -> Result<&'p [u8], VerifyError> {
        let mut found = None;
        for p in canonical::params(query) {
            if key_is(&p, name) && found.replace(p.value).is_some() {
                return Err(VerifyError::Malformed("repeated X-Amz-* query parameter"));
            }
        }
        found.ok_or(VerifyError::Malformed(
            "presigned URL lacks an X-Amz-* parameter",
        ))
    };
    let sigv4a = algorithm(Decoded::new(get("X-Amz-Algorithm")?))?;
    let cred = decode_into(get("X-Amz-Credential")?, cred_buf).ok_or(if sigv4a {
        MALFORMED_CREDENTIAL_V4A
    } else {
        MALFORMED_CREDENTIAL
    })?;
    let credential = split_credential(cred, sigv4a)?;
    let date: ShortStr<16> = ShortStr::from_bytes(Decoded::new(get("X-Amz-Date")?)).ok_or(
        VerifyError::Malformed("X-Amz-Date must be YYYYMMDDTHHMMSSZ"),
    )?;
    let (signed_at, signed_text) = Timestamp::parse_keeping_text(date.as_str())
        .map_err(|_| VerifyError::Malformed("X-Amz-Date must be YYYYMMDDTHHMMSSZ"))?;
    let expires = core::str::from_utf8(get("X-Amz-Expires")?)
        .ok()
        .and_then(|e| e.parse::<u64>().ok())
        .filter(|e| (1..=MAX_EXPIRES).contains(e))
        .ok_or(VerifyError::Malformed("X-Amz-Expires must be 1..=604800"))?;
    let signed_headers = decode_into(get("X-Amz-SignedHeaders")?, list_buf).ok_or(
        VerifyError::Malformed("X-Amz-SignedHeaders too long or not UTF-8"),
    )?;
    Ok(Parsed {
        sigv4a,
        credential,
        signed_headers,
        signature: get("X-Amz-Signature")?,
        signed_at,
        signed_text,
        expires: Some(expires),
        region_set_param: if sigv4a {
            Some(get("X-Amz-Region-Set")?)
        } else {
            None
        },
    })
}

/// The payload line of the canonical request, and where it came from.
#[derive(Clone, Copy)]
enum SignedHash<'p> {
    /// Given by the request in `x-amz-content-sha256`: the signature covers
    /// it, and the body must then have this hash.
    Claimed(&'p str),
    /// Computed by the verifier from the body (or given precomputed by the
    /// caller): a changed body changes the signature.
    Computed(&'p str),
    /// `UNSIGNED-PAYLOAD`: the body is not authenticated. `presigned_rule`
    /// when it comes from [`VerifySettings::unsigned_presigned_payload`].
    Unsigned { presigned_rule: bool },
    /// A `STREAMING-…` marker (aws-chunked), as sent.
    Streaming(&'p str),
}

const BAD_PRECOMPUTED: VerifyError =
    VerifyError::PayloadArgument("a precomputed payload hash must be 64 lower-case hex digits");

impl<'p> SignedHash<'p> {
    fn of(
        request: &Request<'p>,
        unsigned_presigned: bool,
        scratch: &'p mut [u8; 64],
    ) -> Result<Self, VerifyError> {
        if let Some(v) = request.header_lower("x-amz-content-sha256") {
            let v = v.trim_matches([' ', '\t']);
            return if v == UNSIGNED_PAYLOAD {
                Ok(Self::Unsigned {
                    presigned_rule: false,
                })
            } else if v.starts_with("STREAMING-") {
                Ok(Self::Streaming(v))
            } else if is_hex64(v.as_bytes()) {
                Ok(Self::Claimed(v))
            } else {
                Err(VerifyError::Malformed(
                    "x-amz-content-sha256 must be 64 lower-case hex digits, UNSIGNED-PAYLOAD or STREAMING-…",
                ))
            };
        }
        if unsigned_presigned {
            return Ok(Self::Unsigned {
                presigned_rule: true,
            });
        }
        match request.payload() {
            Payload::Bytes(b) => Ok(Self::Computed(encode::hex_lower(
                &crate::sha::sha256(b),
                scratch,
            ))),
            Payload::Precomputed(h) if is_hex64(h.as_bytes()) => Ok(Self::Computed(h)),
            Payload::Precomputed(_) => Err(BAD_PRECOMPUTED),
            Payload::Unsigned => Ok(Self::Unsigned {
                presigned_rule: false,
            }),
        }
    }

    fn line(&self) -> &'p str {
        match *self {
            Self::Claimed(h) | Self::Computed(h) => h,
            Self::Unsigned { .. } => UNSIGNED_PAYLOAD,
            Self::Streaming(marker) => marker,
        }
    }
}

/// Compares the body's SHA-256 with the hash the request signed, in
/// constant time.
fn check_body(payload: Payload<'_>, claimed: &str) -> Result<(), VerifyError> {
    let mut buf = [0u8; 64];
    let actual = match payload {
        Payload::Bytes(b) => encode::hex_lower(&crate::sha::sha256(b), &mut buf),
        Payload::Precomputed(h) if is_hex64(h.as_bytes()) => h,
        Payload::Precomputed(_) => return Err(BAD_PRECOMPUTED),
        Payload::Unsigned => {
            return Err(VerifyError::PayloadArgument(
                "the request signs a body hash in x-amz-content-sha256; pass the body (Payload::Bytes) or its SHA-256 (Payload::Precomputed), not Payload::Unsigned",
            ));
        }
    };
    if encode::ct_eq(actual.as_bytes(), claimed.as_bytes()) {
        Ok(())
    } else {
        Err(VerifyError::PayloadHashMismatch)
    }
}

/// Verifies SigV4 signatures, caching the signing key of the last caller.
///
/// # Examples
///
/// ```
/// use sigv4_core::{CredentialsRef, Request, Signer, SigningParams, Timestamp, Verifier, VerifyError};
/// let now: Timestamp = "20150830T123600Z".parse()?;
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "secret");
/// let mut buf = [0u8; 512];
/// let req = Request::new("GET", "https://example.amazonaws.com/")?;
/// let sig = Signer::new().sign(&req, &creds, &SigningParams::new("us-east-1", "es", now), &mut buf)?;
///
/// // The server sees the request with the headers the signer added.
/// let date = sig.date();
/// let headers = [("X-Amz-Date", date.as_str()), ("Authorization", sig.authorization())];
/// let received = req.clone().with_headers(&headers);
/// let mut verifier = Verifier::default();
/// let ok = verifier.verify(&received, now, |id| (id == "AKIDEXAMPLE").then_some("secret"))?;
/// assert_eq!(ok.access_key_id.as_str(), "AKIDEXAMPLE");
/// assert_eq!(ok.service.as_str(), "es");
/// let wrong = verifier.verify(&received, now, |_| Some("other"));
/// assert_eq!(wrong.unwrap_err(), VerifyError::SignatureMismatch);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Verifier<'a> {
    /// What is accepted.
    pub settings: VerifySettings<'a>,
    cache: KeyCache,
    #[cfg(feature = "sigv4a")]
    v4a_cache: crate::SigV4aKeyCache,
}

/// What a streaming request's body is checked with.
#[cfg(feature = "chunked")]
type Seed = Option<crate::chunked::StreamingSeed>;
#[cfg(not(feature = "chunked"))]
type Seed = Option<core::convert::Infallible>;

/// The key that checked the request's signature.
#[cfg_attr(not(feature = "chunked"), allow(dead_code))]
enum UsedKey {
    Hmac(crate::key::SigningKey),
    #[cfg(feature = "sigv4a")]
    Ecdsa(crate::SigV4aPublicKey),
}

/// The chunk-checking seed of a verified streaming request.
#[cfg(feature = "chunked")]
fn streaming_seed(
    request: &Request<'_>,
    marker: &str,
    used: UsedKey,
    scope: &Scope<'_>,
    signature: &[u8],
    sigv4a: bool,
) -> Result<Seed, VerifyError> {
    use crate::chunked::{ChecksumAlgorithm, StreamingMode, StreamingSeed};
    let (mode, marker_v4a) = StreamingMode::from_content_sha256(marker).ok_or(
        VerifyError::Malformed("unknown STREAMING-… value in x-amz-content-sha256"),
    )?;
    if mode != StreamingMode::UnsignedWithTrailer && marker_v4a != sigv4a {
        return Err(VerifyError::Malformed(
            "the STREAMING-… marker is for another algorithm than the signature's",
        ));
    }
    let decoded_length = request
        .header_lower("x-amz-decoded-content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or(VerifyError::Malformed(
            "a streaming upload needs x-amz-decoded-content-length",
        ))?;
    let checksum = match mode {
        StreamingMode::Signed => None,
        _ => Some(
            request
                .header_lower("x-amz-trailer")
                .and_then(|v| ChecksumAlgorithm::from_header_name(v.trim()))
                .ok_or(VerifyError::Malformed(
                    "a trailer upload needs x-amz-trailer: x-amz-checksum-crc32, -crc32c or -sha256",
                ))?,
        ),
    };
    let key = match used {
        UsedKey::Hmac(key) => crate::chunked::ChunkKey::Hmac(key),
        #[cfg(feature = "sigv4a")]
        UsedKey::Ecdsa(key) => crate::chunked::ChunkKey::EcdsaVerify(key),
    };
    let seed = StreamingSeed::new(key, scope, signature, mode, checksum, decoded_length);
    seed.map(Some).ok_or(VerifyError::Malformed(
        "scope too long for a streaming upload",
    ))
}

#[cfg(not(feature = "chunked"))]
fn streaming_seed(
    _: &Request<'_>,
    _: &str,
    _: UsedKey,
    _: &Scope<'_>,
    _: &[u8],
    _: bool,
) -> Result<Seed, VerifyError> {
    Err(VerifyError::StreamingPayload)
}

/// The key a signature is checked with.
enum KeyFor<K> {
    /// The secret access key (either algorithm).
    Secret(K),
    /// A SigV4a public key.
    #[cfg(feature = "sigv4a")]
    Public(crate::SigV4aPublicKey),
}

/// The signed region set of a SigV4a request: the `X-Amz-Region-Set`
/// query parameter of a presigned URL (read with the other `X-Amz-*`
/// ones; part of the canonical query), or the header, which must be among
/// the signed ones.
fn region_set(request: &Request<'_>, parsed: &Parsed<'_>) -> Result<ShortStr<128>, VerifyError> {
    const BAD: VerifyError = VerifyError::Malformed(
        "X-Amz-Region-Set must be '*' or comma-separated regions of at most 128 bytes",
    );
    let set = if let Some(value) = parsed.region_set_param {
        ShortStr::from_bytes(Decoded::new(value)).ok_or(BAD)?
    } else {
        if !encode::split_ascii(parsed.signed_headers, b';').any(|n| n == "x-amz-region-set") {
            return Err(VerifyError::Malformed(
                "a SigV4a request must sign its X-Amz-Region-Set header",
            ));
        }
        let value = request
            .header_lower("x-amz-region-set")
            .ok_or(VerifyError::Malformed("missing X-Amz-Region-Set header"))?;
        ShortStr::from_bytes(value.trim_matches([' ', '\t']).bytes()).ok_or(BAD)?
    };
    crate::sign::check_region_set(set.as_str()).map_err(|_| BAD)?;
    Ok(set)
}

impl<'a> Verifier<'a> {
    /// A verifier with these settings.
    pub fn new(settings: VerifySettings<'a>) -> Self {
        Self {
            settings,
            cache: KeyCache::new(),
            #[cfg(feature = "sigv4a")]
            v4a_cache: crate::SigV4aKeyCache::new(),
        }
    }

    /// Verifies `request` as received at `now`. `lookup` gives the secret
    /// access key for an access key id, or `None` if it is unknown.
    ///
    /// What a success proves: the holder of that access key's secret signed
    /// this method, path, query, every header named in `SignedHeaders`
    /// (`host` always among them) with the values received, and the body —
    /// either through its hash in the canonical request, or through a
    /// signed `x-amz-content-sha256` that the body's SHA-256 must equal
    /// ([`VerifyError::PayloadHashMismatch`] otherwise). A request that
    /// signs `UNSIGNED-PAYLOAD` is refused unless the settings allow it, and
    /// then [`Verified::unsigned_payload`] says the body is not covered;
    /// `STREAMING-…` payloads are refused. Pass the body as
    /// [`Payload::Bytes`] or its SHA-256 as [`Payload::Precomputed`].
    ///
    /// What it does not check, and a server must: that the request was not
    /// seen before (a signed request can be replayed within the clock-skew
    /// window, or until a presigned URL expires), that the scope's region
    /// and service are this server's, that a session token is valid, and
    /// what the access key may do.
    pub fn verify<K: AsRef<[u8]>>(
        &mut self,
        request: &Request<'_>,
        now: Timestamp,
        lookup: impl FnOnce(&str) -> Option<K>,
    ) -> Result<Verified, VerifyError> {
        self.verify_inner(request, now, false, |id, _| {
            lookup(id)
                .map(KeyFor::Secret)
                .ok_or(VerifyError::UnknownAccessKey)
        })
        .map(|(v, _)| v)
    }

    /// [`verify`](Self::verify) for servers that take S3 streaming uploads
    /// (`x-amz-content-sha256: STREAMING-…`, `Content-Encoding:
    /// aws-chunked`): such a request's signature is checked here, and the
    /// [`StreamingSeed`](crate::chunked::StreamingSeed) returned is what a
    /// [`ChunkedDecoder`](crate::chunked::ChunkedDecoder) or
    /// [`VerifiedBody`](crate::chunked::VerifiedBody) checks the body's
    /// chunks (and trailer) with — the body is **not** authenticated until
    /// it has been read through one of them to the end. Any other request
    /// is verified as by [`verify`](Self::verify), body included, and
    /// comes back without a seed.
    ///
    /// A streaming request must declare `x-amz-decoded-content-length`,
    /// and for the trailer modes `x-amz-trailer` naming a checksum
    /// (`x-amz-checksum-crc32`, `-crc32c`, `-sha256`); a SigV4a marker
    /// needs a SigV4a signature and the other way round.
    #[cfg(feature = "chunked")]
    #[cfg_attr(docsrs, doc(cfg(feature = "chunked")))]
    pub fn verify_streaming<K: AsRef<[u8]>>(
        &mut self,
        request: &Request<'_>,
        now: Timestamp,
        lookup: impl FnOnce(&str) -> Option<K>,
    ) -> Result<(Verified, Option<crate::chunked::StreamingSeed>), VerifyError> {
        self.verify_inner(request, now, true, |id, _| {
            lookup(id)
                .map(KeyFor::Secret)
                .ok_or(VerifyError::UnknownAccessKey)
        })
    }

    /// Verifies a SigV4a request with the signer's public key instead of
    /// its secret: `lookup` gives the public key of an access key id (from
    /// [`SigV4aKey::public_key`](crate::SigV4aKey::public_key), stored when
    /// the key was issued). What a success proves is as for
    /// [`verify`](Self::verify); an `AWS4-HMAC-SHA256` request is
    /// [`VerifyError::UnsupportedAlgorithm`], since no public key checks it.
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
    pub fn verify_with_public_key(
        &mut self,
        request: &Request<'_>,
        now: Timestamp,
        lookup: impl FnOnce(&str) -> Option<crate::SigV4aPublicKey>,
    ) -> Result<Verified, VerifyError> {
        self.verify_inner(request, now, false, |id, sigv4a| {
            if !sigv4a {
                return Err(VerifyError::UnsupportedAlgorithm);
            }
            lookup(id)
                .map(KeyFor::<[u8; 0]>::Public)
                .ok_or(VerifyError::UnknownAccessKey)
        })
        .map(|(v, _)| v)
    }

    /// [`verify_streaming`](Self::verify_streaming) with a SigV4a public
    /// key, as [`verify_with_public_key`](Self::verify_with_public_key).
    #[cfg(all(feature = "chunked", feature = "sigv4a"))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "chunked", feature = "sigv4a"))))]
    pub fn verify_streaming_with_public_key(
        &mut self,
        request: &Request<'_>,
        now: Timestamp,
        lookup: impl FnOnce(&str) -> Option<crate::SigV4aPublicKey>,
    ) -> Result<(Verified, Option<crate::chunked::StreamingSeed>), VerifyError> {
        self.verify_inner(request, now, true, |id, sigv4a| {
            if !sigv4a {
                return Err(VerifyError::UnsupportedAlgorithm);
            }
            lookup(id)
                .map(KeyFor::<[u8; 0]>::Public)
                .ok_or(VerifyError::UnknownAccessKey)
        })
    }

    fn verify_inner<K: AsRef<[u8]>>(
        &mut self,
        request: &Request<'_>,
        now: Timestamp,
        streaming: bool,
        resolve: impl FnOnce(&str, bool) -> Result<KeyFor<K>, VerifyError>,
    ) -> Result<(Verified, Seed), VerifyError> {
        request.validate_headers()?;
        // The buffer is set up only for a presigned URL.
        let mut presigned_buf;
        let auth = request.header_lower("authorization");
        let parsed = match auth {
            Some(a) => parse_header(a, request)?,
            None => {
                presigned_buf = [0u8; PRESIGNED_BUF];
                parse_presigned(request, &mut presigned_buf)?
            }
        };
        let sigv4a = parsed.sigv4a;
        let cred = parsed.credential;
        let region_set = if sigv4a {
            Some(region_set(request, &parsed)?)
        } else {
            None
        };
        let signed_date = parsed.signed_text;
        if signed_date.date_bytes() != cred.date.as_bytes() {
            return Err(VerifyError::Malformed(
                "credential date does not match X-Amz-Date",
            ));
        }
        if !sigv4a && !is_hex64(parsed.signature) {
            return Err(VerifyError::Malformed(
                "Signature must be 64 lower-case hex digits",
            ));
        }
        if sigv4a
            && !(parsed.signature.len().is_multiple_of(2)
                && (16..=144).contains(&parsed.signature.len())
                && is_lower_hex(parsed.signature))
        {
            return Err(VerifyError::Malformed(
                "a SigV4a Signature must be a DER ECDSA signature in lower-case hex",
            ));
        }
        check_signed_headers(parsed.signed_headers)?;

        let skew = self.settings.max_skew_secs;
        let (t, n) = (parsed.signed_at.unix_seconds(), now.unix_seconds());
        if t > n.saturating_add(skew) {
            return Err(VerifyError::NotYetValid);
        }
        let deadline = match parsed.expires {
            Some(e) => t.saturating_add(e),
            None => t.saturating_add(skew),
        };
        if n > deadline {
            return Err(VerifyError::Expired);
        }

        let key = resolve(cred.id, sigv4a)?;

        let s3 = self.settings.s3_rules_for_s3_scope && cred.service == "s3";
        let (signing, unsigned_presigned, allow_unsigned) = if s3 {
            (SigningSettings::s3(), true, true)
        } else {
            (
                self.settings.signing,
                self.settings.unsigned_presigned_payload,
                self.settings.allow_unsigned_payload,
            )
        };
        let presigned = parsed.expires.is_some();
        let mut hash_buf = [0u8; 64];
        let signed_hash = SignedHash::of(request, presigned && unsigned_presigned, &mut hash_buf)?;
        match signed_hash {
            SignedHash::Unsigned { presigned_rule } if !(allow_unsigned || presigned_rule) => {
                return Err(VerifyError::UnsignedPayload);
            }
            SignedHash::Streaming(_) if !streaming => return Err(VerifyError::StreamingPayload),
            _ => {}
        }

        let mut h = crate::sha::Blocks::<8>::new();
        let query = canonical::params(request.query().as_bytes())
            .filter(|p| !(presigned && key_is(p, "X-Amz-Signature")));
        canonical::write_head(&mut h, request, &signing, &[], query)?;
        canonical::write_listed_headers(
            &mut h,
            parsed.signed_headers,
            request.headers(),
            request.host(),
        )?;
        h.put(b"\n");
        h.put(parsed.signed_headers.as_bytes());
        h.put(b"\n");
        h.put(signed_hash.line().as_bytes());
        let creq_hash = h.finish();

        let scope = Scope {
            date: signed_date,
            region: cred.region,
            service: cred.service,
        };
        let (valid, used) = match (key, sigv4a) {
            (KeyFor::Secret(secret), false) => {
                let sts = StringToSign::new(HMAC_SHA256, scope, &creq_hash);
                let (key, expected) = self.cache.sign_string(secret.as_ref(), &sts);
                let mut hex = [0u8; 64];
                let expected_hex = encode::hex_bytes(&expected, &mut hex);
                let valid = encode::ct_eq(expected_hex, parsed.signature);
                (valid, UsedKey::Hmac(key))
            }
            #[cfg(feature = "sigv4a")]
            (key, true) => {
                let sts = StringToSign::new(crate::sigv4a::ECDSA_P256_SHA256, scope, &creq_hash);
                let public = match key {
                    KeyFor::Public(p) => p,
                    KeyFor::Secret(secret) => self
                        .v4a_cache
                        .key(cred.id, secret.as_ref())
                        .map_err(|_| VerifyError::SignatureMismatch)?
                        .public_key(),
                };
                (
                    public.verify_sts(&sts, parsed.signature),
                    UsedKey::Ecdsa(public),
                )
            }
            _ => return Err(VerifyError::UnsupportedAlgorithm),
        };
        if !valid {
            return Err(VerifyError::SignatureMismatch);
        }
        // The signature covers the hash the request claims; the body must
        // be the one with that hash.
        if let SignedHash::Claimed(claimed) = signed_hash {
            check_body(request.payload(), claimed)?;
        }
        let short = |s: &str| ShortStr::from_str(s).ok_or(MALFORMED_CREDENTIAL);
        let verified = Verified {
            access_key_id: short(cred.id)?,
            region: match region_set {
                Some(set) => set,
                None => short(cred.region)?,
            },
            service: short(cred.service)?,
            signed_at: parsed.signed_at,
            presigned,
            unsigned_payload: matches!(signed_hash, SignedHash::Unsigned { .. }),
            sigv4a,
        };
        let seed = match signed_hash {
            SignedHash::Streaming(marker) => {
                streaming_seed(request, marker, used, &scope, parsed.signature, sigv4a)?
            }
            _ => {
                let _ = used;
                None
            }
        };
        Ok((verified, seed))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// `trim_spaces` is `trim_matches(' ')`.
    #[test]
    fn trims_spaces_as_std() {
        for s in [
            "", " ", "  ", "a", " a", "a ", "  a b  ", "\ta ", " \u{e9} ", "a  ",
        ] {
            assert_eq!(trim_spaces(s), s.trim_matches(' '), "{s:?}");
        }
    }

    /// What `check_signed_headers` decides, by plain string comparison.
    fn accepted_plainly(list: &str) -> bool {
        let names: Vec<&str> = list.split(';').collect();
        names
            .iter()
            .all(|n| crate::request::is_lower_token(n.as_bytes()))
            && names.windows(2).all(|w| w[0] < w[1])
            && names.contains(&"host")
    }

    /// Every ordered pair (and triple with `host`) of names that share
    /// their first eight bytes, differ inside them, or are prefixes of one
    /// another.
    #[test]
    fn signed_header_order_is_string_order() {
        let names = [
            "a",
            "host",
            "x-amz-co",
            "x-amz-con",
            "x-amz-content-sha256",
            "x-amz-content-sha2560",
            "x-amz-date",
            "x-amz-dat",
            "x-amzz",
            "hosta",
            "hos",
        ];
        for bad in [
            "",
            ";",
            ";host",
            "host;",
            "a;;host",
            "Host",
            "a;Host",
            "host;a b",
            "host;a:b",
            "host;\u{e9}",
            "host;a\0",
        ] {
            assert!(check_signed_headers(bad).is_err(), "{bad:?}");
            assert!(!accepted_plainly(bad), "{bad:?}");
        }
        for a in names {
            for b in names {
                for list in [
                    std::format!("{a};{b}"),
                    std::format!("host;{a};{b}"),
                    std::format!("{a};{b};host"),
                    std::format!("{a};host;{b}"),
                ] {
                    assert_eq!(
                        check_signed_headers(&list).is_ok(),
                        accepted_plainly(&list),
                        "{list}"
                    );
                }
            }
        }
    }
}
