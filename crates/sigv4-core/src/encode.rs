//! Byte sinks and the SigV4 URI encoding.
//!
//! SigV4 encodes every byte except the RFC 3986 unreserved characters
//! (`A-Z a-z 0-9 - . _ ~`) as `%XX` with upper-case hex. Query components
//! arrive percent-encoded from the wire, so they are decoded first and then
//! encoded again; that makes `%7e` and `~` the same, and keeps a literal `+`
//! a plus (`%2B`), never a space.
//!
//! Everything here streams into a [`Sink`], so the canonical request can be
//! hashed without ever being stored.

use core::cmp::Ordering;

/// Somewhere canonical bytes are written: a hasher, a buffer, or both.
pub trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for sha2::Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        sha2::Digest::update(self, bytes);
    }
}

/// A [`Sink`] that writes into a fixed slice and remembers whether it ran out
/// of room (and how much room it would have needed).
pub(crate) struct SliceSink<'b> {
    buf: &'b mut [u8],
    len: usize,
    /// Bytes put after the first piece that did not fit (that one
    /// included); nothing is written once it is not zero.
    missing: usize,
}

impl<'b> SliceSink<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            missing: 0,
        }
    }

    /// Bytes written so far (when nothing overflowed).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Total bytes asked for, including what did not fit.
    pub(crate) fn needed(&self) -> usize {
        self.len + self.missing
    }

    pub(crate) fn overflowed(&self) -> bool {
        self.missing > 0
    }

    /// The next `n` bytes of the buffer, to be written in place, counted
    /// as written; `None` (and counted as missing) if they do not fit.
    pub(crate) fn next_n(&mut self, n: usize) -> Option<&mut [u8]> {
        if self.missing == 0
            && let Some(dst) = self.buf.get_mut(self.len..self.len + n)
        {
            self.len += n;
            return Some(dst);
        }
        self.missing += n;
        None
    }
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if self.missing == 0
            && let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len())
        {
            copy_short(dst, bytes);
            self.len += bytes.len();
        } else {
            self.missing += bytes.len();
        }
    }
}

/// `dst.copy_from_slice(src)` for pieces of a canonical request, most of
/// them a few bytes long: up to 16 bytes are copied inline as two
/// overlapping fixed-size moves (a call to `memcpy` for each piece cost
/// more than the copy); longer ones are left to `memcpy`. `dst` and `src`
/// have the same length.
#[inline(always)]
pub(crate) fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    debug_assert_eq!(
        n,
        dst.len(),
        "copy_short between slices of different lengths"
    );
    if n != dst.len() {
        return;
    }
    if n >= 8 {
        if n <= 16
            && let (Some(s0), Some(s1)) = (src.first_chunk::<8>(), src.last_chunk::<8>())
        {
            // Both writes land inside `dst`, the second overlapping the
            // first when `n` < 16.
            if let Some(d) = dst.first_chunk_mut::<8>() {
                *d = *s0;
            }
            if let Some(d) = dst.last_chunk_mut::<8>() {
                *d = *s1;
            }
            return;
        }
    } else if n >= 4 {
        if let (Some(s0), Some(s1)) = (src.first_chunk::<4>(), src.last_chunk::<4>()) {
            if let Some(d) = dst.first_chunk_mut::<4>() {
                *d = *s0;
            }
            if let Some(d) = dst.last_chunk_mut::<4>() {
                *d = *s1;
            }
        }
        return;
    } else {
        // One to three bytes: the first, the middle and the last (a loop
        // would become a `memcpy` call again).
        for i in [0, n / 2, n.wrapping_sub(1)] {
            if let (Some(d), Some(s)) = (dst.get_mut(i), src.get(i)) {
                *d = *s;
            }
        }
        return;
    }
    dst.copy_from_slice(src);
}

/// True when `ok` holds for every byte. Works in fixed 16-byte chunks
/// without an early exit, so that the compiler vectorises it: validation
/// runs on every signature. The lanes stay apart until the end: one
/// reduction per call, not one per chunk. The last, partial chunk is
/// checked as the 16 bytes that end the input (overlapping the chunk before
/// it), or, in an input shorter than 16 bytes, padded with its own first
/// byte: a byte-by-byte tail cost more than the vector part.
#[inline]
pub(crate) fn all_bytes(bytes: &[u8], ok: impl Fn(u8) -> bool + Copy) -> bool {
    let mut lanes = [1u8; 16];
    let mut check = |chunk: &[u8; 16]| {
        for (lane, &b) in lanes.iter_mut().zip(chunk) {
            *lane &= u8::from(ok(b));
        }
    };
    let (chunks, tail) = bytes.as_chunks::<16>();
    for chunk in chunks {
        check(chunk);
    }
    if !tail.is_empty() {
        let last = match bytes.last_chunk::<16>() {
            Some(end) => *end,
            None => {
                let mut padded = [bytes[0]; 16];
                copy_short(&mut padded[..tail.len()], tail);
                padded
            }
        };
        check(&last);
    }
    // Every lane still 1: the sixteen of them as one number.
    u128::from_ne_bytes(lanes) == u128::from_ne_bytes([1; 16])
}

