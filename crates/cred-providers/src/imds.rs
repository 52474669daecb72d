//! EC2 instance metadata (IMDSv2): the instance role's credentials and the
//! region.
//!
//! 1. `PUT /latest/api/token` with `x-aws-ec2-metadata-token-ttl-seconds`;
//!    the token is kept and renewed two minutes before its TTL runs out.
//! 2. `GET /latest/meta-data/iam/security-credentials-extended/` names the
//!    role (the extended path adds `AccountId`); a 404 there switches to the
//!    legacy `…/security-credentials/` path for good.
//! 3. `GET …/<role>` answers the credentials as JSON.
//!
//! A 401 fetches a new token once. IMDSv1 (no token) is used only when the
//! token request is answered 403, 404 or 405, or times out — as botocore and
//! the Go SDK do — and never with `AWS_EC2_METADATA_V1_DISABLED=true`.
//!
//! Configuration: `AWS_EC2_METADATA_DISABLED`,
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT` / `ec2_metadata_service_endpoint`,
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE` /
//! `ec2_metadata_service_endpoint_mode` (IPv4 `169.254.169.254`, IPv6
//! `[fd00:ec2::254]`), `AWS_EC2_METADATA_V1_DISABLED` /
//! `ec2_metadata_v1_disabled`, `AWS_METADATA_SERVICE_TIMEOUT` (seconds,
//! default 1) and `AWS_METADATA_SERVICE_NUM_ATTEMPTS` (default 1).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::clock::{Clock, SystemClock};
use crate::config::SharedConfig;
use crate::env::{Env, Files};
use crate::profile::ProfileSet;
use crate::profile_provider::ConfigSource;
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};
use crate::transport::{HttpRequest, HttpResponse, RequestTimeout, Transport, TransportError};
use crate::{Credentials, time};

const NAME: &str = "imds";
/// The token lifetime asked for (six hours, the maximum).
pub const TOKEN_TTL_SECS: u64 = 21_600;
const TOKEN_PATH: &str = "/latest/api/token";
const EXTENDED: &str = "/latest/meta-data/iam/security-credentials-extended/";
const LEGACY: &str = "/latest/meta-data/iam/security-credentials/";

/// IMDS settings, resolved from explicit values, the environment and the
/// profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImdsConfig {
    /// The base URL (`http://169.254.169.254`).
    pub endpoint: String,
    /// Whether IMDSv1 may be used when no token can be had.
    pub v1_disabled: bool,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Attempts per request.
    pub attempts: u32,
}

fn bad(message: String) -> CredentialsError {
    CredentialsError::invalid_configuration(NAME, message)
}

fn mode_endpoint(mode: &str) -> Result<&'static str, CredentialsError> {
    if mode.eq_ignore_ascii_case("ipv4") {
        Ok("http://169.254.169.254")
    } else if mode.eq_ignore_ascii_case("ipv6") {
        Ok("http://[fd00:ec2::254]")
    } else {
        Err(bad(format!(
            "`{mode}` is not a valid endpoint mode; use IPv4 or IPv6"
        )))
    }
}

