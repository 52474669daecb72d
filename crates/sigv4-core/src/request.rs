//! The request to sign or verify, borrowed from the caller.
//!
//! A [`Request`] holds only references: the method, the URL's parts as they
//! go on the wire (already percent-encoded, as curl and `http::Uri` take
//! them), a slice of headers, and how to hash the payload. It is a few
//! words on the stack; building one never allocates. Headers are checked
//! when the request is signed or verified.

use core::fmt;

/// How many headers a request may have to be signed or verified.
pub const MAX_HEADERS: usize = 128;

/// A header: name (any case) and value.
pub type Header<'a> = (&'a str, &'a str);

/// What the payload hash line of the canonical request is made from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// The body itself; it is hashed with SHA-256.
    Bytes(&'a [u8]),
    /// A SHA-256 already computed, as 64 lower-case hex digits.
    Precomputed(&'a str),
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (S3
    /// presigned URLs, streaming uploads over TLS).
    Unsigned,
}

impl fmt::Debug for Payload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Payload::Precomputed(h) => f.debug_tuple("Precomputed").field(h).finish(),
            Payload::Unsigned => f.write_str("Unsigned"),
        }
    }
}

/// `http` or `https`: decides which port is the default one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Port 80 by default.
    Http,
    /// Port 443 by default.
    Https,
}

/// Why a request could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The URL is not `http(s)://host[:port][/path][?query]`.
    #[error("invalid URL: {0}")]
    InvalidUrl(&'static str),
    /// The method is empty or not an HTTP token.
    #[error("invalid method: must be an HTTP token such as GET or POST")]
    InvalidMethod,
    /// A header name is empty or not an HTTP token.
    #[error("invalid header name: must be a non-empty HTTP token")]
    InvalidHeaderName,
    /// A header value holds CR, LF or NUL.
    #[error("invalid header value: must not contain CR, LF or NUL")]
    InvalidHeaderValue,
    /// More than [`MAX_HEADERS`] headers.
    #[error("too many headers: at most {} can be signed", MAX_HEADERS)]
    TooManyHeaders,
}

/// A request to sign or verify.
///
/// # Examples
///
/// ```
/// use sigv4_core::{Payload, Request};
/// let headers = [("Content-Type", "application/json")];
/// let req = Request::new("POST", "https://example.com:443/a%20b?x=1")?
///     .with_headers(&headers)
///     .with_payload(Payload::Bytes(b"{}"));
/// assert_eq!(req.host(), "example.com"); // default port dropped
/// assert_eq!(req.path(), "/a%20b");
/// assert_eq!(req.query(), "x=1");
/// # Ok::<(), sigv4_core::RequestError>(())
/// ```
#[derive(Clone)]
pub struct Request<'a> {
    method: &'a str,
    scheme: Scheme,
    host: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [Header<'a>],
    payload: Payload<'a>,
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers.len())
            .field("payload", &self.payload)
            .finish()
    }
}

/// RFC 9110 `tchar`s, as a lookup table.
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
};

pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().fold(true, |ok, &b| ok & TCHAR[usize::from(b)])
}

/// A token without upper-case letters (a header name as SigV4 signs it):
/// the reference the signed header list check is tested against.
#[cfg(test)]
pub(crate) fn is_lower_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter().fold(true, |ok, &b| {
            ok & TCHAR[usize::from(b)] & !b.is_ascii_uppercase()
        })
}

/// The bytes of a signed header list: lower-case `tchar`s and `;`.
static LOWER_TCHAR_OR_SEMICOLON: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = (TCHAR[i] && !b.is_ascii_uppercase()) || b == b';';
        i += 1;
    }
    t
};

/// Only lower-case `tchar`s and `;` (the bytes of a signed header list;
/// its names are checked for emptiness as it is split).
pub(crate) fn is_lower_token_list(s: &[u8]) -> bool {
    s.iter()
        .fold(true, |ok, &b| ok & LOWER_TCHAR_OR_SEMICOLON[usize::from(b)])
}

fn valid_url_part(s: &str) -> bool {
    crate::encode::all_bytes(s.as_bytes(), crate::encode::is_visible)
}

