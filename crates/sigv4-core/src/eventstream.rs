//! Event-stream message signing (`application/vnd.amazon.eventstream`):
//! the per-message signatures of bidirectional streams such as Transcribe
//! streaming and Bedrock's.
//!
//! Each message the client sends is wrapped in an envelope message whose
//! payload is the encoded inner message and whose headers are
//! `:chunk-signature` (32 bytes) and `:date` (a timestamp). The signature
//! chains from the previous one — the first from the signature of the HTTP
//! request that opened the stream — over
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD
//! YYYYMMDDTHHMMSSZ
//! YYYYMMDD/region/service/aws4_request
//! PREVIOUS-SIGNATURE
//! hex(SHA256(the encoded :date header))
//! hex(SHA256(the inner message))
//! ```
//!
//! An empty envelope (no inner message) ends the stream. Time is passed
//! in, per message; nothing is allocated: [`EventStreamSigner::sign`]
//! returns the envelope's head and tail, to send around the inner message.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::encode;
use crate::key::KeyCache;
use crate::sign::{Scope, SignError};
use crate::time::Timestamp;

/// Bytes an envelope adds before the inner message: prelude (12), the
/// `:chunk-signature` header (52) and the `:date` header (15).
pub const ENVELOPE_HEAD_LEN: usize = 12 + 52 + 15;
/// Bytes an envelope adds after the inner message: its CRC-32.
pub const ENVELOPE_TAIL_LEN: usize = 4;
/// The largest message the event-stream format allows: 16 MiB.
pub const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;

/// The envelope around one signed message: send
/// [`head`](Self::head), the inner message, [`tail`](Self::tail).
#[derive(Clone, Copy)]
pub struct Envelope {
    head: [u8; ENVELOPE_HEAD_LEN],
    tail: [u8; ENVELOPE_TAIL_LEN],
    signature: [u8; 64],
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("signature", &self.signature())
            .finish_non_exhaustive()
    }
}

impl Envelope {
    /// The prelude and headers, before the inner message.
    pub fn head(&self) -> &[u8; ENVELOPE_HEAD_LEN] {
        &self.head
    }

    /// The message CRC, after the inner message.
    pub fn tail(&self) -> &[u8; ENVELOPE_TAIL_LEN] {
        &self.tail
    }

    /// The signature, as lower-case hex (the next message chains from it).
    pub fn signature(&self) -> &str {
        core::str::from_utf8(&self.signature).unwrap_or("")
    }
}

/// Why a message could not be signed or was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventStreamError {
    /// The message is larger than the format allows (16 MiB with its
    /// envelope).
    #[error("event-stream message too large: at most 16 MiB with its envelope")]
    TooLarge,
    /// Not an event-stream message: bad lengths, prelude or message CRC,
    /// header encoding.
    #[error("malformed event-stream message: {0}")]
    Malformed(&'static str),
    /// The envelope lacks `:chunk-signature` or `:date`, or has other
    /// headers.
    #[error("not a signed envelope: it needs exactly the :chunk-signature and :date headers")]
    NotSigned,
    /// The signature does not match: the message was changed, dropped,
    /// reordered, or not signed with this stream's key.
    #[error(
        "message {index} signature mismatch: changed, reordered or not signed with the stream's key"
    )]
    SignatureMismatch {
        /// The message's index in the stream, from 0.
        index: u64,
    },
    /// A message after the end of the stream (the empty message).
    #[error("a message after the end of the event stream")]
    AfterEnd,
    /// The signing parameters are unusable.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// What signatures chain from.
struct Chain<'k> {
    secret: &'k [u8],
    region: &'k str,
    service: &'k str,
    cache: KeyCache,
    previous: [u8; 64],
}

impl Chain<'_> {
    /// The raw signature of `inner` at `time`, over the previous one.
    fn signature(&mut self, time: Timestamp, inner: &[u8]) -> [u8; 32] {
        let date = time.amz_date();
        let scope = Scope {
            date,
            region: self.region,
            service: self.service,
        };
        let key = self.cache.signing_key(self.secret, &scope);
        let date_header = date_header(time);
        key.sign_with(|m| {
            m.put(b"AWS4-HMAC-SHA256-PAYLOAD\n");
            m.put(date.as_bytes());
            m.put(b"\n");
            scope.write(m);
            m.put(b"\n");
            m.put(&self.previous);
            m.put(b"\n");
            let mut hex = [0u8; 64];
            m.put(encode::hex_bytes(&Sha256::digest(date_header), &mut hex));
            m.put(b"\n");
            m.put(encode::hex_bytes(&Sha256::digest(inner), &mut hex));
        })
    }

    /// Makes `signature` the one the next message chains from (as hex).
    fn advance(&mut self, signature: &[u8; 32]) {
        encode::hex_bytes(signature, &mut self.previous);
    }
}