/// The first eight bytes of `b` as a big-endian number, zero-padded when
/// `b` is shorter: two byte strings whose prefix words differ are ordered
/// as their words are (a padding zero ties with a zero byte and is less
/// than any other, as a shorter prefix is); equal words leave the order to
/// the rest.
#[inline]
pub(crate) fn prefix_word(b: &[u8]) -> u64 {
    if let Some(head) = b.first_chunk::<8>() {
        return u64::from_be_bytes(*head);
    }
    match (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        // Four to seven bytes: the first four, and the last four moved
        // to where they stand (overlapping the first).
        (Some(first), Some(last)) => {
            u64::from(u32::from_be_bytes(*first)) << 32
                | u64::from(u32::from_be_bytes(*last)) << (8 * (8 - b.len()))
        }
        _ => b
            .iter()
            .enumerate()
            .fold(0, |k, (i, &x)| k | u64::from(x) << (56 - 8 * i)),
    }
}

/// `a == b` for short pieces such as header names: up to sixteen bytes
/// are compared inline as two overlapping words, the first and the last
/// four or eight bytes (a call to `memcmp` per name cost more than the
/// comparing); longer ones by the slices' `==`.
#[inline(always)]
pub(crate) fn eq_short(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if let (Some(a_head), Some(a_tail)) = (a.first_chunk::<8>(), a.last_chunk::<8>()) {
        if a.len() > 16 {
            return a == b;
        }
        b.first_chunk::<8>() == Some(a_head) && b.last_chunk::<8>() == Some(a_tail)
    } else if let (Some(a_head), Some(a_tail)) = (a.first_chunk::<4>(), a.last_chunk::<4>()) {
        b.first_chunk::<4>() == Some(a_head) && b.last_chunk::<4>() == Some(a_tail)
    } else {
        a.iter().zip(b).fold(true, |same, (x, y)| same & (x == y))
    }
}

/// Eight bytes lower-cased at once: each byte `A`..=`Z` gets its `0x20`
/// bit, every other byte (non-ASCII too) stays as it is — the
/// byte-by-byte `to_ascii_lowercase` of the word.
#[inline]
pub(crate) const fn lower_word(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The low seven bits of each byte plus a constant cannot carry into
    // the next byte; the top bit of each sum says "at least `A`" and
    // "past `Z`".
    let y = x & LOW7;
    let at_least_a = y + 0x3f3f_3f3f_3f3f_3f3f;
    let past_z = y + 0x2525_2525_2525_2525;
    let upper = at_least_a & !past_z & !x & !LOW7;
    x | (upper >> 2)
}

/// `a.eq_ignore_ascii_case(b)`, compared eight bytes at a time (header
/// names are looked up by it on every signature and verification).
#[inline]
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    eq_folded::<false>(a, b)
}

/// `a.to_ascii_lowercase() == b`: [`eq_ignore_case`] for a `b` known to
/// be lower-case already (a validated signed header name, a constant),
/// which is then not lower-cased again.
#[inline]
pub(crate) fn eq_lower(a: &[u8], b_lower: &[u8]) -> bool {
    eq_folded::<true>(a, b_lower)
}

/// `a` lower-cased equals `b`, lower-cased unless `B_LOWER` says it is.
#[inline]
fn eq_folded<const B_LOWER: bool>(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let fold_b = |y: u64| if B_LOWER { y } else { lower_word(y) };
    let differ = |x: u64, y: u64| lower_word(x) != fold_b(y);
    match (a.as_chunks::<8>(), b.as_chunks::<8>()) {
        ((ac, _), (bc, _)) if !ac.is_empty() => {
            for (x, y) in ac.iter().zip(bc) {
                if differ(u64::from_le_bytes(*x), u64::from_le_bytes(*y)) {
                    return false;
                }
            }
            // The last eight bytes, overlapping the chunk before them.
            match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
                (Some(x), Some(y)) => !differ(u64::from_le_bytes(*x), u64::from_le_bytes(*y)),
                _ => false,
            }
        }
        _ => match (
            a.first_chunk::<4>().zip(a.last_chunk::<4>()),
            b.first_chunk::<4>().zip(b.last_chunk::<4>()),
        ) {
            // Four to seven bytes: the first four and the last four.
            (Some((af, al)), Some((bf, bl))) => {
                let word = |f: &[u8; 4], l: &[u8; 4]| {
                    u64::from(u32::from_le_bytes(*f)) | u64::from(u32::from_le_bytes(*l)) << 32
                };
                !differ(word(af, al), word(bf, bl))
            }
            _ => a.iter().zip(b).all(|(x, y)| {
                x.to_ascii_lowercase() == if B_LOWER { *y } else { y.to_ascii_lowercase() }
            }),
        },
    }
}

