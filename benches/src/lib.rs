//! The fixed request every benchmark signs, and the contenders.
//!
//! POST to an OpenSearch domain's `_search` with host, content-type,
//! user-agent and accept headers, a session token and a small JSON body.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings as AwsSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use hmac::{KeyInit, Mac};
use sha2::Digest;
use sigv4_core::{CredentialsRef, Payload, Request, Signer, SigningParams, Timestamp, Verifier};

/// The request URL.
pub const URL: &str =
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index/_search?size=10&from=0";
/// The request body.
pub const BODY: &[u8] = br#"{"query":{"match":{"title":"sigv4"}}}"#;
/// Headers, as a client sends them.
pub static HEADERS: [(&str, &str); 4] = [
    ("host", "search-domain.ap-northeast-1.es.amazonaws.com"),
    ("content-type", "application/json"),
    ("user-agent", "sigv4-bench/1.0"),
    ("accept", "application/json"),
];
/// Access key id.
pub const AKID: &str = "ASIAEXAMPLEEXAMPLE00";
/// Secret access key.
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// Session token.
pub const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaDmFwLW5vcnRoZWFzdC0xIkcwRQIhAExampleSessionTokenValueForBenchmarksOnly==";
/// Signing time, seconds since the epoch (2026-01-01T00:00:00Z).
pub const TIME: u64 = 1_767_225_600;

/// Our credentials.
pub fn credentials() -> CredentialsRef<'static> {
    CredentialsRef::new(AKID, SECRET).with_session_token(TOKEN)
}

/// Our signing parameters.
pub fn params() -> SigningParams<'static> {
    SigningParams::new("ap-northeast-1", "es", time())
}

fn time() -> Timestamp {
    Timestamp::from_unix_seconds(TIME).unwrap_or_else(|_| unreachable!())
}

/// The request, as our signer takes it.
pub fn request() -> Request<'static> {
    Request::new("POST", URL)
        .unwrap_or_else(|_| unreachable!())
        .with_headers(&HEADERS)
        .with_payload(Payload::Bytes(BODY))
}

/// What changes from one signature to the next in the varied workloads:
/// the same client's requests seldom repeat byte for byte.
#[derive(Clone, Copy, Debug)]
pub enum Vary {
    /// The body (one of [`BODIES`]): the same path and headers, as a
    /// client searching or indexing in one index sends.
    Body,
    /// The path (one of [`URLS`]), which changes the canonical request's
    /// first block and so every block after it.
    Path,
}

/// Eight bodies of one length, for [`Vary::Body`].
pub static BODIES: [&[u8]; 8] = [
    br#"{"query":{"match":{"title":"sigv4-0"}}}"#,
    br#"{"query":{"match":{"title":"sigv4-1"}}}"#,
    br#"{"query":{"match":{"title":"sigv4-2"}}}"#,
    br#"{"query":{"match":{"title":"sigv4-3"}}}"#,
    br#"{"query":{"match":{"title":"sigv4-4"}}}"#,
    br#"{"query":{"match":{"title":"sigv4-5"}}}"#,
    br#"{"query":{"match":{"title":"sigv4-6"}}}"#,
    br#"{"query":{"match":{"title":"sigv4-7"}}}"#,
];

/// Eight URLs of one length, in eight indices, for [`Vary::Path`].
pub static URLS: [&str; 8] = [
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index-0/_search?size=10&from=0",
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index-1/_search?size=10&from=0",
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index-2/_search?size=10&from=0",
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index-3/_search?size=10&from=0",
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index-4/_search?size=10&from=0",
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index-5/_search?size=10&from=0",
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index-6/_search?size=10&from=0",
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index-7/_search?size=10&from=0",
];

/// The URL and body of the `i`-th request of a varied workload.
pub fn varied(i: usize, vary: Vary) -> (&'static str, &'static [u8]) {
    match vary {
        Vary::Body => (URL, BODIES[i % BODIES.len()]),
        Vary::Path => (URLS[i % URLS.len()], BODY),
    }
}

/// Signs the `i`-th request of a varied workload with ours.
pub fn ours_varied(signer: &mut Signer, i: usize, vary: Vary) -> u8 {
    let (url, body) = varied(i, vary);
    let request = Request::new("POST", url)
        .unwrap_or_else(|_| unreachable!())
        .with_headers(&HEADERS)
        .with_payload(Payload::Bytes(body));
    let mut buf = [0u8; 512];
    first_byte(signer.sign(&request, &credentials(), &params(), &mut buf))
}

