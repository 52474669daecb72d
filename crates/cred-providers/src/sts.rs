//! AWS STS, sans-IO: build the request for `AssumeRole` (signed),
//! `AssumeRoleWithWebIdentity` (unsigned) and `GetCallerIdentity` (signed),
//! and parse the XML answer — credentials, the caller, or a typed error that
//! keeps STS's code and message (`SignatureDoesNotMatch`, `AccessDenied`,
//! `ExpiredToken`, `InvalidIdentityToken`, `RegionDisabledException`, …).
//!
//! Requests are `POST /` with a form body (`Action=…&Version=2011-06-15&…`),
//! encoded as the SDKs encode it (everything but `A-Z a-z 0-9 - . _ ~`).

use std::fmt;
use std::time::SystemTime;

use sigv4_core::{Payload, Signer, SigningParams, Timestamp};

use crate::encoding::encode;
use crate::transport::{HttpRequest, HttpResponse};
use crate::{Credentials, time};

/// The STS API version.
pub const VERSION: &str = "2011-06-15";

/// Where STS requests go and the region they are signed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsEndpoint {
    /// `https://sts.{region}.amazonaws.com`, or an override.
    pub url: String,
    /// The signing region.
    pub region: String,
}

impl StsEndpoint {
    /// The regional endpoint of `region` (China regions use
    /// `amazonaws.com.cn`).
    pub fn regional(region: &str) -> Self {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Self {
            url: format!("https://sts.{region}.{suffix}"),
            region: region.to_string(),
        }
    }

    /// An endpoint override (`AWS_ENDPOINT_URL_STS`, a profile's
    /// `[services]`), signed for `region`.
    pub fn custom(url: impl Into<String>, region: &str) -> Self {
        Self {
            url: url.into(),
            region: region.to_string(),
        }
    }
}

/// Why an STS call produced nothing usable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StsError {
    /// STS answered with an error document.
    #[error("{code}: {message}")]
    Service {
        /// The HTTP status.
        status: u16,
        /// The error code (`AccessDenied`, `ExpiredToken`, …).
        code: String,
        /// STS's message.
        message: String,
    },
    /// The answer was not what STS sends.
    #[error("malformed STS response (HTTP {status}): {reason}")]
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// The endpoint is not a usable URL.
    #[error("the STS endpoint {0} is not a usable URL")]
    InvalidEndpoint(String),
    /// The request could not be signed.
    #[error("cannot sign the STS request: {0}")]
    Sign(#[from] sigv4_core::http_sign::HttpError),
}

