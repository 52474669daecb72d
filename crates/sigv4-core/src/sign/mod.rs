//! Header signing and query presigning.
//!
//! [`sign`] and [`presign`] take any [`SignatureAlgorithm`], so an
//! asymmetric signer (IAM Roles Anywhere's X.509 keys, SigV4a) reuses the
//! canonicalisation as it is; [`Signer`] is the HMAC-SHA256 signer with a
//! cached key that most callers want.
//!
//! Output is written into a caller-provided buffer: with a stack buffer,
//! signing performs no heap allocation at all.

use crate::canonical::{self, HeaderSet};
use crate::encode::{self, Sink, SliceSink};
use crate::request::Request;
use crate::settings::{self, SessionTokenMode, SigningSettings};
use crate::sha::PrefixMemo;
use crate::time::AmzDate;

mod algorithm;
mod check;
mod error;
mod output;
mod params;
mod signer;
mod sinks;
pub(crate) mod token;

#[allow(deprecated)]
pub use algorithm::HmacSigner;
pub use algorithm::{HmacAlgorithm, SignatureAlgorithm, StringToSign};
#[cfg(feature = "chunked")]
pub(crate) use check::EMPTY_SHA256;
pub(crate) use check::{check_region_set, check_scope, check_service, payload_hash};
pub use error::SignError;
pub use output::{HeaderSignature, QuerySignature, Trace};
#[allow(deprecated)]
pub use params::Credentials;
pub use params::{CredentialsRef, Scope, SigningInput, SigningParams};
#[cfg(feature = "std")]
pub use signer::SharedSigner;
pub use signer::Signer;
#[cfg(feature = "sigv4a")]
pub(crate) use signer::signer_methods;

use check::check;
pub(crate) use sinks::HashTee;
use sinks::{HashText, HexSink};

/// The HMAC-SHA256 algorithm name of SigV4.
pub const HMAC_SHA256: &str = "AWS4-HMAC-SHA256";
/// The longest raw signature an algorithm may produce: ML-DSA-87's 4,627
/// bytes (RSA-4096 makes 512). Only a bound: signatures stream into the
/// output as hex, nothing is buffered.
pub const MAX_SIGNATURE_LEN: usize = 4627;
/// The longest presigned URL lifetime AWS accepts: 7 days.
pub const MAX_EXPIRES: u64 = 604_800;
/// The payload hash line for an unsigned payload.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

const MAX_NAME: usize = 64;
const MAX_CREDENTIAL_ID: usize = 128;

/// Signs the string to sign and writes the hex signature into `out`.
fn finish<A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    sts: &StringToSign<'_>,
    trace: Option<&mut dyn Sink>,
    out: &mut SliceSink<'_>,
) -> Result<(), SignError> {
    if let Some(t) = trace {
        sts.write(t);
    }
    let mut hex = HexSink { out, raw_len: 0 };
    alg.sign(sts, &mut hex)?;
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
    payload: &'p [u8],
    /// The request's header names are those of the signer's layout
    /// ([`canonical::HeaderLayout::same_names`]).
    names_known: bool,
}

/// What a signer keeps from one signature to the next; nothing for the
/// free functions and `SharedSigner`.
#[derive(Default)]
pub(crate) struct Kept<'k> {
    /// The last presignature's session token, encoded.
    pub(crate) tokens: Option<&'k mut token::EncodedToken>,
    /// The last request's header layout.
    pub(crate) layout: Option<&'k mut canonical::HeaderLayout>,
    /// The last canonical request's first blocks and their hash states.
    pub(crate) memo: Option<&'k mut PrefixMemo>,
}

/// The signer's header layout, if it may serve: only under the default
/// unsigned list (which headers are signed depends on the list).
fn usable_layout<'l>(
    layout: Option<&'l mut canonical::HeaderLayout>,
    settings: &SigningSettings<'_>,
) -> Option<&'l mut canonical::HeaderLayout> {
    layout.filter(|_| settings.uses_default_unsigned())
}

