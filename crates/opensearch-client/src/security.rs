//! The security plugin's REST API (`/_plugins/_security/…`): role
//! mappings, roles, internal users, the caller's account and `authinfo`.
//! Request builders and response types; the shapes follow the OpenSearch
//! API specification (`security._common.yaml`).
//!
//! Every change needs a role privileged for the security REST API
//! (`security_manager`, or the admin certificate): `all_access` alone gets
//! 403 `FORBIDDEN`, which [`crate::error::ApiError`] explains.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::request::{ApiRequest, segment};

/// One kind of security configuration under `/_plugins/_security/api/`:
/// get one / all, create-replace, patch one / all, delete.
#[derive(Clone, Copy)]
struct Resource(&'static str);

const ROLESMAPPING: Resource = Resource("/_plugins/_security/api/rolesmapping");
const ROLES: Resource = Resource("/_plugins/_security/api/roles");
const INTERNALUSERS: Resource = Resource("/_plugins/_security/api/internalusers");

impl Resource {
    fn one(self, method: http::Method, name: &str) -> ApiRequest {
        ApiRequest::new(method, format!("{}/{}", self.0, segment(name)))
    }

    fn get(self, name: &str) -> ApiRequest {
        self.one(http::Method::GET, name)
    }

    fn get_all(self) -> ApiRequest {
        ApiRequest::new(http::Method::GET, self.0)
    }

    fn put<T: Serialize>(self, name: &str, body: &T) -> Result<ApiRequest, Error> {
        self.one(http::Method::PUT, name).json(body)
    }

    fn patch(self, name: &str, ops: &[PatchOp]) -> Result<ApiRequest, Error> {
        self.one(http::Method::PATCH, name).json(&ops)
    }

    fn patch_all(self, ops: &[PatchOp]) -> Result<ApiRequest, Error> {
        ApiRequest::new(http::Method::PATCH, self.0).json(&ops)
    }

    fn delete(self, name: &str) -> ApiRequest {
        self.one(http::Method::DELETE, name)
    }
}

/// Who is mapped to a role: users, backend roles (IAM role ARNs for
/// SigV4 callers, LDAP/SAML groups) and hosts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    /// Backend roles mapped to the role (any one matches).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backend_roles: Vec<String>,
    /// Backend roles that must all match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub and_backend_roles: Vec<String>,
    /// Users mapped to the role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Hosts mapped to the role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Set by the server on reserved mappings (read only).
    #[serde(default, skip_serializing)]
    pub reserved: Option<bool>,
    /// Set by the server on hidden mappings (read only).
    #[serde(default, skip_serializing)]
    pub hidden: Option<bool>,
}

/// Role mappings by role name.
pub type RoleMappings = BTreeMap<String, RoleMapping>;

/// A JSON Patch (RFC 6902) operation name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchOperation {
    /// Add a value (`/list/-` appends to a list).
    Add,
    /// Remove a value.
    Remove,
    /// Replace a value.
    Replace,
    /// Move a value.
    Move,
    /// Copy a value.
    Copy,
    /// Check that a value is as expected; the patch fails otherwise.
    Test,
}

/// One JSON Patch (RFC 6902) operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchOp {
    /// What to do.
    pub op: PatchOperation,
    /// The JSON Pointer it applies to.
    pub path: String,
    /// The value, for `add`, `replace` and `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

impl PatchOp {
    /// `add` `value` at `path` (`/backend_roles/-` appends to the list).
    pub fn add(path: impl Into<String>, value: impl Serialize) -> Result<Self, Error> {
        Self::with_value(PatchOperation::Add, path, value)
    }

    /// `replace` `path` with `value`.
    pub fn replace(path: impl Into<String>, value: impl Serialize) -> Result<Self, Error> {
        Self::with_value(PatchOperation::Replace, path, value)
    }

    /// `test` that `path` holds `value` (the whole patch fails otherwise).
    /// The security plugin (2.19) refuses this operation ("Unsupported
    /// patch operation: test"); other JSON Patch endpoints may take it.
    pub fn test(path: impl Into<String>, value: impl Serialize) -> Result<Self, Error> {
        Self::with_value(PatchOperation::Test, path, value)
    }

    /// `remove` `path`.
    pub fn remove(path: impl Into<String>) -> Self {
        Self {
            op: PatchOperation::Remove,
            path: path.into(),
            value: None,
        }
    }

