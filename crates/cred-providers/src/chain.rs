//! The default chain, in the AWS SDKs' order: environment variables, the
//! shared files' profile, web identity from the environment, the container
//! endpoint, then EC2 instance metadata (IMDSv2).
//!
//! A provider that is "not configured here" passes to the next; any other
//! error (a malformed file, a missing source profile, a failing process)
//! stops the chain, so a broken configuration is reported rather than
//! silently replaced by other credentials.

use std::fmt;
use std::sync::Arc;

use crate::Credentials;
use crate::clock::{Clock, SystemClock};
use crate::config::SharedConfig;
use crate::container::ContainerProvider;
use crate::env::{Env, Files};
use crate::environment::EnvironmentProvider;
use crate::imds::ImdsProvider;
use crate::profile_provider::credentials_in;
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};
use crate::sts_providers::WebIdentityProvider;
use crate::transport::Transport;

/// A step of the chain: one of the built-in providers, which read the
/// resolution's [`SharedConfig`], or a provider from elsewhere.
#[derive(Debug, Clone)]
enum Source {
    /// The selected profile of the shared files.
    Profile,
    /// Web identity from `AWS_WEB_IDENTITY_TOKEN_FILE` / `AWS_ROLE_ARN`.
    WebIdentityEnv,
    /// EC2 instance metadata (kept between resolutions for its token).
    Imds(ImdsProvider),
    /// Any provider that needs no shared configuration.
    Plain(Arc<dyn ProvideCredentials>),
}

/// What one step of the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The provider.
    pub provider: &'static str,
    /// What happened.
    pub outcome: Outcome,
}

/// A step's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Credentials found (the access key id).
    Found(String),
    /// Not configured; the chain went on.
    NotConfigured(String),
    /// Failed; the chain stopped.
    Failed(String),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Found(id) => write!(f, "{}: found credentials {id}", self.provider),
            Outcome::NotConfigured(why) => write!(f, "{}: not configured ({why})", self.provider),
            Outcome::Failed(why) => write!(f, "{}: failed: {why}", self.provider),
        }
    }
}

/// The default chain (uncached; [`default_provider`] caches it).
///
/// Each resolution locates and parses the shared files once, into a
/// [`SharedConfig`] that every built-in provider reads; every network
/// provider, IMDS included, sends through the chain's transport.
#[derive(Debug, Clone)]
pub struct DefaultChain {
    env: Arc<dyn Env>,
    files: Arc<dyn Files>,
    profile: Option<String>,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    providers: Vec<(&'static str, Source)>,
}

impl DefaultChain {
    /// The chain over `env` and `files`, with `profile` (`--profile`)
    /// overriding `AWS_PROFILE`; network providers use `transport`.
    pub fn new(
        env: Arc<dyn Env>,
        files: Arc<dyn Files>,
        profile: Option<String>,
        transport: Arc<dyn Transport>,
    ) -> Self {
        let imds = ImdsProvider::new(
            env.clone(),
            files.clone(),
            profile.clone(),
            transport.clone(),
        );
        let providers = vec![
            (
                "environment",
                Source::Plain(Arc::new(EnvironmentProvider::new(env.clone()))),
            ),
            ("profile", Source::Profile),
            ("web-identity-env", Source::WebIdentityEnv),
            (
                "container",
                Source::Plain(Arc::new(ContainerProvider::new(
                    env.clone(),
                    files.clone(),
                    transport.clone(),
                ))),
            ),
            ("imds", Source::Imds(imds)),
        ];
        Self {
            env,
            files,
            profile,
            transport,
            clock: Arc::new(SystemClock),
            providers,
        }
    }

    /// The same chain reading the time from `clock` (STS signing times
    /// and session names).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The chain over the process environment, the real files and the
    /// blocking transport.
    #[cfg(feature = "blocking")]
    pub fn from_process(profile: Option<String>) -> Self {
        Self::new(
            Arc::new(crate::env::ProcessEnv),
            Arc::new(crate::env::RealFiles),
            profile,
            Arc::new(crate::transport::BlockingTransport::default()),
        )
    }

    /// The chain with `provider` tried before the others (e.g. a Roles
    /// Anywhere provider from another crate).
    pub fn with_first(mut self, name: &'static str, provider: Arc<dyn ProvideCredentials>) -> Self {
        self.providers.insert(0, (name, Source::Plain(provider)));
        self
    }

    /// The chain with `provider` tried after the others.
    pub fn with_last(mut self, name: &'static str, provider: Arc<dyn ProvideCredentials>) -> Self {
        self.providers.push((name, Source::Plain(provider)));
        self
    }

    /// The providers' names, in the order they are tried.
    pub fn names(&self) -> Vec<&'static str> {
        self.providers.iter().map(|(n, _)| *n).collect()
    }

    /// The shared configuration as this chain reads it now.
    pub fn config(&self) -> SharedConfig {
        SharedConfig::load(self.env.clone(), self.files.clone(), self.profile.clone())
            .with_clock(self.clock.clone())
    }

    async fn step(
        &self,
        source: &Source,
        config: &SharedConfig,
    ) -> Result<Credentials, CredentialsError> {
        match source {
            Source::Profile => credentials_in(config, &self.transport).await,
            Source::WebIdentityEnv => {
                WebIdentityProvider::from_env(
                    &**config.env(),
                    config.sts_endpoint(None),
                    self.transport.clone(),
                    config.files().clone(),
                )?
                .with_clock(config.clock().clone())
                .provide_credentials()
                .await
            }
            Source::Imds(imds) => imds.client(Some(config))?.credentials().await,
            Source::Plain(p) => p.provide_credentials().await,
        }
    }

    /// Runs the chain, reporting every step it took.
    pub async fn credentials_with_report(
        &self,
    ) -> (Result<Credentials, CredentialsError>, Vec<Step>) {
        let config = self.config();
        let mut steps = Vec::new();
        for (name, source) in &self.providers {
            match self.step(source, &config).await {
                Ok(c) => {
                    steps.push(Step {
                        provider: name,
                        outcome: Outcome::Found(c.access_key_id().to_string()),
                    });
                    return (Ok(c), steps);
                }
                Err(e) if e.is_not_configured() => steps.push(Step {
                    provider: name,
                    outcome: Outcome::NotConfigured(e.to_string()),
                }),
                Err(e) => {
                    steps.push(Step {
                        provider: name,
                        outcome: Outcome::Failed(e.to_string()),
                    });
                    return (Err(e), steps);
                }
            }
        }
        let tried: Vec<&str> = self.providers.iter().map(|(n, _)| *n).collect();
        (
            Err(CredentialsError::not_configured(
                "default chain",
                format!(
                    "no credentials found (tried {}); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or configure a profile",
                    tried.join(", ")
                ),
            )),
            steps,
        )
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move { self.credentials_with_report().await.0 })
    }
}

/// The default chain over the process environment, cached.
#[cfg(feature = "blocking")]
pub fn default_provider(profile: Option<String>) -> crate::CachedProvider {
    crate::CachedProvider::new(Arc::new(DefaultChain::from_process(profile)))
}
