//! SHA-256 fed block by block to `sha2`'s compression function.
//!
//! The canonical request and the string to sign arrive in many small
//! pieces. [`Blocks`] gathers them in a stack buffer of a few blocks and
//! compresses the buffer in one call when it is full or the hash is
//! finished, padding in place; a keyed HMAC ([`HmacKey`]) starts from the
//! two states its pads leave behind instead of cloning a buffered hasher;
//! a signer's canonical requests go through a [`PrefixMemo`], which takes
//! the states of the blocks a message shares with the start of the last
//! one instead of compressing them again. The compression itself is `sha2`'s (SHA-NI where the processor has
//! it); this file only frames the message (FIPS 180-4 §5.1.1: a `1` bit,
//! zeros, the length in bits).

use zeroize::Zeroize;

/// The initial hash value (FIPS 180-4 §5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A SHA-256 in progress, gathering up to `N` blocks before it
/// compresses them (one call for many small pieces). `C` compresses the
/// message's whole blocks: [`Plain`], or a [`PrefixMemo`] that reuses
/// the states of blocks the last message began with.
pub(crate) struct Blocks<const N: usize, C = Plain> {
    state: [u32; 8],
    buf: [[u8; 64]; N],
    fill: usize,
    /// Whole blocks compressed so far.
    done: u64,
    compress: C,
}

impl<const N: usize> Blocks<N> {
    /// A hash of nothing yet.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        Self::resume(IV, 0)
    }

    /// Continues from `state`, the state after `done` whole blocks.
    #[inline(always)]
    pub(crate) const fn resume(state: [u32; 8], done: u64) -> Self {
        Self {
            state,
            buf: [[0; 64]; N],
            fill: 0,
            done,
            compress: Plain,
        }
    }
}

impl<'m, const N: usize> Blocks<N, Option<&'m mut PrefixMemo>> {
    /// A hash of nothing yet that takes the states of the blocks it
    /// shares with the start of `memo`'s last message from there, and
    /// leaves its own in it.
    #[inline(always)]
    pub(crate) const fn with_memo(memo: Option<&'m mut PrefixMemo>) -> Self {
        Self {
            state: IV,
            buf: [[0; 64]; N],
            fill: 0,
            done: 0,
            compress: memo,
        }
    }
}

impl<const N: usize, C: Compress> Blocks<N, C> {
    /// Hashes `bytes` next.
    #[inline(always)]
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        let fill = self.fill;
        match self
            .buf
            .as_flattened_mut()
            .get_mut(fill..fill + bytes.len())
        {
            Some(dst) => {
                crate::encode::copy_short(dst, bytes);
                self.fill += bytes.len();
            }
            None => self.put_across(bytes),
        }
    }

    /// `put` for bytes that do not fit in what is left of the buffer.
    #[inline(never)]
    fn put_across(&mut self, bytes: &[u8]) {
        let (head, rest) = bytes.split_at(N * 64 - self.fill);
        self.buf.as_flattened_mut()[self.fill..].copy_from_slice(head);
        self.compress
            .compress(&mut self.state, &self.buf, self.done);
        self.done += N as u64;
        let (whole, tail) = rest.as_chunks::<64>();
        self.compress.compress(&mut self.state, whole, self.done);
        self.done += whole.len() as u64;
        self.buf.as_flattened_mut()[..tail.len()].copy_from_slice(tail);
        self.fill = tail.len();
    }

    /// The digest. Taken by reference (the buffer is not moved); the
    /// hasher is spent afterwards.
    pub(crate) fn finish(&mut self) -> [u8; 32] {
        let fill = self.fill;
        let len = self.done * 64 + fill as u64;
        // The message, a 0x80 byte, zeros and the 8-byte length fill whole
        // blocks: padded in place when they fit in the buffer.
        let end = (fill + 8) / 64 * 64 + 64;
        let whole = fill / 64;
        if C::PLAIN {
            // All at once, padded in place when it fits.
            let buf = self.buf.as_flattened_mut();
            if end > N * 64 {
                let (full, tail) = buf[..fill].split_at(whole * 64);
                sha2::block_api::compress256(&mut self.state, full.as_chunks::<64>().0);
                return finish_tail(&mut self.state, tail, len);
            }
            let padded = &mut buf[..end];
            padded[fill] = 0x80;
            padded[fill + 1..end - 8].fill(0);
            padded[end - 8..].copy_from_slice(&(len * 8).to_be_bytes());
            sha2::block_api::compress256(&mut self.state, padded.as_chunks::<64>().0);
            return digest(&self.state);
        }
        // The whole blocks of the message through `compress`; the padded
        // end (which holds the length) never is.
        self.compress
            .compress(&mut self.state, &self.buf[..whole], self.done);
        let buf = self.buf.as_flattened_mut();
        if end > N * 64 {
            return finish_tail(&mut self.state, &buf[whole * 64..fill], len);
        }
        let (fill, end) = (fill - whole * 64, end - whole * 64);
        let padded = &mut buf[whole * 64..][..end];
        padded[fill] = 0x80;
        padded[fill + 1..end - 8].fill(0);
        padded[end - 8..].copy_from_slice(&(len * 8).to_be_bytes());
        sha2::block_api::compress256(&mut self.state, padded.as_chunks::<64>().0);
        digest(&self.state)
    }
}

