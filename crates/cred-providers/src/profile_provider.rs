//! Credentials from the selected profile of the shared files: static keys,
//! `credential_process`, or `credential_source = Environment`; role chains
//! and web identity are resolved here and called once the STS provider
//! exists.

use std::sync::Arc;

use crate::Credentials;
use crate::env::{Env, Files};
use crate::environment;
use crate::process::ProcessProvider;
use crate::profile::{self, Base, NamedSource, ProfileChain, ProfileSet, ResolveError};
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};

const NAME: &str = "profile";

/// The shared-files provider.
#[derive(Debug, Clone)]
pub struct ProfileProvider {
    env: Arc<dyn Env>,
    files: Arc<dyn Files>,
    profile: Option<String>,
}

impl ProfileProvider {
    /// Reads the files that `env` points to; `profile` (`--profile`) wins
    /// over `AWS_PROFILE`.
    pub fn new(env: Arc<dyn Env>, files: Arc<dyn Files>, profile: Option<String>) -> Self {
        Self {
            env,
            files,
            profile,
        }
    }

    /// Loads the files and resolves the selected profile.
    pub fn resolve(&self) -> Result<(String, ProfileChain), CredentialsError> {
        let (set, loc) = ProfileSet::from_env(&*self.env, &*self.files, self.profile.as_deref())
            .map_err(|e| CredentialsError::InvalidConfiguration {
                provider: NAME,
                message: e.to_string(),
            })?;
        let explicit = self.profile.is_some() || self.env.non_empty("AWS_PROFILE").is_some();
        let chain = profile::resolve(&set, &loc.profile).map_err(|e| match e {
            ResolveError::NoProfiles(_) | ResolveError::ProfileNotFound(_) if !explicit => {
                CredentialsError::NotConfigured {
                    provider: NAME,
                    reason: format!("no profile `{}` in the shared files", loc.profile),
                }
            }
            ResolveError::NoCredentials(p) => CredentialsError::NotConfigured {
                provider: NAME,
                reason: format!("profile `{p}` has no credentials"),
            },
            ResolveError::SsoUnsupported(_) => CredentialsError::Unsupported {
                provider: NAME,
                message: e.to_string(),
            },
            other => CredentialsError::InvalidConfiguration {
                provider: NAME,
                message: other.to_string(),
            },
        })?;
        Ok((loc.profile, chain))
    }

    /// Produces the profile's credentials (this runs `credential_process`
    /// synchronously).
    pub fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let (name, chain) = self.resolve()?;
        if let Some(role) = chain.roles.last() {
            return Err(CredentialsError::Unsupported {
                provider: NAME,
                message: format!(
                    "profile `{name}` assumes role {} (from profile `{}`); AssumeRole needs the STS provider, which is not built yet",
                    role.role_arn, role.profile
                ),
            });
        }
        match chain.base {
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
                Ok(match account_id {
                    Some(a) => creds.with_account_id(a),
                    None => creds,
                })
            }
            Base::Process { command, .. } => ProcessProvider::new(command).credentials(),
            Base::Named(NamedSource::Environment) => environment::from_env(&*self.env),
            Base::Named(other) => Err(CredentialsError::Unsupported {
                provider: NAME,
                message: format!(
                    "profile `{name}` uses credential_source {}; that provider is not built yet",
                    other.as_str()
                ),
            }),
            Base::WebIdentity { role_arn, .. } => Err(CredentialsError::Unsupported {
                provider: NAME,
                message: format!(
                    "profile `{name}` assumes {role_arn} with a web identity token; that needs the STS provider, which is not built yet"
                ),
            }),
        }
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move { self.credentials() })
    }
}
