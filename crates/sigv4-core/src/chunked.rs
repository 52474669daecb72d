//! S3 streaming uploads (`Content-Encoding: aws-chunked`): chunk
//! signatures, checksum trailers, an encoder and a verifying decoder.
//!
//! The request itself is signed as usual, with `x-amz-content-sha256` set
//! to one of the `STREAMING-…` markers ([`StreamingMode::content_sha256`]);
//! its signature is the *seed*. The body is then sent in chunks:
//!
//! ```text
//! hex(size);chunk-signature=SIG\r\n DATA \r\n        (signed modes)
//! hex(size)\r\n DATA \r\n                            (unsigned trailer mode)
//! … 0;chunk-signature=SIG\r\n                        (the final, empty chunk)
//! x-amz-checksum-crc32:VALUE\r\n                     (trailer modes)
//! x-amz-trailer-signature:SIG\r\n                    (signed trailer mode)
//! \r\n
//! ```
//!
//! Each chunk signature signs, with the request's key and scope,
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD\nDATE\nSCOPE\nPREVIOUS-SIGNATURE\nSHA256("")\nSHA256(DATA)
//! ```
//!
//! and the trailer signature `AWS4-HMAC-SHA256-TRAILER\nDATE\nSCOPE\nPREVIOUS\n
//! SHA256("name:value\n")`. SigV4a uses `AWS4-ECDSA-P256-SHA256-PAYLOAD` /
//! `-TRAILER` and pads each chunk signature with `*` to 144 characters, so
//! the encoded length is known in advance.
//!
//! [`ChunkSigner`] makes the framing one chunk at a time (no allocation);
//! [`ChunkedDecoder`] is a push parser for servers that checks each chunk's
//! signature before it releases the chunk's bytes, and holds the last
//! chunk back until the trailer (checksum and signature) has been checked.
//! With `std`, [`ChunkedEncoder`] and [`VerifiedBody`] wrap them as
//! [`std::io::Read`]ers; with `tokio`, `AsyncChunkedEncoder` and
//! `AsyncVerifiedBody` as `tokio::io::AsyncRead`ers.

use core::fmt;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::encode::{self, Sink};
use crate::key::SigningKey;
use crate::sign::{EMPTY_SHA256, Scope, SignError};
use crate::time::AmzDate;

/// `x-amz-content-sha256` of a signed streaming upload.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// `x-amz-content-sha256` of a signed streaming upload with a trailer.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// `x-amz-content-sha256` of an unsigned streaming upload with a trailer.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// `x-amz-content-sha256` of a SigV4a-signed streaming upload.
pub const STREAMING_ECDSA_PAYLOAD: &str = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
/// `x-amz-content-sha256` of a SigV4a-signed streaming upload with a trailer.
pub const STREAMING_ECDSA_PAYLOAD_TRAILER: &str =
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER";

/// The length SigV4a chunk signatures are padded to with `*`.
pub const SIGV4A_CHUNK_SIGNATURE_LEN: usize = 144;
/// The longest chunk header or trailer line the decoder reads.
const MAX_LINE: usize = 256;

/// Which streaming upload: the `STREAMING-…` marker in
/// `x-amz-content-sha256`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamingMode {
    /// Every chunk signed; no trailer.
    Signed,
    /// Every chunk signed, then a signed checksum trailer.
    SignedWithTrailer,
    /// Chunks unsigned (the body is not authenticated), then a checksum
    /// trailer.
    UnsignedWithTrailer,
}

impl StreamingMode {
    /// The `x-amz-content-sha256` value of this mode, for SigV4 or SigV4a.
    pub fn content_sha256(self, sigv4a: bool) -> &'static str {
        match (self, sigv4a) {
            (Self::Signed, false) => STREAMING_PAYLOAD,
            (Self::SignedWithTrailer, false) => STREAMING_PAYLOAD_TRAILER,
            (Self::Signed, true) => STREAMING_ECDSA_PAYLOAD,
            (Self::SignedWithTrailer, true) => STREAMING_ECDSA_PAYLOAD_TRAILER,
            (Self::UnsignedWithTrailer, _) => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        }
    }

    /// The mode of an `x-amz-content-sha256` value, and whether it is
    /// SigV4a's; `None` for anything else.
    pub fn from_content_sha256(value: &str) -> Option<(Self, bool)> {
        Some(match value {
            STREAMING_PAYLOAD => (Self::Signed, false),
            STREAMING_PAYLOAD_TRAILER => (Self::SignedWithTrailer, false),
            STREAMING_ECDSA_PAYLOAD => (Self::Signed, true),
            STREAMING_ECDSA_PAYLOAD_TRAILER => (Self::SignedWithTrailer, true),
            STREAMING_UNSIGNED_PAYLOAD_TRAILER => (Self::UnsignedWithTrailer, false),
            _ => return None,
        })
    }

    fn signed(self) -> bool {
        !matches!(self, Self::UnsignedWithTrailer)
    }

    fn has_trailer(self) -> bool {
        !matches!(self, Self::Signed)
    }
}

/// The checksum a trailer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// `x-amz-checksum-crc32` (CRC-32/ISO-HDLC).
    Crc32,
    /// `x-amz-checksum-crc32c` (CRC-32C, Castagnoli).
    Crc32c,
    /// `x-amz-checksum-sha256`.
    Sha256,
}

