//! Signing and verifying `http::Request<B>` in place.
//!
//! The request's URI must be absolute (`https://host/path`) or carry a
//! `Host` header; the caller says how the body is hashed, since `B` may be a
//! stream.

use alloc::format;
use alloc::vec::Vec;

use http::header::{HeaderName, HeaderValue};

use crate::owned::{append_query, with_scratch};
use crate::request::{Header, MAX_HEADERS, Payload, Request, RequestError, Scheme};
use crate::sign::{CredentialsRef, SignError, Signer, SigningParams};
use crate::time::Timestamp;
use crate::verify::{Verified, Verifier, VerifyError};

/// Why an `http::Request` could not be signed or verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The request cannot be signed as it is.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Verification failed.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A signed value could not be put in a header or the URI.
    #[error("the signed request could not be rebuilt: {0}")]
    Rebuild(&'static str),
}

/// The request's headers as text; a value that is not visible ASCII or
/// UTF-8 is refused.
fn header_list<B>(req: &http::Request<B>) -> Result<Vec<Header<'_>>, HttpError> {
    if req.headers().len() > MAX_HEADERS {
        return Err(RequestError::TooManyHeaders.into());
    }
    req.headers()
        .iter()
        .map(|(n, v)| {
            let v =
                core::str::from_utf8(v.as_bytes()).map_err(|_| RequestError::InvalidHeaderValue)?;
            Ok((n.as_str(), v))
        })
        .collect()
}

fn view<'a, B>(
    req: &'a http::Request<B>,
    headers: &'a [Header<'a>],
    payload: Payload<'a>,
) -> Result<Request<'a>, HttpError> {
    let uri = req.uri();
    let scheme = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
        _ => Scheme::Https,
    };
    let authority = match uri.authority() {
        Some(a) => a.as_str(),
        None => req
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .ok_or(RequestError::InvalidUrl(
                "no authority in the URI and no Host header",
            ))?,
    };
    let path = if uri.path().is_empty() {
        "/"
    } else {
        uri.path()
    };
    let r = Request::from_parts(
        req.method().as_str(),
        scheme,
        authority,
        path,
        uri.query().unwrap_or(""),
    )?;
    Ok(r.with_headers(headers).with_payload(payload))
}

/// Signs `req` in place: sets `X-Amz-Date`, `X-Amz-Security-Token` and
/// `X-Amz-Content-Sha256` as needed, and `Authorization`.
///
/// # Examples
///
/// ```
/// use sigv4_core::{CredentialsRef, Payload, Signer, SigningParams};
/// let mut req = http::Request::post("https://example.amazonaws.com/").body(b"hi".to_vec())?;
/// let body = req.body().clone();
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "secret");
/// let params = SigningParams::new("us-east-1", "service", "20150830T123600Z".parse()?);
/// sigv4_core::http_sign::sign(&mut Signer::new(), &mut req, Payload::Bytes(&body), &creds, &params)?;
/// assert!(req.headers()["authorization"].to_str()?.starts_with("AWS4-HMAC-SHA256 "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign<B>(
    signer: &mut Signer,
    req: &mut http::Request<B>,
    payload: Payload<'_>,
    credentials: &CredentialsRef<'_>,
    params: &SigningParams<'_>,
) -> Result<(), HttpError> {
    let add: [(HeaderName, Option<HeaderValue>); 4] = {
        let headers = header_list(req)?;
        let view = view(req, &headers, payload)?;
        let hv = |s: &str| HeaderValue::from_str(s).map_err(|_| HttpError::Rebuild("header value"));
        with_scratch(|buf| {
            signer.sign(&view, credentials, params, buf).map(|out| {
                Ok::<_, HttpError>([
                    (
                        HeaderName::from_static("x-amz-date"),
                        Some(hv(out.date().as_str())?),
                    ),
                    (
                        HeaderName::from_static("x-amz-security-token"),
                        out.security_token().map(hv).transpose()?,
                    ),
                    (
                        HeaderName::from_static("x-amz-content-sha256"),
                        out.content_sha256().map(hv).transpose()?,
                    ),
                    (http::header::AUTHORIZATION, Some(hv(out.authorization())?)),
                ])
            })
        })??
    };
    for (name, value) in add {
        if let Some(mut v) = value {
            if name == http::header::AUTHORIZATION || name == "x-amz-security-token" {
                v.set_sensitive(true);
            }
            req.headers_mut().insert(name, v);
        }
    }
    Ok(())
}

/// Presigns `req` in place: appends the `X-Amz-*` parameters to its URI.
pub fn presign<B>(
    signer: &mut Signer,
    req: &mut http::Request<B>,
    payload: Payload<'_>,
    credentials: &CredentialsRef<'_>,
    params: &SigningParams<'_>,
    expires_secs: u64,
) -> Result<(), HttpError> {
    let uri = {
        let headers = header_list(req)?;
        let view = view(req, &headers, payload)?;
        let signed = signer.presign_owned(&view, credentials, params, expires_secs)?;
        let pq = if view.query().is_empty() {
            append_query(view.path(), &signed.query)
        } else {
            append_query(&format!("{}?{}", view.path(), view.query()), &signed.query)
        };
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = Some(pq.parse().map_err(|_| HttpError::Rebuild("query"))?);
        http::Uri::from_parts(parts).map_err(|_| HttpError::Rebuild("URI"))?
    };
    *req.uri_mut() = uri;
    Ok(())
}

/// Verifies a received `req` at `now`; see [`Verifier::verify`].
pub fn verify<B, K: AsRef<[u8]>>(
    verifier: &mut Verifier<'_>,
    req: &http::Request<B>,
    payload: Payload<'_>,
    now: Timestamp,
    lookup: impl FnOnce(&str) -> Option<K>,
) -> Result<Verified, HttpError> {
    let headers = header_list(req)?;
    let view = view(req, &headers, payload)?;
    Ok(verifier.verify(&view, now, lookup)?)
}