    fn with_value(
        op: PatchOperation,
        path: impl Into<String>,
        value: impl Serialize,
    ) -> Result<Self, Error> {
        Ok(Self {
            op,
            path: path.into(),
            value: Some(serde_json::to_value(value).map_err(|e| Error::Encode(Box::new(e)))?),
        })
    }
}

/// The security plugin's answer to a change: `{"status": "OK", "message": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StatusMessage {
    /// `OK`, `CREATED`, …
    pub status: String,
    /// What happened.
    #[serde(default)]
    pub message: String,
}

/// `GET /_plugins/_security/api/rolesmapping/{role}`; the answer is a
/// [`RoleMappings`] with one entry.
pub fn get_role_mapping(role: &str) -> ApiRequest {
    ROLESMAPPING.get(role)
}

/// `GET /_plugins/_security/api/rolesmapping`: a [`RoleMappings`].
pub fn get_role_mappings() -> ApiRequest {
    ROLESMAPPING.get_all()
}

/// `PUT /_plugins/_security/api/rolesmapping/{role}`: creates (201) or
/// replaces (200); answers a [`StatusMessage`].
pub fn put_role_mapping(role: &str, mapping: &RoleMapping) -> Result<ApiRequest, Error> {
    ROLESMAPPING.put(role, mapping)
}

/// `PATCH /_plugins/_security/api/rolesmapping/{role}` with JSON Patch
/// operations on that mapping (paths like `/backend_roles`).
pub fn patch_role_mapping(role: &str, ops: &[PatchOp]) -> Result<ApiRequest, Error> {
    ROLESMAPPING.patch(role, ops)
}

/// `PATCH /_plugins/_security/api/rolesmapping` with operations on several
/// mappings (paths like `/all_access` or `/all_access/backend_roles`).
pub fn patch_role_mappings(ops: &[PatchOp]) -> Result<ApiRequest, Error> {
    ROLESMAPPING.patch_all(ops)
}

/// `DELETE /_plugins/_security/api/rolesmapping/{role}`.
pub fn delete_role_mapping(role: &str) -> ApiRequest {
    ROLESMAPPING.delete(role)
}

/// A role: cluster, index and tenant permissions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Cluster permissions (action groups like `cluster_composite_ops`, or
    /// actions like `cluster:monitor/health`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_permissions: Vec<String>,
    /// Index permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub index_permissions: Vec<IndexPermission>,
    /// Tenant permissions (Dashboards).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenant_permissions: Vec<TenantPermission>,
    /// Set by the server on reserved roles (read only).
    #[serde(default, skip_serializing)]
    pub reserved: Option<bool>,
    /// Set by the server on hidden roles (read only).
    #[serde(default, skip_serializing)]
    pub hidden: Option<bool>,
    /// Set by the server on static roles (read only).
    #[serde(default, skip_serializing)]
    pub r#static: Option<bool>,
}

/// What a role may do on some indices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexPermission {
    /// Index name patterns (`movies*`).
    #[serde(default)]
    pub index_patterns: Vec<String>,
    /// Document-level security: a query, as a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dls: Option<String>,
    /// Field-level security: fields to include (or `~field` to exclude).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fls: Vec<String>,
    /// Fields whose values are hashed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub masked_fields: Vec<String>,
    /// Action groups or actions (`read`, `crud`, `indices:data/read/search`).
    #[serde(default)]
    pub allowed_actions: Vec<String>,
}

/// What a role may do in some Dashboards tenants.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantPermission {
    /// Tenant name patterns.
    #[serde(default)]
    pub tenant_patterns: Vec<String>,
    /// `kibana_all_read` or `kibana_all_write`.
    #[serde(default)]
    pub allowed_actions: Vec<String>,
}

/// Roles by name.
pub type Roles = BTreeMap<String, Role>;

/// `GET /_plugins/_security/api/roles/{role}`: a [`Roles`] with one entry.
pub fn get_role(role: &str) -> ApiRequest {
    ROLES.get(role)
}

/// `GET /_plugins/_security/api/roles`: a [`Roles`].
pub fn get_roles() -> ApiRequest {
    ROLES.get_all()
}

/// `PUT /_plugins/_security/api/roles/{role}`: creates (201) or replaces.
pub fn put_role(role: &str, definition: &Role) -> Result<ApiRequest, Error> {
    ROLES.put(role, definition)
}