impl StsError {
    /// The STS error code, if STS sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            StsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when STS throttled the call or failed on its side (HTTP 5xx,
    /// `Throttling`, `IDPCommunicationError`): the same call may succeed
    /// later.
    pub fn is_retryable(&self) -> bool {
        match self {
            StsError::Service { status, code, .. } => {
                *status >= 500
                    || matches!(
                        code.as_str(),
                        "Throttling"
                            | "ThrottlingException"
                            | "RequestLimitExceeded"
                            | "IDPCommunicationError"
                    )
            }
            StsError::Malformed { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// `AssumeRole` parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRoleParams {
    /// The role.
    pub role_arn: String,
    /// The session name (defaults to `sigv4-rs-<unix time>`).
    pub session_name: Option<String>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `DurationSeconds` (STS's default is 3600).
    pub duration_seconds: Option<u32>,
}

/// The identity `GetCallerIdentity` reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallerIdentity {
    /// The unique id of the user or role session.
    pub user_id: String,
    /// The account.
    pub account: String,
    /// The ARN.
    pub arn: String,
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out.into_bytes()
}

/// A session name from the time, as the SDKs make one.
pub fn default_session_name(now: SystemTime) -> String {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("sigv4-rs-{secs}")
}

fn post(endpoint: &StsEndpoint, body: Vec<u8>) -> Result<HttpRequest, StsError> {
    let url = format!("{}/", endpoint.url.trim_end_matches('/'));
    http::Request::post(url)
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(body)
        .map_err(|_| StsError::InvalidEndpoint(endpoint.url.clone()))
}

/// Signs `req` (an STS request with its body) in place with `creds` at
/// `now`, for `endpoint`'s region.
pub(crate) fn sign(
    req: &mut HttpRequest,
    endpoint: &StsEndpoint,
    creds: &Credentials,
    now: SystemTime,
) -> Result<(), StsError> {
    let params = SigningParams::new(&endpoint.region, "sts", Timestamp::from(now));
    let body = req.body().clone();
    sigv4_core::http_sign::sign(
        &mut Signer::new(),
        req,
        Payload::Bytes(&body),
        &creds.signing(),
        &params,
    )
    .map_err(StsError::from)
}

/// The signed `AssumeRole` request.
pub fn assume_role_request(
    endpoint: &StsEndpoint,
    params: &AssumeRoleParams,
    creds: &Credentials,
    now: SystemTime,
) -> Result<HttpRequest, StsError> {
    let session = params
        .session_name
        .clone()
        .unwrap_or_else(|| default_session_name(now));
    let duration = params.duration_seconds.map(|d| d.to_string());
    let mut pairs = vec![
        ("Action", "AssumeRole"),
        ("Version", VERSION),
        ("RoleArn", params.role_arn.as_str()),
        ("RoleSessionName", session.as_str()),
    ];
    if let Some(e) = &params.external_id {
        pairs.push(("ExternalId", e));
    }
    if let Some(d) = &duration {
        pairs.push(("DurationSeconds", d));
    }
    let mut req = post(endpoint, form(&pairs))?;
    sign(&mut req, endpoint, creds, now)?;
    Ok(req)
}

/// The unsigned `AssumeRoleWithWebIdentity` request.
pub fn assume_role_with_web_identity_request(
    endpoint: &StsEndpoint,
    role_arn: &str,
    session_name: &str,
    token: &str,
    duration_seconds: Option<u32>,
) -> Result<HttpRequest, StsError> {
    let duration = duration_seconds.map(|d| d.to_string());
    let mut pairs = vec![
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", VERSION),
        ("RoleArn", role_arn),
        ("RoleSessionName", session_name),
        ("WebIdentityToken", token),
    ];
    if let Some(d) = &duration {
        pairs.push(("DurationSeconds", d));
    }
    post(endpoint, form(&pairs))
}

/// The signed `GetCallerIdentity` request.
pub fn get_caller_identity_request(
    endpoint: &StsEndpoint,
    creds: &Credentials,
    now: SystemTime,
) -> Result<HttpRequest, StsError> {
    let mut req = post(
        endpoint,
        form(&[("Action", "GetCallerIdentity"), ("Version", VERSION)]),
    )?;
    sign(&mut req, endpoint, creds, now)?;
    Ok(req)
}

fn malformed(status: u16, reason: impl fmt::Display) -> StsError {
    StsError::Malformed {
        status,
        reason: reason.to_string(),
    }
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
        .and_then(|c| c.text())
}

/// Parses the document and turns STS error documents into [`StsError`].
fn parse_doc(resp: &HttpResponse) -> Result<roxmltree::Document<'_>, StsError> {
    let status = resp.status().as_u16();
    let text =
        std::str::from_utf8(resp.body()).map_err(|_| malformed(status, "body is not UTF-8"))?;
    let doc =
        roxmltree::Document::parse(text).map_err(|e| malformed(status, format!("not XML: {e}")))?;
    if let Some(err) = doc.descendants().find(|n| n.tag_name().name() == "Error") {
        return Err(StsError::Service {
            status,
            code: child_text(err, "Code").unwrap_or("Unknown").to_string(),
            message: child_text(err, "Message").unwrap_or("").to_string(),
        });
    }
    if !resp.status().is_success() {
        return Err(malformed(status, "error status without an error document"));
    }
    Ok(doc)
}

/// Parses an `AssumeRole` or `AssumeRoleWithWebIdentity` answer.
pub fn parse_credentials(
    resp: &HttpResponse,
    provider: &'static str,
) -> Result<Credentials, StsError> {
    let status = resp.status().as_u16();
    let doc = parse_doc(resp)?;
    let node = doc
        .descendants()
        .find(|n| n.tag_name().name() == "Credentials")
        .ok_or_else(|| malformed(status, "no Credentials element"))?;
    let field =
        |name: &str| child_text(node, name).ok_or_else(|| malformed(status, format!("no {name}")));
    let expiration = field("Expiration")?;
    let expiry = time::parse_rfc3339(expiration)
        .ok_or_else(|| malformed(status, "Expiration is not RFC 3339"))?;
    let creds = Credentials::builder(field("AccessKeyId")?, field("SecretAccessKey")?)
        .session_token(Some(field("SessionToken")?.to_string()))
        .expiry(Some(expiry))
        .provider(provider)
        .build();
    // The account is the fifth field of the assumed role's ARN.
    let account = doc
        .descendants()
        .find(|n| n.tag_name().name() == "AssumedRoleUser")
        .and_then(|u| child_text(u, "Arn"))
        .and_then(|arn| arn.split(':').nth(4))
        .filter(|a| !a.is_empty());
    Ok(match account {
        Some(a) => creds.with_account_id(a),
        None => creds,
    })
}

/// Parses a `GetCallerIdentity` answer.
pub fn parse_caller_identity(resp: &HttpResponse) -> Result<CallerIdentity, StsError> {
    let status = resp.status().as_u16();
    let doc = parse_doc(resp)?;
    let node = doc
        .descendants()
        .find(|n| n.tag_name().name() == "GetCallerIdentityResult")
        .ok_or_else(|| malformed(status, "no GetCallerIdentityResult element"))?;
    let field = |name: &str| {
        child_text(node, name)
            .map(str::to_string)
            .ok_or_else(|| malformed(status, format!("no {name}")))
    };
    Ok(CallerIdentity {
        user_id: field("UserId")?,
        account: field("Account")?,
        arn: field("Arn")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn parses_assume_role() {
        let body = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
            <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>
            <Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>sec</SecretAccessKey><SessionToken>tok</SessionToken>
            <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"#;
        let c = parse_credentials(&resp(200, body), "sts").unwrap();
        assert_eq!(
            (c.access_key_id(), c.session_token(), c.account_id()),
            ("ASIAX", Some("tok"), Some("123456789012"))
        );
        assert_eq!(
            time::format_rfc3339(c.expiry().unwrap()),
            "2030-01-01T00:00:00Z"
        );
    }

    #[test]
    fn parses_errors_and_rejects_junk() {
        let err = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error><RequestId>x</RequestId></ErrorResponse>"#;
        let e = parse_credentials(&resp(400, err), "sts").unwrap_err();
        assert_eq!(e.code(), Some("ExpiredToken"));
        assert_eq!(
            e.to_string(),
            "ExpiredToken: The security token included in the request is expired"
        );
        assert!(matches!(
            parse_credentials(&resp(200, "<a>"), "sts"),
            Err(StsError::Malformed { .. })
        ));
        assert!(matches!(
            parse_credentials(&resp(500, "<x/>"), "sts"),
            Err(StsError::Malformed { status: 500, .. })
        ));
        assert!(matches!(
            parse_caller_identity(&resp(200, "<GetCallerIdentityResult/>")),
            Err(StsError::Malformed { .. })
        ));
    }

    #[test]
    fn form_bodies_encode_like_the_sdks() {
        assert_eq!(
            form(&[("RoleArn", "arn:aws:iam::1:role/a b+c~")]),
            b"RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b%2Bc~"
        );
        assert_eq!(
            StsEndpoint::regional("cn-north-1").url,
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
    }
}