impl ChecksumAlgorithm {
    /// The trailer (and `x-amz-trailer`) name.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm of a trailer name.
    pub fn from_header_name(name: &str) -> Option<Self> {
        [Self::Crc32, Self::Crc32c, Self::Sha256]
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name))
    }

    /// The length of the base64 value.
    pub fn value_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 8,
            Self::Sha256 => 44,
        }
    }
}

#[cfg(not(feature = "hw-crc32c"))]
const CRC32C: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);

/// A running checksum over a body.
#[derive(Clone)]
pub struct Checksum {
    state: ChecksumState,
}

#[derive(Clone)]
enum ChecksumState {
    Crc32(crc32fast::Hasher),
    #[cfg(not(feature = "hw-crc32c"))]
    Crc32c(crc::Digest<'static, u32, crc::Table<16>>),
    /// The running CRC-32C, in hardware where the CPU has it.
    #[cfg(feature = "hw-crc32c")]
    Crc32c(u32),
    Sha256(Sha256),
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Checksum").field(&self.algorithm()).finish()
    }
}

/// A checksum's base64 text (at most 44 characters).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChecksumValue {
    buf: [u8; 44],
    len: usize,
}

impl ChecksumValue {
    /// The base64 text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl fmt::Debug for ChecksumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Checksum {
    /// An empty checksum.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        Self {
            state: match algorithm {
                ChecksumAlgorithm::Crc32 => ChecksumState::Crc32(crc32fast::Hasher::new()),
                #[cfg(not(feature = "hw-crc32c"))]
                ChecksumAlgorithm::Crc32c => ChecksumState::Crc32c(CRC32C.digest()),
                #[cfg(feature = "hw-crc32c")]
                ChecksumAlgorithm::Crc32c => ChecksumState::Crc32c(0),
                ChecksumAlgorithm::Sha256 => ChecksumState::Sha256(Sha256::new()),
            },
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.state {
            ChecksumState::Crc32(_) => ChecksumAlgorithm::Crc32,
            ChecksumState::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            ChecksumState::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            ChecksumState::Crc32(h) => h.update(data),
            #[cfg(not(feature = "hw-crc32c"))]
            ChecksumState::Crc32c(d) => d.update(data),
            #[cfg(feature = "hw-crc32c")]
            ChecksumState::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
            ChecksumState::Sha256(h) => h.update(data),
        }
    }

    /// The base64 value of everything added.
    pub fn value(&self) -> ChecksumValue {
        let mut raw = [0u8; 32];
        let raw: &[u8] = match &self.state {
            ChecksumState::Crc32(h) => {
                raw[..4].copy_from_slice(&h.clone().finalize().to_be_bytes());
                &raw[..4]
            }
            #[cfg(not(feature = "hw-crc32c"))]
            ChecksumState::Crc32c(d) => {
                raw[..4].copy_from_slice(&d.clone().finalize().to_be_bytes());
                &raw[..4]
            }
            #[cfg(feature = "hw-crc32c")]
            ChecksumState::Crc32c(c) => {
                raw[..4].copy_from_slice(&c.to_be_bytes());
                &raw[..4]
            }
            ChecksumState::Sha256(h) => {
                raw.copy_from_slice(&h.clone().finalize());
                &raw[..]
            }
        };
        let mut v = ChecksumValue {
            buf: [0; 44],
            len: 0,
        };
        v.len = base64::engine::general_purpose::STANDARD
            .encode_slice(raw, &mut v.buf)
            .unwrap_or(0);
        v
    }
}