/// The encoded `:date` header (name length, name, type 8, milliseconds).
fn date_header(time: Timestamp) -> [u8; 15] {
    let mut h = [0u8; 15];
    h[0] = 5;
    h[1..6].copy_from_slice(b":date");
    h[6] = 8;
    let ms = time.unix_seconds().saturating_mul(1000);
    h[7..].copy_from_slice(&ms.to_be_bytes());
    h
}

fn check_seed(seed: &str) -> Result<[u8; 64], SignError> {
    let mut previous = [0u8; 64];
    if seed.len() != 64 {
        return Err(SignError::Algorithm(
            "the seed signature must be the 64 hex digits of the request's signature",
        ));
    }
    previous.copy_from_slice(seed.as_bytes());
    Ok(previous)
}

/// Signs the messages of one event stream, each over the previous.
///
/// ```
/// use sigv4_core::eventstream::EventStreamSigner;
/// use sigv4_core::{CredentialsRef, Timestamp};
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "secret");
/// // The signature of the HTTP request that opened the stream.
/// let seed = "0".repeat(64);
/// let mut stream = EventStreamSigner::new(&creds, "us-east-1", "transcribe", &seed)?;
/// let inner = b"an encoded event-stream message";
/// let now: Timestamp = "20240101T000000Z".parse()?;
/// let envelope = stream.sign(inner, now)?;
/// let mut frame = envelope.head().to_vec();
/// frame.extend_from_slice(inner);
/// frame.extend_from_slice(envelope.tail());
/// // ... and at the end, an empty message.
/// let end = stream.sign(b"", now)?;
/// assert_eq!(end.head().len() + end.tail().len(), 83);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EventStreamSigner<'k> {
    chain: Chain<'k>,
}

impl fmt::Debug for EventStreamSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStreamSigner")
            .field("region", &self.chain.region)
            .field("service", &self.chain.service)
            .finish_non_exhaustive()
    }
}

impl<'k> EventStreamSigner<'k> {
    /// A signer for a stream opened by a request signed with `credentials`
    /// for `region` and `service`, whose signature was `seed_signature`.
    pub fn new(
        credentials: &crate::CredentialsRef<'k>,
        region: &'k str,
        service: &'k str,
        seed_signature: &str,
    ) -> Result<Self, SignError> {
        crate::sign::check_scope(region, service)?;
        Ok(Self {
            chain: Chain {
                secret: credentials.secret_access_key.as_bytes(),
                region,
                service,
                cache: KeyCache::new(),
                previous: check_seed(seed_signature)?,
            },
        })
    }

    /// Signs `inner` (an encoded event-stream message; empty for the end
    /// of the stream) at `time`.
    pub fn sign(&mut self, inner: &[u8], time: Timestamp) -> Result<Envelope, EventStreamError> {
        let total = ENVELOPE_HEAD_LEN + inner.len() + ENVELOPE_TAIL_LEN;
        if total > MAX_MESSAGE_LEN {
            return Err(EventStreamError::TooLarge);
        }
        let raw = self.chain.signature(time, inner);
        self.chain.advance(&raw);
        let mut head = [0u8; ENVELOPE_HEAD_LEN];
        head[..4].copy_from_slice(&(total as u32).to_be_bytes());
        head[4..8].copy_from_slice(&67u32.to_be_bytes());
        let prelude_crc = crc32fast::hash(&head[..8]);
        head[8..12].copy_from_slice(&prelude_crc.to_be_bytes());
        // :chunk-signature, type 6 (bytes), 32 bytes.
        head[12] = 16;
        head[13..29].copy_from_slice(b":chunk-signature");
        head[29] = 6;
        head[30..32].copy_from_slice(&32u16.to_be_bytes());
        head[32..64].copy_from_slice(&raw);
        head[64..79].copy_from_slice(&date_header(time));
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head);
        crc.update(inner);
        Ok(Envelope {
            head,
            tail: crc.finalize().to_be_bytes(),
            signature: self.chain.previous,
        })
    }
}

/// A message that checked out.
#[derive(Clone, Copy, Debug)]
pub struct VerifiedMessage<'m> {
    /// The inner message (empty for the end of the stream).
    pub inner: &'m [u8],
    /// The signing time in `:date`. The verifier does not judge it: a
    /// server compares it with its clock.
    pub date: Timestamp,
    /// The message's index in the stream, from 0.
    pub index: u64,
}

/// Checks the messages of one event stream in order: each envelope's
/// CRCs, its `:chunk-signature` over the previous signature, and the end.
pub struct EventStreamVerifier<'k> {
    chain: Chain<'k>,
    index: u64,
    ended: bool,
}