/// `PATCH /_plugins/_security/api/roles/{role}`.
pub fn patch_role(role: &str, ops: &[PatchOp]) -> Result<ApiRequest, Error> {
    ROLES.patch(role, ops)
}

/// `PATCH /_plugins/_security/api/roles` (paths start with the role name).
pub fn patch_roles(ops: &[PatchOp]) -> Result<ApiRequest, Error> {
    ROLES.patch_all(ops)
}

/// `DELETE /_plugins/_security/api/roles/{role}`.
pub fn delete_role(role: &str) -> ApiRequest {
    ROLES.delete(role)
}

/// A password: sent, never shown in `Debug`, zeroised on drop, compared
/// in constant time.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}

impl Eq for Password {}

impl Password {
    /// Wraps `password`.
    pub fn new(password: impl Into<String>) -> Self {
        Self(Zeroizing::new(password.into()))
    }

    /// The password.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(redacted)")
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

impl Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An internal user (the security plugin's own user database).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalUser {
    /// The password, to set it (never returned by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Password>,
    /// Backend roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backend_roles: Vec<String>,
    /// Security roles given directly (besides role mappings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opendistro_security_roles: Vec<String>,
    /// Custom attributes (for DLS and index-pattern substitution).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Set by the server on reserved users (read only).
    #[serde(default, skip_serializing)]
    pub reserved: Option<bool>,
    /// Set by the server on hidden users (read only).
    #[serde(default, skip_serializing)]
    pub hidden: Option<bool>,
    /// Set by the server on static users (read only).
    #[serde(default, skip_serializing)]
    pub r#static: Option<bool>,
}

/// Internal users by name.
pub type InternalUsers = BTreeMap<String, InternalUser>;

/// `GET /_plugins/_security/api/internalusers/{username}`: an
/// [`InternalUsers`] with one entry.
pub fn get_user(username: &str) -> ApiRequest {
    INTERNALUSERS.get(username)
}

/// `GET /_plugins/_security/api/internalusers`: an [`InternalUsers`].
pub fn get_users() -> ApiRequest {
    INTERNALUSERS.get_all()
}

/// `PUT /_plugins/_security/api/internalusers/{username}`: creates (201)
/// or replaces (200).
pub fn put_user(username: &str, user: &InternalUser) -> Result<ApiRequest, Error> {
    INTERNALUSERS.put(username, user)
}

/// `PATCH /_plugins/_security/api/internalusers/{username}`.
pub fn patch_user(username: &str, ops: &[PatchOp]) -> Result<ApiRequest, Error> {
    INTERNALUSERS.patch(username, ops)
}

/// `PATCH /_plugins/_security/api/internalusers` (paths start with the
/// user name).
pub fn patch_users(ops: &[PatchOp]) -> Result<ApiRequest, Error> {
    INTERNALUSERS.patch_all(ops)
}

/// `DELETE /_plugins/_security/api/internalusers/{username}`.
pub fn delete_user(username: &str) -> ApiRequest {
    INTERNALUSERS.delete(username)
}

const ACCOUNT: &str = "/_plugins/_security/api/account";

/// `GET /_plugins/_security/api/account`: the caller's [`AccountDetails`].
pub fn get_account() -> ApiRequest {
    ApiRequest::new(http::Method::GET, ACCOUNT)
}

/// `PUT /_plugins/_security/api/account`: changes the caller's own
/// password (internal users only; reserved users get 403).
pub fn change_password(current: &Password, new: &Password) -> Result<ApiRequest, Error> {
    #[derive(Serialize)]
    struct Change<'a> {
        current_password: &'a Password,
        password: &'a Password,
    }
    ApiRequest::new(http::Method::PUT, ACCOUNT).json(&Change {
        current_password: current,
        password: new,
    })
}

/// What `account` says about the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AccountDetails {
    /// The user name.
    #[serde(default)]
    pub user_name: String,
    /// Whether the user is reserved (cannot change its password here).
    #[serde(default)]
    pub is_reserved: bool,
    /// Whether the user is hidden.
    #[serde(default)]
    pub is_hidden: bool,
    /// Whether the user is in the internal user database.
    #[serde(default)]
    pub is_internal_user: bool,
    /// The tenant asked for, if any.
    #[serde(default)]
    pub user_requested_tenant: Option<String>,
    /// Backend roles.
    #[serde(default)]
    pub backend_roles: Vec<String>,
    /// Names of the custom attributes.
    #[serde(default)]
    pub custom_attribute_names: Vec<String>,
    /// Tenants and whether each is writable.
    #[serde(default)]
    pub tenants: BTreeMap<String, bool>,
    /// Security roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `GET /_plugins/_security/authinfo`: who the caller is to the plugin.