/// The key chunk signatures are made or checked with.
#[derive(Clone)]
pub(crate) enum ChunkKey<'k> {
    Hmac(SigningKey),
    #[cfg(feature = "sigv4a")]
    EcdsaSign(&'k crate::SigV4aKey),
    #[cfg(feature = "sigv4a")]
    EcdsaVerify(crate::SigV4aPublicKey),
    #[cfg(not(feature = "sigv4a"))]
    _Unused(core::marker::PhantomData<&'k ()>),
}

/// A signature as text: 64 hex digits (HMAC), or DER hex padded with `*`
/// to 144 (SigV4a).
#[derive(Clone, Copy)]
struct SigText {
    buf: [u8; SIGV4A_CHUNK_SIGNATURE_LEN],
    len: usize,
}

impl SigText {
    fn new(s: &[u8]) -> Option<Self> {
        let mut buf = [0u8; SIGV4A_CHUNK_SIGNATURE_LEN];
        buf.get_mut(..s.len())?.copy_from_slice(s);
        Some(Self { buf, len: s.len() })
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Without the SigV4a padding: what the next string to sign names.
    fn unpadded(&self) -> &[u8] {
        let mut n = self.len;
        while n > 0 && self.buf[n - 1] == b'*' {
            n -= 1;
        }
        &self.buf[..n]
    }
}

/// What chunk signatures chain from: the request's signing time, scope,
/// key and seed signature.
#[derive(Clone)]
struct Chain<'k> {
    date: AmzDate,
    region: ShortName,
    service: ShortName,
    key: ChunkKey<'k>,
    previous: SigText,
}

/// A region (set) or service name held by value.
#[derive(Clone, Copy)]
struct ShortName {
    buf: [u8; 128],
    len: usize,
}

impl ShortName {
    fn new(s: &str) -> Option<Self> {
        let mut buf = [0u8; 128];
        buf.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(Self { buf, len: s.len() })
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Chain<'_> {
    fn sigv4a(&self) -> bool {
        !matches!(self.key, ChunkKey::Hmac(_))
    }

    fn scope(&self) -> Scope<'_> {
        Scope {
            date: self.date,
            region: if self.sigv4a() {
                ""
            } else {
                self.region.as_str()
            },
            service: self.service.as_str(),
        }
    }

    /// Writes the string to sign of a chunk (with `data_hash`) or of the
    /// trailer (`data_hash` is then the trailer's hash, and no empty hash).
    fn write_sts(&self, sink: &mut dyn Sink, trailer: bool, hash: &[u8; 32]) {
        let alg = match (self.sigv4a(), trailer) {
            (false, false) => "AWS4-HMAC-SHA256-PAYLOAD",
            (false, true) => "AWS4-HMAC-SHA256-TRAILER",
            (true, false) => "AWS4-ECDSA-P256-SHA256-PAYLOAD",
            (true, true) => "AWS4-ECDSA-P256-SHA256-TRAILER",
        };
        sink.put(alg.as_bytes());
        sink.put(b"\n");
        sink.put(self.date.as_bytes());
        sink.put(b"\n");
        self.scope().write(sink);
        sink.put(b"\n");
        sink.put(self.previous.unpadded());
        sink.put(b"\n");
        if !trailer {
            sink.put(EMPTY_SHA256.as_bytes());
            sink.put(b"\n");
        }
        let mut hex = [0u8; 64];
        sink.put(encode::hex_bytes(hash, &mut hex));
    }

    /// SHA-256 of the string to sign: what a SigV4a chunk signature signs.
    #[cfg(feature = "sigv4a")]
    fn sts_digest(&self, trailer: bool, hash: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        self.write_sts(&mut h, trailer, hash);
        h.finalize().into()
    }

    /// Signs the next chunk (or the trailer) and makes it the previous.
    fn sign_next(&mut self, trailer: bool, hash: &[u8; 32]) -> Result<SigText, SignError> {
        let sig = match &self.key {
            ChunkKey::Hmac(k) => {
                let mac = k.sign_with(|m| self.write_sts(m, trailer, hash));
                let mut hex = [0u8; 64];
                SigText::new(encode::hex_bytes(&mac, &mut hex))
            }
            #[cfg(feature = "sigv4a")]
            ChunkKey::EcdsaSign(k) => {
                let digest = self.sts_digest(trailer, hash);
                let mut buf = [0u8; crate::sigv4a::MAX_DER_SIGNATURE];
                let mut der = encode::SliceSink::new(&mut buf);
                k.sign_prehash(&digest, &[], &mut der);
                let der_len = der.len();
                let mut text = [b'*'; SIGV4A_CHUNK_SIGNATURE_LEN];
                encode::hex_bytes(&buf[..der_len], &mut text);
                SigText::new(&text)
            }
            #[cfg(feature = "sigv4a")]
            ChunkKey::EcdsaVerify(_) => None,
            #[cfg(not(feature = "sigv4a"))]
            ChunkKey::_Unused(_) => None,
        }
        .ok_or(SignError::Algorithm("chunk signature"))?;
        self.previous = sig;
        Ok(sig)
    }

    /// Checks a received chunk (or trailer) signature; on success it is
    /// the previous one for the next.
    fn verify_next(&mut self, trailer: bool, hash: &[u8; 32], got: &[u8]) -> bool {
        let ok = match &self.key {
            ChunkKey::Hmac(k) => {
                let mac = k.sign_with(|m| self.write_sts(m, trailer, hash));
                let mut hex = [0u8; 64];
                encode::ct_eq(encode::hex_bytes(&mac, &mut hex), got)
            }
            #[cfg(feature = "sigv4a")]
            ChunkKey::EcdsaVerify(public) => {
                let padded = got.len() == SIGV4A_CHUNK_SIGNATURE_LEN;
                let text = SigText::new(got);
                match (padded, text) {
                    (true, Some(t)) => {
                        public.verify_prehash_hex(&self.sts_digest(trailer, hash), t.unpadded())
                    }
                    _ => false,
                }
            }
            #[cfg(feature = "sigv4a")]
            ChunkKey::EcdsaSign(_) => false,
            #[cfg(not(feature = "sigv4a"))]
            ChunkKey::_Unused(_) => false,
        };
        if ok && let Some(t) = SigText::new(got) {
            self.previous = t;
        }
        ok
    }
}

/// The length of `size` in hex.
fn hex_len(size: u64) -> u64 {
    let mut n = 1;
    let mut v = size >> 4;
    while v > 0 {
        n += 1;
        v >>= 4;
    }
    n
}

/// The shape of a streaming upload: what to sign in the request, and the
/// wire length of its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamingUpload {
    /// The mode.
    pub mode: StreamingMode,
    /// SigV4a signatures (`STREAMING-AWS4-ECDSA-P256-SHA256-…`).
    pub sigv4a: bool,
    /// The data bytes per chunk (the last may be shorter); S3 wants at
    /// least 8 KiB, SDKs use 64 KiB.
    pub chunk_size: usize,
    /// The length of the body before encoding
    /// (`x-amz-decoded-content-length`).
    pub decoded_length: u64,
    /// The trailer's checksum, for the trailer modes.
    pub checksum: Option<ChecksumAlgorithm>,
}

