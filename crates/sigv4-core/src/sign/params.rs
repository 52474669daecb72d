//! What a signature is made with and for: credentials, parameters, scope.

use core::fmt;

use crate::encode::Sink;
use crate::request::Request;
use crate::settings::SigningSettings;
use crate::time::{AmzDate, Timestamp};

/// Access key credentials, borrowed for one signature (an owned,
/// expiring `cred_providers::Credentials` hands one out with `signing()`).
///
/// `Debug` shows the access key id only.
#[derive(Clone, Copy)]
pub struct CredentialsRef<'a> {
    /// The access key id (`AKIA…`, `ASIA…`).
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

impl<'a> CredentialsRef<'a> {
    /// Long-term credentials without a session token.
    pub fn new(access_key_id: &'a str, secret_access_key: &'a str) -> Self {
        Self {
            access_key_id,
            secret_access_key,
            session_token: None,
        }
    }

    /// The same credentials with a session token.
    pub fn with_session_token(mut self, token: &'a str) -> Self {
        self.session_token = Some(token);
        self
    }
}

impl fmt::Debug for CredentialsRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsRef")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Where, when and how to sign.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// The region, e.g. `us-east-1`. For SigV4a, the region set: one
    /// region, a comma-separated list, or `*`.
    pub region: &'a str,
    /// The signing name of the service, e.g. `es`, `aoss`, `sts`, `s3`.
    pub service: &'a str,
    /// The signing time.
    pub time: Timestamp,
    /// Service-specific rules.
    pub settings: SigningSettings<'a>,
}

impl<'a> SigningParams<'a> {
    /// Default settings for `region` and `service` at `time`.
    pub fn new(region: &'a str, service: &'a str, time: Timestamp) -> Self {
        Self {
            region,
            service,
            time,
            settings: SigningSettings::default(),
        }
    }
}

/// The credential scope: `YYYYMMDD/region/service/aws4_request`, or
/// SigV4a's `YYYYMMDD/service/aws4_request` when `region` is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The signing time.
    pub date: AmzDate,
    /// The region; empty for a SigV4a scope, which has none.
    pub region: &'a str,
    /// The service.
    pub service: &'a str,
}

impl Scope<'_> {
    /// Writes `YYYYMMDD/region/service/aws4_request`.
    pub fn write<S: Sink + ?Sized>(&self, sink: &mut S) {
        self.write_separated(sink, b"/");
    }

    /// The scope with each `/` written as `separator`: `%2F` writes it
    /// URI-encoded, as the rest needs no escape (the signer accepts only
    /// letters, digits, `-`, `_` and `.` in the region and service).
    #[inline]
    pub(crate) fn write_separated<S: Sink + ?Sized>(&self, sink: &mut S, separator: &[u8]) {
        sink.put(self.date.date_bytes());
        sink.put(separator);
        if !self.region.is_empty() {
            sink.put(self.region.as_bytes());
            sink.put(separator);
        }
        sink.put(self.service.as_bytes());
        sink.put(separator);
        sink.put(b"aws4_request");
    }
}

impl fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.region.is_empty() {
            write!(f, "{}/{}/aws4_request", self.date.date(), self.service)
        } else {
            write!(
                f,
                "{}/{}/{}/aws4_request",
                self.date.date(),
                self.region,
                self.service
            )
        }
    }
}

/// The request-scoped inputs of one signature: the request as it will be
/// sent, where, when and how to sign it, and the session token to add.
/// The algorithm (the key) and the output buffer are the other arguments
/// of [`sign`](crate::sign()) and [`presign`](crate::presign()).
///
/// ```
/// use sigv4_core::{HmacAlgorithm, KeyCache, CredentialsRef, Request, SigningInput, SigningParams};
/// let req = Request::new("GET", "https://example.amazonaws.com/")?;
/// let params = SigningParams::new("us-east-1", "service", "20150830T123600Z".parse()?);
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let mut cache = KeyCache::new();
/// let mut buf = [0u8; 512];
/// let out = sigv4_core::sign(
///     &mut HmacAlgorithm::new(&creds, &mut cache),
///     &SigningInput::new(&req, &params),
///     &mut buf,
/// )?;
/// assert!(out.authorization().ends_with("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SigningInput<'r, 't> {
    /// The request as it will be sent.
    pub request: &'r Request<'r>,
    /// Region, service, time and service rules.
    pub params: &'r SigningParams<'r>,
    /// The session token to add (signed, or appended after signing, as
    /// `params.settings.session_token` says), if any.
    pub session_token: Option<&'t str>,
}

impl<'r, 't> SigningInput<'r, 't> {
    /// `request` signed with `params`, without a session token.
    pub fn new(request: &'r Request<'r>, params: &'r SigningParams<'r>) -> Self {
        Self {
            request,
            params,
            session_token: None,
        }
    }

    /// The same input with a session token.
    pub fn with_session_token(mut self, token: &'t str) -> Self {
        self.session_token = Some(token);
        self
    }
}

/// The former name of [`CredentialsRef`].
#[deprecated(note = "renamed CredentialsRef: `Credentials` is cred_providers' owned type")]
pub type Credentials<'a> = CredentialsRef<'a>;