impl<'a> Request<'a> {
    /// A request for `method` on an absolute `http://` or `https://` URL.
    ///
    /// The URL is taken as already percent-encoded; a fragment is dropped;
    /// the default port (443 for https, 80 for http) is dropped from the host.
    pub fn new(method: &'a str, url: &'a str) -> Result<Self, RequestError> {
        let (scheme, rest) = split_scheme(url)?;
        // One pass, sixteen bytes at a time up to each byte that matters:
        // in the authority `@`, `:` (the last one is noted) and the byte
        // that ends it; in the path and query the byte that ends them; and
        // anywhere a byte that is not visible ASCII.
        let bytes = rest.as_bytes();
        let (mut at_sign, mut invisible, mut colon) = (false, false, None);
        let mut auth_end = 0;
        loop {
            auth_end += crate::encode::span(&bytes[auth_end..], |b| {
                crate::encode::is_visible(b)
                    & (b != b'/')
                    & (b != b'?')
                    & (b != b'#')
                    & (b != b'@')
                    & (b != b':')
            });
            match bytes.get(auth_end) {
                None | Some(b'/' | b'?' | b'#') => break,
                Some(b'@') => at_sign = true,
                Some(b':') => colon = Some(auth_end),
                Some(_) => invisible = true,
            }
            auth_end += 1;
        }
        let after_auth = &bytes[auth_end..];
        let path_len = crate::encode::span(after_auth, |b| {
            crate::encode::is_visible(b) & (b != b'?') & (b != b'#')
        });
        let (path, after_path) = rest[auth_end..].split_at(path_len);
        let query = match after_path.as_bytes().first() {
            Some(b'?') => {
                let q = &after_path[1..];
                let q_len = crate::encode::span(q.as_bytes(), |b| {
                    crate::encode::is_visible(b) & (b != b'#')
                });
                invisible |= q.as_bytes().get(q_len).is_some_and(|&b| b != b'#');
                &q[..q_len]
            }
            Some(b'#') | None => "",
            Some(_) => {
                invisible = true;
                ""
            }
        };
        let authority = &rest[..auth_end];
        let checked = UrlChecks {
            at_sign,
            invisible,
            colon,
        };
        let path = if path.is_empty() { "/" } else { path };
        Self::checked(method, scheme, authority, path, query, checked)
    }

    /// A request from URL parts that were split already (as `http::Uri`
    /// holds them). `authority` is `host[:port]`; `path` starts with `/`.
    pub fn from_parts(
        method: &'a str,
        scheme: Scheme,
        authority: &'a str,
        path: &'a str,
        query: &'a str,
    ) -> Result<Self, RequestError> {
        let checked = UrlChecks {
            at_sign: authority.contains('@'),
            invisible: !valid_url_part(authority)
                || !valid_url_part(path)
                || !valid_url_part(query),
            colon: authority.rfind(':'),
        };
        Self::checked(method, scheme, authority, path, query, checked)
    }

    /// [`Self::from_parts`] once the parts have been scanned.
    fn checked(
        method: &'a str,
        scheme: Scheme,
        authority: &'a str,
        path: &'a str,
        query: &'a str,
        checked: UrlChecks,
    ) -> Result<Self, RequestError> {
        if !is_token(method.as_bytes()) {
            return Err(RequestError::InvalidMethod);
        }
        if authority.is_empty() {
            return Err(RequestError::InvalidUrl("missing host"));
        }
        if checked.at_sign {
            return Err(RequestError::InvalidUrl(
                "user information (user@host) is not supported",
            ));
        }
        if checked.invisible {
            return Err(RequestError::InvalidUrl(
                "must be percent-encoded ASCII: no spaces, control characters or raw non-ASCII (UTF-8) bytes; encode them as %XX",
            ));
        }
        if !path.starts_with('/') {
            return Err(RequestError::InvalidUrl("path must start with '/'"));
        }
        let host = strip_default_port(scheme, authority, checked.colon)?;
        Ok(Self {
            method,
            scheme,
            host,
            path,
            query,
            headers: &[],
            payload: Payload::Bytes(&[]),
        })
    }

