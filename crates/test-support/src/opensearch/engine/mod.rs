//! The in-memory cluster behind [`super::FakeOpenSearch`]: indices and
//! documents, search, `_bulk`, and the security plugin (roles, role
//! mappings, internal users, account, authinfo) with its privilege rules.
//!
//! Privileges follow the plugin: a caller's roles are those whose mapping
//! names the user or one of its backend roles (an IAM principal's backend
//! role is its ARN), plus an internal user's own roles; each API needs an
//! action (`indices:data/read/search`, `cluster:monitor/health`) that a
//! role's permissions, expanded from action groups, must match. The
//! security REST API needs a role privileged for it (`security_manager`,
//! as on Amazon OpenSearch Service), whatever else the caller may do.

use std::collections::BTreeMap;

mod access;
mod documents;
mod query;
mod security;

use serde_json::{Map, Value, json};

use access::strings;

/// A response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status.
    pub status: u16,
    /// Headers besides `content-length`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=UTF-8".into(),
            )],
            body: body.to_string().into_bytes(),
        }
    }

    /// A text response.
    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=UTF-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// With one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A status without body (HEAD answers).
    fn empty(status: u16) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=UTF-8".into(),
            )],
            body: Vec::new(),
        }
    }
}

/// OpenSearch's error body: `{"error": {"root_cause": [...], "type", "reason"}, "status"}`.
pub fn core_error(status: u16, error_type: &str, reason: &str) -> Response {
    let cause = json!({"type": error_type, "reason": reason});
    Response::json(
        status,
        &json!({
            "error": {"root_cause": [cause.clone()], "type": error_type, "reason": reason},
            "status": status
        }),
    )
}

/// What an overloaded node answers (429 or 503).
pub fn overloaded(status: u16) -> Response {
    if status == 429 {
        core_error(
            429,
            "rejected_execution_exception",
            "rejected execution of coordinating operation [shard_detail=[movies][0][P], shard_coordinating_and_primary_bytes=0, shard_operation_bytes=98, shard_max_coordinating_and_primary_bytes=0]",
        )
    } else {
        core_error(
            status,
            "cluster_block_exception",
            "blocked by: [SERVICE_UNAVAILABLE/2/no cluster-manager];",
        )
    }
}

fn security_status(status: u16, word: &str, message: &str) -> Response {
    Response::json(status, &json!({"status": word, "message": message}))
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user name (an IAM ARN for SigV4 callers).
    pub name: String,
    /// Backend roles.
    pub backend_roles: Vec<String>,
    /// True for internal users.
    pub internal: bool,
}

