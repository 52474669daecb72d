//! The CreateSession exchange, sans I/O: [`create_session_request`] builds
//! the signed `http::Request`, [`parse_response`] reads the
//! `http::Response`.
//!
//! The request is `POST {endpoint}/sessions?profileArn=…&roleArn=…&trustAnchorArn=…`
//! with a JSON body (`{"durationSeconds":3600}` by default), the leaf in
//! `X-Amz-X509` and the intermediates in `X-Amz-X509-Chain`, signed with
//! the SigV4 canonical request and string to sign of `sigv4-core` and the
//! X.509 algorithm of the signer (credential id: the serial in decimal).

// Query values are encoded as SigV4 canonicalises them: everything but
// the unreserved characters.
use cred_providers::encoding::encode as enc;
use serde::Deserialize;
use sigv4_core::{Payload, Request, SignatureAlgorithm, SigningInput, SigningParams, Timestamp};

use crate::Error;
use crate::cert::{ChainCertificate, EndEntity};

/// The default session duration, seconds.
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;

/// What to ask for: checked when built, read-only afterwards.
///
/// ```
/// use rolesanywhere::SessionParams;
/// let params = SessionParams::builder(
///     "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/ta",
///     "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/p",
///     "arn:aws:iam::123456789012:role/app",
/// )
/// .duration_seconds(900)
/// .role_session_name("build-42")
/// .build()?;
/// assert_eq!(params.region(), "eu-west-1");
/// assert_eq!(params.endpoint(), "https://rolesanywhere.eu-west-1.amazonaws.com");
/// assert!(SessionParams::builder("arn:aws:rolesanywhere:eu-west-1:1:trust-anchor/ta", "x", "y").build().is_err());
/// # Ok::<(), rolesanywhere::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionParams {
    endpoint: String,
    region: String,
    trust_anchor_arn: String,
    profile_arn: String,
    role_arn: String,
    duration_seconds: u32,
    role_session_name: Option<String>,
}

/// Builds [`SessionParams`]; from [`SessionParams::builder`].
#[derive(Clone, Debug)]
pub struct SessionParamsBuilder {
    trust_anchor_arn: String,
    profile_arn: String,
    role_arn: String,
    region: Option<String>,
    endpoint: Option<String>,
    duration_seconds: u32,
    role_session_name: Option<String>,
}

impl SessionParamsBuilder {
    /// The signing region (default: the trust anchor's).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The endpoint base URL, `/sessions` appended (default: the public
    /// endpoint of the region).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// How long the credentials last, 900..=43200 seconds (default 3600).
    pub fn duration_seconds(mut self, seconds: u32) -> Self {
        self.duration_seconds = seconds;
        self
    }

    /// `roleSessionName`: 2 to 64 letters, digits and `_=,.@-`.
    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.role_session_name = Some(name.into());
        self
    }

    /// The parameters, every one checked.
    pub fn build(self) -> Result<SessionParams, Error> {
        let anchor = Arn::parse(&self.trust_anchor_arn, "trust-anchor")?;
        Arn::parse(&self.profile_arn, "profile")?;
        let role_arn = &self.role_arn;
        if !role_arn.starts_with("arn:") || !role_arn.contains(":role/") {
            return Err(Error::InvalidParameter(format!(
                "the role ARN {role_arn:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            )));
        }
        let region = self.region.as_deref().unwrap_or(anchor.region).to_string();
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(Error::InvalidParameter(format!(
                "{region:?} is not a region name"
            )));
        }
        if !SessionParams::DURATION_SECONDS.contains(&self.duration_seconds) {
            return Err(Error::InvalidParameter(
                "the session duration must be 900 to 43200 seconds".into(),
            ));
        }
        if let Some(name) = &self.role_session_name
            && (name.len() < 2
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_=,.@-".contains(&b)))
        {
            return Err(Error::InvalidParameter(
                "the role session name must be 2 to 64 characters of letters, digits and _=,.@-"
                    .into(),
            ));
        }
        let endpoint = match &self.endpoint {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => default_endpoint(anchor.partition, &region, false),
        };
        Ok(SessionParams {
            endpoint,
            region,
            trust_anchor_arn: self.trust_anchor_arn,
            profile_arn: self.profile_arn,
            role_arn: self.role_arn,
            duration_seconds: self.duration_seconds,
            role_session_name: self.role_session_name,
        })
    }
}

impl SessionParams {
    /// The session durations the service accepts, in seconds.
    pub const DURATION_SECONDS: std::ops::RangeInclusive<u32> = 900..=43_200;

    /// A builder for a session of `role_arn` through `trust_anchor_arn` and
    /// `profile_arn`.
    pub fn builder(
        trust_anchor_arn: impl Into<String>,
        profile_arn: impl Into<String>,
        role_arn: impl Into<String>,
    ) -> SessionParamsBuilder {
        SessionParamsBuilder {
            trust_anchor_arn: trust_anchor_arn.into(),
            profile_arn: profile_arn.into(),
            role_arn: role_arn.into(),
            region: None,
            endpoint: None,
            duration_seconds: DEFAULT_DURATION_SECONDS,
            role_session_name: None,
        }
    }

    /// Parameters with the region taken from the trust anchor ARN (unless
    /// given) and the public endpoint of that region (unless given).
    #[deprecated(
        note = "five positional arguments: use SessionParams::builder(anchor, profile, role).region(…).endpoint(…).build()"
    )]
    pub fn new(
        trust_anchor_arn: &str,
        profile_arn: &str,
        role_arn: &str,
        region: Option<&str>,
        endpoint: Option<&str>,
    ) -> Result<Self, Error> {
        let mut b = Self::builder(trust_anchor_arn, profile_arn, role_arn);
        b.region = region.map(str::to_string);
        b.endpoint = endpoint.map(str::to_string);
        b.build()
    }

    /// The endpoint base URL (`/sessions` is appended).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The trust anchor.
    pub fn trust_anchor_arn(&self) -> &str {
        &self.trust_anchor_arn
    }

    /// The profile.
    pub fn profile_arn(&self) -> &str {
        &self.profile_arn
    }

    /// The role.
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    /// How long the credentials last, seconds.
    pub fn duration_seconds(&self) -> u32 {
        self.duration_seconds
    }

    /// `roleSessionName`, if any.
    pub fn role_session_name(&self) -> Option<&str> {
        self.role_session_name.as_deref()
    }
}

