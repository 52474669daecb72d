//! The client's calls for programs without an async runtime: each blocks
//! the calling thread until the call (retries included) is done.
//!
//! ```no_run
//! use opensearch_client::api::{self, CatIndex};
//! use opensearch_client::auth::{Auth, Service};
//! use opensearch_client::{Client, NodePool};
//!
//! let client = Client::new(
//!     NodePool::new(["https://search-logs-abc.eu-west-1.es.amazonaws.com"])?,
//!     std::sync::Arc::new(cred_providers::BlockingTransport::default()),
//!     Auth::sigv4(cred_providers::DefaultChain::from_process(None), "eu-west-1", Service::Es),
//! );
//! let indices: Vec<CatIndex> = client.blocking().call(&api::cat_indices())?;
//! # Ok::<(), opensearch_client::error::Error>(())
//! ```
//!
//! Use it with the blocking transport (the default). With the tokio
//! transport, call the async methods of [`Client`] from the runtime
//! instead.

use serde::de::DeserializeOwned;

use crate::security::{MappingChange, RoleMapping};
use crate::{ApiRequest, Client, error::Error};

/// [`Client`]'s calls, blocking; from [`Client::blocking`].
#[derive(Clone, Copy, Debug)]
pub struct BlockingClient<'c> {
    client: &'c Client,
}

impl<'c> BlockingClient<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// [`Client::send`].
    pub fn send(&self, req: &ApiRequest) -> Result<http::Response<Vec<u8>>, Error> {
        pollster::block_on(self.client.send(req))
    }

    /// [`Client::call`].
    pub fn call<T: DeserializeOwned>(&self, req: &ApiRequest) -> Result<T, Error> {
        pollster::block_on(self.client.call(req))
    }

    /// [`Client::exists`].
    pub fn exists(&self, req: &ApiRequest) -> Result<bool, Error> {
        pollster::block_on(self.client.exists(req))
    }

    /// [`Client::get_role_mapping`].
    pub fn get_role_mapping(&self, role: &str) -> Result<Option<RoleMapping>, Error> {
        pollster::block_on(self.client.get_role_mapping(role))
    }

    /// [`Client::add_backend_role`].
    pub fn add_backend_role(&self, role: &str, backend_role: &str) -> Result<MappingChange, Error> {
        pollster::block_on(self.client.add_backend_role(role, backend_role))
    }

    /// [`Client::remove_backend_role`].
    pub fn remove_backend_role(
        &self,
        role: &str,
        backend_role: &str,
    ) -> Result<MappingChange, Error> {
        pollster::block_on(self.client.remove_backend_role(role, backend_role))
    }

    /// [`Client::add_user`].
    pub fn add_user(&self, role: &str, user: &str) -> Result<MappingChange, Error> {
        pollster::block_on(self.client.add_user(role, user))
    }

    /// [`Client::remove_user`].
    pub fn remove_user(&self, role: &str, user: &str) -> Result<MappingChange, Error> {
        pollster::block_on(self.client.remove_user(role, user))
    }
}
