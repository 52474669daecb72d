//! Credentials for AWS-style endpoints, found where a workload runs — the
//! same places, in the same order, as the AWS SDKs look.
//!
//! * [`Credentials`]: the secret and token zeroised on drop, redacted in
//!   `Debug`, compared in constant time, cheap to clone;
//! * [`ProvideCredentials`]: the provider trait (async, object-safe, open
//!   to other crates) and [`provide_blocking`]; [`CredentialsError`] says
//!   whether a provider is not configured, misconfigured or failed, and
//!   keeps the lower error ([`Cause`]) as its source;
//! * [`SharedConfig`]: the environment, the shared config and credentials
//!   files (parsed once per resolution by the SDKs' rules, see
//!   [`profile`]) and the selected profile; the region ([`resolve_region`],
//!   [`SharedConfig::region`]) and endpoint overrides
//!   ([`SharedConfig::endpoint`]) come from it;
//! * the providers: [`EnvironmentProvider`], [`ProfileProvider`] (static
//!   keys, `credential_process` through [`ProcessProvider`], `role_arn`
//!   chains with `source_profile` / `credential_source`,
//!   `web_identity_token_file`), [`sts`] (AssumeRole, web identity,
//!   GetCallerIdentity, sans-IO) with [`AssumeRoleProvider`] and
//!   [`WebIdentityProvider`], [`ContainerProvider`] (ECS, EKS Pod
//!   Identity), [`ImdsProvider`] (IMDSv2); [`vault`] builds the Vault
//!   `iam` login;
//! * [`DefaultChain`] in the SDKs' order and [`CachedProvider`] (advisory
//!   and mandatory refresh windows, single flight, static stability);
//! * [`transport`]: the [`Transport`] trait that does every provider's I/O,
//!   a blocking transport (feature `blocking`, default) and a tokio one
//!   (feature `tokio`).
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use cred_providers::{EnvironmentProvider, MapEnv, provide_blocking};
//!
//! let env = MapEnv::new([
//!     ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
//!     ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
//! ]);
//! let provider = EnvironmentProvider::new(Arc::new(env));
//! let creds = provide_blocking(&provider)?;
//! assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
//! assert_eq!(creds.provider(), "environment");
//! # Ok::<(), cred_providers::CredentialsError>(())
//! ```

pub mod cache;
pub mod chain;
pub mod clock;
pub mod config;
pub mod container;
mod credentials;
pub mod encoding;
pub mod endpoint;
pub mod env;
mod environment;
pub mod iam_login;
pub mod imds;
#[cfg(feature = "oidc")]
pub mod oidc;
pub mod process;
pub mod profile;
mod profile_provider;
mod provider;
pub mod region;
#[cfg(feature = "aws-sdk")]
pub mod sdk;
pub mod sts;
mod sts_providers;
pub mod time;
pub mod transport;
pub mod vault;

pub use cache::{CachedProvider, Clock, SystemClock};
#[cfg(feature = "blocking")]
pub use chain::default_provider;
pub use chain::{DefaultChain, Outcome, Step};
pub use config::SharedConfig;
pub use container::ContainerProvider;
pub use credentials::Credentials;
pub use env::{Env, Files, MapEnv, ProcessEnv, RealFiles};
pub use environment::{EnvironmentProvider, from_env};
pub use imds::{ImdsClient, ImdsConfig, ImdsProvider};
pub use process::ProcessProvider;
pub use profile_provider::ProfileProvider;
pub use provider::{
    Cause, CredentialsError, ErrorKind, ProvideCredentials, ProvideFuture, provide_blocking,
};
pub use region::{RegionSource, resolve_region};
pub use sts_providers::{AssumeRoleProvider, WebIdentityProvider};
#[cfg(feature = "blocking")]
pub use transport::BlockingTransport;
#[cfg(feature = "tokio")]
pub use transport::StreamingBody;
#[cfg(feature = "tokio")]
pub use transport::TokioTransport;
pub use transport::{
    ClientCertificate, HttpRequest, HttpResponse, ProxySetting, RequestTimeout, TlsSetting,
    Transport, TransportConfig, TransportError,
};
