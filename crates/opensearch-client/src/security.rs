//! The security plugin's REST API (`/_plugins/_security/…`): role
//! mappings and `authinfo`. Request builders and response types; the
//! shapes follow the OpenSearch API specification
//! (`security._common.yaml`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::request::{ApiRequest, segment};

const ROLESMAPPING: &str = "/_plugins/_security/api/rolesmapping";

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

/// One JSON Patch (RFC 6902) operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchOp {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    pub op: String,
    /// The JSON Pointer it applies to.
    pub path: String,
    /// The value, for `add`, `replace` and `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

impl PatchOp {
    /// `add` `value` at `path`.
    pub fn add(path: impl Into<String>, value: impl Serialize) -> Result<Self, Error> {
        Self::with_value("add", path, value)
    }

    /// `replace` `path` with `value`.
    pub fn replace(path: impl Into<String>, value: impl Serialize) -> Result<Self, Error> {
        Self::with_value("replace", path, value)
    }

    /// `remove` `path`.
    pub fn remove(path: impl Into<String>) -> Self {
        Self {
            op: "remove".into(),
            path: path.into(),
            value: None,
        }
    }

    fn with_value(op: &str, path: impl Into<String>, value: impl Serialize) -> Result<Self, Error> {
        Ok(Self {
            op: op.into(),
            path: path.into(),
            value: Some(
                serde_json::to_value(value)
                    .map_err(|e| Error::Request(format!("cannot encode: {e}")))?,
            ),
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
    ApiRequest::new(
        http::Method::GET,
        format!("{ROLESMAPPING}/{}", segment(role)),
    )
}

/// `GET /_plugins/_security/api/rolesmapping`.
pub fn get_role_mappings() -> ApiRequest {
    ApiRequest::new(http::Method::GET, ROLESMAPPING)
}

/// `PUT /_plugins/_security/api/rolesmapping/{role}`: creates or replaces.
pub fn put_role_mapping(role: &str, mapping: &RoleMapping) -> Result<ApiRequest, Error> {
    ApiRequest::new(
        http::Method::PUT,
        format!("{ROLESMAPPING}/{}", segment(role)),
    )
    .json(mapping)
}

/// `PATCH /_plugins/_security/api/rolesmapping/{role}` with JSON Patch
/// operations on that mapping (paths like `/backend_roles`).
pub fn patch_role_mapping(role: &str, ops: &[PatchOp]) -> Result<ApiRequest, Error> {
    ApiRequest::new(
        http::Method::PATCH,
        format!("{ROLESMAPPING}/{}", segment(role)),
    )
    .json(&ops)
}

/// `PATCH /_plugins/_security/api/rolesmapping` with operations on several
/// mappings (paths like `/all_access` or `/all_access/backend_roles`).
pub fn patch_role_mappings(ops: &[PatchOp]) -> Result<ApiRequest, Error> {
    ApiRequest::new(http::Method::PATCH, ROLESMAPPING).json(&ops)
}

/// `DELETE /_plugins/_security/api/rolesmapping/{role}`.
pub fn delete_role_mapping(role: &str) -> ApiRequest {
    ApiRequest::new(
        http::Method::DELETE,
        format!("{ROLESMAPPING}/{}", segment(role)),
    )
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
