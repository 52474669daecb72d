//! The last session token a [`Signer`](super::Signer) presigned with,
//! kept percent-encoded.
//!
//! A presigned URL carries the session token as a query value, so every
//! presignature percent-encodes it; temporary credentials keep one token
//! for hours, so a signer that presigns with them again and again encodes
//! the same bytes each time. This cache keeps the token and its encoding
//! for the last token seen, as the key cache keeps the signing key for the
//! last secret.

#[cfg(not(feature = "alloc"))]
use crate::encode::{self, SliceSink};

#[cfg(feature = "alloc")]
pub(crate) use kept::EncodedToken;

/// Without `alloc` a signer keeps nothing: the token is encoded each time.
#[cfg(not(feature = "alloc"))]
#[derive(Debug, Default)]
pub(crate) struct EncodedToken;

#[cfg(not(feature = "alloc"))]
impl EncodedToken {
    /// Keeps nothing.
    pub(crate) const fn new() -> Self {
        Self
    }

    /// Writes `token` percent-encoded as a query value to `out`.
    pub(crate) fn put(&mut self, out: &mut SliceSink<'_>, token: &[u8]) {
        encode::encode(out, token, false);
    }
}

#[cfg(feature = "alloc")]
mod kept {
    use alloc::vec::Vec;
    use zeroize::Zeroize;

    use crate::encode::{self, Sink, SliceSink};

    /// The last session token seen and its encoding.
    #[derive(Default)]
    pub(crate) struct EncodedToken {
        token: Vec<u8>,
        encoded: Vec<u8>,
    }

    impl EncodedToken {
        /// A cache holding no token.
        pub(crate) const fn new() -> Self {
            Self {
                token: Vec::new(),
                encoded: Vec::new(),
            }
        }

        /// Writes `token` percent-encoded as a query value to `out`: the
        /// kept encoding when it is the token seen last, else encoded and
        /// kept in place of that one.
        ///
        /// The comparison is not in constant time: the token is not a secret
        /// of the same kind as the secret access key — it stands in clear in
        /// every presigned URL.
        pub(crate) fn put(&mut self, out: &mut SliceSink<'_>, token: &[u8]) {
            if self.token != token {
                // Zeroised whole before any growth, and grown once to what it
                // will hold, so no reallocation leaves a copy behind.
                self.token.zeroize();
                self.encoded.zeroize();
                self.token.reserve_exact(token.len());
                self.token.extend_from_slice(token);
                self.encoded.reserve_exact(token.len().saturating_mul(3));
                encode::encode(&mut self.encoded, token, false);
            }
            out.put(&self.encoded);
        }
    }

    impl Drop for EncodedToken {
        fn drop(&mut self) {
            self.token.zeroize();
            self.encoded.zeroize();
        }
    }

    impl core::fmt::Debug for EncodedToken {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str(if self.token.is_empty() {
                "EncodedToken(none)"
            } else {
                "EncodedToken(<redacted>)"
            })
        }
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use crate::{CredentialsRef, Request, Signer, SigningParams};
    use alloc::string::ToString;

    #[test]
    fn a_signer_shows_nothing_of_the_token_it_keeps() {
        let token = "IQoJb3JpZ2luX2VjEJr//////////wEaDmFwLW5vcnRoZWFzdC0x==";
        let creds = CredentialsRef::new("AKIDEXAMPLE", "secret").with_session_token(token);
        let req = Request::new("GET", "https://example.amazonaws.com/").unwrap();
        let params = SigningParams::new("us-east-1", "s3", "20150830T123600Z".parse().unwrap());
        let mut signer = Signer::new();
        let before = alloc::format!("{signer:?}");
        let mut buf = [0u8; 1024];
        let query = signer
            .presign(&req, &creds, &params, 60, &mut buf)
            .unwrap()
            .query()
            .to_string();
        assert!(query.contains("IQoJb3JpZ2luX2VjEJr%2F%2F"), "{query}");
        let shown = alloc::format!("{signer:?}");
        assert!(shown.contains("EncodedToken(<redacted>)"), "{shown}");
        assert!(before.contains("EncodedToken(none)"), "{before}");
        assert!(!shown.contains("IQoJ"), "{shown}");
        // Nor of the canonical request's blocks it keeps, header values
        // and all.
        let headers = [("x-private", "hunter2-hunter2-hunter2")];
        let req = req.with_headers(&headers);
        signer.sign(&req, &creds, &params, &mut buf).unwrap();
        let shown = alloc::format!("{signer:?}");
        assert!(shown.contains("PrefixMemo { blocks: "), "{shown}");
        assert!(
            !shown.contains("IQoJ") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
