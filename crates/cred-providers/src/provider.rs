//! The provider trait and its error.
//!
//! A provider is asynchronous (network providers wait on I/O through a
//! transport); [`provide_blocking`] drives one to completion on the current
//! thread for callers without a runtime.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::Credentials;

/// The future a provider returns.
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// Something that produces credentials: the environment, a profile, a
/// process, STS, a metadata endpoint — or a provider from another crate.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Produces credentials.
    fn provide_credentials(&self) -> ProvideFuture<'_>;
}

/// Why a provider produced no credentials.
///
/// Messages never contain a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// This provider is not configured here (no variables, no profile
    /// keys); a chain moves on to the next one.
    #[error("{provider}: not configured: {reason}")]
    NotConfigured {
        /// The provider.
        provider: &'static str,
        /// What was missing.
        reason: String,
    },
    /// The configuration is there but broken (a malformed file, a missing
    /// source profile, a cycle); a chain stops here.
    #[error("{provider}: invalid configuration: {message}")]
    InvalidConfiguration {
        /// The provider.
        provider: &'static str,
        /// What is wrong, naming the file, line or profile.
        message: String,
    },
    /// Configured, but the configuration asks for something this crate does
    /// not do (e.g. SSO profiles).
    #[error("{provider}: not supported: {message}")]
    Unsupported {
        /// The provider.
        provider: &'static str,
        /// What, and what to do instead.
        message: String,
    },
    /// The provider tried and failed (a process exited non-zero, an
    /// endpoint answered with an error).
    #[error("{provider}: {message}")]
    Failed {
        /// The provider.
        provider: &'static str,
        /// What happened.
        message: String,
    },
}

impl CredentialsError {
    /// True when a chain should try the next provider.
    pub fn is_not_configured(&self) -> bool {
        matches!(self, CredentialsError::NotConfigured { .. })
    }
}

/// Runs a provider to completion on the current thread.
///
/// For providers that do no I/O or use a blocking transport; a provider
/// built on the `tokio` transport needs a tokio runtime instead.
pub fn provide_blocking(
    provider: &dyn ProvideCredentials,
) -> Result<Credentials, CredentialsError> {
    pollster::block_on(provider.provide_credentials())
}