pub fn authinfo() -> ApiRequest {
    ApiRequest::new(http::Method::GET, "/_plugins/_security/authinfo")
}

/// What `authinfo` says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AuthInfo {
    /// The user name (an IAM role ARN for a SigV4 caller).
    #[serde(default)]
    pub user_name: String,
    /// The backend roles.
    #[serde(default)]
    pub backend_roles: Vec<String>,
    /// The security roles the caller is mapped to.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The tenants.
    #[serde(default)]
    pub tenants: BTreeMap<String, bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::parse;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn builders() {
        let m = RoleMapping {
            backend_roles: vec!["arn:aws:iam::123456789012:role/app".into()],
            description: Some("EC2 app".into()),
            ..RoleMapping::default()
        };
        let r = put_role_mapping("all_access", &m).unwrap();
        assert_eq!(r.method, http::Method::PUT);
        assert_eq!(r.path, "/_plugins/_security/api/rolesmapping/all_access");
        assert_eq!(
            r.body.unwrap(),
            br#"{"backend_roles":["arn:aws:iam::123456789012:role/app"],"description":"EC2 app"}"#
        );
        let ops = [
            PatchOp::add("/backend_roles/-", "arn:aws:iam::1:role/b").unwrap(),
            PatchOp::remove("/hosts"),
        ];
        let r = patch_role_mapping("readall", &ops).unwrap();
        assert_eq!(
            String::from_utf8(r.body.unwrap()).unwrap(),
            r#"[{"op":"add","path":"/backend_roles/-","value":"arn:aws:iam::1:role/b"},{"op":"remove","path":"/hosts"}]"#
        );
        assert_eq!(
            delete_role_mapping("a b").path,
            "/_plugins/_security/api/rolesmapping/a%20b"
        );
        assert_eq!(get_role_mappings().method, http::Method::GET);
    }

    #[test]
    fn responses() {
        let all: RoleMappings = parse(&response(
            200,
            r#"{"all_access":{"hosts":[],"users":["admin"],"reserved":false,"hidden":false,"backend_roles":["arn:aws:iam::1:role/app"],"and_backend_roles":[],"description":"Maps admin to all_access"}}"#,
        ))
        .unwrap();
        let m = &all["all_access"];
        assert_eq!(m.users, ["admin"]);
        assert_eq!(m.reserved, Some(false));
        // Read-only fields are not sent back.
        assert!(
            !String::from_utf8(serde_json::to_vec(m).unwrap())
                .unwrap()
                .contains("reserved")
        );
        let ok: StatusMessage = parse(&response(
            200,
            r#"{"status":"OK","message":"'all_access' updated."}"#,
        ))
        .unwrap();
        assert_eq!(ok.status, "OK");
        let err = parse::<StatusMessage>(&response(
            403,
            r#"{"status":"FORBIDDEN","message":"No permission to access REST API: User app with Security roles [all_access] does not have any role privileged for admin access"}"#,
        ))
        .unwrap_err();
        assert!(err.to_string().contains("security_manager"), "{err}");
        let info: AuthInfo = parse(&response(
            200,
            r#"{"user":"User [name=arn:aws:iam::1:role/app, backend_roles=[arn:aws:iam::1:role/app]]","user_name":"arn:aws:iam::1:role/app","backend_roles":["arn:aws:iam::1:role/app"],"roles":["all_access"],"tenants":{"global_tenant":true}}"#,
        ))
        .unwrap();
        assert_eq!(info.roles, ["all_access"]);
        let bad = parse::<AuthInfo>(&response(200, "not json")).unwrap_err();
        assert!(matches!(bad, Error::Decode { status: 200, .. }));
    }
}

/// What a role-mapping helper did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MappingChange {
    /// The mapping changed; the plugin's answer.
    Changed(StatusMessage),
    /// It was already so: nothing was sent.
    Unchanged,
}

/// Which list of a mapping a helper changes.
#[derive(Clone, Copy)]
enum Members {
    BackendRoles,
    Users,
}