    /// Sets the headers (names are matched case-insensitively; a repeated
    /// name keeps every value, in order).
    pub fn with_headers(mut self, headers: &'a [Header<'a>]) -> Self {
        self.headers = headers;
        self
    }

    /// Sets how the payload is hashed (default: an empty body).
    pub fn with_payload(mut self, payload: Payload<'a>) -> Self {
        self.payload = payload;
        self
    }

    /// Checks the headers: at most [`MAX_HEADERS`], names that are HTTP
    /// tokens, values without CR, LF or NUL.
    pub fn validate_headers(&self) -> Result<(), RequestError> {
        self.validate_headers_with::<true>()
    }

    /// [`Self::validate_headers`], checking the names only if `NAMES`: a
    /// signer that saw these very names (the same bytes) pass before
    /// checks only the values.
    #[inline(always)]
    pub(crate) fn validate_headers_with<const NAMES: bool>(&self) -> Result<(), RequestError> {
        if self.headers.len() > MAX_HEADERS {
            return Err(RequestError::TooManyHeaders);
        }
        for (name, value) in self.headers {
            if NAMES && !is_token(name.as_bytes()) {
                return Err(RequestError::InvalidHeaderName);
            }
            if !crate::encode::all_bytes(value.as_bytes(), |b| {
                (b != b'\r') & (b != b'\n') & (b != 0)
            }) {
                return Err(RequestError::InvalidHeaderValue);
            }
        }
        Ok(())
    }

    /// The method, as given.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host as it is signed: `host[:port]`, without a default port.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The path as it goes on the wire.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The query string as it goes on the wire, without `?`.
    pub fn query(&self) -> &'a str {
        self.query
    }

    /// The headers.
    pub fn headers(&self) -> &'a [Header<'a>] {
        self.headers
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| crate::encode::eq_ignore_case(n.as_bytes(), name.as_bytes()))
            .map(|(_, v)| *v)
    }

    /// [`Self::header_value`] for a name the crate spells in lower case,
    /// which is then not lower-cased again on every comparison.
    #[inline]
    pub(crate) fn header_lower(&self, name_lower: &str) -> Option<&'a str> {
        debug_assert!(!name_lower.bytes().any(|b| b.is_ascii_uppercase()));
        self.headers
            .iter()
            .find(|(n, _)| crate::encode::eq_lower(n.as_bytes(), name_lower.as_bytes()))
            .map(|(_, v)| *v)
    }

    /// How the payload is hashed.
    pub fn payload(&self) -> Payload<'a> {
        self.payload
    }
}

/// The scheme of an absolute URL, and the rest after `://`.
fn split_scheme(url: &str) -> Result<(Scheme, &str), RequestError> {
    if let Some(r) = strip_prefix_ci(url, "https://") {
        Ok((Scheme::Https, r))
    } else if let Some(r) = strip_prefix_ci(url, "http://") {
        Ok((Scheme::Http, r))
    } else {
        Err(RequestError::InvalidUrl(
            "must start with http:// or https://",
        ))
    }
}

fn strip_prefix_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// What scanning a URL's parts found.
struct UrlChecks {
    /// The authority holds an `@`.
    at_sign: bool,
    /// A part holds a byte that is not visible ASCII.
    invisible: bool,
    /// Where the authority's last `:` is.
    colon: Option<usize>,
}

