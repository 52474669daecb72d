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
//! * [`auth::Auth`]: none, basic, or SigV4 with any `cred-providers`
//!   provider, put behind a [`cred_providers::CachedProvider`]
//!   (credentials are resolved through the cache, not per request; `aoss`
//!   adds and signs `x-amz-content-sha256`);
//! * [`Client::blocking`] for programs without a runtime, and the
//!   role-mapping helpers ([`Client::add_backend_role`] and friends) that
//!   change one entry with JSON Patch and never replace a mapping;
//! * [`api`], [`documents`], [`bulk`] (with [`bulk::BulkIndexer`], which
//!   batches by count and bytes and reports per-item failures) and
//!   [`security`] (role mappings, roles, internal users, account,
//!   `authinfo`);
//! * [`ops`]: a request builder for every operation group of the OpenSearch
//!   API specification (generated from it; plugin namespaces behind cargo
//!   features), for everything the curated modules above do not cover;
//! * [`error::Error`]: the shapes OpenSearch, the security plugin, the
//!   Amazon gateway and Serverless send, typed, with the server's words and
//!   a hint for the common mistakes.
//!
//! # Example
//!
//! Every call is an [`ApiRequest`] first (built without I/O):
//!
//! ```
//! use opensearch_client::security::{self, PatchOp};
//!
//! // Append one backend role to all_access's mapping; what is mapped
//! // there already stays.
//! let append = PatchOp::add("/backend_roles/-", "arn:aws:iam::123456789012:role/app")?;
//! let req = security::patch_role_mapping("all_access", &[append])?
//!     .to_http("https://search-domain.eu-west-1.es.amazonaws.com")?;
//! assert_eq!(req.method(), "PATCH");
//! assert_eq!(req.uri().path(), "/_plugins/_security/api/rolesmapping/all_access");
//! assert_eq!(
//!     req.body(),
//!     br#"[{"op":"add","path":"/backend_roles/-","value":"arn:aws:iam::123456789012:role/app"}]"#
//! );
//! # Ok::<(), opensearch_client::error::Error>(())
//! ```
//!
//! A workload on EC2 or ECS listing a domain's indices with its role's
//! credentials (the default chain, cached):
//!
//! ```no_run
//! use std::sync::Arc;
//! use opensearch_client::api::{self, CatIndex};
//! use opensearch_client::auth::{Auth, Service};
//! use opensearch_client::{Client, NodePool};
//!
//! let client = Client::new(
//!     NodePool::new(["https://search-logs-abc.eu-west-1.es.amazonaws.com"])?,
//!     Arc::new(cred_providers::BlockingTransport::default()),
//!     Auth::sigv4(cred_providers::DefaultChain::from_process(None), "eu-west-1", Service::Es),
//! );
//! // No runtime needed: `blocking()` waits on this thread.
//! let indices: Vec<CatIndex> = client.blocking().call(&api::cat_indices())?;
//! for i in indices {
//!     println!("{} {:?}", i.index, i.docs_count);
//! }
//! // The master user appends the role to all_access, keeping the rest of
//! // the mapping (never a PUT that replaces it).
//! let master = client.with_auth(Auth::basic("admin", "…"));
//! master.blocking().add_backend_role("all_access", "arn:aws:iam::123456789012:role/app")?;
//! # Ok::<(), opensearch_client::error::Error>(())
//! ```

pub mod api;
pub mod auth;
pub mod blocking;
pub mod bulk;
pub mod client;
pub mod documents;
pub mod error;
pub mod ops;
mod request;
pub mod security;

pub use blocking::BlockingClient;
pub use client::{Client, NodePool, RetryPolicy};
pub use request::ApiRequest;
