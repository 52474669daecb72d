//! HashiCorp Vault's AWS `iam` login: a signed STS `GetCallerIdentity` that
//! Vault replays to STS to learn who is logging in.
//!
//! Vault does not trust the URL in the payload: it sends the request to its
//! own configured STS endpoint (by default `https://sts.amazonaws.com`,
//! signed for us-east-1), so the endpoint and signing region here must match
//! Vault's configuration. When Vault requires a server id
//! (`iam_server_id_header_value`), `X-Vault-AWS-IAM-Server-ID` is added
//! before signing, so that it is covered by the signature. Only the headers
//! Vault accepts are sent: `Authorization`, `Content-Type`, `Host`,
//! `X-Amz-Date`, `X-Amz-Security-Token` and the server id.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::Credentials;
use crate::transport::{HttpRequest, HttpResponse};

/// The GetCallerIdentity body Vault expects.
pub const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
/// Vault's default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.amazonaws.com";

/// Why a login payload or login failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// An option is unusable.
    #[error("invalid Vault login option: {0}")]
    Invalid(String),
    /// Signing failed.
    #[error("cannot sign the GetCallerIdentity request: {0}")]
    Sign(#[from] crate::sts::StsError),
    /// A payload could not be encoded as JSON.
    #[error("cannot encode the login as JSON: {0}")]
    Encode(#[source] Arc<serde_json::Error>),
    /// Vault refused the login.
    #[error("Vault refused the login (HTTP {status}): {errors}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Vault's `errors`, joined.
        errors: String,
    },
    /// Vault's answer was not what Vault sends.
    #[error("unexpected answer from Vault (HTTP {status}): {reason}")]
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
}

/// Options of the login payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginOptions {
    /// The Vault role to log in as.
    pub role: String,
    /// `X-Vault-AWS-IAM-Server-ID`, if Vault requires one.
    pub server_id: Option<String>,
    /// The STS endpoint Vault is configured with.
    pub sts_endpoint: String,
    /// The region to sign for (Vault's `sts_region`; us-east-1 for the
    /// global endpoint).
    pub sts_region: String,
}

impl LoginOptions {
    /// Options for `role` with Vault's defaults.
    pub fn new(role: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            server_id: None,
            sts_endpoint: DEFAULT_STS_ENDPOINT.into(),
            sts_region: "us-east-1".into(),
        }
    }

    /// The signing region a regional endpoint names
    /// (`https://sts.eu-west-1.amazonaws.com` → `eu-west-1`), else
    /// us-east-1.
    pub fn region_of_endpoint(endpoint: &str) -> String {
        let host = endpoint
            .split("://")
            .nth(1)
            .unwrap_or(endpoint)
            .split(['/', ':'])
            .next()
            .unwrap_or("");
        let mut parts = host.split('.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("sts"), Some(region), Some("amazonaws")) if region != "amazonaws" => {
                region.to_string()
            }
            _ => "us-east-1".to_string(),
        }
    }
}

/// The login payload (`POST /v1/auth/{mount}/login` body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoginPayload {
    /// The Vault role.
    pub role: String,
    /// Always `POST`.
    pub iam_http_request_method: String,
    /// Base64 of the STS URL.
    pub iam_request_url: String,
    /// Base64 of the form body.
    pub iam_request_body: String,
    /// Base64 of a JSON map of header name to a list of values.
    pub iam_request_headers: String,
}

/// Builds the payload: a GetCallerIdentity request signed with `creds` at
/// `now`.
pub fn login_payload(
    opts: &LoginOptions,
    creds: &Credentials,
    now: SystemTime,
) -> Result<LoginPayload, VaultError> {
    if opts.role.is_empty() {
        return Err(VaultError::Invalid("the role is empty".into()));
    }
    let url = format!("{}/", opts.sts_endpoint.trim_end_matches('/'));
    let mut b = http::Request::post(url.as_str()).header(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    );
    if let Some(id) = &opts.server_id {
        b = b.header("x-vault-aws-iam-server-id", id.as_str());
    }
    let mut req: HttpRequest = b
        .body(BODY.as_bytes().to_vec())
        .map_err(|e| VaultError::Invalid(format!("STS endpoint {url}: {e}")))?;
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .ok_or_else(|| VaultError::Invalid(format!("the STS endpoint has no host: {url}")))?;
    let endpoint = crate::sts::StsEndpoint::custom(url.clone(), &opts.sts_region);
    crate::sts::sign(&mut req, &endpoint, creds, now)?;
    // The headers as Vault wants them: canonical names, lists of values.
    let mut headers: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let host = host
        .strip_suffix(":443")
        .filter(|_| url.starts_with("https://"))
        .map(str::to_string)
        .unwrap_or(host);
    headers.insert("Host", vec![host]);
    for (name, canonical) in [
        ("authorization", "Authorization"),
        ("content-type", "Content-Type"),
        ("x-amz-date", "X-Amz-Date"),
        ("x-amz-security-token", "X-Amz-Security-Token"),
        ("x-vault-aws-iam-server-id", "X-Vault-AWS-IAM-Server-ID"),
    ] {
        let values: Vec<String> = req
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        if !values.is_empty() {
            headers.insert(canonical, values);
        }
    }
    let headers_json = serde_json::to_vec(&headers).map_err(|e| VaultError::Encode(Arc::new(e)))?;
    Ok(LoginPayload {
        role: opts.role.clone(),
        iam_http_request_method: "POST".into(),
        iam_request_url: STANDARD.encode(url.as_bytes()),
        iam_request_body: STANDARD.encode(BODY.as_bytes()),
        iam_request_headers: STANDARD.encode(headers_json),
    })
}

