//! What a signature is made with and for: credentials, parameters, scope.

use core::fmt;

use crate::encode::Sink;
use crate::settings::SigningSettings;
use crate::time::{AmzDate, Timestamp};

/// Access key credentials, borrowed for one signature.
///
/// `Debug` shows the access key id only.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The access key id (`AKIA…`, `ASIA…`).
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

impl<'a> Credentials<'a> {
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

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Where, when and how to sign.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// The region, e.g. `us-east-1`.
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

/// The credential scope: `YYYYMMDD/region/service/aws4_request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The signing time.
    pub date: AmzDate,
    /// The region.
    pub region: &'a str,
    /// The service.
    pub service: &'a str,
}

impl Scope<'_> {
    /// Writes `YYYYMMDD/region/service/aws4_request`.
    pub fn write<S: Sink + ?Sized>(&self, sink: &mut S) {
        sink.put(self.date.date().as_bytes());
        sink.put(b"/");
        sink.put(self.region.as_bytes());
        sink.put(b"/");
        sink.put(self.service.as_bytes());
        sink.put(b"/aws4_request");
    }
}

impl fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/aws4_request",
            self.date.date(),
            self.region,
            self.service
        )
    }
}
