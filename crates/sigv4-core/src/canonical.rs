//! The canonical request: path, query and headers in SigV4's canonical form.
//!
//! Nothing here allocates or stores the canonical request: each part is
//! streamed into a [`Sink`]. Headers are sorted through a small index
//! array on the stack (stable, so repeated header values keep their
//! order); a signer may keep the result for the next request with the
//! same header names ([`HeaderLayout`]). Query parameters are sorted in
//! a small array of positions too, or emitted by repeated selection over
//! the query itself when there are many.
//!
//! ```text
//! METHOD \n
//! canonical path \n
//! canonical query \n
//! name:value,value \n   (one line per signed header, sorted)
//! \n
//! signed;header;names \n
//! payload hash
//! ```

use core::cmp::Ordering;

use crate::encode::{self, Sink};
use crate::request::{Header, MAX_HEADERS, Request};
use crate::settings::{PathEncoding, SigningSettings};

/// At most this many query parameters are canonicalised; more is refused
/// (sorting cost grows with the square of the count).
pub const MAX_QUERY_PARAMS: usize = 256;

/// The deepest path, in segments, that path normalisation handles.
pub const MAX_PATH_SEGMENTS: usize = 128;

/// Why a request has no canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// More than [`MAX_QUERY_PARAMS`] query parameters.
    #[error(
        "too many query parameters: at most {} can be signed",
        MAX_QUERY_PARAMS
    )]
    TooManyQueryParams,
    /// More than [`MAX_PATH_SEGMENTS`] path segments with normalisation on.
    #[error("path too deep to normalise: at most {} segments", MAX_PATH_SEGMENTS)]
    PathTooDeep,
    /// A header named in `SignedHeaders` is not in the request.
    #[error("signed header `{0}` is missing from the request")]
    MissingSignedHeader(SignedName),
}

/// A header name reported in an error (at most 64 bytes are kept).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignedName {
    buf: [u8; 64],
    len: u8,
}

impl SignedName {
    fn new(name: &[u8]) -> Self {
        let mut buf = [0u8; 64];
        let len = name.len().min(64);
        buf[..len].copy_from_slice(&name[..len]);
        Self {
            buf,
            len: len as u8,
        }
    }

    /// The name, lossily as text.
    pub fn as_str(&self) -> &str {
        let b = &self.buf[..usize::from(self.len)];
        core::str::from_utf8(b).unwrap_or("<non-UTF-8 name>")
    }
}

impl core::fmt::Debug for SignedName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl core::fmt::Display for SignedName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------- path

/// Writes the canonical path.
pub(crate) fn write_path<S: Sink + ?Sized>(
    sink: &mut S,
    path: &str,
    settings: &SigningSettings<'_>,
) -> Result<(), CanonicalError> {
    let double = settings.path_encoding == PathEncoding::Double;
    let emit = |sink: &mut S, part: &[u8]| {
        if double {
            encode::encode(sink, part, true);
        } else {
            sink.put(part);
        }
    };
    if !settings.normalize_path || !needs_normalising(path) {
        emit(sink, path.as_bytes());
        return Ok(());
    }
    // Remove empty and dot segments with a fixed stack of segment bounds.
    let mut stack = [(0usize, 0usize); MAX_PATH_SEGMENTS];
    let mut depth: usize = 0;
    let mut start = 0;
    for seg in path.split('/') {
        let end = start + seg.len();
        match seg {
            "" | "." => {}
            ".." => depth = depth.saturating_sub(1),
            _ => {
                let slot = stack.get_mut(depth).ok_or(CanonicalError::PathTooDeep)?;
                *slot = (start, end);
                depth += 1;
            }
        }
        start = end + 1;
    }
    let bytes = path.as_bytes();
    for &(s, e) in &stack[..depth] {
        sink.put(b"/");
        emit(sink, &bytes[s..e]);
    }
    let trailing = ["/", "/.", "/.."].iter().any(|t| path.ends_with(t));
    if depth == 0 || trailing {
        sink.put(b"/");
    }
    Ok(())
}

/// True when the path has an empty segment or one starting with a dot: only
/// then can normalising change it.
fn needs_normalising(path: &str) -> bool {
    // Each pair of neighbours, with no early exit (which vectorises).
    let b = path.as_bytes();
    b.iter()
        .zip(b.iter().skip(1))
        .fold(false, |found, (&x, &y)| {
            found | ((x == b'/') & ((y == b'/') | (y == b'.')))
        })
}

// --------------------------------------------------------------- query

/// One `key=value` pair, both still in their wire (percent-encoded) form.
#[derive(Clone, Copy)]
pub(crate) struct Param<'a> {
    pub(crate) key: &'a [u8],
    pub(crate) value: &'a [u8],
    /// Both are known to be canonical already (the signer wrote them).
    pub(crate) known_canonical: bool,
}

impl Param<'_> {
    fn cmp_canonical(&self, other: &Param<'_>) -> Ordering {
        encode::cmp_canonical(self.key, other.key)
            .then_with(|| encode::cmp_canonical(self.value, other.value))
    }
}

/// Iterates the parameters of a wire query string; empty pieces (`a&&b`)
/// are skipped and a key without `=` has an empty value.
pub(crate) fn params(query: &[u8]) -> impl Iterator<Item = Param<'_>> + Clone {
    query
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => Param {
                key: &p[..i],
                value: &p[i + 1..],
                known_canonical: false,
            },
            None => Param {
                key: p,
                value: &[],
                known_canonical: false,
            },
        })
}