impl StreamingUpload {
    /// The `x-amz-content-sha256` value.
    pub fn content_sha256(&self) -> &'static str {
        self.mode.content_sha256(self.sigv4a)
    }

    fn signature_len(&self) -> u64 {
        if self.sigv4a {
            SIGV4A_CHUNK_SIGNATURE_LEN as u64
        } else {
            64
        }
    }

    /// Checks that the parts fit together: a chunk size of at least one
    /// byte, a checksum exactly for the trailer modes.
    pub fn check(&self) -> Result<(), ChunkError> {
        if self.chunk_size == 0 {
            return Err(ChunkError::Config(
                "the chunk size must be at least one byte",
            ));
        }
        if self.mode.has_trailer() != self.checksum.is_some() {
            return Err(ChunkError::Config(
                "a trailer mode needs a checksum, and only a trailer mode takes one",
            ));
        }
        Ok(())
    }

    /// The `Content-Length` of the encoded body.
    pub fn encoded_length(&self) -> u64 {
        let sig = if self.mode.signed() {
            17 + self.signature_len() // ";chunk-signature=" + signature
        } else {
            0
        };
        let chunk = self.chunk_size.max(1) as u64;
        let full = self.decoded_length / chunk;
        let rest = self.decoded_length % chunk;
        let frame = |size: u64| hex_len(size) + sig + 2 + size + 2;
        let mut total = full * frame(chunk);
        if rest > 0 {
            total += frame(rest);
        }
        // The final chunk: "0" [sig] "\r\n".
        total += 1 + sig + 2;
        match self.checksum.filter(|_| self.mode.has_trailer()) {
            None => total + 2,
            Some(c) => {
                let mut t = total + c.header_name().len() as u64 + 1 + c.value_len() as u64 + 2;
                if self.mode.signed() {
                    t += "x-amz-trailer-signature:".len() as u64 + self.signature_len() + 2;
                }
                t + 2
            }
        }
    }

    /// The headers a streaming request carries, to sign and send:
    /// `content-encoding: aws-chunked`, `content-length` (the encoded
    /// length), `x-amz-decoded-content-length`, `x-amz-content-sha256`
    /// ([`content_sha256`](Self::content_sha256)) and, for a trailer,
    /// `x-amz-trailer`. The decimal values are written into `digits`.
    pub fn headers<'d>(&self, digits: &'d mut [u8; 40]) -> [Option<(&'static str, &'d str)>; 5] {
        let (decoded, encoded) = digits.split_at_mut(20);
        let decoded = decimal(self.decoded_length, decoded);
        let encoded = decimal(self.encoded_length(), encoded);
        [
            Some(("content-encoding", "aws-chunked")),
            Some(("content-length", encoded)),
            Some(("x-amz-decoded-content-length", decoded)),
            Some(("x-amz-content-sha256", self.content_sha256())),
            self.checksum
                .filter(|_| self.mode.has_trailer())
                .map(|c| ("x-amz-trailer", c.header_name())),
        ]
    }
}

/// `v` in decimal, written into `buf` (20 bytes hold any `u64`).
fn decimal(v: u64, buf: &mut [u8]) -> &str {
    core::str::from_utf8(crate::sign::decimal(v, buf)).unwrap_or("0")
}

/// Why a chunked body could not be encoded or was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// The upload's description does not hold together.
    #[error("invalid streaming upload: {0}")]
    Config(&'static str),
    /// The chunk framing is not aws-chunked.
    #[error("malformed aws-chunked body: {0}")]
    Malformed(&'static str),
    /// A chunk is larger than the decoder's buffer.
    #[error("an aws-chunked chunk of {size} bytes is larger than the {limit}-byte limit")]
    ChunkTooLarge {
        /// The chunk's declared size.
        size: u64,
        /// The decoder's limit.
        limit: usize,
    },
    /// A chunk signature does not match: the chunk was changed, dropped,
    /// reordered or signed with another key. Nothing of it was released.
    #[error(
        "chunk {index} signature mismatch: the chunk was changed, reordered or not signed with the request's key"
    )]
    ChunkSignatureMismatch {
        /// The chunk's index, from 0 (the final empty chunk counts).
        index: u64,
    },
    /// The trailer's signature does not match.
    #[error(
        "trailer signature mismatch: the trailer was changed or not signed with the request's key"
    )]
    TrailerSignatureMismatch,
    /// The trailer's checksum is not the body's.
    #[error("checksum mismatch: the {0} trailer is not the checksum of the body received")]
    ChecksumMismatch(&'static str),
    /// The trailer is missing, or is not the one `x-amz-trailer` declared.
    #[error("trailer missing or not the declared one (x-amz-trailer names the checksum to send)")]
    Trailer,
    /// The body ends before its final chunk (or trailer).
    #[error("the aws-chunked body ends early: truncated before its final chunk or trailer")]
    Truncated,
    /// The decoded body is not `x-amz-decoded-content-length` long.
    #[error("the decoded body is {actual} bytes, but x-amz-decoded-content-length says {declared}")]
    LengthMismatch {
        /// Bytes decoded.
        actual: u64,
        /// `x-amz-decoded-content-length`.
        declared: u64,
    },
    /// Bytes follow the end of the body.
    #[error("bytes after the end of the aws-chunked body")]
    TrailingData,
    /// A chunk signature could not be made.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Makes the aws-chunked framing, one chunk at a time: the caller sends
/// [`chunk_header`](Self::chunk_header), the data, `\r\n`; then
/// [`finish`](Self::finish). Allocates nothing.
///
/// ```
/// use sigv4_core::chunked::{ChunkSigner, StreamingMode};
/// use sigv4_core::{CredentialsRef, SigningParams};
/// # let params = SigningParams::new("us-east-1", "s3", "20130524T000000Z".parse()?);
/// # let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
/// let creds = CredentialsRef::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
/// // `seed` is the request's signature (signed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
/// let mut chunks = ChunkSigner::hmac(&creds, &params, seed, StreamingMode::Signed, None)?;
/// let data = vec![b'a'; 65536];
/// let header = chunks.chunk_header(&data)?;
/// assert!(header.starts_with("10000;chunk-signature=ad80c730a21e5b8d"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ChunkSigner<'k> {
    chain: Chain<'k>,
    mode: StreamingMode,
    checksum: Option<Checksum>,
    text: [u8; 512],
}