// Inlined into its two callers, as it was by itself before it took the
// layout test in (called, it cost about 40 instructions a signature).
#[inline(always)]
fn start<'p, A: SignatureAlgorithm + ?Sized>(
    alg: &A,
    request: &Request<'p>,
    params: &'p SigningParams<'p>,
    session_token: Option<&str>,
    hash_buf: &'p mut [u8; 64],
    layout: Option<&canonical::HeaderLayout>,
) -> Result<Start<'p>, SignError> {
    // Header names the same as those of the signer's layout passed the
    // checks when it was kept, and are not checked again.
    let names_known = layout.is_some_and(|l| l.same_names(request.headers()));
    check(alg, request, params, session_token, names_known)?;
    let date = params.time.amz_date();
    Ok(Start {
        names_known,
        date,
        scope: Scope {
            date,
            region: if alg.signs_region_set() {
                ""
            } else {
                params.region
            },
            service: params.service,
        },
        payload: payload_hash(request, hash_buf)?,
    })
}

/// What a canonical request is written from. `leading` are query pieces
/// written already that sort before all of `query` (see
/// [`canonical::write_query_after`]); `signed_names` is the signed header
/// list when it was written already (header signing reads it back from
/// the output), otherwise it is written from `headers`.
struct CanonicalParts<'p, I> {
    request: &'p Request<'p>,
    settings: &'p SigningSettings<'p>,
    leading: &'p [&'p [u8]],
    query: I,
    headers: &'p HeaderSet<'p, 'p>,
    signed_names: Option<&'p [u8]>,
    payload: &'p [u8],
}

impl<'p, 'q, I: Iterator<Item = canonical::Param<'q>> + Clone> CanonicalParts<'p, I> {
    /// The canonical request's SHA-256, also written to `trace` if any.
    /// Untraced, it is hashed straight into the block buffer, with no test
    /// for a trace on every piece.
    fn hash(
        self,
        trace: Option<&mut dyn Sink>,
        memo: Option<&mut PrefixMemo>,
    ) -> Result<[u8; 32], SignError> {
        let mut blocks = crate::sha::Blocks::<8, _>::with_memo(memo);
        match trace {
            None => self.write(&mut blocks)?,
            Some(t) => self.write(&mut HashTee::new(&mut blocks, t))?,
        }
        Ok(blocks.finish())
    }

    #[inline(always)]
    fn write<S: Sink>(self, h: &mut S) -> Result<(), SignError> {
        canonical::write_head(h, self.request, self.settings, self.leading, self.query)?;
        self.headers.write_canonical(h);
        h.put(b"\n");
        match self.signed_names {
            Some(names) => h.put(names),
            None => self.headers.write_signed_names(h),
        }
        h.put(b"\n");
        h.put(self.payload);
        Ok(())
    }
}

/// Where the signature goes in the output: behind the first `head_len`
/// bytes already written, after `separator`, followed by what `after`
/// writes.
struct Tail<'a, F> {
    head_len: usize,
    separator: &'a [u8],
    after: F,
}

/// Writes the tail (separator, hex signature, the rest) into `buf`;
/// returns the whole text and where the signature stands in it.
fn sign_into<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    sts: &StringToSign<'_>,
    trace: Option<&mut dyn Sink>,
    buf: &'s mut [u8],
    tail: Tail<'_, impl FnOnce(&mut SliceSink<'_>)>,
) -> Result<(&'s str, core::ops::Range<usize>), SignError> {
    let head_len = tail.head_len;
    let mut out = SliceSink::new(&mut buf[head_len..]);
    out.put(tail.separator);
    let sig_start = head_len + out.len();
    finish(alg, sts, trace, &mut out)?;
    let sig_end = head_len + out.len();
    (tail.after)(&mut out);
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
    input: &SigningInput<'_, 's>,
    buf: &'s mut [u8],
) -> Result<HeaderSignature<'s>, SignError> {
    sign_header(alg, input, buf, None, Kept::default())
}

/// [`sign()`], also writing the canonical request and the string to sign
/// to `trace`.
pub fn sign_traced<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    input: &SigningInput<'_, 's>,
    buf: &'s mut [u8],
    trace: Trace<'_>,
) -> Result<HeaderSignature<'s>, SignError> {
    sign_header(alg, input, buf, Some(trace), Kept::default())
}