/// `s` split at each `sep` (an ASCII byte), like `str::split`, but
/// scanning a word of eight bytes at a time ([`find_byte`]): the pieces
/// SigV4 splits are a few bytes long, for which a `memchr` call or a
/// sixteen-byte vector set-up costs more than the scan.
pub(crate) fn split_ascii(s: &str, sep: u8) -> impl Iterator<Item = &str> + Clone {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let r = rest?;
        match split_once_ascii(r, sep) {
            Some((piece, tail)) => {
                rest = Some(tail);
                Some(piece)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `s` split at every `sep` (an ASCII byte), like `str::split`, for
/// pieces that are long: each is found by [`span`], sixteen bytes at a
/// time ([`split_ascii`] goes eight at a time, which is quicker for
/// short ones).
pub(crate) fn split_wide(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let r = rest?;
        let n = span(r.as_bytes(), |b| b != sep);
        // `sep` is ASCII, so both sides of it are character boundaries;
        // past the end there is no separator and no rest.
        rest = r.get(n + 1..);
        r.get(..n)
    })
}

/// `s` split at the first `sep` (an ASCII byte), like `str::split_once`.
pub(crate) fn split_once_ascii(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = find_byte(s.as_bytes(), sep)?;
    // `sep` is ASCII, so both sides of it are character boundaries.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Where `sep` first occurs in `b`: eight bytes at a time as one word
/// (SWAR, no vector set-up, which short pieces do not repay), the last
/// few bytes one by one.
#[inline]
fn find_byte(b: &[u8], sep: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES * u64::from(sep);
    let (words, tail) = b.as_chunks::<8>();
    for (k, w) in words.iter().enumerate() {
        // Zero bytes of `x` are where `sep` is; the lowest flagged byte
        // is exact (a borrow only flags bytes above a zero one).
        let x = u64::from_le_bytes(*w) ^ pattern;
        let zero = x.wrapping_sub(ONES) & !x & HIGH;
        if zero != 0 {
            return Some(8 * k + (zero.trailing_zeros() / 8) as usize);
        }
    }
    let at = 8 * words.len();
    tail.iter().position(|&c| c == sep).map(|i| at + i)
}

/// Visible ASCII, 0x21..=0x7e.
#[inline]
pub(crate) fn is_visible(b: u8) -> bool {
    b.wrapping_sub(0x21) < 0x5e
}

/// RFC 3986 unreserved characters, and `/` when `slash`: the bytes
/// SigV4 leaves as they are. Branch-free, so that a loop over it
/// vectorises; the tables below are built from it.
#[inline]
const fn kept(b: u8, slash: bool) -> bool {
    b.is_ascii_alphanumeric()
        | (b == b'-')
        | (b == b'.')
        | (b == b'_')
        | (b == b'~')
        | (slash & (b == b'/'))
}

/// [`kept`] as a lookup table, for scanning byte by byte.
const fn unreserved_table(slash: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = kept(i as u8, slash);
        i += 1;
    }
    t
}

static UNRESERVED: [bool; 256] = unreserved_table(false);
static UNRESERVED_OR_SLASH: [bool; 256] = unreserved_table(true);

/// True for the RFC 3986 unreserved characters, which SigV4 never encodes.
#[inline]
pub(crate) fn is_unreserved(b: u8) -> bool {
    UNRESERVED[usize::from(b)]
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

#[inline]
fn pct(b: u8) -> [u8; 3] {
    [
        b'%',
        HEX_UPPER[usize::from(b >> 4)],
        HEX_UPPER[usize::from(b & 0x0f)],
    ]
}

/// Writes `bytes` URI-encoded: every byte but the unreserved ones (and `/`
/// when `keep_slash`) becomes `%XX`.
#[inline]
pub(crate) fn encode<S: Sink + ?Sized>(sink: &mut S, bytes: &[u8], keep_slash: bool) {
    // A short piece with nothing to escape (a header name, an access key
    // id, the algorithm's name) is told by one or two vector tests.
    if bytes.len() <= 32 && all_bytes(bytes, |b| kept(b, keep_slash)) {
        sink.put(bytes);
    } else {
        encode_any(sink, bytes, keep_slash);
    }
}

/// [`encode`] for a piece that is long or has a byte to escape.
///
/// Text up to the first byte to encode goes out as it is; the rest is
/// assembled in a stack buffer, each escape followed by the run of bytes
/// that need none (copied whole), and put in few pieces.
#[inline(never)]
fn encode_any<S: Sink + ?Sized>(sink: &mut S, bytes: &[u8], keep_slash: bool) {
    let first = kept_run(bytes, keep_slash);
    let (head, mut rest) = bytes.split_at(first);
    if rest.is_empty() {
        sink.put(bytes);
        return;
    }
    sink.put(head);
    let mut buf = [0u8; 192];
    let mut n = 0;
    // `rest` starts with a byte to escape.
    while let [b, ref tail @ ..] = *rest {
        // The escape, and again for each copy of the byte right behind it
        // (a session token's `//////////`).
        let escape = pct(b);
        let mut tail = tail;
        loop {
            if n + 3 > buf.len() {
                sink.put(&buf[..n]);
                n = 0;
            }
            buf[n..n + 3].copy_from_slice(&escape);
            n += 3;
            match *tail {
                [c, ref more @ ..] if c == b => tail = more,
                _ => break,
            }
        }
        let (run, after) = tail.split_at(kept_run(tail, keep_slash));
        rest = after;
        if run.is_empty() {
            continue;
        }
        if n + run.len() > buf.len() {
            sink.put(&buf[..n]);
            n = 0;
            if run.len() > buf.len() {
                sink.put(run);
                continue;
            }
        }
        copy_short(&mut buf[n..n + run.len()], run);
        n += run.len();
    }
    sink.put(&buf[..n]);
}

/// How many bytes at the start of `bytes` pass `keep`: sixteen at a time,
/// each chunk tested whole (which the compiler vectorises) and the first
/// byte to stop at read from the test's lanes ([`first_stop`]).
#[inline]
pub(crate) fn span(bytes: &[u8], keep: impl Fn(u8) -> bool + Copy) -> usize {
    let (chunks, tail) = bytes.as_chunks::<16>();
    let mut i = 0;
    for chunk in chunks {
        let stop = first_stop(chunk, keep);
        if stop < 16 {
            return i + stop;
        }
        i += 16;
    }
    if tail.is_empty() {
        return i;
    }
    // The tail, padded to a chunk with its own first byte; a stop found in
    // the padding means none in the tail.
    let mut padded = [tail[0]; 16];
    copy_short(&mut padded[..tail.len()], tail);
    i + first_stop(&padded, keep).min(tail.len())
}

/// Where in `chunk` the first byte that `keep` refuses stands (16 if
/// none): each byte becomes a lane of 0 (kept) or 0xff, and the lanes, as
/// one little-endian number, start with that many zero bytes.
#[inline(always)]
fn first_stop(chunk: &[u8; 16], keep: impl Fn(u8) -> bool) -> usize {
    let mut lanes = [0u8; 16];
    for (lane, &b) in lanes.iter_mut().zip(chunk) {
        *lane = u8::from(!keep(b)).wrapping_neg();
    }
    (u128::from_le_bytes(lanes).trailing_zeros() / 8) as usize
}

/// How many bytes at the start of `bytes` need no escape. Sixteen bytes
/// at a time are tested with [`kept`], which the compiler vectorises; the
/// chunk that holds an escape is then scanned with the table.
#[inline]
fn kept_run(bytes: &[u8], keep_slash: bool) -> usize {
    let table = if keep_slash {
        &UNRESERVED_OR_SLASH
    } else {
        &UNRESERVED
    };
    // Escapes often come in a row (`//`, `==`): no vector test for them.
    match bytes.first() {
        Some(&b) if table[usize::from(b)] => {}
        _ => return 0,
    }
    let (chunks, _) = bytes.as_chunks::<16>();
    let mut i = 0;
    for chunk in chunks {
        if !chunk.iter().fold(true, |ok, &b| ok & kept(b, keep_slash)) {
            break;
        }
        i += 16;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| !table[usize::from(b)])
        .unwrap_or(bytes.len() - i)
}

#[inline]
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Iterates the bytes that a percent-encoded component stands for: valid
/// `%XX` escapes are decoded, anything else (including a lone `%` and `+`) is
/// taken literally.
#[derive(Clone)]
pub(crate) struct Decoded<'a> {
    rest: &'a [u8],
}

impl<'a> Decoded<'a> {
    pub(crate) fn new(wire: &'a [u8]) -> Self {
        Self { rest: wire }
    }
}

impl Iterator for Decoded<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        match *self.rest {
            [b'%', h, l, ref tail @ ..] => match (hex_val(h), hex_val(l)) {
                (Some(h), Some(l)) => {
                    self.rest = tail;
                    Some(h << 4 | l)
                }
                _ => {
                    self.rest = &self.rest[1..];
                    Some(b'%')
                }
            },
            [b, ref tail @ ..] => {
                self.rest = tail;
                Some(b)
            }
            [] => None,
        }
    }
}

