//! Credentials from the selected profile of the shared files: static keys,
//! `credential_process`, `credential_source = Environment`, a web identity
//! token file, and any chain of roles assumed on top (`role_arn` with
//! `source_profile` or `credential_source`), through STS.

use std::sync::Arc;

use crate::Credentials;
use crate::container::ContainerProvider;
use crate::env::{Env, Files};
use crate::environment::EnvironmentProvider;
use crate::imds::ImdsProvider;
use crate::process::ProcessProvider;
use crate::profile::{self, Base, NamedSource, ProfileChain, ProfileSet, ResolveError};
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};
use crate::sts::{AssumeRoleParams, configured_endpoint};
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

/// The shared-files provider.
#[derive(Debug, Clone)]
pub struct ProfileProvider {
    env: Arc<dyn Env>,
    files: Arc<dyn Files>,
    profile: Option<String>,
    transport: Arc<dyn Transport>,
}

impl ProfileProvider {
    /// Reads the files that `env` points to; `profile` (`--profile`) wins
    /// over `AWS_PROFILE`; STS calls go through `transport`.
    pub fn new(
        env: Arc<dyn Env>,
        files: Arc<dyn Files>,
        profile: Option<String>,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Self {
            env,
            files,
            profile,
            transport,
        }
    }

    /// Loads the files and resolves the selected profile.
    pub fn resolve(&self) -> Result<(String, ProfileChain), CredentialsError> {
        self.resolve_with_set()
            .map(|(name, chain, _)| (name, chain))
    }

    fn resolve_with_set(&self) -> Result<(String, ProfileChain, ProfileSet), CredentialsError> {
        let (set, loc) = ProfileSet::from_env(&*self.env, &*self.files, self.profile.as_deref())
            .map_err(|e| {
                CredentialsError::invalid_configuration(NAME, e.to_string()).with_cause(e)
            })?;
        let explicit = self.profile.is_some() || self.env.non_empty("AWS_PROFILE").is_some();
        let chain = profile::resolve(&set, &loc.profile).map_err(|e| match e {
            ResolveError::NoProfiles(_) | ResolveError::ProfileNotFound(_) if !explicit => {
                CredentialsError::not_configured(
                    NAME,
                    format!("no profile `{}` in the shared files", loc.profile),
                )
            }
            ResolveError::NoCredentials(p) => {
                CredentialsError::not_configured(NAME, format!("profile `{p}` has no credentials"))
            }
            ResolveError::SsoUnsupported(_) => CredentialsError::unsupported(NAME, e.to_string()),
            other => {
                CredentialsError::invalid_configuration(NAME, other.to_string()).with_cause(other)
            }
        })?;
        Ok((loc.profile, chain, set))
    }

    /// Produces the profile's credentials: the base, then each role.
    pub async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let (name, chain, set) = self.resolve_with_set()?;
        let endpoint = configured_endpoint(&*self.env, &*self.files, &set, Some(&name), None);
        let base: Arc<dyn ProvideCredentials> = match chain.base {
            Base::AccessKey {
                access_key_id,
                secret_access_key,
                session_token,
                account_id,
                ..
            } => {
                let creds = Credentials::new(
                    access_key_id,
                    secret_access_key.as_str(),
                    session_token.map(|t| t.as_str().to_string()),
                    None,
                    NAME,
                );
                Arc::new(StaticProvider(match account_id {
                    Some(a) => creds.with_account_id(a),
                    None => creds,
                }))
            }
            Base::Process { command, .. } => Arc::new(ProcessProvider::new(command)),
            Base::Named(NamedSource::Environment) => {
                Arc::new(EnvironmentProvider::new(self.env.clone()))
            }
            Base::Named(NamedSource::EcsContainer) => Arc::new(ContainerProvider::new(
                self.env.clone(),
                self.files.clone(),
                self.transport.clone(),
            )),
            Base::Named(NamedSource::Ec2InstanceMetadata) => Arc::new(ImdsProvider::new(
                self.env.clone(),
                self.files.clone(),
                Some(name.clone()),
                None,
            )),
            Base::WebIdentity {
                role_arn,
                token_file,
                session_name,
                ..
            } => Arc::new(WebIdentityProvider::new(
                role_arn,
                token_file,
                session_name,
                endpoint.clone(),
                self.transport.clone(),
                self.files.clone(),
            )),
        };
        let mut current = base;
        for role in chain.roles {
            let params = AssumeRoleParams {
                role_arn: role.role_arn,
                session_name: role.session_name,
                external_id: role.external_id,
                duration_seconds: role.duration_seconds,
            };
            current = Arc::new(AssumeRoleProvider::new(
                current,
                params,
                endpoint.clone(),
                self.transport.clone(),
            ));
        }
        current.provide_credentials().await
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.credentials())
    }
}
