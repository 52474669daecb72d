//! Owned outputs, for callers with an allocator.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::request::Request;
use crate::sign::{CredentialsRef, SignError, Signer, SigningParams, Trace};

/// The canonical request and string to sign of one signature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traced {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

/// The headers header signing adds to a request, owned.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// Headers to set, in sending order (`X-Amz-Date`, maybe
    /// `X-Amz-Security-Token` and `X-Amz-Content-Sha256`, then
    /// `Authorization`).
    pub headers: Vec<(&'static str, String)>,
    /// The signature, as lower-case hex.
    pub signature: String,
}

impl core::fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("SignedHeaders")
            .field("headers", &names)
            .field("signature", &self.signature)
            .finish()
    }
}

/// The query parameters presigning adds to a URL, owned.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedQuery {
    /// The `X-Amz-*` parameters to append to the query (`&`-joined,
    /// encoded; see [`append_query`]).
    pub query: String,
    /// The signature, as lower-case hex.
    pub signature: String,
}

impl core::fmt::Debug for SignedQuery {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignedQuery")
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// The stack scratch space of [`with_scratch`]: enough for the output of
/// any ordinary request.
pub const SCRATCH_BYTES: usize = 2048;

/// Runs `f` with scratch space for a signature's output: [`SCRATCH_BYTES`]
/// on the stack, or — when `f` answers [`SignError::BufferTooSmall`] — once
/// more with a heap buffer of the size asked for. `f` copies out what it
/// needs (its result cannot borrow the scratch space).
///
/// ```
/// use sigv4_core::{CredentialsRef, Request, Signer, SigningParams, with_scratch};
/// let req = Request::new("GET", "https://example.amazonaws.com/")?;
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "secret");
/// let params = SigningParams::new("us-east-1", "service", "20150830T123600Z".parse()?);
/// let mut signer = Signer::new();
/// let auth = with_scratch(|buf| {
///     signer.sign(&req, &creds, &params, buf).map(|s| s.authorization().to_string())
/// })?;
/// assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn with_scratch<T>(
    mut f: impl FnMut(&mut [u8]) -> Result<T, SignError>,
) -> Result<T, SignError> {
    let mut stack = [0u8; SCRATCH_BYTES];
    match f(&mut stack) {
        Err(SignError::BufferTooSmall { needed }) if needed > SCRATCH_BYTES => {
            let mut heap = vec![0u8; needed];
            f(&mut heap)
        }
        other => other,
    }
}

/// Appends presigning parameters (`X-Amz-…=…&…`) to the query of `url` —
/// an absolute URL or a path with its query — keeping any fragment last.
///
/// ```
/// use sigv4_core::append_query;
/// assert_eq!(append_query("https://h/p", "X-Amz-A=1"), "https://h/p?X-Amz-A=1");
/// assert_eq!(append_query("/p?a=b#top", "X-Amz-A=1"), "/p?a=b&X-Amz-A=1#top");
/// assert_eq!(append_query("/p?", "X-Amz-A=1"), "/p?X-Amz-A=1");
/// ```
pub fn append_query(url: &str, params: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let sep = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut out = String::with_capacity(url.len() + params.len() + 2);
    out.push_str(base);
    out.push_str(sep);
    out.push_str(params);
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn lossy(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Runs `f` with trace sinks, and collects what they got.
fn traced<T>(f: impl FnOnce(Trace<'_>) -> Result<T, SignError>) -> Result<(T, Traced), SignError> {
    let (mut creq, mut sts) = (Vec::new(), Vec::new());
    let out = f(Trace {
        canonical_request: &mut creq,
        string_to_sign: &mut sts,
    })?;
    let traced = Traced {
        canonical_request: lossy(creq),
        string_to_sign: lossy(sts),
    };
    Ok((out, traced))
}

fn owned_headers(out: &crate::HeaderSignature<'_>) -> SignedHeaders {
    SignedHeaders {
        headers: out.headers().map(|(n, v)| (n, String::from(v))).collect(),
        signature: String::from(out.signature()),
    }
}

fn owned_query(out: &crate::QuerySignature<'_>) -> SignedQuery {
    SignedQuery {
        query: String::from(out.query()),
        signature: String::from(out.signature()),
    }
}

/// Owned outputs, for callers with an allocator: no buffer to size.
macro_rules! owned_outputs {
    ($signer:ty) => {
        impl $signer {
            /// Signs in the `Authorization` header; returns the headers to add.
            pub fn sign_owned(
                &mut self,
                request: &Request<'_>,
                credentials: &CredentialsRef<'_>,
                params: &SigningParams<'_>,
            ) -> Result<SignedHeaders, SignError> {
                with_scratch(|buf| {
                    self.sign(request, credentials, params, buf)
                        .map(|out| owned_headers(&out))
                })
            }

            /// [`sign_owned`](Self::sign_owned), with the canonical request and
            /// the string to sign.
            pub fn sign_owned_traced(
                &mut self,
                request: &Request<'_>,
                credentials: &CredentialsRef<'_>,
                params: &SigningParams<'_>,
            ) -> Result<(SignedHeaders, Traced), SignError> {
                with_scratch(|buf| {
                    traced(|t| {
                        self.sign_traced(request, credentials, params, buf, Some(t))
                            .map(|out| owned_headers(&out))
                    })
                })
            }

            /// Presigns; returns the query parameters to append.
            pub fn presign_owned(
                &mut self,
                request: &Request<'_>,
                credentials: &CredentialsRef<'_>,
                params: &SigningParams<'_>,
                expires_secs: u64,
            ) -> Result<SignedQuery, SignError> {
                with_scratch(|buf| {
                    self.presign(request, credentials, params, expires_secs, buf)
                        .map(|out| owned_query(&out))
                })
            }

            /// [`presign_owned`](Self::presign_owned), with the canonical request
            /// and the string to sign.
            pub fn presign_owned_traced(
                &mut self,
                request: &Request<'_>,
                credentials: &CredentialsRef<'_>,
                params: &SigningParams<'_>,
                expires_secs: u64,
            ) -> Result<(SignedQuery, Traced), SignError> {
                with_scratch(|buf| {
                    traced(|t| {
                        self.presign_traced(
                            request,
                            credentials,
                            params,
                            expires_secs,
                            buf,
                            Some(t),
                        )
                        .map(|out| owned_query(&out))
                    })
                })
            }
        }
    };
}

owned_outputs!(Signer);
#[cfg(feature = "sigv4a")]
owned_outputs!(crate::SigV4aSigner);