/// A parameter with its "already canonical" flags worked out once.
#[derive(Clone, Copy)]
struct Sortable<'a> {
    p: Param<'a>,
    key_plain: bool,
    value_plain: bool,
    /// The key's [`encode::prefix_word`]: plain keys are ordered by it
    /// first (most differ in their first eight bytes).
    key_head: u64,
}

impl<'a> Sortable<'a> {
    const EMPTY: Self = Self {
        p: Param {
            key: &[],
            value: &[],
            known_canonical: true,
        },
        key_plain: true,
        value_plain: true,
        key_head: 0,
    };

    fn new(p: Param<'a>) -> Self {
        Self {
            p,
            key_plain: p.known_canonical || encode::is_canonical(p.key),
            value_plain: p.known_canonical || encode::is_canonical(p.value),
            key_head: encode::prefix_word(p.key),
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        if self.key_plain && other.key_plain && self.key_head != other.key_head {
            return self.key_head.cmp(&other.key_head);
        }
        let part = |a: &[u8], ap: bool, b: &[u8], bp: bool| {
            if ap && bp {
                a.cmp(b)
            } else {
                encode::Canonical::new(a).cmp(encode::Canonical::new(b))
            }
        };
        part(self.p.key, self.key_plain, other.p.key, other.key_plain).then_with(|| {
            part(
                self.p.value,
                self.value_plain,
                other.p.value,
                other.value_plain,
            )
        })
    }
}

/// How many parameters are sorted in a stack array; more fall back to
/// selection over the query itself. Queries of up to [`FEW_PARAMS`] are
/// sorted in a smaller array (it is set up on every signature).
const INLINE_PARAMS: usize = 32;
const FEW_PARAMS: usize = 12;

/// Writes a key or value, as it is when `plain` (canonical already).
#[inline(always)]
fn put_part<S: Sink + ?Sized>(sink: &mut S, wire: &[u8], plain: bool) {
    if plain {
        sink.put(wire);
    } else {
        encode::write_canonical(sink, wire);
    }
}

/// Writes `key=value` (after a `&` but for the first), each part copied
/// when plain, re-encoded otherwise.
#[inline(always)]
fn put_param<S: Sink + ?Sized>(
    sink: &mut S,
    p: &Param<'_>,
    (key_plain, value_plain): (bool, bool),
    first: &mut bool,
) {
    if !*first {
        sink.put(b"&");
    }
    *first = false;
    put_part(sink, p.key, key_plain);
    sink.put(b"=");
    put_part(sink, p.value, value_plain);
}

/// Writes the canonical query: every parameter from `sources` (all
/// iterators over wire-form pairs), sorted by encoded key then encoded
/// value, re-encoded, joined with `&`.
#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
pub(crate) fn write_query<'a, S, I>(sink: &mut S, sources: I) -> Result<(), CanonicalError>
where
    S: Sink + ?Sized,
    I: Iterator<Item = Param<'a>> + Clone,
{
    write_query_after(sink, &[], sources)
}

/// [`write_query`] behind `leading`: pieces of the canonical query that
/// are written already (each one or more `key=value` joined with `&`, in
/// order) and sort before every parameter of `sources`. They are put as
/// they are, joined with `&`, before the sorted `sources`.
pub(crate) fn write_query_after<'a, S, I>(
    sink: &mut S,
    leading: &[&[u8]],
    sources: I,
) -> Result<(), CanonicalError>
where
    S: Sink + ?Sized,
    I: Iterator<Item = Param<'a>> + Clone,
{
    let mut first = true;
    for piece in leading {
        if !first {
            sink.put(b"&");
        }
        first = false;
        sink.put(piece);
    }
    if sort_and_write::<FEW_PARAMS, _, _>(sink, sources.clone(), first) {
        return Ok(());
    }
    if sort_and_write::<INLINE_PARAMS, _, _>(sink, sources.clone(), first) {
        return Ok(());
    }
    write_query_by_selection_after(sink, sources, first)
}

/// Sorts the parameters in an array of `N` and writes them (the first one
/// behind a `&` unless `first`); false (and nothing written) when there
/// are more than `N`.
fn sort_and_write<'a, const N: usize, S, I>(sink: &mut S, sources: I, mut first: bool) -> bool
where
    S: Sink + ?Sized,
    I: Iterator<Item = Param<'a>>,
{
    const { assert!(N <= 256, "positions are bytes") };
    let mut inline = [Sortable::EMPTY; N];
    let mut n = 0;
    for p in sources {
        let Some(slot) = inline.get_mut(n) else {
            return false;
        };
        *slot = Sortable::new(p);
        n += 1;
    }
    // Stable insertion sort (few comparisons when the input is mostly in
    // order, as a presigned URL's own parameters are) of their positions:
    // a byte moves where a parameter was 56.
    let params = &inline[..n];
    let mut order = [0u8; N];
    for i in 0..n {
        let next = &params[i];
        let mut j = i;
        while j > 0 && params[usize::from(order[j - 1])].cmp(next) == Ordering::Greater {
            order[j] = order[j - 1];
            j -= 1;
        }
        order[j] = i as u8;
    }
    for &i in &order[..n] {
        let p = &params[usize::from(i)];
        put_param(sink, &p.p, (p.key_plain, p.value_plain), &mut first);
    }
    true
}

