//! What signing hands back: the trace sinks, and the headers or query
//! parameters to add.

use core::fmt;

use crate::encode::Sink;
use crate::time::AmzDate;

use super::sinks::HashText;

/// Optional sinks that receive the canonical request and the string to
/// sign as they are produced (for debugging, `--format json`, tests).
pub struct Trace<'t> {
    /// Receives the canonical request.
    pub canonical_request: &'t mut dyn Sink,
    /// Receives the string to sign.
    pub string_to_sign: &'t mut dyn Sink,
}

impl fmt::Debug for Trace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Trace")
    }
}

/// What header signing adds to a request.
#[derive(Clone, Copy)]
pub struct HeaderSignature<'s> {
    pub(super) authorization: &'s str,
    pub(super) signature: &'s str,
    pub(super) date: AmzDate,
    pub(super) region_set: Option<&'s str>,
    pub(super) security_token: Option<&'s str>,
    pub(super) content_sha256: Option<HashText>,
}

impl fmt::Debug for HeaderSignature<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderSignature")
            .field("authorization", &self.authorization)
            .field("date", &self.date)
            .field("region_set", &self.region_set)
            .field("security_token", &self.security_token.map(|_| "<redacted>"))
            .field("content_sha256", &self.content_sha256())
            .finish()
    }
}

impl<'s> HeaderSignature<'s> {
    /// The `Authorization` header value.
    pub fn authorization(&self) -> &'s str {
        self.authorization
    }

    /// The signature, as lower-case hex.
    pub fn signature(&self) -> &'s str {
        self.signature
    }

    /// The `X-Amz-Date` header value.
    pub fn date(&self) -> AmzDate {
        self.date
    }

    /// The `X-Amz-Region-Set` value to add (SigV4a), if any.
    pub fn region_set(&self) -> Option<&'s str> {
        self.region_set
    }

    /// The `X-Amz-Security-Token` value to add, if any.
    pub fn security_token(&self) -> Option<&'s str> {
        self.security_token
    }

    /// The `X-Amz-Content-Sha256` value to add, if the settings asked for
    /// one and the request did not carry it already.
    pub fn content_sha256(&self) -> Option<&str> {
        self.content_sha256.as_ref().map(HashText::as_str)
    }

    /// Every header to add (replacing any of the same name), in the order
    /// to send them: `X-Amz-Date`, `X-Amz-Region-Set` (SigV4a),
    /// `X-Amz-Security-Token`, `X-Amz-Content-Sha256`, `Authorization`.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some(("X-Amz-Date", self.date.as_str())),
            self.region_set.map(|r| ("X-Amz-Region-Set", r)),
            self.security_token.map(|t| ("X-Amz-Security-Token", t)),
            self.content_sha256().map(|h| ("X-Amz-Content-Sha256", h)),
            Some(("Authorization", self.authorization)),
        ]
        .into_iter()
        .flatten()
    }
}

/// What presigning adds to a URL.
#[derive(Clone, Copy, Debug)]
pub struct QuerySignature<'s> {
    pub(super) query: &'s str,
    pub(super) signature: &'s str,
}

impl<'s> QuerySignature<'s> {
    /// The parameters to append to the query, `&`-joined and encoded
    /// (`X-Amz-Algorithm=…&…&X-Amz-Signature=…`).
    pub fn query(&self) -> &'s str {
        self.query
    }

    /// The signature, as lower-case hex.
    pub fn signature(&self) -> &'s str {
        self.signature
    }
}