impl<const N: usize, C: Compress> crate::Sink for Blocks<N, C> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        Blocks::put(self, bytes);
    }
}

/// What compresses a [`Blocks`]' whole message blocks.
pub(crate) trait Compress {
    /// Whether this is [`Plain`] (the padded end may then be compressed
    /// with the message's last whole blocks in one call).
    const PLAIN: bool;
    /// Compresses `blocks`, the message's blocks from block `done` on,
    /// into `state`.
    fn compress(&mut self, state: &mut [u32; 8], blocks: &[[u8; 64]], done: u64);
}

/// `sha2`'s compression function, nothing kept.
pub(crate) struct Plain;

impl Compress for Plain {
    const PLAIN: bool = true;

    #[inline(always)]
    fn compress(&mut self, state: &mut [u32; 8], blocks: &[[u8; 64]], _: u64) {
        sha2::block_api::compress256(state, blocks);
    }
}

/// How many of a message's first blocks a [`PrefixMemo`] keeps.
pub(crate) const MEMO_BLOCKS: usize = 16;

/// The first whole blocks of the last message hashed through it (up to
/// [`MEMO_BLOCKS`]) and the hash state after each.
///
/// A message that begins with the same blocks, compared 64 bytes at a
/// time (no early exit within a block), takes their states from here
/// instead of compressing them: SHA-256 is a chain, so equal blocks from
/// an equal state give an equal state. From the first block that
/// differs on, the message's own blocks and states replace the kept
/// ones — except that a message sharing no block with the last, when the
/// last shared none with its own last either, keeps only its first
/// block (keeping costs a compression call, a copy and a state per
/// block, which requests to ever-new paths would pay for nothing). The
/// padded end of a message (which holds its length) is never kept, so at
/// least its last block is always compressed. Zeroised when dropped.
pub(crate) struct PrefixMemo {
    blocks: [[u8; 64]; MEMO_BLOCKS],
    states: [[u32; 8]; MEMO_BLOCKS],
    /// How many of `blocks` and `states` hold the last message's.
    len: usize,
    /// Whether the last message shared no block with the one before it.
    fresh: bool,
    /// Whether this message's blocks are kept past its first.
    keep_all: bool,
}

impl PrefixMemo {
    /// An empty memo.
    pub(crate) const fn new() -> Self {
        Self {
            blocks: [[0; 64]; MEMO_BLOCKS],
            states: [[0; 8]; MEMO_BLOCKS],
            len: 0,
            fresh: false,
            keep_all: true,
        }
    }

