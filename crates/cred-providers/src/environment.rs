//! Credentials from environment variables, as every AWS SDK reads them:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and optionally
//! `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION` (RFC 3339) and
//! `AWS_ACCOUNT_ID`.

use std::sync::Arc;
use std::time::SystemTime;

use crate::env::{Env, ProcessEnv};
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};
use crate::{Credentials, time};

const NAME: &str = "environment";

/// The environment-variable provider.
#[derive(Debug, Clone)]
pub struct EnvironmentProvider {
    env: Arc<dyn Env>,
}

impl Default for EnvironmentProvider {
    fn default() -> Self {
        Self::new(Arc::new(ProcessEnv))
    }
}

impl EnvironmentProvider {
    /// Reads from `env`.
    pub fn new(env: Arc<dyn Env>) -> Self {
        Self { env }
    }

    /// Reads the variables now.
    pub fn credentials(&self) -> Result<Credentials, CredentialsError> {
        from_env(&*self.env)
    }
}

/// Credentials from the variables of `env`.
pub fn from_env(env: &dyn Env) -> Result<Credentials, CredentialsError> {
    let akid = env.non_empty("AWS_ACCESS_KEY_ID");
    let secret = env.non_empty("AWS_SECRET_ACCESS_KEY");
    let (akid, secret) = match (akid, secret) {
        (Some(a), Some(s)) => (a, s),
        (None, None) => {
            return Err(CredentialsError::not_configured(
                NAME,
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
            ));
        }
        (Some(_), None) => {
            return Err(CredentialsError::invalid_configuration(
                NAME,
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
            ));
        }
        (None, Some(_)) => {
            return Err(CredentialsError::invalid_configuration(
                NAME,
                "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
            ));
        }
    };
    let expiry: Option<SystemTime> = match env.non_empty("AWS_CREDENTIAL_EXPIRATION") {
        Some(e) => Some(time::parse_rfc3339(&e).ok_or_else(|| {
            CredentialsError::invalid_configuration(
                NAME,
                format!("AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 time: {e:.40}"),
            )
        })?),
        None => None,
    };
    let creds = Credentials::builder(akid, secret)
        .session_token(env.non_empty("AWS_SESSION_TOKEN"))
        .expiry(expiry)
        .provider(NAME)
        .build();
    Ok(match env.non_empty("AWS_ACCOUNT_ID") {
        Some(id) => creds.with_account_id(id),
        None => creds,
    })
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move { self.credentials() })
    }
}
