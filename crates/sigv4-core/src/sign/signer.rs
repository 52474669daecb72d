//! [`Signer`]: the HMAC-SHA256 signer with a cached signing key.

use crate::key::KeyCache;
#[cfg(feature = "std")]
use crate::{
    Request,
    key::SharedKeyCache,
    sign::{
        CredentialsRef, HeaderSignature, QuerySignature, SignError, SigningInput, SigningParams,
    },
};

use super::HmacAlgorithm;

/// The four signing methods of a signer that keeps its key cache in
/// `self.cache`, for the algorithm `$alg` (made with
/// `$alg::new(credentials, &mut self.cache)`).
macro_rules! signer_methods {
    ($alg:ident) => {
        /// Signs in the `Authorization` header; see [`sign`](crate::sign()).
        pub fn sign<'s>(
            &mut self,
            request: &$crate::Request<'_>,
            credentials: &$crate::CredentialsRef<'s>,
            params: &$crate::SigningParams<'_>,
            buf: &'s mut [u8],
        ) -> Result<$crate::HeaderSignature<'s>, $crate::SignError> {
            self.sign_traced(request, credentials, params, buf, None)
        }

        /// [`sign`](Self::sign), also writing the canonical request and
        /// the string to sign to `trace`.
        pub fn sign_traced<'s>(
            &mut self,
            request: &$crate::Request<'_>,
            credentials: &$crate::CredentialsRef<'s>,
            params: &$crate::SigningParams<'_>,
            buf: &'s mut [u8],
            trace: Option<$crate::Trace<'_>>,
        ) -> Result<$crate::HeaderSignature<'s>, $crate::SignError> {
            let mut alg = $alg::new(credentials, &mut self.cache);
            let mut input = $crate::SigningInput::new(request, params);
            input.session_token = credentials.session_token;
            let kept = $crate::sign::Kept {
                tokens: None,
                layout: Some(&mut self.layout),
                memo: Some(&mut self.memo),
            };
            $crate::sign::sign_header(&mut alg, &input, buf, trace, kept)
        }

        /// Presigns in the query string; see [`presign`](crate::presign()).
        pub fn presign<'s>(
            &mut self,
            request: &$crate::Request<'_>,
            credentials: &$crate::CredentialsRef<'_>,
            params: &$crate::SigningParams<'_>,
            expires_secs: u64,
            buf: &'s mut [u8],
        ) -> Result<$crate::QuerySignature<'s>, $crate::SignError> {
            self.presign_traced(request, credentials, params, expires_secs, buf, None)
        }

        /// [`presign`](Self::presign), also writing the canonical request
        /// and the string to sign to `trace`.
        pub fn presign_traced<'s>(
            &mut self,
            request: &$crate::Request<'_>,
            credentials: &$crate::CredentialsRef<'_>,
            params: &$crate::SigningParams<'_>,
            expires_secs: u64,
            buf: &'s mut [u8],
            trace: Option<$crate::Trace<'_>>,
        ) -> Result<$crate::QuerySignature<'s>, $crate::SignError> {
            let mut alg = $alg::new(credentials, &mut self.cache);
            let mut input = $crate::SigningInput::new(request, params);
            input.session_token = credentials.session_token;
            let kept = $crate::sign::Kept {
                tokens: Some(&mut self.tokens),
                layout: Some(&mut self.presign_layout),
                memo: Some(&mut self.memo),
            };
            $crate::sign::presign_query(&mut alg, &input, expires_secs, buf, trace, kept)
        }
    };
}
#[cfg_attr(not(feature = "sigv4a"), allow(unused_imports))]
pub(crate) use signer_methods;

