//! Credentials from the selected profile of the shared files: static keys,
//! `credential_process`, `credential_source = Environment`, a web identity
//! token file, and any chain of roles assumed on top (`role_arn` with
//! `source_profile` or `credential_source`), through STS.

use std::sync::Arc;

use crate::Credentials;
use crate::config::SharedConfig;
use crate::container::ContainerProvider;
use crate::env::{Env, Files};
use crate::environment::EnvironmentProvider;
use crate::imds::ImdsProvider;
use crate::process::ProcessProvider;
use crate::profile::{self, Base, NamedSource, ProfileChain, ResolveError};
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};
use crate::sts::AssumeRoleParams;
use crate::sts_providers::{AssumeRoleProvider, WebIdentityProvider};
use crate::transport::Transport;

const NAME: &str = "profile";

/// Credentials that are simply there.
#[derive(Debug, Clone)]
pub(crate) struct StaticProvider(pub(crate) Credentials);

impl ProvideCredentials for StaticProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

/// Where a provider's configuration comes from: loaded when it runs, or a
/// snapshot it was given.
#[derive(Debug, Clone)]
pub(crate) enum ConfigSource {
    /// Locate and parse the files on each call.
    Load {
        env: Arc<dyn Env>,
        files: Arc<dyn Files>,
        profile: Option<String>,
    },
    /// Use this snapshot.
    Fixed(SharedConfig),
}

impl ConfigSource {
    pub(crate) fn get(&self) -> SharedConfig {
        match self {
            ConfigSource::Load {
                env,
                files,
                profile,
            } => SharedConfig::load(env.clone(), files.clone(), profile.clone()),
            ConfigSource::Fixed(c) => c.clone(),
        }
    }
}

/// The shared-files provider.
#[derive(Debug, Clone)]
pub struct ProfileProvider {
    source: ConfigSource,
    transport: Arc<dyn Transport>,
}

impl ProfileProvider {
    /// Reads the files that `env` points to when it runs; `profile`
    /// (`--profile`) wins over `AWS_PROFILE`; STS calls go through
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
        }
    }

    /// Resolves the selected profile of an already loaded configuration.
    pub fn with_config(config: SharedConfig, transport: Arc<dyn Transport>) -> Self {
        Self {
            source: ConfigSource::Fixed(config),
            transport,
        }
    }

    /// Loads the files and resolves the selected profile.
    pub fn resolve(&self) -> Result<(String, ProfileChain), CredentialsError> {
        let config = self.source.get();
        resolve_in(&config).map(|chain| (config.profile_name().to_string(), chain))
    }

    /// Produces the profile's credentials: the base, then each role.
    pub async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let config = self.source.get();
        credentials_in(&config, &self.transport).await
    }
}

/// The selected profile's base and roles.
fn resolve_in(config: &SharedConfig) -> Result<ProfileChain, CredentialsError> {
    let set = config.profiles().map_err(|e| {
        CredentialsError::invalid_configuration(NAME, e.to_string()).with_cause(e.clone())
    })?;
    let name = config.profile_name();
    let explicit = config.profile_is_explicit();
    profile::resolve(set, name).map_err(|e| match e {
        ResolveError::NoProfiles(_) | ResolveError::ProfileNotFound(_) if !explicit => {
            CredentialsError::not_configured(
                NAME,
                format!("no profile `{name}` in the shared files"),
            )
        }
        ResolveError::NoCredentials(p) => {
            CredentialsError::not_configured(NAME, format!("profile `{p}` has no credentials"))
        }
        ResolveError::SsoUnsupported(_) => CredentialsError::unsupported(NAME, e.to_string()),
        other => CredentialsError::invalid_configuration(NAME, other.to_string()).with_cause(other),
    })
}

/// The selected profile's credentials, from `config` as loaded.
pub(crate) async fn credentials_in(
    config: &SharedConfig,
    transport: &Arc<dyn Transport>,
) -> Result<Credentials, CredentialsError> {
    let chain = resolve_in(config)?;
    let endpoint = config.sts_endpoint(None);
    let base: Arc<dyn ProvideCredentials> = match chain.base {
        Base::AccessKey {
            access_key_id,
            secret_access_key,
            session_token,
            account_id,
            ..
        } => {
            let creds = Credentials::builder(access_key_id, secret_access_key.as_str())
                .session_token(session_token.map(|t| t.as_str().to_string()))
                .provider(NAME)
                .build();
            Arc::new(StaticProvider(match account_id {
                Some(a) => creds.with_account_id(a),
                None => creds,
            }))
        }
        Base::Process { command, .. } => Arc::new(ProcessProvider::new(command)),
        Base::Named(NamedSource::Environment) => {
            Arc::new(EnvironmentProvider::new(config.env().clone()))
        }
        Base::Named(NamedSource::EcsContainer) => Arc::new(ContainerProvider::new(
            config.env().clone(),
            config.files().clone(),
            transport.clone(),
        )),
        Base::Named(NamedSource::Ec2InstanceMetadata) => {
            Arc::new(ImdsProvider::with_config(config.clone(), transport.clone()))
        }
        Base::WebIdentity {
            role_arn,
            token_file,
            session_name,
            ..
        } => Arc::new(
            WebIdentityProvider::new(
                role_arn,
                token_file,
                session_name,
                endpoint.clone(),
                transport.clone(),
                config.files().clone(),
            )
            .with_clock(config.clock().clone()),
        ),
    };
    let mut current = base;
    for role in chain.roles {
        let params = AssumeRoleParams {
            role_arn: role.role_arn,
            session_name: role.session_name,
            external_id: role.external_id,
            duration_seconds: role.duration_seconds,
        };
        current = Arc::new(
            AssumeRoleProvider::new(current, params, endpoint.clone(), transport.clone())
                .with_clock(config.clock().clone()),
        );
    }
    current.provide_credentials().await
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.credentials())
    }
}