/// Signs the `i`-th request of a varied workload with aws-sigv4.
pub fn aws_varied(identity: &Identity, i: usize, vary: Vary) -> String {
    let (url, body) = varied(i, vary);
    let signable =
        SignableRequest::new("POST", url, HEADERS.into_iter(), SignableBody::Bytes(body))
            .unwrap_or_else(|_| unreachable!());
    let (_, signature) = aws_sigv4::http_request::sign(signable, &aws_params(identity))
        .unwrap_or_else(|_| unreachable!())
        .into_parts();
    signature
}

/// Signs with ours into a stack buffer; returns the first signature byte
/// (so the work is not optimised away).
pub fn ours(signer: &mut Signer) -> u8 {
    let mut buf = [0u8; 512];
    first_byte(signer.sign(&request(), &credentials(), &params(), &mut buf))
}

/// Signs with ours through a signer shared between threads.
pub fn ours_shared(signer: &sigv4_core::SharedSigner) -> u8 {
    let mut buf = [0u8; 512];
    first_byte(signer.sign(&request(), &credentials(), &params(), &mut buf))
}

/// The first byte of a header signature (0 if signing failed).
fn first_byte(signed: Result<sigv4_core::HeaderSignature<'_>, sigv4_core::SignError>) -> u8 {
    signed.map_or(0, |out| out.signature().as_bytes()[0])
}

/// Signs with ours through a `Signer` of the calling thread's own (made
/// on its first signature), for signing from threads with nothing shared.
pub fn ours_per_thread() -> u8 {
    thread_local!(static SIGNER: std::cell::RefCell<Signer> = const { std::cell::RefCell::new(Signer::new()) });
    SIGNER.with(|s| ours(&mut s.borrow_mut()))
}

/// Presigns with ours.
pub fn ours_presign(signer: &mut Signer) -> u8 {
    let req = request();
    let mut buf = [0u8; 1024];
    match signer.presign(&req, &credentials(), &params(), 900, &mut buf) {
        Ok(out) => out.signature().as_bytes()[0],
        Err(_) => 0,
    }
}

/// `threads` threads signing `iters` times each at once (started together
/// by a barrier); the slowest thread's time. With perfect scaling it equals
/// one thread's time for `iters` signatures.
pub fn on_threads(threads: usize, iters: u64, sign: &(dyn Fn() -> u8 + Sync)) -> Duration {
    let start = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    let t = std::time::Instant::now();
                    for _ in 0..iters {
                        std::hint::black_box(sign());
                    }
                    t.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .max()
            .unwrap_or_default()
    })
}

/// Signs with aws-sigv4 1.x.
pub fn aws(identity: &Identity) -> String {
    aws_sign(&aws_params(identity))
}

/// aws-sigv4's SigV4 parameters for the benchmark request.
fn aws_params(identity: &Identity) -> aws_sigv4::http_request::SigningParams<'_> {
    v4::SigningParams::builder()
        .identity(identity)
        .region("ap-northeast-1")
        .name("es")
        .time(UNIX_EPOCH + Duration::from_secs(TIME))
        .settings(AwsSettings::default())
        .build()
        .unwrap_or_else(|_| unreachable!())
        .into()
}

/// aws-sigv4's signature of the benchmark request with `params`.
fn aws_sign(params: &aws_sigv4::http_request::SigningParams<'_>) -> String {
    let signable =
        SignableRequest::new("POST", URL, HEADERS.into_iter(), SignableBody::Bytes(BODY))
            .unwrap_or_else(|_| unreachable!());
    let (_, signature) = aws_sigv4::http_request::sign(signable, params)
        .unwrap_or_else(|_| unreachable!())
        .into_parts();
    signature
}

/// Ours: a SigV4a header signature of the same request for the region
/// set `*`, the key cached in `signer`.
pub fn ours_v4a(signer: &mut sigv4_core::SigV4aSigner) -> u8 {
    let params = SigningParams {
        region: "*",
        ..params()
    };
    let mut buf = [0u8; 512];
    first_byte(signer.sign(&request(), &credentials(), &params, &mut buf))
}