/// The HMAC-SHA256 SigV4 signer, with a cached signing key.
///
/// Keep one per thread (or per task) and reuse it: after the first request
/// of a day, signing costs one SHA-256 over the canonical request and one
/// HMAC over the string to sign.
///
/// With the `alloc` feature it also keeps the last session token it
/// presigned with, percent-encoded, so presigning again with the same
/// temporary credentials copies the token into the URL instead of encoding
/// it (about 7 % of a presignature with a 100-byte token). The token and
/// its encoding are zeroised when a new token replaces them and when the
/// signer is dropped; `Debug` shows neither.
///
/// It also keeps the header layout of the last request it signed and of
/// the last it presigned: the header names, the order they sort to and
/// the signed header list. A request with the same header names, byte
/// for byte and in the same order (as a client's requests nearly always
/// have), takes them from there instead of filtering, sorting, checking
/// and lower-casing its header names again (about a tenth of a
/// signature); any other request is sorted and replaces the layout.
/// Header values are checked every time. Layouts are kept only under the
/// default unsigned header list, for up to 24 headers and 192 bytes of
/// names.
///
/// And it keeps the first whole 64-byte blocks of the last canonical
/// request it hashed (up to 16, the first 1,024 bytes) with the SHA-256
/// state after each. A request whose canonical request begins with the
/// same blocks — the same method, path and query, the same headers up to
/// the first that differs, in the same second — takes their states from
/// there instead of hashing them again: for a client's requests to one
/// path that differ only in the body, that is most of the canonical
/// request, whose hashing is about half of a signature (the session
/// token alone is several blocks). Blocks are compared whole, every byte;
/// from the first that differs on, the request's own replace them. The
/// blocks hold header values and the session token: they are zeroised
/// when the signer is dropped, and `Debug` shows only how many there
/// are. Whether a block was reused shows in the time a signature takes,
/// so sign requests for parties that must not learn about each other's
/// requests with separate signers (or a `SharedSigner`, which keeps
/// none of this).
///
/// The layouts and the blocks make a `Signer` about 3.5 KB.
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
    tokens: crate::sign::token::EncodedToken,
    layout: crate::canonical::HeaderLayout,
    presign_layout: crate::canonical::HeaderLayout,
    memo: crate::sha::PrefixMemo,
}

impl Signer {
    /// A signer with an empty key cache.
    pub const fn new() -> Self {
        Self {
            cache: KeyCache::new(),
            tokens: crate::sign::token::EncodedToken::new(),
            layout: crate::canonical::HeaderLayout::new(),
            presign_layout: crate::canonical::HeaderLayout::new(),
            memo: crate::sha::PrefixMemo::new(),
        }
    }

    signer_methods!(HmacAlgorithm);
}

/// The HMAC-SHA256 SigV4 signer for many threads at once: [`Signer`] with
/// `&self` methods, its key cache a [`SharedKeyCache`] that is read
/// without a lock.
///
/// Share one (in an `Arc` or a `static`) between threads or tasks; signing
/// with a cached key writes no shared memory, so threads do not slow each
/// other down. A [`Signer`] per thread is as fast but derives the key once
/// per thread. It does not keep a presignature's encoded session token,
/// the last request's header layout or the last canonical request's
/// blocks as [`Signer`] does: for signing in a tight loop, a [`Signer`]
/// per thread is faster.
///
/// # Examples
///
/// ```
/// use sigv4_core::{CredentialsRef, Request, SharedSigner, SigningParams};
/// static SIGNER: SharedSigner = SharedSigner::new();
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let params = SigningParams::new("us-east-1", "service", "20150830T123600Z".parse()?);
/// let threads: Vec<_> = (0..2)
///     .map(|_| {
///         std::thread::spawn(move || {
///             let req = Request::new("GET", "https://example.amazonaws.com/").unwrap();
///             let mut buf = [0u8; 512];
///             let out = SIGNER.sign(&req, &creds, &params, &mut buf).unwrap();
///             out.signature().to_string()
///         })
///     })
///     .collect();
/// for t in threads {
///     assert_eq!(
///         t.join().unwrap(),
///         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
///     );
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct SharedSigner {
    cache: SharedKeyCache,
}

#[cfg(feature = "std")]
impl SharedSigner {
    /// A signer with an empty key cache.
    pub const fn new() -> Self {
        Self {
            cache: SharedKeyCache::new(),
        }
    }

    /// Signs in the `Authorization` header; see [`Signer::sign`].
    pub fn sign<'s>(
        &self,
        request: &Request<'_>,
        credentials: &CredentialsRef<'s>,
        params: &SigningParams<'_>,
        buf: &'s mut [u8],
    ) -> Result<HeaderSignature<'s>, SignError> {
        let mut alg = HmacAlgorithm::shared(credentials, &self.cache);
        let mut input = SigningInput::new(request, params);
        input.session_token = credentials.session_token;
        super::sign_header(&mut alg, &input, buf, None, super::Kept::default())
    }

    /// Presigns in the query string; see [`Signer::presign`].
    pub fn presign<'s>(
        &self,
        request: &Request<'_>,
        credentials: &CredentialsRef<'_>,
        params: &SigningParams<'_>,
        expires_secs: u64,
        buf: &'s mut [u8],
    ) -> Result<QuerySignature<'s>, SignError> {
        let mut alg = HmacAlgorithm::shared(credentials, &self.cache);
        let mut input = SigningInput::new(request, params);
        input.session_token = credentials.session_token;
        super::presign_query(
            &mut alg,
            &input,
            expires_secs,
            buf,
            None,
            super::Kept::default(),
        )
    }
}