pub(crate) fn sign_header<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    input: &SigningInput<'_, 's>,
    buf: &'s mut [u8],
    trace: Option<Trace<'_>>,
    kept: Kept<'_>,
) -> Result<HeaderSignature<'s>, SignError> {
    let SigningInput {
        request,
        params,
        session_token,
    } = *input;
    let Kept { layout, memo, .. } = kept;
    let layout = usable_layout(layout, &params.settings);
    let mut hash_buf = [0u8; 64];
    let Start {
        date,
        scope,
        payload,
        names_known,
    } = start(
        alg,
        request,
        params,
        session_token,
        &mut hash_buf,
        layout.as_deref(),
    )?;
    let settings = &params.settings;
    let signed_token = session_token.filter(|_| settings.session_token == SessionTokenMode::Signed);
    let add_sha =
        settings.content_sha256_header && request.header_lower("x-amz-content-sha256").is_none();
    let region_set = alg.signs_region_set();
    let mut extra: [canonical::Extra<'_>; 5] = [("", b""); 5];
    let mut n_extra = 0;
    // Which of the five are in, a bit each: the key of their names.
    let mut extra_key = 0u8;
    for (bit, (wanted, name, value)) in [
        (
            request.header_lower("host").is_none(),
            "host",
            request.host().as_bytes(),
        ),
        (true, "x-amz-date", date.as_bytes()),
        (region_set, "x-amz-region-set", params.region.as_bytes()),
        (
            signed_token.is_some(),
            "x-amz-security-token",
            signed_token.unwrap_or("").as_bytes(),
        ),
        (add_sha, "x-amz-content-sha256", payload),
    ]
    .into_iter()
    .enumerate()
    {
        if wanted {
            extra[n_extra] = (name, value);
            n_extra += 1;
            extra_key |= 1 << bit;
        }
    }
    let signable = Signable::new(settings);
    let mut headers = HeaderSet::new(request.headers(), &extra[..n_extra]);
    // The signer's layout of the last request's headers serves when the
    // names are the same.
    let kept_names =
        headers.select_through(layout, names_known, extra_key, |n| signable.includes(n));

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
    match kept_names {
        Some(lists) => out.put(lists.plain),
        None => headers.write_signed_names(&mut out),
    }
    if out.overflowed() {
        return Err(too_small(&out, 13 + 64));
    }
    let head_len = out.len();

    let (creq_trace, sts_trace) = split_trace(trace);
    let query = canonical::params(request.query().as_bytes());
    let names = Some(&buf[names_start..head_len]);
    let creq_hash = CanonicalParts {
        request,
        settings,
        leading: &[],
        query,
        headers: &headers,
        signed_names: names,
        payload,
    }
    .hash(creq_trace, memo)?;
    let sts = StringToSign::new(alg.name(), scope, &creq_hash);
    // The region set is copied behind the Authorization value, so the
    // output borrows nothing from `params`.
    let tail = Tail {
        head_len,
        separator: b", Signature=",
        after: |out: &mut SliceSink<'_>| {
            if region_set {
                out.put(params.region.as_bytes());
            }
        },
    };
    let (text, sig) = sign_into(alg, &sts, sts_trace, buf, tail)?;
    let (authorization, region_set) = text.split_at(sig.end);
    Ok(HeaderSignature {
        authorization,
        signature: &text[sig],
        region_set: (!region_set.is_empty()).then_some(region_set),
        date,
        security_token: session_token,
        content_sha256: add_sha.then(|| HashText::new(payload)),
    })
}

/// Decides which request headers are signed: not those in the unsigned
/// list, nor those the signer sets itself. A name is first looked up in a
/// 64-bit filter of the listed names (by length and first and last bytes),
/// which lets most through at once.
struct Signable<'s> {
    settings: &'s SigningSettings<'s>,
    filter: u64,
}

/// The filter bits of the headers the signer sets itself.
const OWN_FILTER: u64 =
    settings::name_filter(b"x-amz-date") | settings::name_filter(b"x-amz-security-token");

impl<'s> Signable<'s> {
    fn new(settings: &'s SigningSettings<'s>) -> Self {
        Self {
            settings,
            filter: settings.unsigned_filter() | OWN_FILTER,
        }
    }