impl fmt::Debug for ChunkSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("mode", &self.mode)
            .field("checksum", &self.checksum)
            .finish_non_exhaustive()
    }
}

impl<'k> ChunkSigner<'k> {
    fn new(
        key: ChunkKey<'k>,
        params: &crate::SigningParams<'_>,
        seed_signature: &str,
        mode: StreamingMode,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<Self, ChunkError> {
        if mode.has_trailer() != checksum.is_some() {
            return Err(ChunkError::Config(
                "a trailer mode needs a checksum, and only a trailer mode takes one",
            ));
        }
        let bad = ChunkError::Config("the region, service or seed signature is too long");
        Ok(Self {
            chain: Chain {
                date: params.time.amz_date(),
                region: ShortName::new(params.region).ok_or(bad)?,
                service: ShortName::new(params.service).ok_or(bad)?,
                key,
                previous: SigText::new(seed_signature.as_bytes()).ok_or(bad)?,
            },
            mode,
            checksum: checksum.map(Checksum::new),
            text: [0; 512],
        })
    }

    /// A SigV4 (HMAC) chunk signer for a request signed with `params` whose
    /// signature is `seed_signature`.
    pub fn hmac(
        credentials: &crate::CredentialsRef<'_>,
        params: &crate::SigningParams<'_>,
        seed_signature: &str,
        mode: StreamingMode,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<Self, ChunkError> {
        let key = SigningKey::derive(
            credentials.secret_access_key.as_bytes(),
            params.time.amz_date().date(),
            params.region,
            params.service,
        );
        Self::new(ChunkKey::Hmac(key), params, seed_signature, mode, checksum)
    }

    /// A SigV4a chunk signer (`params.region` is the region set).
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
    pub fn sigv4a(
        key: &'k crate::SigV4aKey,
        params: &crate::SigningParams<'_>,
        seed_signature: &str,
        mode: StreamingMode,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<Self, ChunkError> {
        Self::new(
            ChunkKey::EcdsaSign(key),
            params,
            seed_signature,
            mode,
            checksum,
        )
    }

    /// The framing line before a chunk of `data` (not empty):
    /// `hex-size;chunk-signature=SIG\r\n` (or `hex-size\r\n` unsigned).
    /// Send it, then `data`, then `\r\n`.
    pub fn chunk_header(&mut self, data: &[u8]) -> Result<&str, ChunkError> {
        if data.is_empty() {
            return Err(ChunkError::Config(
                "an empty chunk ends the body: call finish()",
            ));
        }
        if let Some(c) = &mut self.checksum {
            c.update(data);
        }
        let hash: [u8; 32] = if self.mode.signed() {
            Sha256::digest(data).into()
        } else {
            [0; 32]
        };
        self.header_line(data.len() as u64, &hash)
    }

    fn header_line(&mut self, size: u64, hash: &[u8; 32]) -> Result<&str, ChunkError> {
        let sig = if self.mode.signed() {
            Some(self.chain.sign_next(false, hash)?)
        } else {
            None
        };
        let mut out = encode::SliceSink::new(&mut self.text);
        write_hex(&mut out, size);
        if let Some(s) = sig {
            out.put(b";chunk-signature=");
            out.put(s.bytes());
        }
        out.put(b"\r\n");
        let n = out.len();
        core::str::from_utf8(&self.text[..n]).map_err(|_| ChunkError::Malformed("framing"))
    }

    /// Everything after the last data chunk: the final empty chunk, then
    /// the trailer (checksum, trailer signature) if any, and the closing
    /// `\r\n`.
    pub fn finish(&mut self) -> Result<&str, ChunkError> {
        let empty: [u8; 32] = Sha256::digest([]).into();
        let head_len = self.header_line(0, &empty)?.len();
        let checksum = self.checksum.as_ref().map(|c| (c.algorithm(), c.value()));
        let trailer_sig = match &checksum {
            Some((alg, value)) if self.mode.signed() => {
                let mut h = Sha256::new();
                h.update(alg.header_name().as_bytes());
                h.update(b":");
                h.update(value.as_str().as_bytes());
                h.update(b"\n");
                let hash: [u8; 32] = h.finalize().into();
                Some(self.chain.sign_next(true, &hash)?)
            }
            _ => None,
        };
        let mut out = encode::SliceSink::new(&mut self.text[head_len..]);
        if let Some((alg, value)) = &checksum {
            out.put(alg.header_name().as_bytes());
            out.put(b":");
            out.put(value.as_str().as_bytes());
            out.put(b"\r\n");
            if let Some(s) = trailer_sig {
                out.put(b"x-amz-trailer-signature:");
                out.put(s.bytes());
                out.put(b"\r\n");
            }
        }
        out.put(b"\r\n");
        let n = head_len + out.len();
        core::str::from_utf8(&self.text[..n]).map_err(|_| ChunkError::Malformed("framing"))
    }
}

fn write_hex(out: &mut dyn Sink, v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = HEX[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.put(&buf[i..]);
}

/// What a server needs to check a streaming body: the verified request's
/// key, scope, time and seed signature, and what the request declared.
/// Made by [`Verifier::verify_streaming`](crate::Verifier::verify_streaming).
#[derive(Clone)]
pub struct StreamingSeed {
    chain: Chain<'static>,
    mode: StreamingMode,
    checksum: Option<ChecksumAlgorithm>,
    decoded_length: u64,
}

impl fmt::Debug for StreamingSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingSeed")
            .field("mode", &self.mode)
            .field("sigv4a", &self.chain.sigv4a())
            .field("checksum", &self.checksum)
            .field("decoded_length", &self.decoded_length)
            .finish_non_exhaustive()
    }
}

impl StreamingSeed {
    /// The seed of a request verified with `key`.
    pub(crate) fn new(
        key: ChunkKey<'static>,
        scope: &Scope<'_>,
        seed_signature: &[u8],
        mode: StreamingMode,
        checksum: Option<ChecksumAlgorithm>,
        decoded_length: u64,
    ) -> Option<Self> {
        Some(Self {
            chain: Chain {
                date: scope.date,
                region: ShortName::new(scope.region)?,
                service: ShortName::new(scope.service)?,
                key,
                previous: SigText::new(seed_signature)?,
            },
            mode,
            checksum,
            decoded_length,
        })
    }

    /// The mode the request declared.
    pub fn mode(&self) -> StreamingMode {
        self.mode
    }

    /// The declared `x-amz-decoded-content-length`.
    pub fn decoded_length(&self) -> u64 {
        self.decoded_length
    }

    /// The checksum `x-amz-trailer` declared.
    pub fn checksum(&self) -> Option<ChecksumAlgorithm> {
        self.checksum
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading a chunk header line.
    Header,
    /// Reading `remaining` bytes of chunk data.
    Data { remaining: u64 },
    /// Reading the `\r\n` after chunk data.
    DataEnd,
    /// After the final chunk: the closing empty line or trailer lines.
    Trailer,
    /// Complete.
    Done,
    /// Refused; every further call fails the same way.
    Failed(ChunkError),
}

/// A push decoder for aws-chunked bodies that releases a chunk's bytes
/// only after its signature checked out — and the last chunk only after
/// the final chunk and the trailer (signature and checksum) did — so a
/// forged or truncated body never reaches the application as if it were
/// whole.
///
/// Memory is constant: the caller's buffer `B` holds one chunk (it bounds
/// the chunk size accepted), plus a line buffer. In
/// [`StreamingMode::UnsignedWithTrailer`] nothing is authenticated: chunks
/// are released as they arrive (all but the last) and only the checksum is
/// checked at the end.
pub struct ChunkedDecoder<B> {
    seed: StreamingSeed,
    buf: B,
    /// Bytes of the current chunk in `buf`.
    filled: usize,
    /// The current chunk is complete and verified, held for release.
    held: bool,
    state: State,
    line: [u8; MAX_LINE],
    line_len: usize,
    /// The signature of the chunk being read.
    chunk_sig: SigText,
    chunk_hash: Sha256,
    chunk_index: u64,
    decoded: u64,
    checksum: Option<Checksum>,
    trailer_value: Option<ChecksumValue>,
    trailer_sig: Option<SigText>,
    /// The final chunk was read; an empty line right after it is allowed
    /// before the trailer (some clients send one).
    trailer_lines: usize,
}

impl<B> fmt::Debug for ChunkedDecoder<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedDecoder")
            .field("seed", &self.seed)
            .field("state", &self.state)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

/// What one [`ChunkedDecoder::decode`] call did.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// Input bytes consumed; call again with the rest.
    pub consumed: usize,
    /// Verified body bytes released to the application (possibly empty).
    pub released: &'a [u8],
}

impl<B: AsMut<[u8]> + AsRef<[u8]>> ChunkedDecoder<B> {
    /// A decoder for the body of the request `seed` came from, buffering
    /// one chunk in `buf` (its length is the largest chunk accepted).
    pub fn new(seed: StreamingSeed, buf: B) -> Self {
        let checksum = seed.checksum.map(Checksum::new);
        Self {
            seed,
            buf,
            filled: 0,
            held: false,
            state: State::Header,
            line: [0; MAX_LINE],
            line_len: 0,
            chunk_sig: SigText {
                buf: [0; SIGV4A_CHUNK_SIGNATURE_LEN],
                len: 0,
            },
            chunk_hash: Sha256::new(),
            chunk_index: 0,
            decoded: 0,
            checksum,
            trailer_value: None,
            trailer_sig: None,
            trailer_lines: 0,
        }
    }

    /// True when the whole body was decoded and checked.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The verified checksum trailer's value, once done.
    pub fn trailer(&self) -> Option<(ChecksumAlgorithm, ChecksumValue)> {
        match (self.state, self.checksum.as_ref(), self.trailer_value) {
            (State::Done, Some(c), Some(v)) => Some((c.algorithm(), v)),
            _ => None,
        }
    }

    fn fail<T>(&mut self, e: ChunkError) -> Result<T, ChunkError> {
        self.state = State::Failed(e);
        self.held = false;
        self.filled = 0;
        Err(e)
    }

    /// Feeds `input`; returns how much was consumed and the verified bytes
    /// released (valid until the next call). Call again with the rest of
    /// the input, and with more as it arrives; at the end of the input
    /// call [`finish`](Self::finish).
    pub fn decode(&mut self, input: &[u8]) -> Result<Decoded<'_>, ChunkError> {
        let mut pos = 0;
        loop {
            match self.state {
                State::Failed(e) => return Err(e),
                State::Done => {
                    return if input[pos..].is_empty() {
                        Ok(Decoded {
                            consumed: pos,
                            released: &[],
                        })
                    } else {
                        self.fail(ChunkError::TrailingData)
                    };
                }
                State::Data { remaining } => {
                    let take =
                        (input.len() - pos).min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    if take == 0 {
                        return Ok(Decoded {
                            consumed: pos,
                            released: &[],
                        });
                    }
                    let data = &input[pos..pos + take];
                    let end = self.filled + take;
                    self.buf.as_mut()[self.filled..end].copy_from_slice(data);
                    self.filled = end;
                    if self.seed.mode.signed() {
                        self.chunk_hash.update(data);
                    }
                    pos += take;
                    let remaining = remaining - take as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd
                    } else {
                        State::Data { remaining }
                    };
                }
                State::DataEnd => {
                    let Some(n) = self.read_line(&input[pos..])? else {
                        return Ok(Decoded {
                            consumed: input.len(),
                            released: &[],
                        });
                    };
                    pos += n;
                    if self.line_len != 0 {
                        return self.fail(ChunkError::Malformed("chunk data not followed by CRLF"));
                    }
                    self.line_len = 0;
                    self.end_chunk()?;
                    self.state = State::Header;
                }
                State::Header => {
                    let Some(n) = self.read_line(&input[pos..])? else {
                        return Ok(Decoded {
                            consumed: input.len(),
                            released: &[],
                        });
                    };
                    pos += n;
                    let size = self.parse_header()?;
                    self.line_len = 0;
                    let released = self.start_chunk(size)?;
                    if released > 0 {
                        return Ok(Decoded {
                            consumed: pos,
                            released: &self.buf.as_ref()[..released],
                        });
                    }
                }
                State::Trailer => {
                    let Some(n) = self.read_line(&input[pos..])? else {
                        return Ok(Decoded {
                            consumed: input.len(),
                            released: &[],
                        });
                    };
                    pos += n;
                    let line_len = self.line_len;
                    self.line_len = 0;
                    if line_len == 0 {
                        let expecting =
                            self.seed.mode.has_trailer() && self.trailer_value.is_none();
                        if expecting && self.trailer_lines == 0 {
                            // An empty line between the final chunk and the
                            // trailer, as some clients send.
                            self.trailer_lines = 1;
                            continue;
                        }
                        let released = self.end_body()?;
                        return Ok(Decoded {
                            consumed: pos,
                            released: &self.buf.as_ref()[..released],
                        });
                    }
                    self.trailer_lines += 1;
                    self.trailer_line(line_len)?;
                }
            }
        }
    }

