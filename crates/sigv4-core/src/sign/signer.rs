//! [`Signer`]: the HMAC-SHA256 signer with a cached signing key.

use crate::key::KeyCache;
use crate::request::Request;

use super::{
    CredentialsRef, HeaderSignature, HmacAlgorithm, QuerySignature, SignError, SigningInput,
    SigningParams, Trace,
};

/// The HMAC-SHA256 SigV4 signer, with a cached signing key.
///
/// Keep one per thread (or per task) and reuse it: after the first request
/// of a day, signing costs one SHA-256 over the canonical request and one
/// HMAC over the string to sign.
///
/// # Examples
///
/// ```
/// use sigv4_core::{CredentialsRef, Request, Signer, SigningParams};
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let req = Request::new("GET", "https://example.amazonaws.com/")?;
/// let params = SigningParams::new("us-east-1", "service", "20150830T123600Z".parse()?);
/// let mut signer = Signer::new();
/// let mut buf = [0u8; 512];
/// let out = signer.sign(&req, &creds, &params, &mut buf)?;
/// assert_eq!(
///     out.signature(),
///     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Signer {
    cache: KeyCache,
}

impl Signer {
    /// A signer with an empty key cache.
    pub const fn new() -> Self {
        Self {
            cache: KeyCache::new(),
        }
    }

    /// Signs in the `Authorization` header; see [`sign`](crate::sign()).
    pub fn sign<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &CredentialsRef<'s>,
        params: &SigningParams<'_>,
        buf: &'s mut [u8],
    ) -> Result<HeaderSignature<'s>, SignError> {
        self.sign_traced(request, credentials, params, buf, None)
    }

    /// [`Signer::sign`], also writing the canonical request and the string
    /// to sign to `trace`.
    pub fn sign_traced<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &CredentialsRef<'s>,
        params: &SigningParams<'_>,
        buf: &'s mut [u8],
        trace: Option<Trace<'_>>,
    ) -> Result<HeaderSignature<'s>, SignError> {
        let mut alg = HmacAlgorithm::new(credentials, &mut self.cache);
        let mut input = SigningInput::new(request, params);
        input.session_token = credentials.session_token;
        super::sign_header(&mut alg, &input, buf, trace)
    }

    /// Presigns in the query string; see [`presign`](crate::presign()).
    pub fn presign<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &CredentialsRef<'_>,
        params: &SigningParams<'_>,
        expires_secs: u64,
        buf: &'s mut [u8],
    ) -> Result<QuerySignature<'s>, SignError> {
        self.presign_traced(request, credentials, params, expires_secs, buf, None)
    }

    /// [`Signer::presign`], also writing the canonical request and the
    /// string to sign to `trace`.
    pub fn presign_traced<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &CredentialsRef<'_>,
        params: &SigningParams<'_>,
        expires_secs: u64,
        buf: &'s mut [u8],
        trace: Option<Trace<'_>>,
    ) -> Result<QuerySignature<'s>, SignError> {
        let mut alg = HmacAlgorithm::new(credentials, &mut self.cache);
        let mut input = SigningInput::new(request, params);
        input.session_token = credentials.session_token;
        super::presign_query(&mut alg, &input, expires_secs, buf, trace)
    }
}