/// The service endpoint of `region` in `partition`; `fips` picks
/// `rolesanywhere-fips`.
pub fn default_endpoint(partition: &str, region: &str, fips: bool) -> String {
    let suffix = match partition {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    };
    let service = if fips {
        "rolesanywhere-fips"
    } else {
        "rolesanywhere"
    };
    format!("https://{service}.{region}.{suffix}")
}

struct Arn<'a> {
    partition: &'a str,
    region: &'a str,
}

impl<'a> Arn<'a> {
    fn parse(arn: &'a str, kind: &str) -> Result<Self, Error> {
        let bad = || {
            Error::InvalidParameter(format!(
                "{arn:?} is not a Roles Anywhere {kind} ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:{kind}/ID)"
            ))
        };
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if parts.len() != 6
            || parts[0] != "arn"
            || parts[2] != "rolesanywhere"
            || parts[3].is_empty()
            || !parts[5].starts_with(&format!("{kind}/"))
        {
            return Err(bad());
        }
        Ok(Self {
            partition: parts[1],
            region: parts[3],
        })
    }
}

/// The request body.
pub fn body(params: &SessionParams) -> String {
    match &params.role_session_name {
        Some(name) => serde_json::json!({
            "durationSeconds": params.duration_seconds,
            "roleSessionName": name,
        })
        .to_string(),
        None => format!("{{\"durationSeconds\":{}}}", params.duration_seconds),
    }
}

/// The signed request.
pub fn create_session_request(
    params: &SessionParams,
    cert: &EndEntity,
    chain: &[ChainCertificate],
    signer: &mut dyn SignatureAlgorithm,
    time: Timestamp,
    trace: Option<sigv4_core::Trace<'_>>,
) -> Result<http::Request<Vec<u8>>, Error> {
    let url = format!(
        "{}/sessions?profileArn={}&roleArn={}&trustAnchorArn={}",
        params.endpoint.trim_end_matches('/'),
        enc(&params.profile_arn),
        enc(&params.role_arn),
        enc(&params.trust_anchor_arn)
    );
    let body = body(params);
    let x509 = cert.header_value();
    let chain_value: String = chain
        .iter()
        .map(ChainCertificate::header_value)
        .collect::<Vec<_>>()
        .join(",");
    let date = time.amz_date();
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("X-Amz-Date", date.as_str()),
        ("X-Amz-X509", x509.as_str()),
    ];
    if !chain.is_empty() {
        headers.push(("X-Amz-X509-Chain", chain_value.as_str()));
    }
    let view = Request::new("POST", &url)
        .map_err(|e| Error::InvalidParameter(format!("bad endpoint URL: {e}")))?
        .with_headers(&headers)
        .with_payload(Payload::Bytes(body.as_bytes()));
    let signing = SigningParams::new(&params.region, "rolesanywhere", time);
    // The Authorization value: the signature's hex (at most ML-DSA-87's
    // 9,254 digits) after the algorithm, scope and signed headers.
    let mut buf = vec![0u8; 2 * sigv4_core::MAX_SIGNATURE_LEN + 1024];
    let input = SigningInput::new(&view, &signing);
    let signed = match trace {
        Some(t) => sigv4_core::sign_traced(signer, &input, &mut buf, t),
        None => sigv4_core::sign(signer, &input, &mut buf),
    };
    let authorization = signed?.authorization().to_string();
    let mut b = http::Request::post(url.as_str())
        .header("content-type", "application/json")
        .header("host", view.host())
        .header("x-amz-date", date.as_str())
        .header("x-amz-x509", x509.as_str());
    if !chain.is_empty() {
        b = b.header("x-amz-x509-chain", chain_value.as_str());
    }
    b.header("authorization", authorization)
        .body(body.into_bytes())
        .map_err(|e| Error::InvalidParameter(e.to_string()))
}