impl fmt::Debug for EventStreamVerifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStreamVerifier")
            .field("index", &self.index)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<'k> EventStreamVerifier<'k> {
    /// A verifier for a stream opened by a request verified with `secret`
    /// for `region` and `service`, whose signature was `seed_signature`.
    pub fn new(
        secret: &'k [u8],
        region: &'k str,
        service: &'k str,
        seed_signature: &str,
    ) -> Result<Self, SignError> {
        crate::sign::check_scope(region, service)?;
        Ok(Self {
            chain: Chain {
                secret,
                region,
                service,
                cache: KeyCache::new(),
                previous: check_seed(seed_signature)?,
            },
            index: 0,
            ended: false,
        })
    }

    /// True once the empty end message was verified.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Verifies the next envelope (one whole event-stream message).
    pub fn verify<'m>(
        &mut self,
        message: &'m [u8],
    ) -> Result<VerifiedMessage<'m>, EventStreamError> {
        if self.ended {
            return Err(EventStreamError::AfterEnd);
        }
        let (headers, inner) = parse_envelope(message)?;
        let (sig, date) = signed_headers(headers)?;
        let index = self.index;
        let millis = i64::from_be_bytes(date);
        let secs = u64::try_from(millis.div_euclid(1000))
            .map_err(|_| EventStreamError::Malformed(":date before 1970"))?;
        if millis.rem_euclid(1000) != 0 {
            // Signers send whole seconds; anything else cannot be checked
            // against the YYYYMMDDTHHMMSSZ the signature covers.
            return Err(EventStreamError::SignatureMismatch { index });
        }
        let time = Timestamp::from_unix_seconds(secs)
            .map_err(|_| EventStreamError::Malformed(":date out of range"))?;
        let expected = self.chain.signature(time, inner);
        if !encode::ct_eq(&expected[..], sig) {
            return Err(EventStreamError::SignatureMismatch { index });
        }
        self.chain.advance(&expected);
        self.index += 1;
        self.ended = inner.is_empty();
        Ok(VerifiedMessage {
            inner,
            date: time,
            index,
        })
    }
}

/// Splits a message into its headers and payload, checking the lengths and
/// both CRCs.
fn parse_envelope(m: &[u8]) -> Result<(&[u8], &[u8]), EventStreamError> {
    const BAD: EventStreamError = EventStreamError::Malformed("lengths do not add up");
    if m.len() < 16 || m.len() > MAX_MESSAGE_LEN {
        return Err(BAD);
    }
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let total = be32(&m[..4]) as usize;
    let headers_len = be32(&m[4..8]) as usize;
    if total != m.len() || headers_len > total - 16 {
        return Err(BAD);
    }
    if crc32fast::hash(&m[..8]) != be32(&m[8..12]) {
        return Err(EventStreamError::Malformed("prelude CRC mismatch"));
    }
    if crc32fast::hash(&m[..total - 4]) != be32(&m[total - 4..]) {
        return Err(EventStreamError::Malformed("message CRC mismatch"));
    }
    Ok((&m[12..12 + headers_len], &m[12 + headers_len..total - 4]))
}

/// The `:chunk-signature` and `:date` values; any other header is refused.
fn signed_headers(mut h: &[u8]) -> Result<(&[u8], [u8; 8]), EventStreamError> {
    const BAD: EventStreamError = EventStreamError::Malformed("header encoding");
    let (mut sig, mut date) = (None, None);
    while !h.is_empty() {
        let name_len = usize::from(h[0]);
        let name = h.get(1..1 + name_len).ok_or(BAD)?;
        let kind = *h.get(1 + name_len).ok_or(BAD)?;
        let rest = &h[2 + name_len..];
        match (name, kind) {
            (b":chunk-signature", 6) => {
                let len = usize::from(u16::from_be_bytes([
                    *rest.first().ok_or(BAD)?,
                    *rest.get(1).ok_or(BAD)?,
                ]));
                let value = rest.get(2..2 + len).ok_or(BAD)?;
                if len != 32 || sig.replace(value).is_some() {
                    return Err(EventStreamError::NotSigned);
                }
                h = &rest[2 + len..];
            }
            (b":date", 8) => {
                let value: [u8; 8] = rest.get(..8).ok_or(BAD)?.try_into().map_err(|_| BAD)?;
                if date.replace(value).is_some() {
                    return Err(EventStreamError::NotSigned);
                }
                h = &rest[8..];
            }
            _ => return Err(EventStreamError::NotSigned),
        }
    }
    match (sig, date) {
        (Some(s), Some(d)) => Ok((s, d)),
        _ => Err(EventStreamError::NotSigned),
    }
}
