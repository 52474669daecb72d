//! The sinks the canonical request and signature are written through.

use sha2::{Digest, Sha256};

use crate::encode::{self, Sink, SliceSink};

/// A payload hash line (at most 64 bytes) held by value.
#[derive(Clone, Copy)]
pub(super) struct HashText {
    pub(super) buf: [u8; 64],
    pub(super) len: usize,
}

impl HashText {
    pub(super) fn new(s: &str) -> Self {
        let mut buf = [0u8; 64];
        let len = s.len().min(64);
        buf[..len].copy_from_slice(&s.as_bytes()[..len]);
        Self { buf, len }
    }

    pub(super) fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// A SHA-256 fed through a 512-byte stack buffer (the canonical request
/// arrives in many small pieces; hashing them one by one costs more than
/// the hash), that also copies what it hashes to an optional trace sink.
pub(crate) struct HashTee<'t> {
    pub(super) hash: Sha256,
    pub(super) buf: [u8; 512],
    pub(super) len: usize,
    pub(super) copy: Option<&'t mut dyn Sink>,
}

impl<'t> HashTee<'t> {
    pub(crate) fn new(copy: Option<&'t mut dyn Sink>) -> Self {
        Self {
            hash: Sha256::new(),
            buf: [0; 512],
            len: 0,
            copy,
        }
    }

    pub(crate) fn finalize(mut self) -> [u8; 32] {
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
pub(super) struct Encoding<'s, S: ?Sized>(pub(super) &'s mut S);

impl<S: Sink + ?Sized> Sink for Encoding<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        encode::encode(self.0, bytes, false);
    }
}

/// Hex-encodes what is put into it, counting the raw bytes.
pub(super) struct HexSink<'s, 'b> {
    pub(super) out: &'s mut SliceSink<'b>,
    pub(super) raw_len: usize,
}

impl Sink for HexSink<'_, '_> {
    fn put(&mut self, bytes: &[u8]) {
        self.raw_len += bytes.len();
        let mut hex = [0u8; 64];
        for chunk in bytes.chunks(32) {
            let n = 2 * chunk.len();
            self.out.put(encode::hex_bytes(chunk, &mut hex[..n]));
        }
    }
}