/// [`write_query`] for many parameters: repeated selection of the next
/// smallest parameter, with no storage.
#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
pub(crate) fn write_query_by_selection<'a, S, I>(
    sink: &mut S,
    sources: I,
) -> Result<(), CanonicalError>
where
    S: Sink + ?Sized,
    I: Iterator<Item = Param<'a>> + Clone,
{
    write_query_by_selection_after(sink, sources, true)
}

/// [`write_query_by_selection`], the first parameter behind a `&` unless
/// `first`.
fn write_query_by_selection_after<'a, S, I>(
    sink: &mut S,
    sources: I,
    mut first: bool,
) -> Result<(), CanonicalError>
where
    S: Sink + ?Sized,
    I: Iterator<Item = Param<'a>> + Clone,
{
    if sources.clone().count() > MAX_QUERY_PARAMS {
        return Err(CanonicalError::TooManyQueryParams);
    }
    let mut prev: Option<Param<'a>> = None;
    loop {
        // The smallest parameter after `prev`, and how often it occurs.
        let mut best: Option<(Param<'a>, usize)> = None;
        for p in sources.clone() {
            if let Some(prev) = &prev
                && p.cmp_canonical(prev) != Ordering::Greater
            {
                continue;
            }
            best = match best {
                None => Some((p, 1)),
                Some((b, n)) => match p.cmp_canonical(&b) {
                    Ordering::Less => Some((p, 1)),
                    Ordering::Equal => Some((b, n + 1)),
                    Ordering::Greater => Some((b, n)),
                },
            };
        }
        let Some((p, n)) = best else { break };
        for _ in 0..n {
            put_param(sink, &p, (p.known_canonical, p.known_canonical), &mut first);
        }
        prev = Some(p);
    }
    Ok(())
}

// ------------------------------------------------------------- headers

fn cmp_names(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

/// A header name's sort key: its first eight bytes lower-cased, as a
/// big-endian number (a shorter name padded with zeros). Names compare as
/// their keys do, except that equal keys of names longer than eight
/// bytes are decided by the rest (a header name, a token, holds no zero
/// byte, so padding sorts before any byte, as a shorter prefix does).
/// Also whether those eight bytes held an upper-case letter.
fn sort_key(name: &[u8]) -> (u64, bool) {
    let raw = encode::prefix_word(name);
    let key = encode::lower_word(raw);
    (key, key != raw)
}

/// Orders two names with their sort keys ([`sort_key`]).
fn cmp_keyed(a: (u64, &[u8]), b: (u64, &[u8])) -> Ordering {
    a.0.cmp(&b.0).then_with(|| {
        cmp_names(
            a.1.get(8..).unwrap_or_default(),
            b.1.get(8..).unwrap_or_default(),
        )
    })
}

fn has_upper(name: &[u8]) -> bool {
    name.iter().fold(false, |u, b| u | b.is_ascii_uppercase())
}

/// URI-encodes what is put into it.
struct EncodeSink<'s, S: ?Sized>(&'s mut S);

impl<S: Sink + ?Sized> Sink for EncodeSink<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        crate::encode::encode(self.0, bytes, false);
    }
}

/// Writes a header name in lower case; `upper` says whether it has any
/// upper-case letters (worked out once per header).
#[inline(always)]
fn put_name<S: Sink + ?Sized>(sink: &mut S, name: &str, upper: bool) {
    if upper {
        put_lowered(sink, name.as_bytes());
    } else {
        sink.put(name.as_bytes());
    }
}

/// Writes a name with upper-case letters lower-cased (a client's own
/// spelling, e.g. `Content-Type`).
#[inline(never)]
fn put_lowered<S: Sink + ?Sized>(sink: &mut S, bytes: &[u8]) {
    let mut buf = [0u8; 32];
    for chunk in bytes.chunks(buf.len()) {
        let out = &mut buf[..chunk.len()];
        out.copy_from_slice(chunk);
        out.make_ascii_lowercase();
        sink.put(out);
    }
}

/// Writes a header value trimmed of leading and trailing spaces and tabs,
/// with inner runs of spaces collapsed to one.
#[inline]
fn put_value<S: Sink + ?Sized>(sink: &mut S, value: &[u8]) {
    // Most values have no space or tab at all, which one vector scan
    // tells; they go in as they are.
    if crate::encode::all_bytes(value, |b| (b != b' ') & (b != b'\t')) {
        sink.put(value);
    } else {
        put_spaced(sink, value);
    }
}

/// [`put_value`] for a value with a space or tab somewhere.
#[inline(never)]
fn put_spaced<S: Sink + ?Sized>(sink: &mut S, value: &[u8]) {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ws(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |i| i + 1);
    let v = &value[start..end];
    // One pass: each run of spaces ends the piece before it at its first
    // space (a value without a double space goes out as one piece).
    let mut run_start = 0;
    let mut i = 0;
    while i < v.len() {
        if v[i] == b' ' && v.get(i + 1) == Some(&b' ') {
            sink.put(&v[run_start..=i]);
            while v.get(i + 1) == Some(&b' ') {
                i += 1;
            }
            run_start = i + 1;
        }
        i += 1;
    }
    sink.put(&v[run_start..]);
}

/// The most headers the signer adds itself: `host`, `x-amz-date`,
/// `x-amz-region-set`, `x-amz-security-token`, `x-amz-content-sha256`.
pub(crate) const MAX_EXTRA: usize = 5;

