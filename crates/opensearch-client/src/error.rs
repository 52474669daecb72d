//! Errors, keeping the server's own words.
//!
//! OpenSearch answers errors in several shapes; [`ApiError::from_response`]
//! reads each:
//! * the core shape `{"error": {"type", "reason", "root_cause": […]}, "status": N}`
//!   or `{"error": "text", "status": N}` (Serverless uses it too);
//! * the security plugin's `{"status": "FORBIDDEN", "message": "…"}`;
//! * the Amazon gateway's `{"message": "…"}` / `{"Message": "…"}` (SigV4
//!   and IAM refusals before the request reaches OpenSearch).

use cred_providers::{CredentialsError, TransportError};
use serde::Deserialize;
use sigv4_core::http_sign::HttpError;

/// What went wrong. Each variant that comes from a lower error keeps it as
/// its [`source`](std::error::Error::source), typed; the predicates answer
/// the usual questions without matching.
///
/// ```
/// # use opensearch_client::error::{ApiError, Error};
/// let e: Error = ApiError::from_response(403, br#"{"status":"FORBIDDEN","message":"No permission to access REST API: User x with Security roles [all_access] does not have any role privileged for admin access"}"#).into();
/// assert!(e.is_forbidden() && e.is_auth() && !e.is_retryable());
/// assert!(e.hint().unwrap().contains("security_manager"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built (a bad node URL, a path that is not
    /// a URL).
    #[error("{0}")]
    Request(String),
    /// A body could not be encoded (or compressed).
    #[error("cannot encode the request body: {0}")]
    Encode(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No response: connection, TLS or timeout.
    #[error("cannot reach OpenSearch: {0}")]
    Transport(#[from] TransportError),
    /// No credentials to sign with.
    #[error("no credentials to sign with: {0}")]
    Credentials(#[source] Box<CredentialsError>),
    /// The request could not be signed.
    #[error("cannot sign the request: {0}")]
    Sign(#[from] HttpError),
    /// The server answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A success response that is not the JSON expected.
    #[error("unexpected response (HTTP {status}): {message}")]
    Decode {
        /// The HTTP status.
        status: u16,
        /// What did not fit.
        message: String,
        /// The JSON error, when there is one.
        #[source]
        source: Option<serde_json::Error>,
    },
}

impl From<CredentialsError> for Error {
    fn from(e: CredentialsError) -> Self {
        Error::Credentials(Box::new(e))
    }
}

impl Error {
    /// The server's error, if it answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// HTTP 403: the caller is known but not allowed (an unmapped role, the
    /// security REST API without an admin role, an IAM policy).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// HTTP 404: no such index, document, role or mapping.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// An authentication or authorisation failure: no credentials, a
    /// refused signature or password (401), or a refusal (403).
    pub fn is_auth(&self) -> bool {
        matches!(self, Error::Credentials(_)) || matches!(self.status(), Some(401 | 403))
    }

    /// True when the same request may succeed later: no connection or a
    /// timeout, or HTTP 429 / 502 / 503 / 504. (The client has already
    /// retried as its policy allows.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(t) => t.is_retryable(),
            Error::Credentials(c) => c.is_retryable(),
            Error::Api(e) => crate::client::retryable_status(e.status),
            _ => false,
        }
    }

    /// What to do about it, when there is a known fix (for example: call
    /// the security REST API as the master user or as `security_manager`).
    pub fn hint(&self) -> Option<&'static str> {
        self.api().and_then(ApiError::hint)
    }
}

/// An error response. Its text ends with the [`hint`](Self::hint), when
/// there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}: {kind}{}", hint(.status, .kind).map(|h| format!("; {h}")).unwrap_or_default())]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// What the body said.
    pub kind: ApiErrorKind,
}

/// The body of an error response, by shape.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// OpenSearch's own error.
    Core {
        /// `error.type` (e.g. `index_not_found_exception`,
        /// `security_exception`); empty for a text error.
        error_type: String,
        /// `error.reason`, or the text.
        reason: String,
        /// The first root cause's type and reason, when it differs.
        root_cause: Option<(String, String)>,
    },
    /// The security plugin's REST API error.
    Security {
        /// `status` (`FORBIDDEN`, `NOT_FOUND`, `BAD_REQUEST`, …).
        status: String,
        /// `message`.
        message: String,
    },
    /// The Amazon gateway's refusal (signature, IAM policy).
    Gateway {
        /// `message`.
        message: String,
    },
    /// Any other body (at most 512 bytes of it).
    Other {
        /// The body, as text.
        body: String,
    },
}