    #[inline]
    fn includes(&self, name: &str) -> bool {
        if self.filter & settings::name_filter(name.as_bytes()) == 0 {
            return true;
        }
        self.not_listed(name)
    }

    /// The slower half of [`Self::includes`], for a name the filter does
    /// not clear: that it is neither in the unsigned list nor one the
    /// signer sets.
    #[inline(never)]
    fn not_listed(&self, name: &str) -> bool {
        !self.settings.is_unsigned(name)
            && !encode::eq_lower(name.as_bytes(), b"x-amz-date")
            && !encode::eq_lower(name.as_bytes(), b"x-amz-security-token")
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
/// encoded). The payload hash comes from the request's [`Payload`](crate::Payload); S3
/// presigned URLs use [`Payload::Unsigned`](crate::Payload::Unsigned). The URL
/// is valid for `expires_secs` (1..=604800).
pub fn presign<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    input: &SigningInput<'_, '_>,
    expires_secs: u64,
    buf: &'s mut [u8],
) -> Result<QuerySignature<'s>, SignError> {
    presign_query(alg, input, expires_secs, buf, None, Kept::default())
}

/// [`presign()`], also writing the canonical request and the string to
/// sign to `trace`.
pub fn presign_traced<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    input: &SigningInput<'_, '_>,
    expires_secs: u64,
    buf: &'s mut [u8],
    trace: Trace<'_>,
) -> Result<QuerySignature<'s>, SignError> {
    presign_query(alg, input, expires_secs, buf, Some(trace), Kept::default())
}

pub(crate) fn presign_query<'s, A: SignatureAlgorithm + ?Sized>(
    alg: &mut A,
    input: &SigningInput<'_, '_>,
    expires_secs: u64,
    buf: &'s mut [u8],
    trace: Option<Trace<'_>>,
    kept: Kept<'_>,
) -> Result<QuerySignature<'s>, SignError> {
    let SigningInput {
        request,
        params,
        session_token,
    } = *input;
    let Kept {
        mut tokens,
        layout,
        memo,
    } = kept;
    let layout = usable_layout(layout, &params.settings);
    let mut hash_buf = [0u8; 64];
    let Start {
        date,
        scope,
        payload,
        names_known,
    } = start(
        alg,
        request,
        params,
        session_token,
        &mut hash_buf,
        layout.as_deref(),
    )?;
    if !(1..=MAX_EXPIRES).contains(&expires_secs) {
        return Err(SignError::InvalidExpires);
    }
    let settings = &params.settings;
    let host = [("host", request.host().as_bytes())];
    let extra = if request.header_lower("host").is_none() {
        &host[..]
    } else {
        &[]
    };
    let signable = Signable::new(settings);
    let mut headers = HeaderSet::new(request.headers(), extra);
    // As in `sign_header`; the only header presigning adds is `host`.
    let kept_names = headers.select_through(layout, names_known, extra.len() as u8, |n| {
        signable.includes(n)
    });

    // The X-Amz-* parameters are written, encoded, into `buf`; the
    // canonical query takes them from there (where each key and value
    // stands is noted as they are written), sorted in among the request's
    // own parameters.
    let mut out = SliceSink::new(&mut *buf);
    let mut own = OwnParams::default();
    own.add(&mut out, b"X-Amz-Algorithm", |out| {
        encode::encode(out, alg.name().as_bytes(), false)
    });
    own.add(&mut out, b"X-Amz-Credential", |out| {
        encode::encode(out, alg.credential_id().as_bytes(), false);
        out.put(b"%2F");
        scope.write_separated(out, b"%2F");
    });
    own.add(&mut out, b"X-Amz-Date", |out| out.put(date.as_bytes()));
    let mut digits = [0u8; 20];
    own.add(&mut out, b"X-Amz-Expires", |out| {
        out.put(decimal(expires_secs, &mut digits))
    });
    if alg.signs_region_set() {
        own.add(&mut out, b"X-Amz-Region-Set", |out| {
            encode::encode(out, params.region.as_bytes(), false)
        });
    }
    own.add(&mut out, b"X-Amz-SignedHeaders", |out| match kept_names {
        Some(lists) => out.put(lists.encoded),
        None => headers.write_signed_names_encoded(out),
    });
    // The token, encoded: by the signer's cache if it has one.
    let mut token_value = |out: &mut SliceSink<'_>, token: &str| match tokens.as_deref_mut() {
        Some(kept) => kept.put(out, token.as_bytes()),
        None => encode::encode(out, token.as_bytes(), false),
    };
    let token_signed = settings.session_token == SessionTokenMode::Signed;
    if let (Some(t), true) = (session_token, token_signed) {
        own.add(&mut out, b"X-Amz-Security-Token", |out| token_value(out, t));
        // It sorts before X-Amz-SignedHeaders, written before it.
        own.swap_last_two();
    }
    if out.overflowed() {
        return Err(too_small(&out, 20 + 64));
    }
    let head_len = out.len();

    let (creq_trace, sts_trace) = split_trace(trace);
    let added = &buf[..head_len];
    let request_query = canonical::params(request.query().as_bytes());
    // The own parameters come first in the canonical query, and most
    // requests' all sort after them: then they are hashed in the few
    // pieces they stand in, and only the request's are sorted. Otherwise
    // they are sorted in among the request's (they come sorted).
    let mut pieces: [&[u8]; 7] = [&[]; 7];
    let (n_pieces, sorted_in) = if request_query.clone().all(|p| sorts_after_own(p.key)) {
        (own.pieces(added, &mut pieces), 0)
    } else {
        (0, own.len)
    };
    let creq_hash = CanonicalParts {
        request,
        settings,
        leading: &pieces[..n_pieces],
        query: own.params(added).take(sorted_in).chain(request_query),
        headers: &headers,
        signed_names: kept_names.map(|lists| lists.plain),
        payload,
    }
    .hash(creq_trace, memo)?;
    let sts = StringToSign::new(alg.name(), scope, &creq_hash);
    let tail = Tail {
        head_len,
        separator: b"&X-Amz-Signature=",
        after: |out: &mut SliceSink<'_>| {
            if let (Some(t), false) = (session_token, token_signed) {
                out.put(b"&X-Amz-Security-Token=");
                token_value(out, t);
            }
        },
    };
    let (text, sig) = sign_into(alg, &sts, sts_trace, buf, tail)?;
    Ok(QuerySignature {
        query: text,
        signature: &text[sig],
    })
}

