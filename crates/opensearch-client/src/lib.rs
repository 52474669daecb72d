//! A typed OpenSearch client: request builders and serde types for the
//! core and security-plugin APIs, authenticated with basic auth or SigV4
//! (`es` for managed domains, `aoss` for Serverless).
//!
//! In progress (issue 6). Present now, sans I/O:
//! * [`ApiRequest`]: a method, path, query and JSON body, made into an
//!   `http::Request` against a node URL;
//! * [`auth::Auth`]: none, basic, or SigV4 with credentials from
//!   `cred-providers` (`aoss` adds and signs `x-amz-content-sha256`);
//! * [`security`]: role mappings (get one / all, create-replace, patch,
//!   delete) and `authinfo`;
//! * [`error::Error`]: the error shapes OpenSearch, the security plugin and
//!   the Amazon gateway send, typed, with the server's words kept.
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
