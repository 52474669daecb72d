//! "Prove your IAM identity" logins, both halves, without I/O.
//!
//! The client half of Kubernetes on EKS: an [`eks_token`] is a presigned
//! `GetCallerIdentity` URL with the cluster name signed in `x-k8s-aws-id`
//! (Vault's client half is [`crate::vault`]).
//!
//! The server half, for any service that accepts such logins: [`parse`] a
//! Vault `iam` login payload or an EKS token, [`check`] it against a
//! [`LoginPolicy`] **before any network call** — `GetCallerIdentity` only,
//! an STS host (never anywhere else: no request forgery through the
//! login), only the headers a login has, the server id or cluster name
//! present, signed and equal, the signing time within the window, a
//! well-formed signature — then send [`Login::sts_request`] to STS and read
//! who signed with [`identity`].
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use cred_providers::{Credentials, iam_login};
//! let creds = Credentials::builder("AKIDEXAMPLE", "secret").build();
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
//! let token = iam_login::eks_token(&creds, "prod", Some("eu-west-1"), now)?;
//! assert!(token.token.starts_with("k8s-aws-v1."));
//! let login = iam_login::parse(&token.token)?;
//! let policy = iam_login::LoginPolicy { cluster_name: Some("prod".into()), ..Default::default() };
//! iam_login::check(&login, &policy, now)?;
//! assert_eq!(login.url().host(), Some("sts.eu-west-1.amazonaws.com"));
//! # Ok::<(), iam_login::LoginError>(())
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;
use sigv4_core::{Request, SigningParams, Timestamp};

use crate::Credentials;
use crate::sts::{CallerIdentity, StsError};
use crate::transport::{HttpRequest, HttpResponse};

/// The body of a `GetCallerIdentity` call, as Vault requires it.
pub const GET_CALLER_IDENTITY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
/// The prefix of an EKS token.
pub const EKS_TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// How long an EKS token's URL is valid, seconds (as `aws eks get-token`).
pub const EKS_URL_SECONDS: u64 = 60;
/// The cluster-name header of an EKS token.
pub const CLUSTER_HEADER: &str = "x-k8s-aws-id";
/// The server-id header of a Vault login.
pub const SERVER_ID_HEADER: &str = "x-vault-aws-iam-server-id";

/// An EKS token and when a kubeconfig `exec` plugin should get a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EksToken {
    /// `k8s-aws-v1.` + base64url (no padding) of the presigned URL.
    pub token: String,
    /// When to ask again: 14 minutes from signing, as `aws eks get-token`.
    pub expiration: SystemTime,
}

impl EksToken {
    /// The `client.authentication.k8s.io/v1beta1` `ExecCredential` a
    /// kubeconfig `exec` plugin prints.
    pub fn exec_credential(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": "ExecCredential",
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "spec": {},
            "status": {
                "expirationTimestamp": crate::time::format_rfc3339(self.expiration),
                "token": self.token,
            },
        })
    }
}

/// The STS endpoint a token is signed for: the regional one, or the global
/// one signed for us-east-1 when no region is known.
fn sts_host(region: Option<&str>) -> (String, String) {
    match region.filter(|r| !r.is_empty()) {
        Some(r) if r.starts_with("cn-") => (format!("sts.{r}.amazonaws.com.cn"), r.to_string()),
        Some(r) => (format!("sts.{r}.amazonaws.com"), r.to_string()),
        None => ("sts.amazonaws.com".to_string(), "us-east-1".to_string()),
    }
}

