//! Credentials for AWS-style endpoints, found where a workload runs — the
//! same places, in the same order, as the AWS SDKs look.
//!
//! This crate is being built in steps; STS, web identity, the container
//! endpoint, IMDS and the HTTP transports come next. Present now:
//! * [`Credentials`]: the secret and token zeroised on drop, redacted in
//!   `Debug`, cheap to clone;
//! * [`ProvideCredentials`]: the provider trait (async, object-safe, open
//!   to other crates) and [`provide_blocking`];
//! * [`EnvironmentProvider`]: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//!   `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION`, `AWS_ACCOUNT_ID`;
//! * [`profile`]: the shared config and credentials files, parsed and merged
//!   by the SDKs' rules and checked against their shared test cases, and
//!   the resolution of `role_arn` / `source_profile` / `credential_source` /
//!   `web_identity_token_file` chains;
//! * [`ProcessProvider`] runs `credential_process`;
//! * [`ProfileProvider`] and the [`DefaultChain`] (environment, then
//!   profile; web identity, container and IMDS follow);
//! * [`CachedProvider`]: advisory and mandatory refresh windows, single
//!   flight, static stability;
//! * [`resolve_region`]: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`,
//!   the profile's `region`; [`endpoint::resolve_endpoint`]:
//!   `AWS_ENDPOINT_URL_<SERVICE>`, `[services]` sections, `AWS_ENDPOINT_URL`,
//!   the profile's `endpoint_url`;
//! * [`transport`]: the [`Transport`] trait, a blocking transport
//!   (feature `blocking`, default) and a tokio one (feature `tokio`).
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
pub mod container;
mod credentials;
pub mod endpoint;
pub mod env;
mod environment;
pub mod imds;
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
pub use transport::TokioTransport;
pub use transport::{
    ClientCertificate, HttpRequest, HttpResponse, ProxySetting, TlsSetting, Transport,
    TransportConfig, TransportError,
};