    /// Compresses `blocks`, block `done` on of a message hashed from the
    /// initial value, reusing kept states while the blocks are the kept
    /// ones.
    fn compress(&mut self, state: &mut [u32; 8], blocks: &[[u8; 64]], done: u64) {
        let first = usize::try_from(done).unwrap_or(MEMO_BLOCKS);
        let kept = MEMO_BLOCKS.saturating_sub(first).min(blocks.len());
        let (memo, rest) = blocks.split_at(kept);
        let mut from = 0;
        if let (0, Some(block)) = (first, memo.first()) {
            // A message that shares no block with the last, after one
            // that shared none with its own last, keeps only its first
            // block: requests to ever-new paths would only pay for
            // keeping the rest.
            let same = self.len > 0 && block_eq(block, &self.blocks[0]);
            self.keep_all = same || !self.fresh;
            self.fresh = !same;
            self.take_or_keep(state, 0, block, same);
            from = 1;
        }
        for (k, (i, block)) in (first..).zip(memo).enumerate().skip(from) {
            // Blocks `..i` of this message are the kept ones here (reused
            // or just written), so the state after block `i` may be taken
            // when block `i` is the kept one too.
            let same = i < self.len && block_eq(block, &self.blocks[i]);
            if !same && !self.keep_all {
                sha2::block_api::compress256(state, &blocks[k..]);
                return;
            }
            self.take_or_keep(state, i, block, same);
        }
        if !rest.is_empty() {
            sha2::block_api::compress256(state, rest);
        }
    }
}

impl PrefixMemo {
    /// Takes the kept state after block `i` when the message's block `i`
    /// is the kept one (`same`); else compresses it and keeps it and the
    /// state after it in place of the kept ones from `i` on.
    #[inline(always)]
    fn take_or_keep(&mut self, state: &mut [u32; 8], i: usize, block: &[u8; 64], same: bool) {
        if same {
            *state = self.states[i];
        } else {
            sha2::block_api::compress256(state, core::slice::from_ref(block));
            self.blocks[i] = *block;
            self.states[i] = *state;
            self.len = i + 1;
        }
    }
}

impl Default for PrefixMemo {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for PrefixMemo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The blocks hold a canonical request: header values and the
        // session token.
        f.debug_struct("PrefixMemo")
            .field("blocks", &self.len)
            .finish_non_exhaustive()
    }
}

impl Drop for PrefixMemo {
    fn drop(&mut self) {
        self.blocks.zeroize();
        self.states.zeroize();
    }
}

impl Compress for Option<&mut PrefixMemo> {
    const PLAIN: bool = false;

    #[inline(always)]
    fn compress(&mut self, state: &mut [u32; 8], blocks: &[[u8; 64]], done: u64) {
        match self {
            Some(memo) => memo.compress(state, blocks, done),
            None => sha2::block_api::compress256(state, blocks),
        }
    }
}

/// Whether two blocks are equal, every byte compared.
#[inline(always)]
fn block_eq(a: &[u8; 64], b: &[u8; 64]) -> bool {
    let (a, b) = (a.as_chunks::<8>().0, b.as_chunks::<8>().0);
    let diff = a.iter().zip(b).fold(0u64, |d, (x, y)| {
        d | (u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y))
    });
    diff == 0
}

/// SHA-256 of `bytes` in one call: the whole blocks are compressed where
/// they lie, and only the tail is copied to be padded.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let (whole, tail) = bytes.as_chunks::<64>();
    let mut state = IV;
    sha2::block_api::compress256(&mut state, whole);
    finish_tail(&mut state, tail, bytes.len() as u64)
}

/// Pads `tail`, the last bytes (under a block) of a `len`-byte message,
/// in a spare buffer and compresses it: the tail, a 0x80 byte, zeros and
/// the length in bits — one block, or two when fewer than 9 bytes are
/// left after the tail.
fn finish_tail(state: &mut [u32; 8], tail: &[u8], len: u64) -> [u8; 32] {
    let mut last = [[0u8; 64]; 2];
    let end = if tail.len() < 56 { 64 } else { 128 };
    let flat = last.as_flattened_mut();
    flat[..tail.len()].copy_from_slice(tail);
    flat[tail.len()] = 0x80;
    flat[end - 8..end].copy_from_slice(&(len * 8).to_be_bytes());
    sha2::block_api::compress256(state, &last[..end / 64]);
    digest(state)
}