/// The EKS token for `cluster` with `creds`, signed at `now`.
pub fn eks_token(
    creds: &Credentials,
    cluster: &str,
    region: Option<&str>,
    now: SystemTime,
) -> Result<EksToken, LoginError> {
    if cluster.is_empty() {
        return Err(LoginError::Invalid("the cluster name is empty"));
    }
    let (host, signing_region) = sts_host(region);
    let url = format!("https://{host}/?{GET_CALLER_IDENTITY}");
    let headers = [(CLUSTER_HEADER, cluster)];
    let req = Request::new("GET", &url)
        .map_err(|_| LoginError::Invalid("the cluster name cannot be sent in a header"))?
        .with_headers(&headers);
    let params = SigningParams::new(&signing_region, "sts", Timestamp::from(now));
    let signed = sigv4_core::Signer::new()
        .presign_owned(&req, &creds.signing(), &params, EKS_URL_SECONDS)
        .map_err(|_| LoginError::Invalid("the request cannot be signed (region, cluster name)"))?;
    let presigned = sigv4_core::append_query(&url, &signed.query);
    Ok(EksToken {
        token: format!("{EKS_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(presigned)),
        expiration: now + Duration::from_secs(14 * 60),
    })
}

/// Why a login was refused. Every refusal before STS names what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The input is neither a Vault login payload nor an EKS token.
    #[error("not a login: {0}")]
    Malformed(&'static str),
    /// An argument is unusable.
    #[error("{0}")]
    Invalid(&'static str),
    /// Not `GetCallerIdentity` (another action, method, or body).
    #[error("not a GetCallerIdentity request: {0}")]
    NotGetCallerIdentity(String),
    /// The URL's host is not an STS endpoint allowed here.
    #[error("the request is for {0}, which is not an STS endpoint allowed here")]
    HostNotAllowed(String),
    /// A header a login does not have.
    #[error("the header {0} is not allowed in a login")]
    HeaderNotAllowed(String),
    /// The server id or cluster name is missing, unsigned or another.
    #[error("{header}: {problem}")]
    Audience {
        /// Which header.
        header: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// Signed too long ago or in the future.
    #[error("the signing time {0} is outside the allowed window")]
    Stale(String),
    /// The signature is not a SigV4 signature.
    #[error("malformed signature: {0}")]
    Signature(&'static str),
    /// STS refused the request or answered something unusable.
    #[error("STS: {0}")]
    Sts(#[from] StsError),
}

/// Where and how a login was made.
#[derive(Clone, Debug)]
pub struct Login {
    method: String,
    url: http::Uri,
    body: Vec<u8>,
    /// Names as sent; values joined.
    headers: Vec<(String, String)>,
    kind: LoginKind,
}

/// Which kind of login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginKind {
    /// Vault's `iam` payload: a signed POST.
    Vault,
    /// An EKS token: a presigned GET.
    Eks,
}

impl Login {
    /// The URL that was signed.
    pub fn url(&self) -> &http::Uri {
        &self.url
    }

    /// Which kind of login it is.
    pub fn kind(&self) -> LoginKind {
        self.kind
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request to send to STS at `sts_endpoint` (a base URL; the
    /// signed `Host` is kept, so the signature still holds).
    pub fn sts_request(&self, sts_endpoint: &str) -> Result<HttpRequest, LoginError> {
        let pq = self.url.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("{}{pq}", sts_endpoint.trim_end_matches('/'));
        let mut b = http::Request::builder()
            .method(self.method.as_str())
            .uri(url);
        for (n, v) in &self.headers {
            b = b.header(n.as_str(), v.as_str());
        }
        if self.header("host").is_none()
            && let Some(a) = self.url.authority()
        {
            b = b.header("host", a.as_str());
        }
        b.body(self.body.clone())
            .map_err(|_| LoginError::Invalid("the STS endpoint is not a URL"))
    }
}

/// Reads a Vault `iam` login payload (JSON) or an EKS token.
pub fn parse(input: &str) -> Result<Login, LoginError> {
    let input = input.trim();
    if let Some(b64) = input.strip_prefix(EKS_TOKEN_PREFIX) {
        let url = URL_SAFE_NO_PAD
            .decode(b64.trim_end_matches('='))
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(LoginError::Malformed("the token is not base64url of a URL"))?;
        let url: http::Uri = url
            .parse()
            .map_err(|_| LoginError::Malformed("the token's URL is not a URL"))?;
        return Ok(Login {
            method: "GET".into(),
            url,
            body: Vec::new(),
            headers: Vec::new(),
            kind: LoginKind::Eks,
        });
    }
    let v: serde_json::Value = serde_json::from_str(input)
        .map_err(|_| LoginError::Malformed("neither a k8s-aws-v1 token nor a JSON payload"))?;
    let field = |k: &str| {
        v[k].as_str()
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or(LoginError::Malformed(
                "a payload field is missing or not base64",
            ))
    };
    let method = v["iam_http_request_method"]
        .as_str()
        .ok_or(LoginError::Malformed("no iam_http_request_method"))?
        .to_string();
    let url = String::from_utf8(field("iam_request_url")?)
        .ok()
        .and_then(|u| u.parse::<http::Uri>().ok())
        .ok_or(LoginError::Malformed("iam_request_url is not a URL"))?;
    let body = field("iam_request_body")?;
    let raw: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&field("iam_request_headers")?)
            .map_err(|_| LoginError::Malformed("iam_request_headers is not a JSON object"))?;
    let mut headers = Vec::new();
    for (name, value) in raw {
        let joined = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Array(list) => list
                .iter()
                .map(|x| x.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(","),
            _ => return Err(LoginError::Malformed("a header value is not text")),
        };
        headers.push((name, joined));
    }
    Ok(Login {
        method,
        url,
        body,
        headers,
        kind: LoginKind::Vault,
    })
}

/// What a login must be.
#[derive(Clone, Debug)]
pub struct LoginPolicy {
    /// The Vault server id the payload must sign in
    /// `X-Vault-AWS-IAM-Server-ID` (`None`: the header must be absent).
    pub server_id: Option<String>,
    /// The cluster an EKS token must name, signed, in `x-k8s-aws-id`.
    pub cluster_name: Option<String>,
    /// Hosts allowed besides AWS's STS endpoints (`sts.amazonaws.com`,
    /// `sts.REGION.amazonaws.com`, `….amazonaws.com.cn`): a private
    /// endpoint, or a test's.
    pub extra_hosts: Vec<String>,
    /// How far the signing time may be from now (Vault: 15 minutes).
    pub max_skew: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            server_id: None,
            cluster_name: None,
            extra_hosts: Vec::new(),
            max_skew: Duration::from_secs(15 * 60),
        }
    }
}

/// An AWS STS endpoint host: `sts.amazonaws.com`, `sts.REGION.amazonaws.com`
/// (and `sts-fips.…`), `sts.REGION.amazonaws.com.cn`.
fn is_aws_sts(host: &str) -> bool {
    let rest = host
        .strip_prefix("sts.")
        .or_else(|| host.strip_prefix("sts-fips."));
    let Some(rest) = rest else { return false };
    let region = rest
        .strip_suffix(".amazonaws.com.cn")
        .or_else(|| rest.strip_suffix(".amazonaws.com"));
    match region {
        Some(r) => {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
        None => rest == "amazonaws.com",
    }
}

const VAULT_HEADERS: [&str; 8] = [
    "host",
    "authorization",
    "content-type",
    "content-length",
    "x-amz-date",
    "x-amz-security-token",
    SERVER_ID_HEADER,
    "user-agent",
];

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks everything that can be checked without STS; see the module doc.
pub fn check(login: &Login, policy: &LoginPolicy, now: SystemTime) -> Result<(), LoginError> {
    let host = login.url.host().unwrap_or_default();
    let authority = login.url.authority().map_or("", |a| a.as_str());
    let allowed = policy
        .extra_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(authority) || h.eq_ignore_ascii_case(host));
    if !(allowed || (login.url.scheme_str() == Some("https") && is_aws_sts(host))) {
        return Err(LoginError::HostNotAllowed(authority.to_string()));
    }
    match login.kind {
        LoginKind::Vault => check_vault(login, policy, now),
        LoginKind::Eks => check_eks(login, policy, now),
    }
}

fn check_time(date: &str, policy: &LoginPolicy, now: SystemTime) -> Result<(), LoginError> {
    let at: SystemTime = date
        .parse::<Timestamp>()
        .map_err(|_| LoginError::Stale(date.chars().take(20).collect()))?
        .into();
    let skew = match at.duration_since(now) {
        Ok(ahead) => ahead,
        Err(e) => e.duration(),
    };
    if skew > policy.max_skew {
        return Err(LoginError::Stale(date.to_string()));
    }
    Ok(())
}

fn check_vault(login: &Login, policy: &LoginPolicy, now: SystemTime) -> Result<(), LoginError> {
    if login.method != "POST" {
        return Err(LoginError::NotGetCallerIdentity(format!(
            "method {}",
            login.method.chars().take(10).collect::<String>()
        )));
    }
    if login.url.query().is_some_and(|q| !q.is_empty()) {
        return Err(LoginError::NotGetCallerIdentity("a query string".into()));
    }
    if login.body != GET_CALLER_IDENTITY.as_bytes() {
        return Err(LoginError::NotGetCallerIdentity(
            "the body is not exactly Action=GetCallerIdentity&Version=2011-06-15".into(),
        ));
    }
    for (name, _) in &login.headers {
        if !VAULT_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            return Err(LoginError::HeaderNotAllowed(
                name.chars().take(64).collect(),
            ));
        }
    }
    let auth = login
        .header("authorization")
        .ok_or(LoginError::Signature("no Authorization header"))?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or(LoginError::Signature("not AWS4-HMAC-SHA256"))?;
    let part = |key: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(key))
    };
    let signed = part("SignedHeaders=").ok_or(LoginError::Signature("no SignedHeaders"))?;
    let signature = part("Signature=").ok_or(LoginError::Signature("no Signature"))?;
    if !is_hex64(signature) {
        return Err(LoginError::Signature("the signature is not 64 hex digits"));
    }
    let is_signed = |name: &str| signed.split(';').any(|n| n == name);
    match (&policy.server_id, login.header(SERVER_ID_HEADER)) {
        (Some(want), Some(got)) if got == want && is_signed(SERVER_ID_HEADER) => {}
        (Some(_), Some(got)) if !is_signed(SERVER_ID_HEADER) => {
            let _ = got;
            return Err(LoginError::Audience {
                header: "X-Vault-AWS-IAM-Server-ID",
                problem: "present but not signed".into(),
            });
        }
        (Some(want), Some(got)) => {
            return Err(LoginError::Audience {
                header: "X-Vault-AWS-IAM-Server-ID",
                problem: format!(
                    "{:?}, expected {want:?}",
                    got.chars().take(64).collect::<String>()
                ),
            });
        }
        (Some(_), None) => {
            return Err(LoginError::Audience {
                header: "X-Vault-AWS-IAM-Server-ID",
                problem: "missing".into(),
            });
        }
        (None, Some(_)) => {
            return Err(LoginError::Audience {
                header: "X-Vault-AWS-IAM-Server-ID",
                problem: "sent, but no server id is configured here".into(),
            });
        }
        (None, None) => {}
    }
    let date = login
        .header("x-amz-date")
        .ok_or(LoginError::Signature("no X-Amz-Date"))?;
    if !is_signed("x-amz-date") || !is_signed("host") {
        return Err(LoginError::Signature("host and x-amz-date must be signed"));
    }
    check_time(date, policy, now)
}