fn truthy(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

impl ImdsConfig {
    /// Resolves the settings. An explicit endpoint wins over everything, an
    /// explicit mode only over the modes configured elsewhere.
    pub fn resolve(
        env: &dyn Env,
        set: &ProfileSet,
        profile: &str,
        explicit_endpoint: Option<&str>,
        explicit_mode: Option<&str>,
    ) -> Result<Option<Self>, CredentialsError> {
        let p = set.profile(profile);
        let prop = |k: &str| p.and_then(|p| p.get(k)).map(str::to_string);
        if truthy(env.non_empty("AWS_EC2_METADATA_DISABLED").as_deref()) {
            return Ok(None);
        }
        let endpoint = match explicit_endpoint
            .map(str::to_string)
            .or_else(|| env.non_empty("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
            .or_else(|| prop("ec2_metadata_service_endpoint"))
        {
            Some(e) => e,
            None => {
                let mode = explicit_mode
                    .map(str::to_string)
                    .or_else(|| env.non_empty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"))
                    .or_else(|| prop("ec2_metadata_service_endpoint_mode"))
                    .unwrap_or_else(|| "IPv4".into());
                mode_endpoint(&mode)?.to_string()
            }
        };
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let valid = endpoint.parse::<http::Uri>().ok().is_some_and(|u| {
            u.host().is_some() && matches!(u.scheme_str(), Some("http" | "https"))
        });
        if !valid {
            return Err(bad(format!(
                "the IMDS endpoint is not a valid http(s) URL (invalid uri character?): {endpoint:.80}"
            )));
        }
        let v1_disabled = truthy(env.non_empty("AWS_EC2_METADATA_V1_DISABLED").as_deref())
            || truthy(prop("ec2_metadata_v1_disabled").as_deref());
        let timeout = match env.non_empty("AWS_METADATA_SERVICE_TIMEOUT") {
            Some(t) => Duration::from_secs_f64(
                t.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|t| *t > 0.0 && *t < 3600.0)
                    .ok_or_else(|| {
                        bad(format!(
                            "AWS_METADATA_SERVICE_TIMEOUT is not a number of seconds: {t:.20}"
                        ))
                    })?,
            ),
            None => Duration::from_secs(1),
        };
        let attempts = match env.non_empty("AWS_METADATA_SERVICE_NUM_ATTEMPTS") {
            Some(a) => a
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|a| (1..=10).contains(a))
                .ok_or_else(|| {
                    bad(format!(
                        "AWS_METADATA_SERVICE_NUM_ATTEMPTS must be 1 to 10: {a:.20}"
                    ))
                })?,
            None => 1,
        };
        Ok(Some(Self {
            endpoint,
            v1_disabled,
            timeout,
            attempts,
        }))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsAnswer {
    code: Option<String>,
    message: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
    account_id: Option<String>,
}

/// Parses `…/security-credentials/<role>`.
pub fn parse_credentials(body: &[u8]) -> Result<Credentials, CredentialsError> {
    let failed = |m: String| CredentialsError::failed(NAME, m);
    let a: CredentialsAnswer = serde_json::from_slice(body).map_err(|e| {
        failed(format!(
            "the answer is not IMDS credentials JSON ({})",
            crate::env::json_error(&e)
        ))
        .with_cause(e)
    })?;
    if let Some(code) = a.code.as_deref().filter(|c| *c != "Success") {
        return Err(failed(format!(
            "IMDS answered {code}: {}",
            a.message.unwrap_or_default()
        )));
    }
    let (Some(id), Some(secret)) = (a.access_key_id, a.secret_access_key) else {
        return Err(failed(
            "the answer lacks AccessKeyId or SecretAccessKey".into(),
        ));
    };
    let expiry = match a.expiration.as_deref() {
        Some(e) => Some(
            time::parse_rfc3339(e)
                .ok_or_else(|| failed(format!("Expiration is not RFC 3339: {e:.40}")))?,
        ),
        None => None,
    };
    let creds = Credentials::builder(id, secret)
        .session_token(a.token)
        .expiry(expiry)
        .provider(NAME)
        .build();
    Ok(match a.account_id.filter(|x| !x.is_empty()) {
        Some(x) => creds.with_account_id(x),
        None => creds,
    })
}

#[derive(Default)]
struct State {
    /// The token and when to stop using it.
    token: Option<(String, Instant)>,
    /// IMDSv1 mode (the token request was refused or timed out).
    v1: bool,
    /// The extended path answered 404 once.
    legacy: bool,
}

/// An IMDS client: token handling, retries, v1 fallback.
#[derive(Clone)]
pub struct ImdsClient {
    config: ImdsConfig,
    transport: Arc<dyn Transport>,
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ImdsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImdsClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

enum Fetch {
    Ok(Vec<u8>),
    NotFound,
}

impl ImdsClient {
    /// A client with `config`, sending through `transport`; each request
    /// asks for `config.timeout` ([`RequestTimeout`]).
    pub fn new(config: ImdsConfig, transport: Arc<dyn Transport>) -> Self {
        Self {
            config,
            transport,
            state: Arc::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same client timing its token by `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    async fn send(
        &self,
        req: impl Fn() -> Result<HttpRequest, CredentialsError>,
    ) -> Result<HttpResponse, TransportError> {
        let mut last = TransportError::Other("no attempt".into());
        for _ in 0..self.config.attempts {
            let mut r = match req() {
                Ok(r) => r,
                Err(e) => return Err(TransportError::Other(e.to_string())),
            };
            r.extensions_mut()
                .insert(RequestTimeout(self.config.timeout));
            match self.transport.send(r).await {
                Ok(resp) if resp.status().is_server_error() => {
                    last = TransportError::Other(format!("HTTP {}", resp.status().as_u16()));
                }
                Ok(resp) => return Ok(resp),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The token to send, or `None` in IMDSv1 mode.
    async fn token(&self, renew: bool) -> Result<Option<String>, CredentialsError> {
        {
            let st = self.state();
            if st.v1 {
                return Ok(None);
            }
            if let Some((t, until)) = &st.token
                && !renew
                && self.clock.instant() < *until
            {
                return Ok(Some(t.clone()));
            }
        }
        let url = format!("{}{TOKEN_PATH}", self.config.endpoint);
        let result = self
            .send(|| {
                http::Request::put(url.as_str())
                    .header(
                        "x-aws-ec2-metadata-token-ttl-seconds",
                        TOKEN_TTL_SECS.to_string(),
                    )
                    .body(Vec::new())
                    .map_err(|e| unreachable_imds(e.to_string()))
            })
            .await;
        let v1_fallback = match &result {
            Ok(resp) if resp.status().is_success() => {
                let token = String::from_utf8_lossy(resp.body()).trim().to_string();
                let until = self.clock.instant() + Duration::from_secs(TOKEN_TTL_SECS - 120);
                self.state().token = Some((token.clone(), until));
                return Ok(Some(token));
            }
            Ok(resp) => matches!(resp.status().as_u16(), 403..=405),
            Err(TransportError::Timeout(_)) => true,
            Err(_) => false,
        };
        if v1_fallback && !self.config.v1_disabled {
            self.state().v1 = true;
            return Ok(None);
        }
        Err(match result {
            Ok(resp) => CredentialsError::failed(
                NAME,
                format!(
                    "the token request was answered HTTP {}{}",
                    resp.status().as_u16(),
                    if self.config.v1_disabled {
                        " and IMDSv1 is disabled"
                    } else {
                        ""
                    }
                ),
            ),
            Err(e) => CredentialsError::not_configured(
                NAME,
                format!(
                    "no instance metadata service at {}: {e}",
                    self.config.endpoint
                ),
            ),
        })
    }

    async fn get(&self, path: &str) -> Result<Fetch, CredentialsError> {
        let url = format!("{}{path}", self.config.endpoint);
        for renew in [false, true] {
            let token = self.token(renew).await?;
            let resp = self
                .send(|| {
                    let mut b = http::Request::get(url.as_str());
                    if let Some(t) = &token {
                        b = b.header("x-aws-ec2-metadata-token", t.as_str());
                    }
                    b.body(Vec::new())
                        .map_err(|e| unreachable_imds(e.to_string()))
                })
                .await
                .map_err(|e| CredentialsError::failed(NAME, format!("{url}: {e}")).with_cause(e))?;
            match resp.status().as_u16() {
                200 => return Ok(Fetch::Ok(resp.into_body())),
                404 => return Ok(Fetch::NotFound),
                401 if !renew && token.is_some() => continue,
                s => {
                    return Err(CredentialsError::failed(
                        NAME,
                        format!("{url} answered HTTP {s}"),
                    ));
                }
            }
        }
        Err(CredentialsError::failed(
            NAME,
            format!("{url}: the token was refused twice"),
        ))
    }

    /// A metadata path as text (404 is `None`).
    pub async fn get_text(&self, path: &str) -> Result<Option<String>, CredentialsError> {
        Ok(match self.get(path).await? {
            Fetch::Ok(b) => Some(String::from_utf8_lossy(&b).trim().to_string()),
            Fetch::NotFound => None,
        })
    }

    /// The instance's region (`placement/region`).
    pub async fn region(&self) -> Result<Option<String>, CredentialsError> {
        self.get_text("/latest/meta-data/placement/region").await
    }

    /// The instance role's credentials.
    pub async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut base = if self.state().legacy {
            LEGACY
        } else {
            EXTENDED
        };
        let roles = match self.get_text(base).await? {
            Some(r) => r,
            None if base == EXTENDED => {
                self.state().legacy = true;
                base = LEGACY;
                self.get_text(LEGACY).await?.ok_or_else(no_role)?
            }
            None => return Err(no_role()),
        };
        let role = roles
            .lines()
            .next()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or_else(no_role)?;
        match self.get(&format!("{base}{role}")).await? {
            Fetch::Ok(body) => parse_credentials(&body),
            Fetch::NotFound => Err(CredentialsError::failed(
                NAME,
                format!("role `{role}` has no credentials (HTTP 404)"),
            )),
        }
    }
}

fn no_role() -> CredentialsError {
    CredentialsError::not_configured(NAME, "no IAM role is attached to this instance")
}

#[cold]
fn unreachable_imds(message: String) -> CredentialsError {
    CredentialsError::failed(NAME, message)
}

/// The IMDS credentials provider: settings are read when it first runs,
/// and its requests go through the transport it is given, each with the
/// metadata timeout ([`RequestTimeout`]).
#[derive(Debug, Clone)]
pub struct ImdsProvider {
    source: ConfigSource,
    transport: Arc<dyn Transport>,
    client: Arc<Mutex<Option<ImdsClient>>>,
}

impl ImdsProvider {
    /// Reads `env` and the profile when it first runs; sends through
    /// `transport`.
    pub fn new(
        env: Arc<dyn Env>,
        files: Arc<dyn Files>,
        profile: Option<String>,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Self {
            source: ConfigSource::Load {
                env,
                files,
                profile,
            },
            transport,
            client: Arc::default(),
        }
    }

    /// Takes its settings from an already loaded configuration.
    pub fn with_config(config: SharedConfig, transport: Arc<dyn Transport>) -> Self {
        Self {
            source: ConfigSource::Fixed(config),
            transport,
            client: Arc::default(),
        }
    }

    /// The client, made from `config` (or the provider's own source) the
    /// first time; kept afterwards with its token.
    pub(crate) fn client(
        &self,
        config: Option<&SharedConfig>,
    ) -> Result<ImdsClient, CredentialsError> {
        let mut slot = match self.client.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let own;
        let config = match config {
            Some(c) => c,
            None => {
                own = self.source.get();
                &own
            }
        };
        let empty = ProfileSet::default();
        let set = config.profiles().unwrap_or(&empty);
        let settings =
            ImdsConfig::resolve(&**config.env(), set, config.profile_name(), None, None)?
                .ok_or_else(|| {
                    CredentialsError::not_configured(NAME, "AWS_EC2_METADATA_DISABLED is true")
                })?;
        let client =
            ImdsClient::new(settings, self.transport.clone()).with_clock(config.clock().clone());
        *slot = Some(client.clone());
        Ok(client)
    }
}

impl ProvideCredentials for ImdsProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move { self.client(None)?.credentials().await })
    }
}

/// The instance's region from IMDS, for when nothing else sets one; `None`
/// when IMDS is disabled, absent or says nothing. Blocks briefly (the
/// metadata timeouts apply).
#[cfg(feature = "blocking")]
pub fn region_from_env(env: &dyn Env, files: &dyn Files, profile: Option<&str>) -> Option<String> {
    let (set, loc) = ProfileSet::from_env(env, files, profile).ok()?;
    let config = ImdsConfig::resolve(env, &set, &loc.profile, None, None).ok()??;
    let transport = Arc::new(crate::transport::BlockingTransport::default());
    pollster::block_on(ImdsClient::new(config, transport).region()).ok()?
}