/// Requests with up to this many headers (with the signer's) sort their
/// keys in a small array.
const FEW_HEADERS: usize = 24;

/// The headers to sign, sorted by name (stable, so repeated names keep
/// their order): the request's own headers that pass a filter, and the
/// headers the signer adds (already lower-case). Sorting permutes a small
/// index array on the stack.
#[derive(Clone, Copy)]
pub(crate) struct HeaderSet<'h, 'a> {
    request: &'h [Header<'a>],
    extra: &'h [Extra<'a>],
    order: [u8; MAX_HEADERS + MAX_EXTRA],
    /// Per sorted position: [`UPPER`], [`REPEAT`], [`OWN`].
    flags: [u8; MAX_HEADERS + MAX_EXTRA],
    len: usize,
}

/// A header the signer adds: its lower-case name and its value's bytes,
/// visible ASCII the signer wrote or checked (the date, the URL's host,
/// the session token, the payload hash, the region set). Such a value
/// has no space or tab, so it goes into the canonical request as it is,
/// without the trimming a request's own header values get.
pub(crate) type Extra<'a> = (&'a str, &'a [u8]);

/// The name has upper-case letters.
const UPPER: u8 = 1;
/// The name equals the previous one (another value of the same header).
const REPEAT: u8 = 2;
/// One of the signer's own headers, whose value is visible ASCII (no
/// space or tab to trim or collapse).
const OWN: u8 = 4;