fn check_eks(login: &Login, policy: &LoginPolicy, now: SystemTime) -> Result<(), LoginError> {
    let query = login.url.query().unwrap_or_default();
    let mut action = None;
    let mut version = None;
    let mut signed = None;
    let mut signature = None;
    let mut date = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "Action" => action = Some(v),
            "Version" => version = Some(v),
            "X-Amz-SignedHeaders" => signed = Some(v),
            "X-Amz-Signature" => signature = Some(v),
            "X-Amz-Date" => date = Some(v),
            "X-Amz-Algorithm" | "X-Amz-Credential" | "X-Amz-Expires" | "X-Amz-Security-Token" => {}
            other => {
                return Err(LoginError::NotGetCallerIdentity(format!(
                    "the parameter {}",
                    other.chars().take(40).collect::<String>()
                )));
            }
        }
    }
    if action != Some("GetCallerIdentity") || version != Some("2011-06-15") {
        return Err(LoginError::NotGetCallerIdentity(
            "Action=GetCallerIdentity&Version=2011-06-15 expected".into(),
        ));
    }
    if login.url.path() != "/" {
        return Err(LoginError::NotGetCallerIdentity(
            "a path other than /".into(),
        ));
    }
    let signature = signature.ok_or(LoginError::Signature("no X-Amz-Signature"))?;
    if !is_hex64(signature) {
        return Err(LoginError::Signature("the signature is not 64 hex digits"));
    }
    let signed = signed.ok_or(LoginError::Signature("no X-Amz-SignedHeaders"))?;
    let names: Vec<&str> = signed.split("%3B").flat_map(|s| s.split(';')).collect();
    if names.iter().any(|n| *n != "host" && *n != CLUSTER_HEADER) {
        return Err(LoginError::HeaderNotAllowed(
            signed.chars().take(64).collect(),
        ));
    }
    match &policy.cluster_name {
        Some(_) if !names.contains(&CLUSTER_HEADER) => {
            return Err(LoginError::Audience {
                header: "x-k8s-aws-id",
                problem: "not signed".into(),
            });
        }
        _ => {}
    }
    check_time(
        date.ok_or(LoginError::Signature("no X-Amz-Date"))?,
        policy,
        now,
    )
}