/// Where the presigning parameters stand in the output: key start, `=`,
/// value end, for each.
#[derive(Default)]
struct OwnParams {
    spans: [(usize, usize, usize); 7],
    len: usize,
}

impl OwnParams {
    /// Writes `&key=` (no `&` first) and the value `value` writes, noting
    /// where they are.
    fn add(&mut self, out: &mut SliceSink<'_>, key: &[u8], value: impl FnOnce(&mut SliceSink<'_>)) {
        if out.len() > 0 {
            out.put(b"&");
        }
        let start = out.len();
        out.put(key);
        let eq = out.len();
        out.put(b"=");
        value(out);
        if let Some(slot) = self.spans.get_mut(self.len) {
            *slot = (start, eq, out.len());
            self.len += 1;
        }
    }

    /// Lists the last two parameters the other way round (the order
    /// [`Self::params`] gives them in, not where they stand).
    fn swap_last_two(&mut self) {
        if self.len >= 2 {
            self.spans.swap(self.len - 2, self.len - 1);
        }
    }

    /// The parameters in sorted order as few pieces of `written` (the
    /// output they were written to): parameters that stand side by side
    /// there, in that order, are one `a=1&b=2` piece. Returns how many
    /// pieces `out` holds.
    fn pieces<'w>(&self, written: &'w [u8], out: &mut [&'w [u8]; 7]) -> usize {
        let mut n = 0;
        let mut current: Option<(usize, usize)> = None;
        for &(start, _, end) in &self.spans[..self.len] {
            current = match current {
                Some((s, e)) if e + 1 == start => Some((s, end)),
                Some((s, e)) => {
                    out[n] = written.get(s..e).unwrap_or_default();
                    n += 1;
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some((s, e)) = current {
            out[n] = written.get(s..e).unwrap_or_default();
            n += 1;
        }
        n
    }

    /// The parameters, canonical already, in `written` (the output they
    /// were written to).
    fn params<'w>(&self, written: &'w [u8]) -> impl Iterator<Item = canonical::Param<'w>> + Clone {
        self.spans[..self.len]
            .iter()
            .map(move |&(start, eq, end)| canonical::Param {
                key: written.get(start..eq).unwrap_or_default(),
                value: written.get(eq + 1..end).unwrap_or_default(),
                known_canonical: true,
            })
    }
}