impl<'h, 'a> HeaderSet<'h, 'a> {
    /// An empty set over `request`'s headers and the signer's `extra`
    /// ones, to [`select`](Self::select) from. `request` holds at most
    /// [`MAX_HEADERS`] headers and `extra` at most [`MAX_EXTRA`] (a
    /// [`crate::Request`] cannot hold more); any beyond are ignored.
    ///
    /// Built in the caller's place and filled there: a set that was
    /// sorted here and returned was copied (300 bytes) on every signature.
    #[inline(always)]
    pub(crate) fn new(request: &'h [Header<'a>], extra: &'h [Extra<'a>]) -> Self {
        Self {
            request: &request[..request.len().min(MAX_HEADERS)],
            extra: &extra[..extra.len().min(MAX_EXTRA)],
            order: [0; MAX_HEADERS + MAX_EXTRA],
            flags: [0; MAX_HEADERS + MAX_EXTRA],
            len: 0,
        }
    }

    /// Takes the request headers that `include` keeps and all the extra
    /// ones, sorted; once, on a set fresh from [`new`](Self::new).
    pub(crate) fn select(&mut self, include: impl Fn(&str) -> bool) {
        debug_assert_eq!(self.len, 0, "a HeaderSet selects once");
        // The sort keys by sorted position, beside `order`: in a small
        // array for an ordinary request (it is set up on every signature).
        if self.request.len() + self.extra.len() <= FEW_HEADERS {
            self.sort(&mut [0u64; FEW_HEADERS], include);
        } else {
            self.sort(&mut [0u64; MAX_HEADERS + MAX_EXTRA], include);
        }
    }

    /// [`select`](Self::select), through `layout` if there is one: a
    /// set whose names are the layout's (`same_names`, from
    /// [`HeaderLayout::same_names`] on the request's headers, and
    /// `extra_key`) takes its order, flags and signed header list from
    /// there (without calling `include`); any other is sorted and kept in
    /// the layout. Returns the signed header list, plain and encoded,
    /// when the layout holds it.
    /// `include` must be the default list's filter (see
    /// [`HeaderLayout`]); `extra_key` stands for the names of the extra
    /// headers, in order (one key, one list of names: the signer's own
    /// headers are a fixed list, and the key says which of them are in).
    // Inlined: called, it cost about 40 instructions a signature.
    #[inline(always)]
    pub(crate) fn select_through<'l>(
        &mut self,
        layout: Option<&'l mut HeaderLayout>,
        same_names: bool,
        extra_key: u8,
        include: impl Fn(&str) -> bool,
    ) -> Option<SignedLists<'l>> {
        debug_assert_eq!(self.len, 0, "a HeaderSet selects once");
        let Some(layout) = layout else {
            self.select(include);
            return None;
        };
        debug_assert_eq!(same_names, layout.same_names(self.request));
        if same_names
            && layout.extra_key == extra_key
            && usize::from(layout.count) == self.request.len() + self.extra.len()
        {
            // Whole arrays: a copy of a fixed size is a few moves, not a
            // call to `memcpy`.
            self.order[..LAYOUT_HEADERS].copy_from_slice(&layout.order);
            self.flags[..LAYOUT_HEADERS].copy_from_slice(&layout.flags);
            self.len = usize::from(layout.len);
        } else {
            self.select(include);
            layout.keep(self, extra_key);
            if layout.count == 0 {
                return None;
            }
        }
        Some(SignedLists {
            plain: layout.signed.get(..usize::from(layout.signed_len))?,
            encoded: layout.encoded.get(..usize::from(layout.encoded_len))?,
        })
    }

    /// Sorts the included request headers and the extra ones into
    /// `order`, noting their flags; `keys` holds at least as many keys as
    /// there are headers.
    fn sort(&mut self, keys: &mut [u64], include: impl Fn(&str) -> bool) {
        let (request, extra) = (self.request, self.extra);
        // Two plain loops (a chained iterator tests which half it is in on
        // every step).
        for (i, (name, _)) in request.iter().enumerate() {
            if include(name) {
                self.insert(keys, i, name.as_bytes());
            }
        }
        for (i, (name, _)) in extra.iter().enumerate() {
            self.insert(keys, request.len() + i, name.as_bytes());
        }
        // The extra headers' flags, wherever they were sorted to (a loop
        // of its own measured cheaper than a flag passed to `insert`).
        for (order, flags) in self.order[..self.len].iter().zip(&mut self.flags) {
            if usize::from(*order) >= request.len() {
                *flags |= OWN;
            }
        }
        for k in 1..self.len {
            let name = |k: usize| self.get(usize::from(self.order[k])).0.as_bytes();
            if keys[k] == keys[k - 1] && encode::eq_ignore_case(name(k), name(k - 1)) {
                self.flags[k] |= REPEAT;
            }
        }
    }

    /// Inserts header `i`, named `name`, in sorted place: greater names
    /// shift right, equal ones keep their arrival order.
    #[inline(always)]
    fn insert(&mut self, keys: &mut [u64], i: usize, name: &[u8]) {
        let (key, upper_head) = sort_key(name);
        let upper = upper_head || name.get(8..).is_some_and(has_upper);
        let mut j = self.len;
        // The name behind an equal key is fetched only then (most keys
        // differ).
        while j > 0
            && match keys[j - 1].cmp(&key) {
                Ordering::Equal => {
                    let before = self.get(usize::from(self.order[j - 1])).0.as_bytes();
                    cmp_keyed((keys[j - 1], before), (key, name)) == Ordering::Greater
                }
                order => order == Ordering::Greater,
            }
        {
            self.order[j] = self.order[j - 1];
            self.flags[j] = self.flags[j - 1];
            keys[j] = keys[j - 1];
            j -= 1;
        }
        self.order[j] = i as u8;
        self.flags[j] = u8::from(upper) * UPPER;
        keys[j] = key;
        self.len += 1;
    }

    fn get(&self, i: usize) -> Extra<'a> {
        match self.request.get(i) {
            Some(&(name, value)) => (name, value.as_bytes()),
            None => self.extra[i - self.request.len()],
        }
    }

    fn sorted(&self) -> impl Iterator<Item = (Extra<'a>, u8)> + '_ {
        self.order[..self.len]
            .iter()
            .zip(&self.flags)
            .map(|(&i, &f)| (self.get(usize::from(i)), f))
    }

    /// Writes `a;b;c`: the sorted, lower-case, distinct names.
    pub(crate) fn write_signed_names<S: Sink + ?Sized>(&self, sink: &mut S) {
        self.write_names(sink, b";", put_name);
    }

    /// [`Self::write_signed_names`] URI-encoded, as a query parameter
    /// value (`a%3Bb%3Bc`).
    pub(crate) fn write_signed_names_encoded<S: Sink + ?Sized>(&self, sink: &mut S) {
        self.write_names(sink, b"%3B", |sink, name, upper| {
            put_name(&mut EncodeSink(sink), name, upper)
        });
    }

    fn write_names<S: Sink + ?Sized>(
        &self,
        sink: &mut S,
        separator: &[u8],
        put: impl Fn(&mut S, &str, bool),
    ) {
        let mut first = true;
        for ((name, _), flags) in self.sorted() {
            if flags & REPEAT != 0 {
                continue;
            }
            if !first {
                sink.put(separator);
            }
            first = false;
            put(sink, name, flags & UPPER != 0);
        }
    }

    /// Writes one `name:v1,v2\n` line per distinct name, sorted.
    pub(crate) fn write_canonical<S: Sink + ?Sized>(&self, sink: &mut S) {
        let mut first = true;
        for ((name, value), flags) in self.sorted() {
            if flags & REPEAT != 0 {
                sink.put(b",");
            } else {
                if !first {
                    sink.put(b"\n");
                }
                first = false;
                put_name(sink, name, flags & UPPER != 0);
                sink.put(b":");
            }
            if flags & OWN != 0 {
                debug_assert!(
                    !value.iter().any(|b| matches!(b, b' ' | b'\t')),
                    "a signer's header value with a space or tab"
                );
                sink.put(value);
            } else {
                put_value(sink, value);
            }
        }
        if !first {
            sink.put(b"\n");
        }
    }
}

/// How many headers (the request's and the signer's) a [`HeaderLayout`]
/// holds; a request with more is sorted every time.
const LAYOUT_HEADERS: usize = FEW_HEADERS;
const _: () = assert!(LAYOUT_HEADERS <= MAX_HEADERS + MAX_EXTRA);

/// How many bytes of header names a [`HeaderLayout`] holds.
const LAYOUT_NAMES: usize = 192;

/// Room for a [`HeaderLayout`]'s signed header list, and for it URI-encoded.
const LAYOUT_LIST: usize = 224;
const LAYOUT_ENCODED: usize = 256;

/// A signed header list as [`HeaderSet::write_signed_names`] and
/// [`HeaderSet::write_signed_names_encoded`] write it.
#[derive(Clone, Copy)]
pub(crate) struct SignedLists<'l> {
    pub(crate) plain: &'l [u8],
    pub(crate) encoded: &'l [u8],
}