/// The kinds of error the service names.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceErrorKind {
    /// `AccessDeniedException`: the trust anchor, profile or role does not
    /// accept this certificate (or the signature did not verify).
    AccessDenied,
    /// `ValidationException`: a parameter is malformed.
    Validation,
    /// `ResourceNotFoundException`: no such trust anchor, profile or role.
    ResourceNotFound,
    /// Anything else, by the name the service gave (may be empty).
    Other(String),
}

impl std::fmt::Display for ServiceErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceErrorKind::AccessDenied => f.write_str("AccessDeniedException"),
            ServiceErrorKind::Validation => f.write_str("ValidationException"),
            ServiceErrorKind::ResourceNotFound => f.write_str("ResourceNotFoundException"),
            ServiceErrorKind::Other(s) if s.is_empty() => f.write_str("error"),
            ServiceErrorKind::Other(s) => f.write_str(s),
        }
    }
}

impl ServiceErrorKind {
    fn from_name(name: &str) -> Self {
        // "AccessDeniedException:http://internal.amazon.com/…" or
        // "com.amazonaws…#AccessDeniedException".
        let name = name.split(':').next().unwrap_or(name);
        let name = name.rsplit('#').next().unwrap_or(name).trim();
        match name {
            "AccessDeniedException" => ServiceErrorKind::AccessDenied,
            "ValidationException" => ServiceErrorKind::Validation,
            "ResourceNotFoundException" => ServiceErrorKind::ResourceNotFound,
            other => ServiceErrorKind::Other(other.to_string()),
        }
    }
}

#[derive(Deserialize)]
struct Response {
    #[serde(rename = "credentialSet")]
    credential_set: Vec<CredentialEntry>,
}

#[derive(Deserialize)]
struct CredentialEntry {
    credentials: SessionCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionCredentials {
    access_key_id: String,
    secret_access_key: zeroize::Zeroizing<String>,
    session_token: zeroize::Zeroizing<String>,
    expiration: String,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(alias = "Message")]
    message: Option<String>,
    #[serde(rename = "__type", alias = "code")]
    kind: Option<String>,
}

/// Reads a CreateSession response: 201 with `credentialSet[0].credentials`,
/// or a service error that keeps the service's message.
pub fn parse_response(
    response: &http::Response<Vec<u8>>,
) -> Result<cred_providers::Credentials, Error> {
    let status = response.status();
    if !status.is_success() {
        let body: ErrorBody = serde_json::from_slice(response.body()).unwrap_or_default();
        let kind_name = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or(body.kind)
            .unwrap_or_default();
        let message = body.message.unwrap_or_else(|| {
            String::from_utf8_lossy(&response.body()[..response.body().len().min(200)])
                .trim()
                .to_string()
        });
        return Err(Error::Service {
            kind: ServiceErrorKind::from_name(&kind_name),
            status: status.as_u16(),
            message,
        });
    }
    let parsed: Response = serde_json::from_slice(response.body()).map_err(|e| {
        Error::response(format!(
            "the CreateSession response is not the expected JSON (line {}, column {}: {})",
            e.line(),
            e.column(),
            match e.classify() {
                serde_json::error::Category::Data => "missing or mistyped field",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Eof => "truncated",
                serde_json::error::Category::Io => "read error",
            }
        ))
    })?;
    let creds = parsed
        .credential_set
        .into_iter()
        .next()
        .ok_or_else(|| Error::response("the response's credentialSet is empty"))?
        .credentials;
    if creds.access_key_id.is_empty() || creds.secret_access_key.is_empty() {
        return Err(Error::response("the response's credentials are empty"));
    }
    let expiry = cred_providers::time::parse_rfc3339(&creds.expiration)
        .ok_or_else(|| Error::response("the response's expiration is not an RFC 3339 time"))?;
    Ok(
        cred_providers::Credentials::builder(creds.access_key_id, creds.secret_access_key.as_str())
            .session_token(Some(creds.session_token.to_string()))
            .expiry(Some(expiry))
            .provider("rolesanywhere")
            .build(),
    )
}