/// Iterates the canonical (SigV4-encoded) form of a percent-encoded wire
/// component, byte by byte. Used to sort query parameters by their encoded
/// form without materialising it.
#[derive(Clone)]
pub(crate) struct Canonical<'a> {
    decoded: Decoded<'a>,
    pending: [u8; 3],
    pending_len: u8,
    pending_pos: u8,
}

impl<'a> Canonical<'a> {
    pub(crate) fn new(wire: &'a [u8]) -> Self {
        Self {
            decoded: Decoded::new(wire),
            pending: [0; 3],
            pending_len: 0,
            pending_pos: 0,
        }
    }
}

impl Iterator for Canonical<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        if self.pending_pos < self.pending_len {
            let b = self.pending[usize::from(self.pending_pos)];
            self.pending_pos += 1;
            return Some(b);
        }
        let b = self.decoded.next()?;
        if is_unreserved(b) {
            Some(b)
        } else {
            self.pending = pct(b);
            self.pending_len = 3;
            self.pending_pos = 1;
            Some(b'%')
        }
    }
}

/// True when a wire component is already in canonical form, so it can be
/// copied and compared as it is: unreserved bytes, and `%XX` escapes with
/// upper-case hex of bytes that must be escaped. (What this crate writes,
/// and what most clients send, is already canonical.)
pub(crate) fn is_canonical(wire: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = wire.get(i) {
        if is_unreserved(b) {
            i += 1;
        } else if b == b'%' {
            let upper_hex = |c: Option<&u8>| matches!(c, Some(b'0'..=b'9' | b'A'..=b'F'));
            if !upper_hex(wire.get(i + 1)) || !upper_hex(wire.get(i + 2)) {
                return false;
            }
            let decoded = Decoded::new(&wire[i..i + 3]).next().unwrap_or(b'%');
            if is_unreserved(decoded) {
                return false;
            }
            i += 3;
        } else {
            return false;
        }
    }
    true
}

