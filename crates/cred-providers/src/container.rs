//! The container credentials endpoint: ECS and Fargate task roles, and EKS
//! Pod Identity.
//!
//! * `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is a path on
//!   `http://169.254.170.2` (and wins over the full URI);
//! * `AWS_CONTAINER_CREDENTIALS_FULL_URI` is any `https://` URL, or an
//!   `http://` one to loopback (`127.0.0.0/8`, `::1`, `localhost`), the ECS
//!   address `169.254.170.2`, or EKS Pod Identity's `169.254.170.23` /
//!   `[fd00:ec2::23]`; anything else is refused before a connection is made
//!   (a name is not resolved to check it, so a name other than `localhost`
//!   over plain http is refused);
//! * `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read on every call,
//!   without a trailing newline) or `AWS_CONTAINER_AUTHORIZATION_TOKEN` is
//!   sent as the `Authorization` header.
//!
//! The answer is JSON: `AccessKeyId`, `SecretAccessKey`, `Token`,
//! `Expiration`, and optionally `AccountId` and `RoleArn`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use crate::env::{Env, Files, read_token_file};
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::{Credentials, time};

const NAME: &str = "container";
const ECS_HOST: &str = "169.254.170.2";

/// How many times a request is tried (connection errors and 5xx answers
/// are retried).
pub const ATTEMPTS: u32 = 3;

fn allowed_http_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match bare.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => true,
        Ok(ip) => ["169.254.170.2", "169.254.170.23", "fd00:ec2::23"]
            .iter()
            .any(|a| a.parse::<IpAddr>().is_ok_and(|allowed| allowed == ip)),
        Err(_) => false,
    }
}

/// The endpoint the environment configures, or why there is none.
pub fn endpoint(env: &dyn Env) -> Result<http::Uri, CredentialsError> {
    if let Some(relative) = env.non_empty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        let path = if relative.starts_with('/') {
            relative
        } else {
            format!("/{relative}")
        };
        return format!("http://{ECS_HOST}{path}").parse().map_err(|_| {
            invalid("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a valid path".into())
        });
    }
    let Some(full) = env.non_empty("AWS_CONTAINER_CREDENTIALS_FULL_URI") else {
        return Err(CredentialsError::not_configured(
            NAME,
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set",
        ));
    };
    let uri: http::Uri = full.parse().map_err(|_| {
        invalid(format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL: {full:.80}"
        ))
    })?;
    let host = uri.host().ok_or_else(|| {
        invalid("AWS_CONTAINER_CREDENTIALS_FULL_URI did not specify a host".into())
    })?;
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if allowed_http_host(host) => Ok(uri),
        Some("http") => Err(invalid(format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI may use http only for loopback, 169.254.170.2, 169.254.170.23 or [fd00:ec2::23], not {host}; use https"
        ))),
        _ => Err(invalid(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI must be http or https".into(),
        )),
    }
}

fn invalid(message: String) -> CredentialsError {
    CredentialsError::invalid_configuration(NAME, message)
}

fn failed(message: String) -> CredentialsError {
    CredentialsError::failed(NAME, message)
}

/// The authorization token to send, if configured.
pub fn authorization(env: &dyn Env, files: &dyn Files) -> Result<Option<String>, CredentialsError> {
    let token = match env.non_empty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(path) => Some(read_token_file(files, &PathBuf::from(&path)).map_err(|e| {
            failed(format!(
                "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {path}: {e}"
            ))
            .with_cause(e)
        })?),
        None => env.non_empty("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    };
    match token {
        Some(t) if t.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) => Err(invalid(
            "the container authorization token contains a line break".into(),
        )),
        other => Ok(other),
    }
}

/// The request for credentials.
pub fn request(
    uri: &http::Uri,
    authorization: Option<&str>,
) -> Result<HttpRequest, CredentialsError> {
    let mut b = http::Request::get(uri.clone()).header("accept", "application/json");
    if let Some(token) = authorization {
        b = b.header("authorization", token);
    }
    b.body(Vec::new())
        .map_err(|e| failed(format!("cannot build the request: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
    expiration: Option<String>,
    account_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    #[serde(alias = "Code")]
    code: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
}

/// Parses the endpoint's answer.
pub fn parse(resp: &HttpResponse) -> Result<Credentials, CredentialsError> {
    let status = resp.status();
    if !status.is_success() {
        let detail = serde_json::from_slice::<ErrorAnswer>(resp.body())
            .ok()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.code.unwrap_or_default(),
                    e.message.unwrap_or_default()
                )
            })
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&resp.body()[..resp.body().len().min(200)]).into_owned()
            });
        return Err(failed(format!(
            "the endpoint answered HTTP {}: {}",
            status.as_u16(),
            detail.trim()
        )));
    }
    // serde_json's messages give a position, never the body itself.
    let a: Answer = serde_json::from_slice(resp.body()).map_err(|e| {
        failed(format!(
            "the answer is not container credentials JSON ({})",
            crate::env::json_error(&e)
        ))
        .with_cause(e)
    })?;
    let expiry = match a.expiration.as_deref() {
        Some(e) => Some(
            time::parse_rfc3339(e)
                .ok_or_else(|| failed(format!("Expiration is not RFC 3339: {e:.40}")))?,
        ),
        None => None,
    };
    let creds = Credentials::builder(a.access_key_id, a.secret_access_key)
        .session_token(a.token)
        .expiry(expiry)
        .provider(NAME)
        .build();
    Ok(match a.account_id.filter(|x| !x.is_empty()) {
        Some(id) => creds.with_account_id(id),
        None => creds,
    })
}

/// The container credentials provider.
#[derive(Debug, Clone)]
pub struct ContainerProvider {
    env: Arc<dyn Env>,
    files: Arc<dyn Files>,
    transport: Arc<dyn Transport>,
}

impl ContainerProvider {
    /// Reads its configuration from `env` on every call.
    pub fn new(env: Arc<dyn Env>, files: Arc<dyn Files>, transport: Arc<dyn Transport>) -> Self {
        Self {
            env,
            files,
            transport,
        }
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let uri = endpoint(&*self.env)?;
        let token = authorization(&*self.env, &*self.files)?;
        let mut last = None;
        // Retried at once: the endpoint is local, and a provider must not
        // block an async runtime's thread with a sleep.
        for _ in 0..ATTEMPTS {
            let req = request(&uri, token.as_deref())?;
            match self.transport.send(req).await {
                Ok(resp) if resp.status().is_server_error() => last = Some(parse(&resp).err()),
                Ok(resp) => return parse(&resp),
                Err(e @ (TransportError::Connect(_) | TransportError::Timeout(_))) => {
                    last = Some(Some(failed(format!("{uri}: {e}")).with_cause(e)));
                }
                Err(e) => return Err(failed(format!("{uri}: {e}")).with_cause(e)),
            }
        }
        Err(last
            .flatten()
            .unwrap_or_else(|| failed(format!("{uri}: no answer after {ATTEMPTS} attempts"))))
    }
}

impl ProvideCredentials for ContainerProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}
