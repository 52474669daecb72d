//! A typed OpenSearch client: request builders and serde types for the
//! core, document, bulk and security-plugin APIs, authenticated with basic
//! auth or SigV4 (`es` for managed domains, `aoss` for Serverless) with
//! credentials from `cred-providers`.
//!
//! * [`ApiRequest`]: a method, path, query and body; every builder returns
//!   one, and [`Client::send`] takes any (the raw escape hatch);
//! * [`Client`]: nodes taken in turn, a failing node set aside for a while,
//!   retries with exponential backoff and jitter on connection errors, 429
//!   and 502/503/504 for idempotent requests, optional gzip of bodies; the
//!   I/O is a `cred-providers` transport (blocking or tokio, rustls: system
//!   roots, a CA bundle, client certificates, or `-k`);
//! * [`auth::Auth`]: none, basic, or SigV4 through a [`cred_providers::CachedProvider`]
//!   (credentials are resolved through the cache, not per request; `aoss`
//!   adds and signs `x-amz-content-sha256`);
//! * [`core`], [`documents`], [`bulk`] (with [`bulk::BulkIndexer`], which
//!   batches by count and bytes and reports per-item failures) and
//!   [`security`] (role mappings, roles, internal users, account,
//!   `authinfo`);
//! * [`error::Error`]: the shapes OpenSearch, the security plugin, the
//!   Amazon gateway and Serverless send, typed, with the server's words and
//!   a hint for the common mistakes.
//!
//! # Example
//!
//! ```
//! use opensearch_client::security::{self, RoleMapping};
//!
//! let mapping = RoleMapping {
//!     backend_roles: vec!["arn:aws:iam::123456789012:role/app".into()],
//!     ..RoleMapping::default()
//! };
//! let req = security::put_role_mapping("all_access", &mapping)?
//!     .to_http("https://search-domain.eu-west-1.es.amazonaws.com")?;
//! assert_eq!(req.method(), "PUT");
//! assert_eq!(req.uri().path(), "/_plugins/_security/api/rolesmapping/all_access");
//! # Ok::<(), opensearch_client::error::Error>(())
//! ```
//!
//! A workload on EC2 or ECS listing a domain's indices with its role's
//! credentials (the default chain, cached):
//!
//! ```no_run
//! use std::sync::Arc;
//! use opensearch_client::auth::{Auth, Service};
//! use opensearch_client::{Client, NodePool, core};
//!
//! let client = Client::new(
//!     NodePool::new(["https://search-logs-abc.eu-west-1.es.amazonaws.com"])?,
//!     Arc::new(cred_providers::BlockingTransport::default()),
//!     Auth::sigv4(Arc::new(cred_providers::default_provider(None)), "eu-west-1", Service::Es),
//! );
//! let indices: Vec<core::CatIndex> = pollster::block_on(client.call(&core::cat_indices()))?;
//! for i in indices {
//!     println!("{} {:?}", i.index, i.docs_count);
//! }
//! # Ok::<(), opensearch_client::error::Error>(())
//! ```

pub mod auth;
pub mod bulk;
pub mod client;
pub mod core;
pub mod documents;
pub mod error;
mod request;
pub mod security;

pub use client::{Client, NodePool, RetryPolicy};
pub use request::ApiRequest;
