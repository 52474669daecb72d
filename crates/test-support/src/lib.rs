//! Test helpers shared by the workspace's tests (not published).
//!
//! * [`http`]: loopback HTTP servers that answer one connection each, and
//!   a forward proxy that handles `CONNECT`;
//! * [`moto`]: moto's server with IAM enforcement, set up once per test
//!   binary with a user, its keys and a role to assume.

pub mod http;
pub mod moto;
pub mod pki;
pub mod rolesanywhere;
