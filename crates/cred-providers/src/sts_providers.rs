//! Providers on top of STS: a role assumed with other credentials, and a
//! role assumed with a web identity token (EKS IRSA, OpenShift's Cloud
//! Credential Operator, GitHub Actions), the token file re-read on every
//! refresh because it rotates.

use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::env::{Env, Files, read_token_file};
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};
use crate::sts::{self, AssumeRoleParams, StsEndpoint, StsError};
use crate::transport::Transport;
use crate::{CachedProvider, Credentials};

fn sts_failed(provider: &'static str, e: StsError) -> CredentialsError {
    CredentialsError::failed(provider, e.to_string()).with_cause(e)
}

/// Sends an STS request that answers credentials, and reads them; errors
/// name the endpoint or the role.
async fn exchange(
    transport: &dyn Transport,
    endpoint: &StsEndpoint,
    req: crate::transport::HttpRequest,
    provider: &'static str,
    role_arn: &str,
) -> Result<Credentials, CredentialsError> {
    let resp = transport.send(req).await.map_err(|e| {
        CredentialsError::failed(provider, format!("STS at {}: {e}", endpoint.url)).with_cause(e)
    })?;
    sts::parse_credentials(&resp, provider)
        .map_err(|e| CredentialsError::failed(provider, format!("{e} ({role_arn})")).with_cause(e))
}

/// `AssumeRole` with the credentials of another provider.
#[derive(Debug, Clone)]
pub struct AssumeRoleProvider {
    source: Arc<dyn ProvideCredentials>,
    params: AssumeRoleParams,
    endpoint: StsEndpoint,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
}

impl AssumeRoleProvider {
    /// The provider, uncached.
    pub fn new(
        source: Arc<dyn ProvideCredentials>,
        params: AssumeRoleParams,
        endpoint: StsEndpoint,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Self {
            source,
            params,
            endpoint,
            transport,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same provider signing at `clock`'s time.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The provider behind the cache (what callers should use).
    pub fn cached(
        source: Arc<dyn ProvideCredentials>,
        params: AssumeRoleParams,
        endpoint: StsEndpoint,
        transport: Arc<dyn Transport>,
    ) -> CachedProvider {
        CachedProvider::new(Arc::new(Self::new(source, params, endpoint, transport)))
    }

    async fn assume(&self) -> Result<Credentials, CredentialsError> {
        const NAME: &str = "assume-role";
        let source = self.source.provide_credentials().await?;
        let req = sts::assume_role_request(&self.endpoint, &self.params, &source, self.clock.now())
            .map_err(|e| sts_failed(NAME, e))?;
        exchange(
            &*self.transport,
            &self.endpoint,
            req,
            NAME,
            &self.params.role_arn,
        )
        .await
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.assume())
    }
}

/// `AssumeRoleWithWebIdentity` with a token file.
#[derive(Debug, Clone)]
pub struct WebIdentityProvider {
    role_arn: String,
    token_file: PathBuf,
    session_name: Option<String>,
    endpoint: StsEndpoint,
    transport: Arc<dyn Transport>,
    files: Arc<dyn Files>,
    clock: Arc<dyn Clock>,
}

impl WebIdentityProvider {
    /// The provider, uncached.
    pub fn new(
        role_arn: impl Into<String>,
        token_file: impl Into<PathBuf>,
        session_name: Option<String>,
        endpoint: StsEndpoint,
        transport: Arc<dyn Transport>,
        files: Arc<dyn Files>,
    ) -> Self {
        Self {
            role_arn: role_arn.into(),
            token_file: token_file.into(),
            session_name,
            endpoint,
            transport,
            files,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same provider naming sessions by `clock`'s time.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// From `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and
    /// `AWS_ROLE_SESSION_NAME`; not configured without the first two.
    pub fn from_env(
        env: &dyn Env,
        endpoint: StsEndpoint,
        transport: Arc<dyn Transport>,
        files: Arc<dyn Files>,
    ) -> Result<Self, CredentialsError> {
        const NAME: &str = "web-identity-env";
        match (
            env.non_empty("AWS_WEB_IDENTITY_TOKEN_FILE"),
            env.non_empty("AWS_ROLE_ARN"),
        ) {
            (Some(file), Some(role)) => Ok(Self::new(
                role,
                file,
                env.non_empty("AWS_ROLE_SESSION_NAME"),
                endpoint,
                transport,
                files,
            )),
            (None, None) => Err(CredentialsError::not_configured(
                NAME,
                "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set",
            )),
            (Some(_), None) => Err(CredentialsError::invalid_configuration(
                NAME,
                "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not",
            )),
            (None, Some(_)) => Err(CredentialsError::not_configured(
                NAME,
                "AWS_ROLE_ARN is set without AWS_WEB_IDENTITY_TOKEN_FILE",
            )),
        }
    }

    async fn assume(&self) -> Result<Credentials, CredentialsError> {
        const NAME: &str = "web-identity";
        let token = read_token_file(&*self.files, &self.token_file).map_err(|e| {
            CredentialsError::failed(
                NAME,
                format!(
                    "cannot read the token file {}: {e}",
                    self.token_file.display()
                ),
            )
            .with_cause(e)
        })?;
        let session = self
            .session_name
            .clone()
            .unwrap_or_else(|| sts::default_session_name(self.clock.now()));
        let req = sts::assume_role_with_web_identity_request(
            &self.endpoint,
            &self.role_arn,
            &session,
            &token,
            None,
        )
        .map_err(|e| sts_failed(NAME, e))?;
        exchange(&*self.transport, &self.endpoint, req, NAME, &self.role_arn).await
    }
}

impl ProvideCredentials for WebIdentityProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.assume())
    }
}