/// The big-endian bytes of a final state.
fn digest(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// HMAC-SHA256 (RFC 2104) with the pads absorbed: the two states after the
/// key's inner and outer pad blocks.
#[derive(Clone)]
pub(crate) struct HmacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacKey {
    /// Absorbs `key`'s pads (a key longer than a block is hashed first).
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            let mut h = Blocks::<2>::new();
            h.put(key);
            block[..32].copy_from_slice(&h.finish());
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut pad = |with: u8| {
            for b in &mut block {
                *b ^= with;
            }
            let mut state = IV;
            sha2::block_api::compress256(&mut state, core::slice::from_ref(&block));
            state
        };
        let inner = pad(0x36);
        // Undoes the inner pad and applies the outer one.
        let outer = pad(0x36 ^ 0x5c);
        block.zeroize();
        Self { inner, outer }
    }

    /// The MAC of what `write` puts into the state it is given. (The
    /// inner hash is a local here, borrowed by the state: a `Mac` that
    /// held it was built and then copied, 300 bytes per MAC.)
    #[inline(always)]
    pub(crate) fn mac_with(&self, write: impl FnOnce(&mut Mac<'_, '_>)) -> [u8; 32] {
        self.mac_from(self.inner, 1, write)
    }

    /// The inner hash's state after the pad block and `block`, the
    /// message's first block: where [`Self::mac_after`] resumes.
    pub(crate) fn inner_after(&self, block: &[u8; 64]) -> [u32; 8] {
        let mut state = self.inner;
        sha2::block_api::compress256(&mut state, core::slice::from_ref(block));
        state
    }

    /// [`Self::mac_with`] for a message whose first block was hashed
    /// already into `state` (from [`Self::inner_after`]): `write` puts
    /// the rest of the message.
    #[inline(always)]
    pub(crate) fn mac_after(
        &self,
        state: [u32; 8],
        write: impl FnOnce(&mut Mac<'_, '_>),
    ) -> [u8; 32] {
        self.mac_from(state, 2, write)
    }

    #[inline(always)]
    fn mac_from(
        &self,
        state: [u32; 8],
        done: u64,
        write: impl FnOnce(&mut Mac<'_, '_>),
    ) -> [u8; 32] {
        let mut inner = Blocks::resume(state, done);
        let mut m = Mac {
            key: self,
            inner: &mut inner,
        };
        write(&mut m);
        m.finish()
    }

    /// The MAC of `data`.
    pub(crate) fn mac(&self, data: &[u8]) -> [u8; 32] {
        self.mac_with(|m| m.put(data))
    }
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

/// An HMAC in progress.
pub(crate) struct Mac<'k, 'b> {
    key: &'k HmacKey,
    inner: &'b mut Blocks<4>,
}

impl Mac<'_, '_> {
    /// MACs `bytes` next.
    #[inline(always)]
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        self.inner.put(bytes);
    }

    /// The MAC (by reference, like [`Blocks::finish`]).
    fn finish(&mut self) -> [u8; 32] {
        let mut outer = Blocks::<1>::resume(self.key.outer, 1);
        outer.put(&self.inner.finish());
        outer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{KeyInit, Mac as _};
    use sha2::Digest;

    /// The one-shot digest at every length over four blocks (each tail
    /// length, with one and two padding blocks), against `sha2`'s.
    #[test]
    fn one_shot_matches_sha2_at_every_length() {
        let data: [u8; 260] = core::array::from_fn(|i| (i * 13 + 5) as u8);
        for len in 0..=data.len() {
            let want: [u8; 32] = sha2::Sha256::digest(&data[..len]).into();
            assert_eq!(sha256(&data[..len]), want, "length {len}");
        }
    }

    /// Every message length over three blocks, split at every point,
    /// against `sha2`'s own hasher.
    #[test]
    fn matches_sha2_at_every_length_and_split() {
        let data: [u8; 200] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        for len in 0..data.len() {
            let want: [u8; 32] = sha2::Sha256::digest(&data[..len]).into();
            for split in [0, 1, len / 3, len / 2, len.saturating_sub(1), len] {
                let (a, b) = data[..len].split_at(split.min(len));
                let mut h = Blocks::<2>::new();
                h.put(a);
                h.put(b);
                assert_eq!(h.finish(), want, "len {len} split {split}");
            }
            let mut bytewise = Blocks::<1>::new();
            for b in &data[..len] {
                bytewise.put(core::slice::from_ref(b));
            }
            assert_eq!(bytewise.finish(), want, "len {len} byte by byte");
        }
    }

    /// The canonical request's 512-byte gathering, fed in pieces of
    /// varying sizes (some larger than the buffer) up to 1,300 bytes.
    #[test]
    fn matches_sha2_through_the_large_buffer() {
        let data: [u8; 1300] = core::array::from_fn(|i| (i * 31 + 7) as u8);
        for len in (0..data.len())
            .step_by(37)
            .chain([511, 512, 513, 1024, 1299])
        {
            let want: [u8; 32] = sha2::Sha256::digest(&data[..len]).into();
            for step in [1, 7, 63, 64, 65, 200, 600] {
                let mut h = Blocks::<8>::new();
                for piece in data[..len].chunks(step) {
                    h.put(piece);
                }
                assert_eq!(h.finish(), want, "len {len} step {step}");
            }
        }
    }

    /// Runs of messages through one memo, each against `sha2`: zeros into
    /// an empty memo, the same again, shorter and longer (across the 512-byte buffer and past the
    /// blocks a memo keeps), a byte changed in each block, ends on and
    /// around block boundaries, fed whole and in pieces.
    #[test]
    fn a_memo_hashes_runs_of_related_messages_as_sha2_does() {
        let base: [u8; 1400] = core::array::from_fn(|i| (i * 29 + 11) as u8);
        // First, blocks of zeros: what an empty memo's blocks hold.
        let mut messages: std::vec::Vec<std::vec::Vec<u8>> = std::vec![std::vec![0; 200]];
        for len in [
            0, 1, 55, 56, 63, 64, 65, 119, 128, 448, 503, 504, 512, 575, 1024, 1100, 1400,
        ] {
            messages.push(base[..len].to_vec());
            messages.push(base[..len].to_vec());
        }
        for block in 0..(MEMO_BLOCKS + 3) {
            for at in [0, 63] {
                let mut m = base.to_vec();
                if let Some(b) = m.get_mut(block * 64 + at) {
                    *b ^= 1;
                }
                messages.push(m.clone());
                messages.push(m);
                messages.push(base.to_vec());
            }
        }
        let mut memo = PrefixMemo::new();
        for step in [usize::MAX, 1, 7, 64, 100, 600] {
            for m in &messages {
                let want: [u8; 32] = sha2::Sha256::digest(m).into();
                let mut h = Blocks::<8, _>::with_memo(Some(&mut memo));
                for piece in m.chunks(step.min(m.len().max(1))) {
                    h.put(piece);
                }
                assert_eq!(h.finish(), want, "len {} step {step}", m.len());
            }
        }
        assert!(memo.len > 0);
    }

    /// The blocks a memo reuses are the ones it shares with the last
    /// message: a spoiled kept state shows where it was taken from.
    #[test]
    fn a_memo_reuses_only_the_shared_blocks() {
        let a: [u8; 500] = core::array::from_fn(|i| (i * 7) as u8);
        let hash = |memo: &mut PrefixMemo, m: &[u8]| {
            let mut h = Blocks::<8, _>::with_memo(Some(memo));
            h.put(m);
            h.finish()
        };
        let changed_in = |block: usize| {
            let mut m = a;
            m[block * 64 + 10] ^= 1;
            m
        };
        let sha = |m: &[u8]| -> [u8; 32] { sha2::Sha256::digest(m).into() };
        let kept_from_a = |spoil: usize| {
            let mut memo = PrefixMemo::new();
            assert_eq!(hash(&mut memo, &a), sha(&a));
            assert_eq!(memo.len, 7, "500 bytes: 7 whole blocks kept");
            memo.states[spoil][0] ^= 1;
            memo
        };
        // A message that differs from a in block 5 resumes from the state
        // after block 4 ...
        let c = changed_in(5);
        assert_ne!(hash(&mut kept_from_a(4), &c), sha(&c));
        // ... and reads none after it, nor a state a message that differs
        // earlier would.
        assert_eq!(hash(&mut kept_from_a(5), &c), sha(&c));
        assert_eq!(hash(&mut kept_from_a(6), &c), sha(&c));
        let b = changed_in(3);
        for spoil in [3, 4, 6] {
            assert_eq!(hash(&mut kept_from_a(spoil), &b), sha(&b));
        }
        // The same message again resumes from the last whole block's.
        assert_ne!(hash(&mut kept_from_a(6), &a), sha(&a));
        // A message's own blocks replace the kept ones from the first that
        // differs: after b, a is hashed right from a spoiled block 4.
        let mut memo = kept_from_a(4);
        assert_eq!(hash(&mut memo, &b), sha(&b));
        assert_eq!(hash(&mut memo, &a), sha(&a));
    }

    /// A message that shares no block with the last, after one that
    /// shared none with its own last (or had none), keeps only its first
    /// block; a message that shares its first block is kept whole again.
    #[test]
    fn a_memo_keeps_one_block_of_messages_that_share_none() {
        let (a, b, c) = ([1u8; 500], [2u8; 500], [3u8; 500]);
        let mut memo = PrefixMemo::new();
        let mut kept_after = |m: &[u8; 500]| {
            let mut h = Blocks::<8, _>::with_memo(Some(&mut memo));
            h.put(m);
            let want: [u8; 32] = sha2::Sha256::digest(m).into();
            assert_eq!(h.finish(), want);
            memo.len
        };
        assert_eq!(kept_after(&a), 7, "the first message is kept whole");
        assert_eq!(kept_after(&b), 1, "one that shares none after it is not");
        assert_eq!(kept_after(&c), 1);
        assert_eq!(kept_after(&a), 1);
        assert_eq!(kept_after(&a), 7, "a shared first block: kept whole again");
        assert_eq!(kept_after(&a), 7);
        assert_eq!(
            kept_after(&b),
            7,
            "one new message after shared ones is kept whole"
        );
        assert_eq!(kept_after(&c), 1, "the second in a row is not");
    }

    /// Keys shorter than, as long as and longer than a block, against the
    /// `hmac` crate.
    #[test]
    fn matches_the_hmac_crate() {
        let data: [u8; 150] = core::array::from_fn(|i| (i * 13) as u8);
        for key_len in [0, 1, 32, 63, 64, 65, 100, 131] {
            let key: [u8; 131] = core::array::from_fn(|i| (i * 5 + 1) as u8);
            let key = &key[..key_len];
            for len in [0, 1, 55, 56, 64, 119, 150] {
                let mut want = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
                want.update(&data[..len]);
                let want: [u8; 32] = want.finalize().into_bytes().into();
                assert_eq!(HmacKey::new(key).mac(&data[..len]), want);
            }
        }
    }

    /// RFC 4231 test case 2 ("Jefe"), written down rather than computed.
    #[test]
    fn rfc_4231_case_2() {
        let mac = HmacKey::new(b"Jefe").mac(b"what do ya want for nothing?");
        let mut hex = [0u8; 64];
        assert_eq!(
            crate::encode::hex_lower(&mac, &mut hex),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
