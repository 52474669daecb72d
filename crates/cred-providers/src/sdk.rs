//! Hands a provider of this crate to the official AWS SDK for Rust
//! (feature `aws-sdk`): an `aws_credential_types` `ProvideCredentials`.
//!
//! ```
//! use std::sync::Arc;
//! use aws_credential_types::provider::SharedCredentialsProvider;
//!
//! // The default chain, cached, wrapped for the SDK.
//! let chain = Arc::new(cred_providers::default_provider(None));
//! let provider = SharedCredentialsProvider::new(cred_providers::sdk::SdkProvider::new(chain));
//! // Then: aws_config::defaults(BehaviorVersion::latest())
//! //     .credentials_provider(provider).load().await
//! # drop(provider);
//! ```

use std::sync::Arc;

use aws_credential_types::provider::error::CredentialsError as SdkError;
use aws_credential_types::provider::future;

use crate::provider::{CredentialsError, ProvideCredentials};

/// A provider of this crate, as the AWS SDK takes one.
#[derive(Debug, Clone)]
pub struct SdkProvider(Arc<dyn ProvideCredentials>);

impl SdkProvider {
    /// Wraps `provider` (give it a [`crate::CachedProvider`]: the SDK asks
    /// for credentials often).
    pub fn new(provider: Arc<dyn ProvideCredentials>) -> Self {
        Self(provider)
    }
}

impl aws_credential_types::provider::ProvideCredentials for SdkProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            match self.0.provide_credentials().await {
                Ok(c) => Ok(aws_credential_types::Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    c.session_token().map(str::to_string),
                    c.expiry(),
                    "sigv4-rs",
                )),
                Err(e @ CredentialsError::NotConfigured { .. }) => Err(SdkError::not_loaded(e)),
                Err(e) => Err(SdkError::provider_error(e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EnvironmentProvider, MapEnv};
    use aws_credential_types::provider::ProvideCredentials as _;

    #[test]
    fn the_sdk_gets_the_same_credentials() {
        let env = MapEnv::new([
            ("AWS_ACCESS_KEY_ID", "AKIDSDK"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_SESSION_TOKEN", "t"),
        ]);
        let p = SdkProvider::new(Arc::new(EnvironmentProvider::new(Arc::new(env))));
        let c = pollster::block_on(p.provide_credentials()).unwrap();
        assert_eq!(
            (c.access_key_id(), c.secret_access_key(), c.session_token()),
            ("AKIDSDK", "s", Some("t"))
        );
        let none = SdkProvider::new(Arc::new(EnvironmentProvider::new(Arc::new(
            MapEnv::default(),
        ))));
        let err = pollster::block_on(none.provide_credentials()).unwrap_err();
        assert!(matches!(err, SdkError::CredentialsNotLoaded(_)), "{err:?}");
    }
}