/// An EKS token carries the cluster name only as a signed header that the
/// server puts back: the request to STS gets `x-k8s-aws-id`.
pub fn with_cluster_header(login: &mut Login, cluster: &str) {
    if login.kind == LoginKind::Eks {
        login
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(CLUSTER_HEADER));
        login
            .headers
            .push((CLUSTER_HEADER.to_string(), cluster.to_string()));
    }
}

/// Who logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The account.
    pub account: String,
    /// The caller's ARN as STS says it.
    pub arn: String,
    /// The unique id.
    pub user_id: String,
    /// For an assumed role (`…:assumed-role/R/session`), the role's ARN
    /// without its path (`arn:aws:iam::ACCOUNT:role/R`), as Vault resolves
    /// it; `None` for users.
    pub role_arn: Option<String>,
}

/// `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION` →
/// `arn:PARTITION:iam::ACCOUNT:role/ROLE`.
pub fn canonical_role_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("sts"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
    (!role.is_empty()).then(|| format!("arn:{partition}:iam::{account}:role/{role}"))
}

/// Reads STS's answer to the forwarded login.
pub fn identity(resp: &HttpResponse) -> Result<Identity, LoginError> {
    let CallerIdentity {
        user_id,
        account,
        arn,
    } = crate::sts::parse_caller_identity(resp)?;
    Ok(Identity {
        role_arn: canonical_role_arn(&arn),
        account,
        arn,
        user_id,
    })
}

/// Entry points for the fuzz targets; not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    /// Parses and checks `data` as a login; never panics.
    pub fn parse_and_check(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        if let Ok(login) = super::parse(&text) {
            let policy = super::LoginPolicy {
                server_id: Some("vault.example.com".into()),
                cluster_name: Some("c".into()),
                ..Default::default()
            };
            let _ = super::check(&login, &policy, std::time::UNIX_EPOCH);
            let _ = login.sts_request("http://127.0.0.1:1");
        }
    }
}