/// Whether a request's query parameter with the wire key `key` sorts
/// after every `X-Amz-*` parameter presigning adds: its first byte is
/// unreserved (so it stays as it is in the canonical form) and after `X`.
/// Other keys (`%59`, `X-Amz-Foo`, `Xyz`) are sorted in among them.
fn sorts_after_own(key: &[u8]) -> bool {
    key.first()
        .is_some_and(|&b| b > b'X' && encode::is_unreserved(b))
}

/// `v` in decimal, written at the end of `buf` (20 bytes hold any `u64`;
/// a shorter buffer keeps the lowest digits).
pub(crate) fn decimal(mut v: u64, buf: &mut [u8]) -> &[u8] {
    let mut i = buf.len();
    while i > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::settings::DEFAULT_UNSIGNED_HEADERS;

    /// What [`Signable::includes`] decides, without the filter.
    fn included_slowly(settings: &SigningSettings<'_>, name: &str) -> bool {
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        !settings.unsigned_headers.iter().any(|u| eq(u, name))
            && !eq(name, "x-amz-date")
            && !eq(name, "x-amz-security-token")
    }

    /// Every case variant of `name` that flips the case of one letter, and
    /// all upper-case.
    fn case_variants(name: &str) -> impl Iterator<Item = [u8; 64]> + '_ {
        (0..=name.len()).map(move |i| {
            let mut v = [0u8; 64];
            v[..name.len()].copy_from_slice(name.as_bytes());
            match v.get_mut(i).filter(|_| i < name.len()) {
                Some(b) => *b = b.to_ascii_uppercase(),
                None => v[..name.len()].make_ascii_uppercase(),
            }
            v
        })
    }

    #[test]
    fn the_header_filter_lets_through_only_what_the_list_does() {
        let custom: &[&str] = &["x-custom", "a", "", "Accept"];
        let default = SigningSettings::default();
        let copy = DEFAULT_UNSIGNED_HEADERS.to_vec();
        let settings = [
            default,
            SigningSettings {
                unsigned_headers: custom,
                ..default
            },
            SigningSettings {
                // The default list's entries at another address: the
                // filter is computed, not taken from the constant.
                unsigned_headers: &copy,
                ..default
            },
            SigningSettings {
                unsigned_headers: &[],
                ..default
            },
        ];
        let mut names: std::vec::Vec<std::string::String> = [
            "host",
            "accept",
            "content-type",
            "content-md5",
            "date",
            "if-match",
            "x-amz-date",
            "x-amz-security-token",
            "x-amz-content-sha256",
            "x-custom",
            "a",
            "b",
            "",
        ]
        .iter()
        .chain(DEFAULT_UNSIGNED_HEADERS)
        .chain(custom)
        .map(|s| std::string::String::from(*s))
        .collect();
        // Every case variant of every name.
        let variants: std::vec::Vec<_> = names
            .iter()
            .flat_map(|n| {
                case_variants(n)
                    .map(|v| std::string::String::from_utf8(v[..n.len()].to_vec()).unwrap())
            })
            .collect();
        names.extend(variants);
        for s in &settings {
            let signable = Signable::new(s);
            for n in &names {
                assert_eq!(
                    signable.includes(n),
                    included_slowly(s, n),
                    "{n:?} with {:?}",
                    s.unsigned_headers
                );
            }
        }
    }

    #[test]
    fn the_default_lists_filter_is_the_computed_one() {
        let default = SigningSettings::default();
        let computed = DEFAULT_UNSIGNED_HEADERS
            .iter()
            .fold(0, |f, u| f | settings::name_filter(u.as_bytes()));
        assert_eq!(default.unsigned_filter(), computed);
        let list = DEFAULT_UNSIGNED_HEADERS.to_vec();
        let copy = SigningSettings {
            unsigned_headers: &list,
            ..default
        };
        assert_eq!(copy.unsigned_filter(), computed);
    }
}