impl Members {
    fn field(self) -> &'static str {
        match self {
            Members::BackendRoles => "backend_roles",
            Members::Users => "users",
        }
    }

    fn of(self, m: &RoleMapping) -> &[String] {
        match self {
            Members::BackendRoles => &m.backend_roles,
            Members::Users => &m.users,
        }
    }
}

/// The role-mapping changes of the usual scene — map an IAM role to an
/// OpenSearch role, or take it away — made without ever replacing a
/// mapping: only the one list changes, with JSON Patch, so the users,
/// backend roles and hosts already mapped (the master user's among them)
/// stay. Each reads the mapping first and sends nothing when there is
/// nothing to do.
///
/// How the security plugin (2.19) shapes the patches: it stores a mapping
/// without its empty lists, so appending (`/backend_roles/-`) to an empty
/// list fails with `Missing field "backend_roles"`; the helpers then add
/// the list itself. It refuses JSON Patch's `test`, so a removal cannot be
/// made conditional: it replaces the list with the entries read, less the
/// one removed (an entry appended by someone else between the read and
/// the write would be lost; one removed by index could hit the wrong
/// entry, which is worse).
impl crate::Client {
    /// The mapping of `role`, or `None` when the role has none.
    pub async fn get_role_mapping(&self, role: &str) -> Result<Option<RoleMapping>, Error> {
        let resp = self.send(&get_role_mapping(role)).await?;
        if resp.status() == http::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let mut all: RoleMappings = crate::client::parse(&resp)?;
        Ok(all.remove(role))
    }

    /// Maps `backend_role` (an IAM role ARN, for SigV4 callers) to `role`,
    /// keeping the rest of the mapping. A role without a mapping gets one
    /// holding just this backend role.
    pub async fn add_backend_role(
        &self,
        role: &str,
        backend_role: &str,
    ) -> Result<MappingChange, Error> {
        self.add_member(role, Members::BackendRoles, backend_role)
            .await
    }

    /// Takes `backend_role` out of the mapping of `role`, keeping the rest.
    pub async fn remove_backend_role(
        &self,
        role: &str,
        backend_role: &str,
    ) -> Result<MappingChange, Error> {
        self.remove_member(role, Members::BackendRoles, backend_role)
            .await
    }

    /// Maps the user `user` (an internal user, or an IAM user or role ARN
    /// as the domain sees it) to `role`, keeping the rest of the mapping.
    pub async fn add_user(&self, role: &str, user: &str) -> Result<MappingChange, Error> {
        self.add_member(role, Members::Users, user).await
    }

    /// Takes the user `user` out of the mapping of `role`.
    pub async fn remove_user(&self, role: &str, user: &str) -> Result<MappingChange, Error> {
        self.remove_member(role, Members::Users, user).await
    }

    async fn add_member(
        &self,
        role: &str,
        list: Members,
        member: &str,
    ) -> Result<MappingChange, Error> {
        let req = match self.get_role_mapping(role).await? {
            Some(m) if list.of(&m).iter().any(|x| x == member) => {
                return Ok(MappingChange::Unchanged);
            }
            // The plugin stores no empty list: add the list itself.
            Some(m) if list.of(&m).is_empty() => patch_role_mapping(
                role,
                &[PatchOp::add(format!("/{}", list.field()), [member])?],
            )?,
            // Append: `-` is the end of the list (RFC 6901).
            Some(_) => patch_role_mapping(
                role,
                &[PatchOp::add(format!("/{}/-", list.field()), member)?],
            )?,
            None => {
                let mut m = RoleMapping::default();
                match list {
                    Members::BackendRoles => m.backend_roles.push(member.to_string()),
                    Members::Users => m.users.push(member.to_string()),
                }
                put_role_mapping(role, &m)?
            }
        };
        self.call(&req).await.map(MappingChange::Changed)
    }

    async fn remove_member(
        &self,
        role: &str,
        list: Members,
        member: &str,
    ) -> Result<MappingChange, Error> {
        let Some(m) = self.get_role_mapping(role).await? else {
            return Ok(MappingChange::Unchanged);
        };
        if !list.of(&m).iter().any(|x| x == member) {
            return Ok(MappingChange::Unchanged);
        }
        let rest: Vec<&String> = list.of(&m).iter().filter(|x| *x != member).collect();
        let req = patch_role_mapping(
            role,
            &[PatchOp::replace(format!("/{}", list.field()), rest)?],
        )?;
        self.call(&req).await.map(MappingChange::Changed)
    }
}