/// The login request to Vault at `addr` (`https://vault:8200`) for the auth
/// method mounted at `mount` (`aws`), in `namespace` if given.
pub fn login_request(
    addr: &str,
    mount: &str,
    namespace: Option<&str>,
    payload: &LoginPayload,
) -> Result<HttpRequest, VaultError> {
    let url = format!(
        "{}/v1/auth/{}/login",
        addr.trim_end_matches('/'),
        mount.trim_matches('/')
    );
    let mut b = http::Request::post(url.as_str()).header("content-type", "application/json");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        b = b.header("x-vault-namespace", ns);
    }
    let body = serde_json::to_vec(payload).map_err(|e| VaultError::Encode(Arc::new(e)))?;
    b.body(body)
        .map_err(|e| VaultError::Invalid(format!("Vault address {addr}: {e}")))
}

/// Vault's answer to a login, and its client token.
#[derive(Clone, Debug, PartialEq)]
pub struct LoginResponse {
    /// The whole JSON answer.
    pub json: serde_json::Value,
}

impl LoginResponse {
    /// `auth.client_token`.
    pub fn client_token(&self) -> Option<&str> {
        self.json["auth"]["client_token"].as_str()
    }
}

/// Parses Vault's answer to a login.
pub fn parse_login(resp: &HttpResponse) -> Result<LoginResponse, VaultError> {
    let status = resp.status().as_u16();
    let json: serde_json::Value =
        serde_json::from_slice(resp.body()).map_err(|e| VaultError::Malformed {
            status,
            reason: format!("not JSON ({})", crate::env::json_error(&e)),
        })?;
    if !resp.status().is_success() {
        let errors = json["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        return Err(VaultError::Refused { status, errors });
    }
    let r = LoginResponse { json };
    if r.client_token().is_none() {
        return Err(VaultError::Malformed {
            status,
            reason: "no auth.client_token".into(),
        });
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_from_the_endpoint() {
        assert_eq!(
            LoginOptions::region_of_endpoint("https://sts.amazonaws.com"),
            "us-east-1"
        );
        assert_eq!(
            LoginOptions::region_of_endpoint("https://sts.eu-west-1.amazonaws.com/"),
            "eu-west-1"
        );
        assert_eq!(
            LoginOptions::region_of_endpoint("http://127.0.0.1:5000"),
            "us-east-1"
        );
    }

    #[test]
    fn payload_shape() {
        let creds = Credentials::builder("AKID", "secret")
            .session_token(Some("TOKEN".into()))
            .provider("t")
            .build();
        let mut opts = LoginOptions::new("dev-role");
        opts.server_id = Some("vault.example.com".into());
        let p = login_payload(
            &opts,
            &creds,
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        )
        .unwrap();
        assert_eq!(
            STANDARD.decode(&p.iam_request_url).unwrap(),
            b"https://sts.amazonaws.com/"
        );
        assert_eq!(
            STANDARD.decode(&p.iam_request_body).unwrap(),
            BODY.as_bytes()
        );
        let headers: BTreeMap<String, Vec<String>> =
            serde_json::from_slice(&STANDARD.decode(&p.iam_request_headers).unwrap()).unwrap();
        let names: Vec<&str> = headers.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "Authorization",
                "Content-Type",
                "Host",
                "X-Amz-Date",
                "X-Amz-Security-Token",
                "X-Vault-AWS-IAM-Server-ID"
            ]
        );
        assert_eq!(headers["Host"], ["sts.amazonaws.com"]);
        let auth = &headers["Authorization"][0];
        assert!(auth.contains("/us-east-1/sts/aws4_request"), "{auth}");
        assert!(
            auth.contains("x-vault-aws-iam-server-id"),
            "the server id is signed: {auth}"
        );
    }
}
