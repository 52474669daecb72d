//! The provider trait and its error.
//!
//! A provider is asynchronous (network providers wait on I/O through a
//! transport); [`provide_blocking`] drives one to completion on the current
//! thread for callers without a runtime.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::Credentials;
use crate::profile::{LoadError, ResolveError};
use crate::sts::StsError;
use crate::transport::TransportError;

/// The future a provider returns.
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// Something that produces credentials: the environment, a profile, a
/// process, STS, a metadata endpoint — or a provider from another crate.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Produces credentials.
    fn provide_credentials(&self) -> ProvideFuture<'_>;
}

/// A shared provider is a provider.
impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        (**self).provide_credentials()
    }
}

/// Why a provider produced no credentials.
///
/// The variant is the *kind* of failure, which decides what a chain (or a
/// caller) does next: [`NotConfigured`](Self::NotConfigured) moves a chain
/// on, the others stop it. [`InvalidConfiguration`](Self::InvalidConfiguration)
/// and [`Failed`](Self::Failed) keep the lower error that caused them, typed
/// ([`Cause`]), as their [`source`](std::error::Error::source); the
/// message already includes its text. Messages never contain a secret.
///
/// Build one with [`not_configured`](Self::not_configured),
/// [`invalid_configuration`](Self::invalid_configuration),
/// [`unsupported`](Self::unsupported) or [`failed`](Self::failed), and add
/// the cause with [`with_cause`](Self::with_cause).
#[derive(Clone, Debug, thiserror::Error)]
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
        /// The lower error, when there is one.
        #[source]
        cause: Option<Cause>,
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
    /// endpoint answered with an error or not at all).
    #[error("{provider}: {message}")]
    Failed {
        /// The provider.
        provider: &'static str,
        /// What happened.
        message: String,
        /// The lower error, when there is one.
        #[source]
        cause: Option<Cause>,
    },
}

/// The lower error behind a [`CredentialsError`], kept typed so that a
/// caller can tell a timeout from a refusal without reading text.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// The endpoint could not be reached (connection, TLS, timeout).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// STS refused or answered something unusable.
    #[error(transparent)]
    Sts(#[from] StsError),
    /// The shared config or credentials file could not be read or parsed.
    #[error(transparent)]
    Config(#[from] LoadError),
    /// The selected profile cannot be resolved.
    #[error(transparent)]
    Profile(#[from] ResolveError),
    /// A file (token file, process) could not be read or run.
    #[error(transparent)]
    Io(Arc<std::io::Error>),
    /// An answer that is not the JSON expected.
    #[error(transparent)]
    Json(Arc<serde_json::Error>),
    /// An error of another crate's provider (e.g. Roles Anywhere).
    #[error(transparent)]
    Other(Arc<dyn std::error::Error + Send + Sync>),
}

impl From<std::io::Error> for Cause {
    fn from(e: std::io::Error) -> Self {
        Cause::Io(Arc::new(e))
    }
}

impl From<serde_json::Error> for Cause {
    fn from(e: serde_json::Error) -> Self {
        Cause::Json(Arc::new(e))
    }
}

/// The kind of a [`CredentialsError`], for callers that only branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not configured here.
    NotConfigured,
    /// Configured but broken.
    InvalidConfiguration,
    /// Configured for something not supported.
    Unsupported,
    /// Tried and failed.
    Failed,
}

impl CredentialsError {
    /// `provider` is not configured here, because `reason`.
    pub fn not_configured(provider: &'static str, reason: impl Into<String>) -> Self {
        Self::NotConfigured {
            provider,
            reason: reason.into(),
        }
    }

    /// `provider`'s configuration is broken: `message`.
    pub fn invalid_configuration(provider: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidConfiguration {
            provider,
            message: message.into(),
            cause: None,
        }
    }

    /// `provider` is configured for something not supported: `message`.
    pub fn unsupported(provider: &'static str, message: impl Into<String>) -> Self {
        Self::Unsupported {
            provider,
            message: message.into(),
        }
    }

    /// `provider` tried and failed: `message`.
    pub fn failed(provider: &'static str, message: impl Into<String>) -> Self {
        Self::Failed {
            provider,
            message: message.into(),
            cause: None,
        }
    }

    /// The same error with `cause` as its source (for the kinds that keep
    /// one; the others are returned unchanged).
    pub fn with_cause(mut self, cause: impl Into<Cause>) -> Self {
        match &mut self {
            Self::InvalidConfiguration { cause: c, .. } | Self::Failed { cause: c, .. } => {
                *c = Some(cause.into());
            }
            Self::NotConfigured { .. } | Self::Unsupported { .. } => {}
        }
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotConfigured { .. } => ErrorKind::NotConfigured,
            Self::InvalidConfiguration { .. } => ErrorKind::InvalidConfiguration,
            Self::Unsupported { .. } => ErrorKind::Unsupported,
            Self::Failed { .. } => ErrorKind::Failed,
        }
    }

    /// The provider that failed.
    pub fn provider(&self) -> &'static str {
        match self {
            Self::NotConfigured { provider, .. }
            | Self::InvalidConfiguration { provider, .. }
            | Self::Unsupported { provider, .. }
            | Self::Failed { provider, .. } => provider,
        }
    }

    /// The typed lower error, if any.
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            Self::InvalidConfiguration { cause, .. } | Self::Failed { cause, .. } => cause.as_ref(),
            Self::NotConfigured { .. } | Self::Unsupported { .. } => None,
        }
    }

    /// True when a chain should try the next provider.
    pub fn is_not_configured(&self) -> bool {
        matches!(self, CredentialsError::NotConfigured { .. })
    }

    /// True when trying again later may succeed: the source could not be
    /// reached or timed out, or STS answered with a throttling or server
    /// error. A broken configuration or a refusal is not retryable.
    pub fn is_retryable(&self) -> bool {
        match self.cause() {
            Some(Cause::Transport(t)) => t.is_retryable(),
            Some(Cause::Sts(s)) => s.is_retryable(),
            _ => false,
        }
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