impl std::fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiErrorKind::Core {
                error_type,
                reason,
                root_cause,
            } => {
                if error_type.is_empty() {
                    f.write_str(reason)?;
                } else {
                    write!(f, "{error_type}: {reason}")?;
                }
                if let Some((t, r)) = root_cause {
                    write!(f, " (root cause {t}: {r})")?;
                }
                Ok(())
            }
            ApiErrorKind::Security { status, message } => write!(f, "{status}: {message}"),
            ApiErrorKind::Gateway { message } => f.write_str(message),
            ApiErrorKind::Other { body } if body.is_empty() => f.write_str("(empty body)"),
            ApiErrorKind::Other { body } => f.write_str(body),
        }
    }
}

fn hint(status: &u16, kind: &ApiErrorKind) -> Option<&'static str> {
    match kind {
        ApiErrorKind::Security { message, .. }
            if *status == 403 && message.contains("privileged for admin access") =>
        {
            Some(
                "the security REST API needs an admin-privileged role: call it as the master user, or map the caller to security_manager (all_access alone is not enough)",
            )
        }
        ApiErrorKind::Core {
            error_type, reason, ..
        } if *status == 403
            && error_type == "security_exception"
            && reason.starts_with("no permissions for") =>
        {
            Some(
                "the caller is authenticated but none of its roles allows this: map its IAM role ARN (a backend role) or user to a role that does (Client::add_backend_role keeps the rest of the mapping)",
            )
        }
        ApiErrorKind::Security { message, .. }
            if *status == 400 && message.starts_with("Missing field") =>
        {
            Some(
                "the security plugin stores no empty list, so nothing can be appended to it: add the whole list (path /backend_roles, value [\"…\"]) or use Client::add_backend_role",
            )
        }
        ApiErrorKind::Security { message, .. } if *status == 400 && message == "Weak password" => {
            Some(
                "the security plugin scores passwords: use a longer one mixing letters, digits and symbols",
            )
        }
        ApiErrorKind::Gateway { message } if message.contains("signature we calculated") => Some(
            "check the signing region and service (es for managed domains, aoss for Serverless) and the clock",
        ),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CoreError {
    Object {
        #[serde(rename = "type", default)]
        error_type: String,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        root_cause: Vec<Cause>,
    },
    Text(String),
}

#[derive(Deserialize)]
struct Cause {
    #[serde(rename = "type", default)]
    error_type: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    error: Option<CoreError>,
    status: Option<serde_json::Value>,
    #[serde(alias = "Message")]
    message: Option<String>,
    /// The security plugin's other shape: `{"status":"error","reason":…}`
    /// (a weak password, a missing body).
    reason: Option<String>,
}

impl ApiError {
    /// What to do about it, when there is a known fix.
    pub fn hint(&self) -> Option<&'static str> {
        hint(&self.status, &self.kind)
    }

    /// The security plugin's `FORBIDDEN` (or another status it names).
    pub fn security_status(&self) -> Option<&str> {
        match &self.kind {
            ApiErrorKind::Security { status, .. } => Some(status),
            _ => None,
        }
    }

    /// OpenSearch's error type (`index_not_found_exception`,
    /// `security_exception`, …), when the body is OpenSearch's own.
    pub fn error_type(&self) -> Option<&str> {
        match &self.kind {
            ApiErrorKind::Core { error_type, .. } if !error_type.is_empty() => Some(error_type),
            _ => None,
        }
    }

    /// Reads an error response.
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        let kind = match serde_json::from_slice::<Body>(body) {
            Ok(Body {
                error:
                    Some(CoreError::Object {
                        error_type,
                        reason,
                        root_cause,
                    }),
                ..
            }) => {
                let reason = reason.unwrap_or_default();
                let root_cause = root_cause
                    .into_iter()
                    .next()
                    .map(|c| (c.error_type, c.reason.unwrap_or_default()))
                    .filter(|(t, r)| *t != error_type || *r != reason);
                ApiErrorKind::Core {
                    error_type,
                    reason,
                    root_cause,
                }
            }
            Ok(Body {
                error: Some(CoreError::Text(reason)),
                ..
            }) => ApiErrorKind::Core {
                error_type: String::new(),
                reason,
                root_cause: None,
            },
            Ok(Body {
                status: Some(serde_json::Value::String(s)),
                message: Some(message),
                ..
            }) => ApiErrorKind::Security { status: s, message },
            Ok(Body {
                status: Some(serde_json::Value::String(s)),
                reason: Some(message),
                ..
            }) => ApiErrorKind::Security { status: s, message },
            Ok(Body {
                message: Some(message),
                ..
            }) => ApiErrorKind::Gateway { message },
            _ => {
                let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
                ApiErrorKind::Other {
                    body: text.trim().to_string(),
                }
            }
        };
        Self { status, kind }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_security_plugins_forbidden_names_the_fix() {
        let body = br#"{"status":"FORBIDDEN","message":"No permission to access REST API: User arn:aws:iam::123456789012:role/app with Security roles [all_access] does not have any role privileged for admin access. No ssl info found in request."}"#;
        let e = ApiError::from_response(403, body);
        assert!(matches!(&e.kind, ApiErrorKind::Security { status, .. } if status == "FORBIDDEN"));
        let text = e.to_string();
        assert!(text.starts_with("HTTP 403: FORBIDDEN: No permission to access REST API: User arn:aws:iam::123456789012:role/app with Security roles [all_access]"), "{text}");
        assert!(text.contains("security_manager"));
    }

    #[test]
    fn core_errors_keep_type_reason_and_root_cause() {
        let body = br#"{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [logs]","index":"logs"}],"type":"index_not_found_exception","reason":"no such index [logs]","index":"logs"},"status":404}"#;
        let e = ApiError::from_response(404, body);
        assert_eq!(
            e.kind,
            ApiErrorKind::Core {
                error_type: "index_not_found_exception".into(),
                reason: "no such index [logs]".into(),
                root_cause: None,
            }
        );
        let e = ApiError::from_response(403, br#"{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:data/read/search]"}],"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=app]"},"status":403}"#);
        assert!(e.to_string().contains(
            "root cause security_exception: no permissions for [indices:data/read/search]"
        ));
        let e = ApiError::from_response(
            400,
            br#"{"error":"Incorrect HTTP method for uri","status":405}"#,
        );
        assert_eq!(e.to_string(), "HTTP 400: Incorrect HTTP method for uri");
    }

    /// The words of a real OpenSearch 2.19 node with the security plugin
    /// (recorded by the real-node tests), each read and hinted.
    #[test]
    fn the_real_plugins_refusals() {
        let unmapped = br#"{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:monitor/settings/get] and User [name=arn:aws:iam::123456789012:role/ec2, backend_roles=[arn:aws:iam::123456789012:role/ec2], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [indices:monitor/settings/get] and User [name=arn:aws:iam::123456789012:role/ec2, backend_roles=[arn:aws:iam::123456789012:role/ec2], requestedTenant=null]"},"status":403}"#;
        let e = ApiError::from_response(403, unmapped);
        assert_eq!(e.error_type(), Some("security_exception"));
        assert!(e.hint().unwrap().contains("add_backend_role"));
        let e = ApiError::from_response(
            400,
            br#"{"status":"BAD_REQUEST","message":"Missing field \"backend_roles\""}"#,
        );
        assert_eq!(e.security_status(), Some("BAD_REQUEST"));
        assert!(e.hint().unwrap().contains("no empty list"));
        let e = ApiError::from_response(400, br#"{"status":"error","reason":"Weak password"}"#);
        assert_eq!(
            e.kind,
            ApiErrorKind::Security {
                status: "error".into(),
                message: "Weak password".into()
            }
        );
        assert!(e.hint().is_some());
        let e = ApiError::from_response(
            403,
            br#"{"status":"FORBIDDEN","message":"Resource 'all_access' is static."}"#,
        );
        assert_eq!(e.security_status(), Some("FORBIDDEN"));
        assert_eq!(e.hint(), None);
    }

    #[test]
    fn gateway_messages_and_anything_else() {
        let e = ApiError::from_response(403, br#"{"message":"The request signature we calculated does not match the signature you provided."}"#);
        assert!(matches!(e.kind, ApiErrorKind::Gateway { .. }));
        assert!(e.to_string().contains("aoss for Serverless"));
        let e = ApiError::from_response(
            403,
            br#"{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}"#,
        );
        assert_eq!(
            e.to_string(),
            "HTTP 403: User: anonymous is not authorized to perform: es:ESHttpGet"
        );
        let e = ApiError::from_response(502, b"<html>Bad Gateway</html>");
        assert_eq!(e.to_string(), "HTTP 502: <html>Bad Gateway</html>");
        let e = ApiError::from_response(500, b"");
        assert_eq!(e.to_string(), "HTTP 500: (empty body)");
    }
}