/// The header layout of the last request a signer signed: its header
/// names, in the request's order, and which headers the signer added,
/// with the order and flags they sorted to and the signed header list
/// they made. A request whose names are the same bytes in the same order
/// (with the same headers added) sorts the same way, so signing it again
/// copies all three instead of sorting, filtering and lower-casing again
/// (a client's requests nearly always carry the same headers). Header
/// names are not secret.
///
/// Which headers are signed also depends on the unsigned list; a layout
/// is only kept and used for the default list, which cannot change
/// (see [`SigningSettings::uses_default_unsigned`]).
#[derive(Clone)]
pub(crate) struct HeaderLayout {
    /// The names back to back.
    names: [u8; LAYOUT_NAMES],
    /// Each name's length.
    lens: [u8; LAYOUT_HEADERS],
    /// How many of the names are the request's.
    request: u8,
    /// Which of the signer's own headers follow them (see
    /// [`HeaderSet::select_through`]).
    extra_key: u8,
    /// How many headers in all; 0 for an empty layout (a set always
    /// holds `x-amz-date` at least, so none is empty).
    count: u8,
    order: [u8; LAYOUT_HEADERS],
    flags: [u8; LAYOUT_HEADERS],
    /// How many headers were selected.
    len: u8,
    /// The signed header list, `a;b;c`.
    signed: [u8; LAYOUT_LIST],
    signed_len: u8,
    /// The list URI-encoded, `a%3Bb%3Bc`, as a presigned URL holds it.
    encoded: [u8; LAYOUT_ENCODED],
    encoded_len: u16,
}

impl Default for HeaderLayout {
    fn default() -> Self {
        Self::new()
    }
}

/// Shows how many headers the layout holds, not their names.
impl core::fmt::Debug for HeaderLayout {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HeaderLayout")
            .field("headers", &self.count)
            .finish_non_exhaustive()
    }
}

impl HeaderLayout {
    /// An empty layout, which matches no request.
    pub(crate) const fn new() -> Self {
        Self {
            names: [0; LAYOUT_NAMES],
            lens: [0; LAYOUT_HEADERS],
            request: 0,
            extra_key: 0,
            count: 0,
            order: [0; LAYOUT_HEADERS],
            flags: [0; LAYOUT_HEADERS],
            len: 0,
            signed: [0; LAYOUT_LIST],
            signed_len: 0,
            encoded: [0; LAYOUT_ENCODED],
            encoded_len: 0,
        }
    }

