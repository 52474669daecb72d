//! The sinks the canonical request and signature are written through.

use crate::encode::{self, Sink, SliceSink};
use crate::sha::{Blocks, Compress};

/// A payload hash line (at most 64 bytes) held by value.
#[derive(Clone, Copy)]
pub(super) struct HashText {
    pub(super) buf: [u8; 64],
    pub(super) len: usize,
}

impl HashText {
    /// Copies `s`, visible ASCII of at most 64 bytes.
    pub(super) fn new(s: &[u8]) -> Self {
        let mut buf = [0u8; 64];
        let len = s.len().min(64);
        buf[..len].copy_from_slice(&s[..len]);
        Self { buf, len }
    }

    pub(super) fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// A sink that hashes what is put into it and also copies it to a trace
/// (the canonical request of a traced signature). Untraced signatures
/// hash straight into their [`Blocks`], with no test for a trace on each
/// piece.
///
/// The hash state is the caller's local, borrowed: a `Blocks` moved into
/// this struct was built on the stack and then copied (a 544-byte
/// `memcpy` on every signature).
pub(crate) struct HashTee<'b, 't, C> {
    hash: &'b mut Blocks<8, C>,
    copy: &'t mut dyn Sink,
}

impl<'b, 't, C: Compress> HashTee<'b, 't, C> {
    /// Hashes into `hash`, a fresh [`Blocks::new`], and copies to `copy`.
    #[inline(always)]
    pub(crate) fn new(hash: &'b mut Blocks<8, C>, copy: &'t mut dyn Sink) -> Self {
        Self { hash, copy }
    }
}

impl<C: Compress> Sink for HashTee<'_, '_, C> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        self.hash.put(bytes);
        self.copy.put(bytes);
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
        // Written in place in the output.
        if let Some(dst) = self.out.next_n(2 * bytes.len()) {
            encode::hex_bytes(bytes, dst);
        }
    }
}