/// Compares two wire components by their canonical encodings.
pub(crate) fn cmp_canonical(a: &[u8], b: &[u8]) -> Ordering {
    if is_canonical(a) && is_canonical(b) {
        a.cmp(b)
    } else {
        Canonical::new(a).cmp(Canonical::new(b))
    }
}

/// Writes the canonical form of a percent-encoded wire component.
pub(crate) fn write_canonical<S: Sink + ?Sized>(sink: &mut S, wire: &[u8]) {
    if !wire.contains(&b'%') {
        encode(sink, wire, false);
        return;
    }
    if is_canonical(wire) {
        sink.put(wire);
        return;
    }
    // Decode runs between escapes, re-encoding as we go.
    let mut buf = [0u8; 64];
    let mut n = 0;
    for b in Decoded::new(wire) {
        if n == buf.len() {
            encode(sink, &buf, false);
            n = 0;
        }
        buf[n] = b;
        n += 1;
    }
    encode(sink, &buf[..n], false);
}

/// Lower-case hex of `bytes` into `out`, which must be exactly twice as
/// long (callers size it so), as bytes.
#[inline]
pub(crate) fn hex_bytes<'o>(bytes: &[u8], out: &'o mut [u8]) -> &'o [u8] {
    // Branch-free arithmetic rather than a table: the compiler vectorises
    // it (three hex strings per signature).
    let digit = |n: u8| n + b'0' + u8::from(n > 9) * (b'a' - b'0' - 10);
    // A digest, in fixed-size arrays: the nibbles are split and
    // interleaved sixteen bytes at a time.
    if let (Ok(digest), Some(dst)) = (<&[u8; 32]>::try_from(bytes), out.first_chunk_mut::<64>()) {
        let mut hi = [0u8; 32];
        let mut lo = [0u8; 32];
        for ((h, l), &b) in hi.iter_mut().zip(&mut lo).zip(digest) {
            *h = digit(b >> 4);
            *l = digit(b & 0x0f);
        }
        for (i, pair) in dst.as_chunks_mut::<2>().0.iter_mut().enumerate() {
            *pair = [hi[i], lo[i]];
        }
        return &out[..64];
    }
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = digit(b >> 4);
        pair[1] = digit(b & 0x0f);
    }
    let n = (2 * bytes.len()).min(out.len());
    &out[..n]
}

/// [`hex_bytes`] as text.
pub(crate) fn hex_lower<'o>(bytes: &[u8], out: &'o mut [u8]) -> &'o str {
    core::str::from_utf8(hex_bytes(bytes, out)).unwrap_or_default()
}

/// Compares two byte strings in time that depends on their lengths only
/// (which are public: secrets and signatures have fixed lengths). The
/// differences are OR-ed together without a branch and only the result
/// passes `subtle`'s optimisation barrier: one barrier per comparison, not
/// one per byte as `subtle`'s slice comparison has.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y));
    bool::from(diff.ct_eq(&0))
}