/// aws-sigv4's SigV4a signature of the same request (it derives the key
/// on every call: it has no cache for it).
pub fn aws_v4a(identity: &Identity) -> String {
    let params = aws_sigv4::sign::v4a::SigningParams::builder()
        .identity(identity)
        .region_set("*")
        .name("es")
        .time(UNIX_EPOCH + Duration::from_secs(TIME))
        .settings(AwsSettings::default())
        .build()
        .unwrap_or_else(|_| unreachable!())
        .into();
    aws_sign(&params)
}

/// The aws-sigv4 identity.
pub fn aws_identity() -> Identity {
    AwsCredentials::new(AKID, SECRET, Some(TOKEN.to_string()), None, "bench").into()
}

/// The canonical request and string to sign of the benchmark request.
pub fn stages() -> (Vec<u8>, Vec<u8>) {
    let mut signer = Signer::new();
    let (_, traced) = signer
        .sign_owned_traced(&request(), &credentials(), &params())
        .unwrap_or_else(|_| unreachable!());

    (
        traced.canonical_request.into_bytes(),
        traced.string_to_sign.into_bytes(),
    )
}

/// The floor with the `sha2`/`hmac` crates: SHA-256 of the body and of
/// the canonical request and HMAC-SHA256 of the string to sign, with the
/// HMAC state for the cached key prepared in advance — the hashing no
/// signer of this request can avoid.
pub struct Floor {
    key: hmac::Hmac<sha2::Sha256>,
    ring_key: ring::hmac::Key,
}

impl Floor {
    /// Prepares the keyed states.
    pub fn new() -> Self {
        let k = [7u8; 32];
        Self {
            key: hmac::Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap_or_else(|_| unreachable!()),
            ring_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &k),
        }
    }

    /// One signature's worth of hashing with `sha2`/`hmac`: the body,
    /// the canonical request, the string to sign.
    pub fn sha2(&self, creq: &[u8], sts: &[u8]) -> u8 {
        let body = sha2::Sha256::digest(BODY);
        let h = sha2::Sha256::digest(creq);
        let mut m = self.key.clone();
        m.update(sts);
        m.update(&h[..1]);
        m.update(&body[..1]);
        m.finalize().into_bytes()[0]
    }

    /// One signature's worth of hashing with ring's one-shot APIs.
    pub fn ring(&self, creq: &[u8], sts: &[u8]) -> u8 {
        let body = ring::digest::digest(&ring::digest::SHA256, BODY);
        let h = ring::digest::digest(&ring::digest::SHA256, creq);
        let mut ctx = ring::hmac::Context::with_key(&self.ring_key);
        ctx.update(sts);
        ctx.update(&h.as_ref()[..1]);
        ctx.update(&body.as_ref()[..1]);
        ctx.sign().as_ref()[0]
    }
}

impl Default for Floor {
    fn default() -> Self {
        Self::new()
    }
}

/// A signed copy of the request, as a server receives it, for `verify`.
pub struct Received {
    headers: Vec<(String, String)>,
}

impl Received {
    /// Signs the request once.
    pub fn new() -> Self {
        let signed = Signer::new()
            .sign_owned(&request(), &credentials(), &params())
            .unwrap_or_else(|_| unreachable!());
        let mut headers: Vec<(String, String)> = HEADERS
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        headers.extend(signed.headers.into_iter().map(|(n, v)| (n.to_string(), v)));
        Self { headers }
    }

    /// Verifies it; returns 1 when valid.
    pub fn verify(&self, verifier: &mut Verifier<'_>) -> u8 {
        let mut headers = [("", ""); 8];
        for (slot, (n, v)) in headers.iter_mut().zip(&self.headers) {
            *slot = (n.as_str(), v.as_str());
        }
        let r = Request::new("POST", URL)
            .unwrap_or_else(|_| unreachable!())
            .with_headers(&headers[..self.headers.len().min(8)])
            .with_payload(Payload::Bytes(BODY));
        u8::from(verifier.verify(&r, time(), |_| Some(SECRET)).is_ok())
    }
}

impl Default for Received {
    fn default() -> Self {
        Self::new()
    }
}

/// The README's Rust examples, compiled and run as doctests (this crate
/// depends on every crate they use).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