    /// Reads up to and including `\r\n` into the line buffer; `Some(n)`
    /// (bytes consumed) when the line is complete.
    fn read_line(&mut self, input: &[u8]) -> Result<Option<usize>, ChunkError> {
        for (i, &b) in input.iter().enumerate() {
            if b == b'\n' {
                if self.line_len == 0 || self.line[self.line_len - 1] != b'\r' {
                    return self.fail(ChunkError::Malformed("line not ended by CRLF"));
                }
                self.line_len -= 1;
                return Ok(Some(i + 1));
            }
            if self.line_len == MAX_LINE {
                return self.fail(ChunkError::Malformed(
                    "chunk header or trailer line too long",
                ));
            }
            self.line[self.line_len] = b;
            self.line_len += 1;
        }
        Ok(None)
    }

    /// Parses `hex-size[;chunk-signature=SIG]`.
    fn parse_header(&mut self) -> Result<u64, ChunkError> {
        let line = &self.line[..self.line_len];
        let (size_text, ext) = match line.iter().position(|&b| b == b';') {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        if size_text.is_empty()
            || size_text.len() > 16
            || !size_text.iter().all(u8::is_ascii_hexdigit)
        {
            return self.fail(ChunkError::Malformed("chunk size is not hex"));
        }
        let size = size_text.iter().fold(0u64, |acc, &b| {
            let d = (b as char).to_digit(16).unwrap_or(0);
            (acc << 4) | u64::from(d)
        });
        match (self.seed.mode.signed(), ext) {
            (true, Some(ext)) => {
                let Some(sig) = ext.strip_prefix(b"chunk-signature=") else {
                    return self.fail(ChunkError::Malformed("expected ';chunk-signature='"));
                };
                match SigText::new(sig) {
                    Some(s) if !sig.is_empty() => self.chunk_sig = s,
                    _ => return self.fail(ChunkError::Malformed("chunk signature too long")),
                }
            }
            (true, None) => {
                return self.fail(ChunkError::Malformed("chunk without a chunk-signature"));
            }
            (false, Some(_)) => {
                return self.fail(ChunkError::Malformed(
                    "unexpected chunk extension in an unsigned body",
                ));
            }
            (false, None) => {}
        }
        Ok(size)
    }

    /// A chunk header was read: releases the held chunk (returns its
    /// length) if this one has data, or goes on to the trailer.
    fn start_chunk(&mut self, size: u64) -> Result<usize, ChunkError> {
        let limit = self.buf.as_ref().len();
        if size > limit as u64 {
            return self.fail(ChunkError::ChunkTooLarge { size, limit });
        }
        if self.decoded + size > self.seed.decoded_length {
            let (actual, declared) = (self.decoded + size, self.seed.decoded_length);
            return self.fail(ChunkError::LengthMismatch { actual, declared });
        }
        self.chunk_hash = Sha256::new();
        if size == 0 {
            // The final chunk: check its signature now.
            self.end_final_chunk()?;
            self.state = State::Trailer;
            return Ok(0);
        }
        let released = if self.held { self.filled } else { 0 };
        // The held chunk is handed out by this call (the caller's slice
        // stays valid until the next one); the next data goes into the
        // buffer from the start.
        self.held = false;
        self.filled = 0;
        self.state = State::Data { remaining: size };
        Ok(released)
    }

    /// The data and its CRLF were read: check the signature, count the
    /// bytes, hold the chunk.
    fn end_chunk(&mut self) -> Result<(), ChunkError> {
        self.check_chunk_signature()?;
        let data = &self.buf.as_ref()[..self.filled];
        if let Some(c) = &mut self.checksum {
            c.update(data);
        }
        self.decoded += self.filled as u64;
        self.chunk_index += 1;
        self.held = true;
        Ok(())
    }

    /// Checks the signature of the chunk just read (its data hashed as it
    /// came; none for the final, empty chunk) in a signed mode.
    fn check_chunk_signature(&mut self) -> Result<(), ChunkError> {
        if self.seed.mode.signed() {
            let hash: [u8; 32] = core::mem::take(&mut self.chunk_hash).finalize().into();
            let sig = self.chunk_sig;
            if !self.seed.chain.verify_next(false, &hash, sig.bytes()) {
                let index = self.chunk_index;
                return self.fail(ChunkError::ChunkSignatureMismatch { index });
            }
        }
        Ok(())
    }

    fn end_final_chunk(&mut self) -> Result<(), ChunkError> {
        self.check_chunk_signature()?;
        if self.decoded != self.seed.decoded_length {
            let (actual, declared) = (self.decoded, self.seed.decoded_length);
            return self.fail(ChunkError::LengthMismatch { actual, declared });
        }
        Ok(())
    }

    /// One `name:value` line after the final chunk.
    fn trailer_line(&mut self, len: usize) -> Result<(), ChunkError> {
        let line = &self.line[..len];
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return self.fail(ChunkError::Malformed("trailer line without ':'"));
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let name = core::str::from_utf8(name).unwrap_or("");
        let value = trim(value);
        if name.eq_ignore_ascii_case("x-amz-trailer-signature") {
            if !self.seed.mode.signed() || self.trailer_sig.is_some() {
                return self.fail(ChunkError::Malformed("unexpected x-amz-trailer-signature"));
            }
            match SigText::new(value) {
                Some(s) => self.trailer_sig = Some(s),
                None => return self.fail(ChunkError::Malformed("trailer signature too long")),
            }
            return Ok(());
        }
        let expected = self.checksum.as_ref().map(Checksum::algorithm);
        match (expected, self.trailer_value) {
            (Some(alg), None) if alg.header_name().eq_ignore_ascii_case(name) => {
                let mut v = ChecksumValue {
                    buf: [0; 44],
                    len: 0,
                };
                match v.buf.get_mut(..value.len()) {
                    Some(slot) => slot.copy_from_slice(value),
                    None => return self.fail(ChunkError::ChecksumMismatch(alg.header_name())),
                }
                v.len = value.len();
                self.trailer_value = Some(v);
                Ok(())
            }
            _ => self.fail(ChunkError::Trailer),
        }
    }

    /// The closing empty line: check the trailer, release the last chunk.
    fn end_body(&mut self) -> Result<usize, ChunkError> {
        if let Some(c) = &self.checksum {
            let alg = c.algorithm();
            let Some(got) = self.trailer_value else {
                return self.fail(ChunkError::Trailer);
            };
            if self.seed.mode.signed() {
                let Some(sig) = self.trailer_sig else {
                    return self.fail(ChunkError::Malformed("missing x-amz-trailer-signature"));
                };
                let mut h = Sha256::new();
                h.update(alg.header_name().as_bytes());
                h.update(b":");
                h.update(got.as_str().as_bytes());
                h.update(b"\n");
                let hash: [u8; 32] = h.finalize().into();
                if !self.seed.chain.verify_next(true, &hash, sig.bytes()) {
                    return self.fail(ChunkError::TrailerSignatureMismatch);
                }
            }
            let actual = c.value();
            if !encode::ct_eq(actual.as_str().as_bytes(), got.as_str().as_bytes()) {
                return self.fail(ChunkError::ChecksumMismatch(alg.header_name()));
            }
        }
        self.state = State::Done;
        let released = if self.held { self.filled } else { 0 };
        self.held = false;
        self.filled = 0;
        Ok(released)
    }

    /// Call at the end of the input: `Ok` when the body was complete and
    /// checked, [`ChunkError::Truncated`] when it ended early.
    pub fn finish(&mut self) -> Result<(), ChunkError> {
        match self.state {
            State::Done => Ok(()),
            State::Failed(e) => Err(e),
            _ => self.fail(ChunkError::Truncated),
        }
    }
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &v[start..end]
}

#[cfg(feature = "std")]
mod io;
#[cfg(feature = "std")]
pub use io::{ChunkedEncoder, VerifiedBody};
#[cfg(feature = "tokio")]
mod async_io;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use async_io::{AsyncChunkedEncoder, AsyncVerifiedBody};