impl Principal {
    /// An IAM principal: its ARN is both its name and its backend role.
    pub fn iam(arn: &str) -> Self {
        Self {
            name: arn.into(),
            backend_roles: vec![arn.into()],
            internal: false,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Doc {
    source: Value,
    version: u64,
    seq_no: u64,
}

#[derive(Clone, Debug, Default)]
struct Index {
    uuid: String,
    docs: BTreeMap<String, Doc>,
    mappings: Map<String, Value>,
    next_id: u64,
}

/// The cluster's state.
#[derive(Debug)]
pub struct Engine {
    indices: BTreeMap<String, Index>,
    roles: Map<String, Value>,
    mappings: Map<String, Value>,
    users: Map<String, Value>,
    passwords: BTreeMap<String, String>,
    seq: u64,
    /// Roles allowed to use the security REST API.
    pub restapi_roles: Vec<String>,
}

/// The version the cluster reports.
pub const VERSION: &str = "2.17.0";

const SECURITY_API_KINDS: [&str; 3] = ["rolesmapping", "roles", "internalusers"];

impl Engine {
    /// A cluster whose master user `user` (password `password`, backend
    /// role `admin`) is mapped to `all_access` and `security_manager`.
    pub fn new(user: &str, password: &str) -> Self {
        let reserved = |v: Value| {
            let mut v = v;
            v["reserved"] = json!(true);
            v["hidden"] = json!(false);
            v["static"] = json!(true);
            v
        };
        let mut roles = Map::new();
        roles.insert(
            "all_access".into(),
            reserved(json!({
                "description": "Allow full access to all indices and all cluster APIs",
                "cluster_permissions": ["*"],
                "index_permissions": [{"index_patterns": ["*"], "fls": [], "masked_fields": [], "allowed_actions": ["*"]}],
                "tenant_permissions": [{"tenant_patterns": ["*"], "allowed_actions": ["kibana_all_write"]}]
            })),
        );
        roles.insert(
            "security_manager".into(),
            reserved(json!({
                "description": "Provide access to the security REST API",
                "cluster_permissions": ["cluster_monitor", "restapi:admin/*"],
                "index_permissions": [],
                "tenant_permissions": []
            })),
        );
        roles.insert(
            "readall".into(),
            reserved(json!({
                "description": "Provide the minimum permissions to read all indices",
                "cluster_permissions": ["cluster_composite_ops_ro"],
                "index_permissions": [{"index_patterns": ["*"], "fls": [], "masked_fields": [], "allowed_actions": ["read"]}],
                "tenant_permissions": []
            })),
        );
        let mapping = |users: &[&str]| {
            json!({"hosts": [], "users": users, "reserved": false, "hidden": false,
                   "backend_roles": [], "and_backend_roles": []})
        };
        let mut mappings = Map::new();
        mappings.insert("all_access".into(), mapping(&[user]));
        mappings.insert("security_manager".into(), mapping(&[user]));
        let mut users = Map::new();
        users.insert(
            user.into(),
            json!({"hash": "", "reserved": true, "hidden": false, "backend_roles": ["admin"],
                   "attributes": {}, "opendistro_security_roles": [], "static": false,
                   "description": "Master user"}),
        );
        Self {
            indices: BTreeMap::new(),
            roles,
            mappings,
            users,
            passwords: BTreeMap::from([(user.to_string(), password.to_string())]),
            seq: 0,
            restapi_roles: vec!["security_manager".into()],
        }
    }

    /// The internal user `name` if `password` is its password.
    pub fn login(&self, name: &str, password: &str) -> Option<Principal> {
        if self.passwords.get(name).map(String::as_str) != Some(password) {
            return None;
        }
        let user = self.users.get(name)?;
        Some(Principal {
            name: name.into(),
            backend_roles: strings(&user["backend_roles"]),
            internal: true,
        })
    }

    /// Answers one request from `p`.
    pub fn handle(
        &mut self,
        p: &Principal,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        peer: &str,
    ) -> Response {
        let segs: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let query: Vec<(String, String)> = query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                let d = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                (d(k), d(v))
            })
            .collect();
        let json_body = || -> Result<Value, Response> {
            if body.is_empty() {
                return Ok(json!({}));
            }
            serde_json::from_slice(body).map_err(|e| {
                core_error(
                    400,
                    "parse_exception",
                    &format!("request body is not valid JSON: {e}"),
                )
            })
        };
        let result = (|| -> Result<Response, Response> {
            Ok(match (method, segs.as_slice()) {
                ("GET" | "HEAD", []) => {
                    self.check_cluster(p, "cluster:monitor/main")?;
                    Response::json(200, &info())
                }
                ("GET", ["_cluster", "health"]) => {
                    self.check_cluster(p, "cluster:monitor/health")?;
                    Response::json(200, &self.health())
                }
                ("GET", ["_cat", "indices"]) => {
                    self.check_cluster(p, "cluster:monitor/state")?;
                    self.cat_indices(&query)
                }
                ("GET" | "POST", ["_plugins", "_security", "authinfo"]) => self.authinfo(p, peer),
                (_, ["_plugins", "_security", "api", "account"]) => {
                    self.account(p, method, json_body()?)
                }
                (_, ["_plugins", "_security", "api", kind, rest @ ..])
                    if SECURITY_API_KINDS.contains(kind) && rest.len() <= 1 =>
                {
                    let roles = self.roles_of(p);
                    if !roles.iter().any(|r| self.restapi_roles.contains(r)) {
                        return Err(security_status(
                            403,
                            "FORBIDDEN",
                            &format!(
                                "No permission to access REST API: User {} with Security roles [{}] does not have any role privileged for admin access",
                                p.name,
                                roles.join(", ")
                            ),
                        ));
                    }
                    let body = if matches!(method, "PUT" | "PATCH") {
                        Some(json_body()?)
                    } else {
                        None
                    };
                    self.security_api(method, kind, rest.first().copied(), body)
                }
                ("POST" | "PUT", ["_bulk"]) => {
                    self.check_cluster(p, "indices:data/write/bulk")?;
                    self.bulk(p, body)?
                }
                ("PUT", [index]) => {
                    self.check_index(p, "indices:admin/create", index)?;
                    self.create_index(index, json_body()?)?
                }
                ("DELETE", [indices]) => {
                    for index in indices.split(',') {
                        self.check_index(p, "indices:admin/delete", index)?;
                    }
                    self.delete_indices(indices)?
                }
                ("HEAD", [index]) => {
                    self.check_index(p, "indices:admin/get", index)?;
                    Response::empty(if self.indices.contains_key(*index) {
                        200
                    } else {
                        404
                    })
                }
                ("GET", [index, "_mapping"]) => {
                    self.check_index(p, "indices:admin/mappings/get", index)?;
                    let idx = self.index(index)?;
                    Response::json(
                        200,
                        &json!({ *index: {"mappings": {"properties": idx.mappings}}}),
                    )
                }
                ("POST" | "GET", [index, "_refresh"]) => {
                    self.check_index(p, "indices:admin/refresh", index)?;
                    self.index(index)?;
                    Response::json(
                        200,
                        &json!({"_shards": {"total": 2, "successful": 1, "failed": 0}}),
                    )
                }
                ("POST", [index, "_doc"]) => {
                    self.check_index(p, "indices:data/write/index", index)?;
                    let (status, v) = self.write(index, None, json_body()?, false);
                    Response::json(status, &v)
                }
                ("PUT" | "POST", [index, "_doc" | "_create", id]) => {
                    self.check_index(p, "indices:data/write/index", index)?;
                    let create = segs[1] == "_create";
                    let (status, v) = self.write(index, Some(id), json_body()?, create);
                    Response::json(status, &v)
                }
                ("GET" | "HEAD", [index, "_doc", id]) => {
                    self.check_index(p, "indices:data/read/get", index)?;
                    self.get(index, id)?
                }
                ("DELETE", [index, "_doc", id]) => {
                    self.check_index(p, "indices:data/write/delete", index)?;
                    let (status, v) = self.delete(index, id)?;
                    Response::json(status, &v)
                }
                ("POST", [index, "_update", id]) => {
                    self.check_index(p, "indices:data/write/update", index)?;
                    let (status, v) = self.update(index, id, &json_body()?)?;
                    Response::json(status, &v)
                }
                ("GET" | "POST", [indices, "_search"]) => {
                    for index in indices.split(',') {
                        self.check_index(p, "indices:data/read/search", index)?;
                    }
                    self.search(indices, &json_body()?)?
                }
                _ => core_error(
                    400,
                    "illegal_argument_exception",
                    &format!("no handler found for uri [{path}] and method [{method}]"),
                ),
            })
        })();
        result.unwrap_or_else(|e| e)
    }
}

fn info() -> Value {
    json!({
        "name": "node-1", "cluster_name": "fake-cluster", "cluster_uuid": "fAkEcLuStErUuId0000000",
        "version": {
            "distribution": "opensearch", "number": VERSION, "build_type": "tar",
            "build_hash": "0000000000000000000000000000000000000000",
            "build_date": "2024-09-13T00:00:00.000000Z", "build_snapshot": false,
            "lucene_version": "9.11.1", "minimum_wire_compatibility_version": "7.10.0",
            "minimum_index_compatibility_version": "7.0.0"
        },
        "tagline": "The OpenSearch Project: https://opensearch.org/"
    })
}

fn not_found(name: &str) -> Response {
    security_status(404, "NOT_FOUND", &format!("Resource '{name}' not found."))
}

fn index_not_found(name: &str) -> Response {
    let cause = json!({"type": "index_not_found_exception", "reason": format!("no such index [{name}]"),
                       "index": name, "resource.id": name, "resource.type": "index_or_alias", "index_uuid": "_na_"});
    Response::json(
        404,
        &json!({"error": {"root_cause": [cause.clone()], "type": "index_not_found_exception",
                          "reason": format!("no such index [{name}]"), "index": name,
                          "resource.id": name, "resource.type": "index_or_alias", "index_uuid": "_na_"},
                "status": 404}),
    )
}