/// The host without the scheme's default port; `colon` is where the
/// authority's last `:` is.
fn strip_default_port(
    scheme: Scheme,
    authority: &str,
    colon: Option<usize>,
) -> Result<&str, RequestError> {
    // IPv6 literals keep their colons inside brackets.
    let port_sep = if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or(RequestError::InvalidUrl("unclosed '[' in host"))?;
        match &authority[close + 1..] {
            "" => None,
            p if p.starts_with(':') => Some(close + 1),
            _ => return Err(RequestError::InvalidUrl("junk after IPv6 host")),
        }
    } else {
        colon
    };
    let Some(sep) = port_sep else {
        return Ok(authority);
    };
    let (host, port) = (&authority[..sep], &authority[sep + 1..]);
    if host.is_empty() {
        return Err(RequestError::InvalidUrl("missing host"));
    }
    if port.is_empty() {
        return Ok(host);
    }
    if port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RequestError::InvalidUrl("port must be a number"));
    }
    let default = match scheme {
        Scheme::Https => "443",
        Scheme::Http => "80",
    };
    if port.trim_start_matches('0') == default {
        Ok(host)
    } else {
        Ok(authority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The old way of splitting a URL (find `#`, then the authority's end,
    /// then `?`) and `from_parts`'s separate checks: the reference for the
    /// one-pass scan.
    fn split_then_check<'a>(method: &'a str, url: &'a str) -> Result<Request<'a>, RequestError> {
        let (scheme, rest) = split_scheme(url)?;
        let rest = rest.find('#').map_or(rest, |end| &rest[..end]);
        let auth_end = rest
            .bytes()
            .position(|b| b == b'/' || b == b'?')
            .unwrap_or(rest.len());
        let (authority, path_query) = rest.split_at(auth_end);
        let (path, query) = match path_query.find('?') {
            Some(q) => (&path_query[..q], &path_query[q + 1..]),
            None => (path_query, ""),
        };
        let path = if path.is_empty() { "/" } else { path };
        Request::from_parts(method, scheme, authority, path, query)
    }

    /// Every URL built from awkward pieces (each separator, `@`, `:`,
    /// brackets, ports, a space, a control byte, non-ASCII, in each
    /// position and around the 16-byte chunk boundaries) splits and fails
    /// as the reference does.
    #[test]
    fn one_pass_scan_agrees_with_splitting() {
        extern crate alloc;
        use alloc::format;
        let hosts = [
            "h",
            "",
            "example.com",
            "a@b",
            "h:443",
            "h:0443",
            "h:80",
            "h:",
            ":443",
            "[::1]",
            "[::1]:443",
            "[::1",
            "[::1]x",
            "a:b:443",
            "h::80",
            "h:99999",
            "h:8a",
            "h\u{e9}",
            "h x",
            "a.b.c.d.e.f.g.h.i.j.k",
        ];
        let paths = [
            "",
            "/",
            "/a",
            "/a b",
            "/a\tb",
            "/\u{e9}",
            "/0123456789abcdef",
            "/0123456789abcde#x",
            "/0123456789abcd?q",
            "/a@b:c",
            "//",
            "/%20",
            "/a#b?c",
            "/a?b#c",
            "?",
            "#",
            "/a\u{7f}",
        ];
        let queries = [
            "",
            "?",
            "?a=b",
            "?a=b#f",
            "?a b",
            "?a=b&c=d/e?f",
            "?0123456789abcdef0",
            "?\u{1}",
            "#?x",
        ];
        for scheme in ["https://", "http://", "HTTP://", "ftp://"] {
            for host in hosts {
                for path in paths {
                    for query in queries {
                        let url = format!("{scheme}{host}{path}{query}");
                        for method in ["GET", "G T"] {
                            let (a, b) =
                                (Request::new(method, &url), split_then_check(method, &url));
                            match (a, b) {
                                (Ok(a), Ok(b)) => assert_eq!(
                                    (a.scheme(), a.host(), a.path(), a.query()),
                                    (b.scheme(), b.host(), b.path(), b.query()),
                                    "{url:?}"
                                ),
                                (a, b) => assert_eq!(a.err(), b.err(), "{url:?}"),
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn splits_urls() {
        let r = Request::new("GET", "http://h:80/p/q?a=b#frag").unwrap();
        assert_eq!((r.host(), r.path(), r.query()), ("h", "/p/q", "a=b"));
        let r = Request::new("GET", "https://h:8443?x").unwrap();
        assert_eq!((r.host(), r.path(), r.query()), ("h:8443", "/", "x"));
        let r = Request::new("GET", "https://[::1]:443/").unwrap();
        assert_eq!(r.host(), "[::1]");
        let r = Request::new("GET", "HTTPS://[::1]:9200/").unwrap();
        assert_eq!(r.host(), "[::1]:9200");
    }

    #[test]
    fn rejects_bad_urls() {
        for u in [
            "ftp://h/",
            "https://",
            "https:///p",
            "https://u@h/",
            "https://h/a b",
            "https://h:x/",
            "https://[::1/",
            "https://h:123456/",
        ] {
            assert!(
                matches!(Request::new("GET", u), Err(RequestError::InvalidUrl(_))),
                "{u}"
            );
        }
        assert_eq!(
            Request::new("G T", "https://h/").err(),
            Some(RequestError::InvalidMethod)
        );
    }

    #[test]
    fn validates_headers() {
        let r = Request::new("GET", "https://h/").unwrap();
        let bad_name = [("a b", "v")];
        assert_eq!(
            r.clone().with_headers(&bad_name).validate_headers(),
            Err(RequestError::InvalidHeaderName)
        );
        let bad_value = [("a", "v\r\nx: y")];
        assert_eq!(
            r.clone().with_headers(&bad_value).validate_headers(),
            Err(RequestError::InvalidHeaderValue)
        );
        let many = [("x", "1"); MAX_HEADERS + 1];
        assert!(
            r.clone()
                .with_headers(&many[..MAX_HEADERS])
                .validate_headers()
                .is_ok()
        );
        assert_eq!(
            r.with_headers(&many).validate_headers(),
            Err(RequestError::TooManyHeaders)
        );
    }
}
