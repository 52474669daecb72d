//! Owned outputs, for callers with an allocator.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::request::Request;
use crate::sign::{Credentials, SignError, Signer, SigningParams, Trace};

/// The canonical request and string to sign of one signature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traced {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

/// What signing adds to a request, owned.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// Headers to set (header signing), in sending order; empty when
    /// presigned.
    pub headers: Vec<(&'static str, String)>,
    /// Parameters to append to the query (presigning); empty otherwise.
    pub query: String,
    /// The signature, as lower-case hex.
    pub signature: String,
}

impl core::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("SignedRequest")
            .field("headers", &names)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// Runs `f` with a growing buffer until the output fits.
fn with_buffer<T>(mut f: impl FnMut(&mut [u8]) -> Result<T, SignError>) -> Result<T, SignError> {
    let mut size = 1024;
    loop {
        let mut buf = vec![0u8; size];
        match f(&mut buf) {
            Err(SignError::BufferTooSmall { needed }) if needed > size => size = needed,
            other => return other,
        }
    }
}

fn lossy(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Runs `f` with trace sinks when `trace`, and collects what they got.
fn traced<T>(
    trace: bool,
    f: impl FnOnce(Option<Trace<'_>>) -> Result<T, SignError>,
) -> Result<(T, Option<Traced>), SignError> {
    let (mut creq, mut sts) = (Vec::new(), Vec::new());
    let t = trace.then_some(Trace {
        canonical_request: &mut creq,
        string_to_sign: &mut sts,
    });
    let out = f(t)?;
    let traced = trace.then(|| Traced {
        canonical_request: lossy(creq),
        string_to_sign: lossy(sts),
    });
    Ok((out, traced))
}

impl Signer {
    /// Signs in the `Authorization` header, returning owned headers and
    /// (when `trace`) the canonical request and string to sign.
    pub fn sign_owned(
        &mut self,
        request: &Request<'_>,
        credentials: &Credentials<'_>,
        params: &SigningParams<'_>,
        trace: bool,
    ) -> Result<(SignedRequest, Option<Traced>), SignError> {
        with_buffer(|buf| {
            traced(trace, |t| {
                let out = self.sign_traced(request, credentials, params, buf, t)?;
                Ok(SignedRequest {
                    headers: out.headers().map(|(n, v)| (n, String::from(v))).collect(),
                    query: String::new(),
                    signature: String::from(out.signature()),
                })
            })
        })
    }

    /// Presigns, returning the owned query parameters to append and (when
    /// `trace`) the canonical request and string to sign.
    pub fn presign_owned(
        &mut self,
        request: &Request<'_>,
        credentials: &Credentials<'_>,
        params: &SigningParams<'_>,
        expires_secs: u64,
        trace: bool,
    ) -> Result<(SignedRequest, Option<Traced>), SignError> {
        with_buffer(|buf| {
            traced(trace, |t| {
                let out =
                    self.presign_traced(request, credentials, params, expires_secs, buf, t)?;
                Ok(SignedRequest {
                    headers: Vec::new(),
                    query: String::from(out.query()),
                    signature: String::from(out.signature()),
                })
            })
        })
    }
}