    /// Whether `request`'s header names are the layout's, byte for byte
    /// and in order. Such names passed the signer's checks when the
    /// layout was kept (it keeps only names that did).
    #[inline]
    pub(crate) fn same_names(&self, request: &[Header<'_>]) -> bool {
        if self.count == 0 || usize::from(self.request) != request.len() {
            return false;
        }
        let mut at = 0;
        for ((name, _), &len) in request.iter().zip(&self.lens) {
            let len = usize::from(len);
            let kept = self.names.get(at..at + len).unwrap_or_default();
            if !encode::eq_short(kept, name.as_bytes()) {
                return false;
            }
            at += len;
        }
        true
    }

    /// Keeps `set`'s names, order, flags and signed header list, if they
    /// fit; otherwise the layout is left empty. Only names that passed
    /// the signer's checks may be kept: [`Self::same_names`] vouches for
    /// them.
    fn keep(&mut self, set: &HeaderSet<'_, '_>, extra_key: u8) {
        debug_assert!(
            set.request
                .iter()
                .all(|(n, _)| crate::request::is_token(n.as_bytes())),
            "a layout keeps only names that passed the checks"
        );
        self.count = 0;
        let count = set.request.len() + set.extra.len();
        if count > LAYOUT_HEADERS {
            return;
        }
        let mut at = 0;
        for (i, (name, _)) in set.request.iter().enumerate() {
            let Some(dst) = self.names.get_mut(at..at + name.len()) else {
                return;
            };
            dst.copy_from_slice(name.as_bytes());
            self.lens[i] = name.len() as u8;
            at += name.len();
        }
        let mut signed = encode::SliceSink::new(&mut self.signed);
        set.write_signed_names(&mut signed);
        let mut encoded = encode::SliceSink::new(&mut self.encoded);
        set.write_signed_names_encoded(&mut encoded);
        if signed.overflowed() || encoded.overflowed() {
            return;
        }
        self.signed_len = signed.len() as u8;
        self.encoded_len = encoded.len() as u16;
        self.order[..set.len].copy_from_slice(&set.order[..set.len]);
        self.flags[..set.len].copy_from_slice(&set.flags[..set.len]);
        self.len = set.len as u8;
        self.request = set.request.len() as u8;
        self.extra_key = extra_key;
        self.count = count as u8;
    }
}

/// Writes canonical header lines for exactly the names in `signed` (a
/// `;`-separated list of lower-case names taken from a request being
/// verified, checked by the caller), in that order.
/// `host` stands in for a missing `Host` header.
pub(crate) fn write_listed_headers<S: Sink + ?Sized>(
    sink: &mut S,
    signed: &str,
    headers: &[Header<'_>],
    host: &str,
) -> Result<(), CanonicalError> {
    for name in crate::encode::split_ascii(signed, b';') {
        sink.put(name.as_bytes());
        sink.put(b":");
        let mut found = false;
        for (n, v) in headers {
            // Listed names are lower-case (checked before).
            if encode::eq_lower(n.as_bytes(), name.as_bytes()) {
                if found {
                    sink.put(b",");
                }
                found = true;
                put_value(sink, v.as_bytes());
            }
        }
        if !found {
            if name == "host" {
                sink.put(host.as_bytes());
            } else {
                return Err(CanonicalError::MissingSignedHeader(SignedName::new(
                    name.as_bytes(),
                )));
            }
        }
        sink.put(b"\n");
    }
    Ok(())
}

/// Writes the method, path and query lines of the canonical request; the
/// query is `leading` then `query` (see [`write_query_after`]).
pub(crate) fn write_head<'a, S, I>(
    sink: &mut S,
    request: &Request<'_>,
    settings: &SigningSettings<'_>,
    leading: &[&[u8]],
    query: I,
) -> Result<(), CanonicalError>
where
    S: Sink + ?Sized,
    I: Iterator<Item = Param<'a>> + Clone,
{
    sink.put(request.method().as_bytes());
    sink.put(b"\n");
    write_path(sink, request.path(), settings)?;
    sink.put(b"\n");
    write_query_after(sink, leading, query)?;
    sink.put(b"\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn path(p: &str, normalize: bool, enc: PathEncoding) -> String {
        let s = SigningSettings {
            normalize_path: normalize,
            path_encoding: enc,
            ..SigningSettings::default()
        };
        let mut v = Vec::new();
        write_path(&mut v, p, &s).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn normalises_paths() {
        let d = PathEncoding::Double;
        assert_eq!(path("/example/..", true, d), "/");
        assert_eq!(path("//example//", true, d), "/example/");
        assert_eq!(path("/a/b/../c/./d", true, d), "/a/c/d");
        assert_eq!(path("/a/b/..", true, d), "/a/");
        assert_eq!(path("/../..", true, d), "/");
        assert_eq!(path("/a%20b/@", true, d), "/a%2520b/%40");
        assert_eq!(path("/a%20b/@", false, PathEncoding::Single), "/a%20b/@");
        assert_eq!(path("//a/./", false, PathEncoding::Single), "//a/./");
    }

    fn query(q: &str) -> String {
        let mut v = Vec::new();
        write_query(&mut v, params(q.as_bytes())).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn sorts_and_encodes_queries() {
        assert_eq!(query("b=2&a=1&a=0&a=1"), "a=0&a=1&a=1&b=2");
        assert_eq!(query("a=b+c"), "a=b%2Bc");
        assert_eq!(query("x&&y="), "x=&y=");
        assert_eq!(
            query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(query(""), "");
    }

    #[test]
    fn many_params_sort_the_same_way() {
        // Over INLINE_PARAMS parameters takes the selection path.
        let mut q = String::new();
        for i in (0..40).rev() {
            q.push_str(&alloc::format!("k{}=%7e{}&", i % 7, i));
        }
        let mut by_selection = Vec::new();
        write_query_by_selection(&mut by_selection, params(q.as_bytes())).unwrap();
        assert_eq!(query(&q).as_bytes(), &by_selection[..]);
        let mut small = Vec::new();
        write_query(&mut small, params(b"b=1&a=2&a=1")).unwrap();
        let mut small_sel = Vec::new();
        write_query_by_selection(&mut small_sel, params(b"b=1&a=2&a=1")).unwrap();
        assert_eq!(small, small_sel);
        let many = "a&".repeat(MAX_QUERY_PARAMS + 1);
        assert_eq!(
            write_query(&mut Vec::new(), params(many.as_bytes())),
            Err(CanonicalError::TooManyQueryParams)
        );
    }

    /// The array sorts (prefix words first) agree with the selection sort
    /// (canonical comparison only) on keys that share their first eight
    /// bytes, are shorter than eight, need re-encoding, and repeat.
    #[test]
    fn array_sort_agrees_with_selection() {
        let pool = [
            "X-Amz-Date=1",
            "X-Amz-Date=0",
            "X-Amz-Dat=2",
            "X-Amz-Da",
            "X-Amz-D%61te=3",
            "X-Amz-Signature=x",
            "X-Amz-SignedHeaders=host",
            "X-Amz-Security-Token=a%2Fb",
            "a=1",
            "a",
            "ab=%7e",
            "a~=2",
            "%41=4",
            "A=5",
            "z+y=6",
        ];
        let mut seed = 11u32;
        for round in 0..600 {
            let count = 1 + round % 30;
            let q: Vec<&str> = (0..count)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    pool[(seed >> 16) as usize % pool.len()]
                })
                .collect();
            let q = q.join("&");
            let mut by_selection = Vec::new();
            write_query_by_selection(&mut by_selection, params(q.as_bytes())).unwrap();
            assert_eq!(query(&q).as_bytes(), &by_selection[..], "{q}");
        }
    }

    #[test]
    fn trims_header_values() {
        let mut v = Vec::new();
        put_value(&mut v, b"  a   b  c  ");
        assert_eq!(v, b"a b c");
        v.clear();
        put_value(&mut v, b"\t \t");
        assert_eq!(v, b"");
    }

    /// `put_value` against the rule spelled out plainly (trim spaces and
    /// tabs at both ends, collapse inner runs of spaces), over values of
    /// up to 40 bytes with spaces and tabs in every few places: those with
    /// none take the one-scan way, the rest the trimming one.
    #[test]
    fn header_values_trim_as_the_rule_says() {
        let rule = |v: &[u8]| {
            let is_ws = |b: &u8| matches!(b, b' ' | b'\t');
            let start = v.iter().position(|b| !is_ws(b)).unwrap_or(v.len());
            let end = v.iter().rposition(|b| !is_ws(b)).map_or(start, |i| i + 1);
            let mut out: Vec<u8> = Vec::new();
            for &b in &v[start..end] {
                if !(b == b' ' && out.last() == Some(&b' ')) {
                    out.push(b);
                }
            }
            out
        };
        let mut seed = 99u32;
        for round in 0..3000 {
            let len = round % 41;
            let mut v: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            for _ in 0..round % 4 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                if len > 0 {
                    v[(seed >> 8) as usize % len] = [b' ', b'\t'][(seed >> 28) as usize % 2];
                }
            }
            let mut got = Vec::new();
            put_value(&mut got, &v);
            assert_eq!(got, rule(&v), "{:?}", String::from_utf8_lossy(&v));
        }
    }

    /// The sort by keys against a plain stable sort of the lower-cased
    /// names: names that agree in their first eight bytes, names of
    /// exactly eight, prefixes of each other, repeats in another case, in
    /// many arrival orders.
    #[test]
    fn sorts_headers_as_lowercase_names_do() {
        let pool = [
            "x-amz-content-sha256",
            "X-Amz-Content-Sha25",
            "x-amz-co",
            "X-AMZ-CO",
            "x-amz-c",
            "x-amz-date",
            "x-amz-dat",
            "host",
            "Host",
            "hostx",
            "ho",
            "h",
            "accept",
            "Accept-Encoding",
            "accept-encodinG",
            "a_b",
            "a~b",
            "A-b",
            "zz",
            "Content-Type",
        ];
        let mut seed = 7u32;
        for round in 0..400 {
            // Past FEW_HEADERS too, for the large key array.
            let count = 1 + round % (FEW_HEADERS + 16);
            let req: Vec<(&str, &str)> = (0..count)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (
                        pool[(seed >> 16) as usize % pool.len()],
                        ["1", "2", "3"][i % 3],
                    )
                })
                .collect();
            let mut set = HeaderSet::new(&req, &[]);
            set.select(|_| true);
            let mut got = Vec::new();
            set.write_canonical(&mut got);
            let mut sorted: Vec<(String, &str)> = req
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), *v))
                .collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let mut want = String::new();
            for (i, (n, v)) in sorted.iter().enumerate() {
                if i > 0 && sorted[i - 1].0 == *n {
                    want.push(',');
                } else {
                    if i > 0 {
                        want.push('\n');
                    }
                    want.push_str(n);
                    want.push(':');
                }
                want.push_str(v);
            }
            want.push('\n');
            assert_eq!(String::from_utf8(got).unwrap(), want, "{req:?}");
        }
    }

    #[test]
    fn groups_headers() {
        let req = [("B", "2"), ("a", "x"), ("b", " 1 "), ("skip", "")];
        let extra = [("host", &b"h"[..])];
        let mut set = HeaderSet::new(&req, &extra);
        set.select(|n: &str| n != "skip");
        let mut v = Vec::new();
        set.write_canonical(&mut v);
        assert_eq!(String::from_utf8(v).unwrap(), "a:x\nb:2,1\nhost:h\n");
        let mut v = Vec::new();
        set.write_signed_names(&mut v);
        assert_eq!(v, b"a;b;host");
    }

    /// A layout serves a set with the same names (and only then): a
    /// deliberately spoiled layout shows up in the next set's output, so
    /// the layout really is what that set takes; a set with other names
    /// sorts afresh and replaces it.
    #[test]
    fn a_layout_serves_the_same_names_only() {
        let req = [("B", "2"), ("a", "x"), ("b", " 1 "), ("skip", "")];
        let extra = [("host", &b"h"[..])];
        let include = |n: &str| n != "skip";
        let mut layout = HeaderLayout::new();
        let mut first = HeaderSet::new(&req, &extra);
        let lists = first
            .select_through(Some(&mut layout), false, 1, include)
            .unwrap();
        assert_eq!(
            (lists.plain, lists.encoded),
            (&b"a;b;host"[..], &b"a%3Bb%3Bhost"[..])
        );
        // Spoil the kept list; the same names take it as it is.
        layout.signed[0] = b'z';
        let mut again = HeaderSet::new(&req, &extra);
        let lists = again
            .select_through(Some(&mut layout), true, 1, |_| unreachable!())
            .unwrap();
        assert_eq!(lists.plain, b"z;b;host");
        let mut v = Vec::new();
        again.write_canonical(&mut v);
        assert_eq!(String::from_utf8(v).unwrap(), "a:x\nb:2,1\nhost:h\n");
        // Another extra key, or one name changed, sorts afresh.
        for (req, key, want) in [
            (req, 2, &b"a;b;host"[..]),
            (
                [("B", "2"), ("a", "x"), ("c", " 1 "), ("skip", "")],
                1,
                b"a;b;c;host",
            ),
        ] {
            let same = layout.same_names(&req);
            let mut other = HeaderSet::new(&req, &extra);
            let lists = other
                .select_through(Some(&mut layout), same, key, include)
                .unwrap();
            assert_eq!(lists.plain, want);
        }
        // Too many headers for a layout: sorted, and no list kept.
        let many: Vec<(&str, &str)> = (0..LAYOUT_HEADERS).map(|_| ("a", "1")).collect();
        let mut set = HeaderSet::new(&many, &extra);
        assert!(
            set.select_through(Some(&mut layout), false, 1, include)
                .is_none()
        );
        let mut v = Vec::new();
        set.write_signed_names(&mut v);
        assert_eq!(v, b"a;host");
    }
}