/// Decodes lower-case hex into `out`; `None` for an odd length, a
/// character outside `0-9a-f`, or more bytes than `out` holds.
#[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
pub(crate) fn hex_decode<'o>(hex: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if !hex.len().is_multiple_of(2) || hex.len() / 2 > out.len() {
        return None;
    }
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(&out[..hex.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec::Vec;

    fn canon(wire: &str) -> alloc::string::String {
        let mut v = Vec::new();
        write_canonical(&mut v, wire.as_bytes());
        let via_iter: Vec<u8> = Canonical::new(wire.as_bytes()).collect();
        assert_eq!(v, via_iter);
        alloc::string::String::from_utf8(v).unwrap()
    }

    /// `split_wide` and `split_ascii` split as `str::split` does, and
    /// `split_once_ascii` as `str::split_once`: every placement of up to
    /// three separators (in a row, at either end, none) in strings of up to
    /// 40 bytes, around the 8- and 16-byte word edges, and one with a
    /// multi-byte character.
    #[test]
    fn splits_as_str_split() {
        let check = |s: &str| {
            let std: Vec<&str> = s.split(',').collect();
            assert_eq!(split_wide(s, b',').collect::<Vec<_>>(), std, "{s:?}");
            assert_eq!(split_ascii(s, b',').collect::<Vec<_>>(), std, "{s:?}");
            assert_eq!(split_once_ascii(s, b','), s.split_once(','), "{s:?}");
        };
        for len in 0..=40usize {
            let base: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            check(core::str::from_utf8(&base).unwrap());
            for a in 0..len {
                for b in a..len {
                    for c in [a, b, (a + b) / 2, len - 1] {
                        let mut v = base.clone();
                        for i in [a, b, c] {
                            v[i] = b',';
                        }
                        check(core::str::from_utf8(&v).unwrap());
                    }
                }
            }
        }
        check("Credential=\u{e9}t\u{e9},SignedHeaders=host, Signature=00");
    }

    /// `hex_bytes` writes what `{:02x}` does, for a digest (its
    /// fixed-size path) and for other lengths, over every byte value.
    #[test]
    fn hex_is_format() {
        use core::fmt::Write;
        let all: Vec<u8> = (0..=255u8).collect();
        for len in [0, 1, 31, 32, 33, 64] {
            for start in (0..256 - len).step_by(31) {
                let bytes = &all[start..start + len];
                let mut want = alloc::string::String::new();
                for b in bytes {
                    write!(want, "{b:02x}").unwrap();
                }
                let mut out = [0u8; 128];
                assert_eq!(hex_bytes(bytes, &mut out[..2 * len]), want.as_bytes());
            }
        }
    }

    /// `find_byte` finds the first separator among bytes that differ
    /// from it in one bit (for `,`: `-`, `.`, `(`, `$`, `<`, `l`, …: the
    /// word test's borrow must not flag them), zero bytes and bytes above
    /// 0x7f, at random places in strings of up to 24 bytes (three words
    /// and a tail).
    #[test]
    fn find_byte_is_position() {
        let sep = b',';
        let near: Vec<u8> = (0..8)
            .map(|bit| sep ^ (1 << bit))
            .chain([0, 0xff])
            .collect();
        let mut seed = 12_345u32;
        for _ in 0..4000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let len = (seed >> 8) as usize % 25;
            let mut v: Vec<u8> = (0..len)
                .map(|i| near[(seed as usize >> (i % 16)) % near.len()])
                .collect();
            if len > 0 && !seed.is_multiple_of(3) {
                v[(seed >> 20) as usize % len] = sep;
            }
            assert_eq!(
                find_byte(&v, sep),
                v.iter().position(|&b| b == sep),
                "{v:?}"
            );
        }
    }

    /// `copy_short` copies every length up to 40 exactly, nothing around
    /// it.
    #[test]
    fn copy_short_copies_every_length() {
        let src: [u8; 40] = core::array::from_fn(|i| i as u8 + 1);
        for n in 0..=src.len() {
            let mut dst = [0u8; 42];
            copy_short(&mut dst[1..n + 1], &src[..n]);
            assert_eq!(&dst[1..n + 1], &src[..n], "{n}");
            assert_eq!((dst[0], dst[n + 1]), (0, 0), "{n}");
        }
    }

    /// `prefix_word` is the first eight bytes, zero-padded, for every
    /// length up to 12.
    #[test]
    fn prefix_word_pads_with_zeros() {
        let src: [u8; 12] = core::array::from_fn(|i| 0xa0 + i as u8);
        for n in 0..=src.len() {
            let mut padded = [0u8; 8];
            let k = n.min(8);
            padded[..k].copy_from_slice(&src[..k]);
            assert_eq!(prefix_word(&src[..n]), u64::from_be_bytes(padded), "{n}");
        }
    }

    /// `lower_word` lower-cases each byte as `to_ascii_lowercase` does:
    /// every byte value in every position, beside neighbours that could
    /// carry into it (0x00, 0x7f, 0xff and letters).
    #[test]
    fn lower_word_is_bytewise_ascii_lowercase() {
        for b in 0..=255u8 {
            for fill in [0x00u8, 0x41, 0x5a, 0x61, 0x7f, 0x80, 0xc0, 0xff] {
                for pos in 0..8 {
                    let mut bytes = [fill; 8];
                    bytes[pos] = b;
                    let expected = bytes.map(|x| x.to_ascii_lowercase());
                    let got = lower_word(u64::from_le_bytes(bytes)).to_le_bytes();
                    assert_eq!(got, expected, "byte {b:#04x} at {pos} among {fill:#04x}");
                }
            }
        }
    }

    /// `eq_lower` is `to_ascii_lowercase` then `==`, for every length up
    /// to 40: `a` in mixed case against its lower-case form, against its
    /// upper-case form, and against lower-case strings differing at each
    /// position.
    #[test]
    fn eq_lower_matches_lowercase_then_eq() {
        let base: Vec<u8> = (0..40).map(|i| b"aZ-9x"[i % 5]).collect();
        for len in 0..=base.len() {
            let a = &base[..len];
            let lower = a.to_ascii_lowercase();
            let upper = a.to_ascii_uppercase();
            assert!(eq_lower(a, &lower), "{len}");
            assert!(eq_lower(&upper, &lower), "{len}");
            assert_eq!(eq_lower(&lower, &upper), lower == upper, "{len}");
            for pos in 0..len {
                for c in [b'a', b'A', b'z' + 1, b'@', b'`', 0x80] {
                    let mut b = lower.clone();
                    b[pos] = c;
                    assert_eq!(eq_lower(a, &b), lower == b, "{len} {pos} {c}");
                }
            }
        }
    }

    /// `eq_short` against `==` at every length to 40 (each of its
    /// branches and their edges): equal pieces, pieces one byte apart at
    /// each position (the byte's case twin, one bit off, zero), and
    /// pieces of other lengths.
    #[test]
    fn eq_short_matches_eq() {
        let base: &[u8] = b"x-amz-meta-some-longer-header-name-0123";
        for len in 0..=base.len() {
            let a = &base[..len];
            assert!(eq_short(a, a), "{len}");
            for pos in 0..len {
                for other in [a[pos] ^ 0x20, a[pos] ^ 0x01, 0] {
                    let mut b = a.to_vec();
                    b[pos] = other;
                    assert!(!eq_short(a, &b), "{len} {pos} {other}");
                }
            }
            for other in 0..=base.len() {
                assert_eq!(eq_short(a, &base[..other]), len == other, "{len} {other}");
            }
        }
    }

    /// `eq_ignore_case` agrees with `eq_ignore_ascii_case` for every length
    /// up to 40: equal strings in mixed case, and strings differing at each
    /// position by a byte that is or is not the other's case twin.
    #[test]
    fn eq_ignore_case_matches_std() {
        let base: Vec<u8> = b"X-Amz-Security-Token-Content-Sha256-Abc\xc3\x89".to_vec();
        for len in 0..=base.len() {
            let a = &base[..len];
            let lower: Vec<u8> = a.to_ascii_lowercase();
            assert!(eq_ignore_case(a, &lower), "{len}");
            assert!(eq_ignore_case(&lower, &a.to_ascii_uppercase()), "{len}");
            for pos in 0..len {
                for swap in [
                    b'@',
                    b'[',
                    b'`',
                    b'{',
                    0x80 | a[pos],
                    a[pos] ^ 0x20,
                    a[pos] ^ 0x01,
                ] {
                    let mut b = lower.clone();
                    b[pos] = swap;
                    assert_eq!(
                        eq_ignore_case(a, &b),
                        a.eq_ignore_ascii_case(&b),
                        "len {len}, byte {swap:#04x} at {pos}"
                    );
                }
            }
            assert!(!eq_ignore_case(a, &base[..len.saturating_sub(1)]) || len == 0);
        }
    }

    /// `encode` against the `percent-encoding` crate with RFC 3986's
    /// unreserved set: every byte value, runs longer than the stack buffer,
    /// escapes back to back and at both ends.
    #[test]
    fn encodes_as_percent_encoding_does() {
        use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
        const SET: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        const SET_SLASH: &AsciiSet = &SET.remove(b'/');
        let every: Vec<u8> = (0..=255u8).collect();
        let long_run: Vec<u8> = b"/"
            .iter()
            .chain(&[b'a'; 300])
            .chain(b"/=")
            .copied()
            .collect();
        let escapes: Vec<u8> = b"a//////////b==".repeat(40);
        // One escaped byte over and over, past the buffer (its repeats
        // are written in a loop of their own).
        let same: Vec<u8> = [b'='; 150]
            .iter()
            .chain(b"a")
            .chain(&[b'/'; 70])
            .copied()
            .collect();
        // Each byte value last in a 16-byte chunk of its own, so the
        // vector test of a whole chunk sees every value.
        let chunked: Vec<u8> = (0..=255u8)
            .flat_map(|b| core::iter::repeat_n(b'a', 15).chain([b]))
            .collect();
        for input in [
            &every[..],
            &long_run,
            &escapes,
            &same,
            &chunked,
            b"",
            b"plain",
            b"/",
            b"a b",
        ] {
            for keep_slash in [false, true] {
                let mut ours = Vec::new();
                encode(&mut ours, input, keep_slash);
                let set = if keep_slash { SET_SLASH } else { SET };
                let want = percent_encode(input, set).collect::<alloc::string::String>();
                assert_eq!(ours, want.as_bytes(), "keep_slash {keep_slash}");
            }
        }
        // Short pieces (up to 32 bytes are tested whole first) with every
        // byte value first, last or in the middle.
        for b in 0..=255u8 {
            for len in [1, 5, 16, 17, 32, 33] {
                for at in [0, len / 2, len - 1] {
                    let mut input = alloc::vec![b'a'; len];
                    input[at] = b;
                    for keep_slash in [false, true] {
                        let mut ours = Vec::new();
                        encode(&mut ours, &input, keep_slash);
                        let set = if keep_slash { SET_SLASH } else { SET };
                        let want = percent_encode(&input, set).collect::<alloc::string::String>();
                        assert_eq!(ours, want.as_bytes(), "{input:?} keep_slash {keep_slash}");
                    }
                }
            }
        }
    }

    /// Every length up to three chunks, with one bad byte at every
    /// position (and none), against `Iterator::all`.
    #[test]
    fn all_bytes_finds_a_bad_byte_anywhere() {
        for len in 0..48 {
            for bad in (0..len).map(Some).chain([None]) {
                let mut v = alloc::vec![b'a'; len];
                if let Some(i) = bad {
                    v[i] = b'\n';
                }
                let ok = |b: u8| b != b'\n';
                assert_eq!(all_bytes(&v, ok), v.iter().all(|&b| ok(b)), "{len} {bad:?}");
            }
        }
    }

    #[test]
    fn plus_is_a_plus() {
        assert_eq!(canon("b+c"), "b%2Bc");
    }

    #[test]
    fn escapes_are_normalised() {
        assert_eq!(canon("%7e%7E~"), "~~~");
        assert_eq!(canon("a%2fb"), "a%2Fb");
        assert_eq!(canon("%zz%"), "%25zz%25");
        assert_eq!(canon("%E1%88%B4"), "%E1%88%B4");
        assert_eq!(canon("sp ace"), "sp%20ace");
    }

    #[test]
    fn recognises_canonical_components() {
        for (wire, canonical) in [
            ("abc-._~", true),
            ("a%2Fb%20", true),
            ("a%2fb", false),
            ("%7E", false),
            ("a+b", false),
            ("%2", false),
            ("%zz", false),
            ("%E1%88%B4", true),
        ] {
            assert_eq!(is_canonical(wire.as_bytes()), canonical, "{wire}");
            let mut out = Vec::new();
            write_canonical(&mut out, wire.as_bytes());
            assert_eq!(out == wire.as_bytes(), canonical, "{wire}");
        }
    }

    #[test]
    fn sink_hands_out_room_in_place() {
        let mut buf = [0u8; 4];
        let mut s = SliceSink::new(&mut buf);
        s.put(b"a");
        s.next_n(2).unwrap().copy_from_slice(b"bc");
        assert!(s.next_n(2).is_none());
        assert!(s.overflowed());
        assert_eq!((s.needed(), s.len()), (5, 3));
        assert_eq!(buf, *b"abc\0");
    }

    #[test]
    fn sink_reports_overflow() {
        let mut buf = [0u8; 4];
        let mut s = SliceSink::new(&mut buf);
        s.put(b"abc");
        s.put(b"");
        assert!(!s.overflowed());
        s.put(b"de");
        assert!(s.overflowed());
        assert_eq!(s.needed(), 5);
        assert_eq!(s.len(), 3);
        // After an overflow nothing more is written, even what would fit.
        s.put(b"x");
        assert!(s.next_n(1).is_none());
        assert_eq!((s.needed(), s.len()), (7, 3));
        assert_eq!(buf, *b"abc\0");
    }
}
