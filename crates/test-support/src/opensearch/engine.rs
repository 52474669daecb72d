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

use serde_json::{Map, Value, json};

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

    /// The security roles of `p`, sorted.
    pub fn roles_of(&self, p: &Principal) -> Vec<String> {
        let mut out: Vec<String> = self
            .mappings
            .iter()
            .filter(|(_, m)| {
                let users = strings(&m["users"]);
                let backend = strings(&m["backend_roles"]);
                let and_backend = strings(&m["and_backend_roles"]);
                users.iter().any(|u| glob(u, &p.name))
                    || backend
                        .iter()
                        .any(|b| p.backend_roles.iter().any(|r| glob(b, r)))
                    || (!and_backend.is_empty()
                        && and_backend.iter().all(|b| p.backend_roles.contains(b)))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if p.internal
            && let Some(u) = self.users.get(&p.name)
        {
            out.extend(strings(&u["opendistro_security_roles"]));
        }
        out.sort();
        out.dedup();
        out.retain(|r| self.roles.contains_key(r));
        out
    }

    fn cluster_allowed(&self, roles: &[String], action: &str) -> bool {
        roles.iter().filter_map(|r| self.roles.get(r)).any(|role| {
            strings(&role["cluster_permissions"])
                .iter()
                .flat_map(|g| expand(g))
                .any(|pat| glob(&pat, action))
        })
    }

    fn index_allowed(&self, roles: &[String], action: &str, index: &str) -> bool {
        roles.iter().filter_map(|r| self.roles.get(r)).any(|role| {
            role["index_permissions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|perm| {
                    strings(&perm["index_patterns"])
                        .iter()
                        .any(|pat| glob(pat, index))
                        && strings(&perm["allowed_actions"])
                            .iter()
                            .flat_map(|g| expand(g))
                            .any(|pat| glob(&pat, action))
                })
        })
    }

    fn no_permissions(&self, p: &Principal, action: &str) -> Response {
        core_error(
            403,
            "security_exception",
            &format!(
                "no permissions for [{action}] and User [name={}, backend_roles=[{}], requestedTenant=null]",
                p.name,
                p.backend_roles.join(", ")
            ),
        )
    }

    fn check_cluster(&self, p: &Principal, action: &str) -> Result<(), Response> {
        if self.cluster_allowed(&self.roles_of(p), action) {
            Ok(())
        } else {
            Err(self.no_permissions(p, action))
        }
    }

    fn check_index(&self, p: &Principal, action: &str, index: &str) -> Result<(), Response> {
        if self.index_allowed(&self.roles_of(p), action, index) {
            Ok(())
        } else {
            Err(self.no_permissions(p, action))
        }
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

    fn health(&self) -> Value {
        let shards = self.indices.len();
        json!({
            "cluster_name": "fake-cluster", "status": "green", "timed_out": false,
            "number_of_nodes": 3, "number_of_data_nodes": 3,
            "discovered_master": true, "discovered_cluster_manager": true,
            "active_primary_shards": shards, "active_shards": shards * 2,
            "relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": 0,
            "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0
        })
    }

    fn cat_indices(&self, query: &[(String, String)]) -> Response {
        let rows: Vec<Value> = self
            .indices
            .iter()
            .map(|(name, idx)| {
                let size = idx
                    .docs
                    .values()
                    .map(|d| d.source.to_string().len())
                    .sum::<usize>()
                    + 208;
                json!({
                    "health": "green", "status": "open", "index": name, "uuid": idx.uuid,
                    "pri": "1", "rep": "1", "docs.count": idx.docs.len().to_string(),
                    "docs.deleted": "0", "store.size": format!("{}b", size * 2),
                    "pri.store.size": format!("{size}b")
                })
            })
            .collect();
        if query.iter().any(|(k, v)| k == "format" && v == "json") {
            Response::json(200, &Value::Array(rows))
        } else {
            let text: String = rows
                .iter()
                .map(|r| {
                    format!(
                        "green open {} {} 1 1 {} 0 {} {}\n",
                        r["index"].as_str().unwrap_or_default(),
                        r["uuid"].as_str().unwrap_or_default(),
                        r["docs.count"].as_str().unwrap_or_default(),
                        r["store.size"].as_str().unwrap_or_default(),
                        r["pri.store.size"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            Response::text(200, &text)
        }
    }

    fn authinfo(&self, p: &Principal, peer: &str) -> Response {
        let roles = self.roles_of(p);
        Response::json(
            200,
            &json!({
                "user": format!("User [name={}, backend_roles=[{}], requestedTenant=null]", p.name, p.backend_roles.join(", ")),
                "user_name": p.name,
                "user_requested_tenant": null,
                "remote_address": peer,
                "backend_roles": p.backend_roles,
                "custom_attribute_names": [],
                "roles": roles,
                "tenants": {"global_tenant": true, p.name.clone(): true},
                "principal": null,
                "peer_certificates": "0",
                "sso_logout_url": null
            }),
        )
    }

    fn account(&mut self, p: &Principal, method: &str, body: Value) -> Response {
        let user = self.users.get(&p.name).cloned();
        let reserved = user
            .as_ref()
            .and_then(|u| u["reserved"].as_bool())
            .unwrap_or(false);
        match method {
            "GET" => Response::json(
                200,
                &json!({
                    "user_name": p.name,
                    "is_reserved": reserved,
                    "is_hidden": false,
                    "is_internal_user": p.internal,
                    "user_requested_tenant": null,
                    "backend_roles": p.backend_roles,
                    "custom_attribute_names": [],
                    "tenants": {"global_tenant": true, p.name.clone(): true},
                    "roles": self.roles_of(p)
                }),
            ),
            "PUT" => {
                if !p.internal || user.is_none() {
                    return security_status(
                        403,
                        "FORBIDDEN",
                        &format!("'{}' is not an internal user.", p.name),
                    );
                }
                if reserved {
                    return security_status(
                        403,
                        "FORBIDDEN",
                        &format!("Resource '{}' is reserved.", p.name),
                    );
                }
                let (Some(current), Some(new)) =
                    (body["current_password"].as_str(), body["password"].as_str())
                else {
                    return security_status(
                        400,
                        "BAD_REQUEST",
                        "'current_password' and 'password' are required.",
                    );
                };
                if self.passwords.get(&p.name).map(String::as_str) != Some(current) {
                    return security_status(
                        400,
                        "BAD_REQUEST",
                        "Could not validate your current password.",
                    );
                }
                self.passwords.insert(p.name.clone(), new.to_string());
                security_status(200, "OK", &format!("'{}' updated.", p.name))
            }
            _ => core_error(
                405,
                "illegal_argument_exception",
                "Incorrect HTTP method for uri [/_plugins/_security/api/account]",
            ),
        }
    }

    fn store(&mut self, kind: &str) -> &mut Map<String, Value> {
        match kind {
            "roles" => &mut self.roles,
            "rolesmapping" => &mut self.mappings,
            _ => &mut self.users,
        }
    }

    fn security_api(
        &mut self,
        method: &str,
        kind: &str,
        name: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        match (method, name, body) {
            ("GET", None, _) => Response::json(200, &Value::Object(self.store(kind).clone())),
            ("GET", Some(name), _) => match self.store(kind).get(name) {
                Some(v) => Response::json(200, &json!({ name: v })),
                None => not_found(name),
            },
            ("PUT", Some(name), Some(body)) => self.put_resource(kind, name, body),
            ("PATCH", name, Some(Value::Array(ops))) => {
                let patch: json_patch::Patch = match serde_json::from_value(Value::Array(ops)) {
                    Ok(p) => p,
                    Err(e) => {
                        return security_status(
                            400,
                            "BAD_REQUEST",
                            &format!("not a JSON patch: {e}"),
                        );
                    }
                };
                let mut doc = match name {
                    None => Value::Object(self.store(kind).clone()),
                    Some(n) => match self.store(kind).get(n) {
                        Some(v) => v.clone(),
                        None => return not_found(n),
                    },
                };
                if let Err(e) = json_patch::patch(&mut doc, &patch) {
                    return security_status(400, "BAD_REQUEST", &e.to_string());
                }
                let entries: Vec<(String, Value)> = match (name, doc) {
                    (None, Value::Object(all)) => all.into_iter().collect(),
                    (Some(n), v) => vec![(n.to_string(), v)],
                    (None, _) => {
                        return security_status(400, "BAD_REQUEST", "the result is not an object");
                    }
                };
                for (_, v) in &entries {
                    if let Err(resp) = validate(kind, v) {
                        return resp;
                    }
                }
                if name.is_none() {
                    let keep: Vec<&String> = entries.iter().map(|(n, _)| n).collect();
                    self.store(kind).retain(|k, _| keep.contains(&k));
                }
                for (n, mut v) in entries {
                    if kind == "internalusers"
                        && let Some(pw) = v.as_object_mut().and_then(|o| o.remove("password"))
                    {
                        self.passwords
                            .insert(n.clone(), pw.as_str().unwrap_or_default().to_string());
                        v["hash"] = json!("");
                    }
                    self.store(kind).insert(n, v);
                }
                match name {
                    Some(n) => security_status(200, "OK", &format!("'{n}' updated.")),
                    None => security_status(200, "OK", "Resource updated."),
                }
            }
            ("DELETE", Some(name), _) => {
                let reserved = match self.store(kind).get(name) {
                    None => return not_found(name),
                    Some(v) => v["reserved"].as_bool().unwrap_or(false),
                };
                if reserved {
                    return security_status(
                        403,
                        "FORBIDDEN",
                        &format!("Resource '{name}' is reserved."),
                    );
                }
                self.store(kind).remove(name);
                if kind == "internalusers" {
                    self.passwords.remove(name);
                }
                security_status(200, "OK", &format!("'{name}' deleted."))
            }
            ("PATCH", _, _) => security_status(
                400,
                "BAD_REQUEST",
                "the body must be a JSON array of patch operations",
            ),
            _ => core_error(
                405,
                "illegal_argument_exception",
                &format!(
                    "Incorrect HTTP method for uri [/_plugins/_security/api/{kind}] and method [{method}]"
                ),
            ),
        }
    }

    fn put_resource(&mut self, kind: &str, name: &str, mut body: Value) -> Response {
        if let Err(resp) = validate(kind, &body) {
            return resp;
        }
        let existing = self.store(kind).get(name).cloned();
        if existing
            .as_ref()
            .and_then(|v| v["reserved"].as_bool())
            .unwrap_or(false)
        {
            return security_status(403, "FORBIDDEN", &format!("Resource '{name}' is reserved."));
        }
        if kind == "internalusers" {
            match body.as_object_mut().and_then(|o| o.remove("password")) {
                Some(pw) => {
                    self.passwords
                        .insert(name.into(), pw.as_str().unwrap_or_default().into());
                }
                None if existing.is_none() && body.get("hash").is_none() => {
                    return security_status(
                        400,
                        "BAD_REQUEST",
                        "Please specify either 'hash' or 'password' when creating a new internal user.",
                    );
                }
                None => {}
            }
            body["hash"] = json!("");
        }
        if kind == "rolesmapping" && !self.roles.contains_key(name) {
            return security_status(404, "NOT_FOUND", &format!("role '{name}' not found."));
        }
        let defaults: &[(&str, Value)] = match kind {
            "roles" => &[
                ("cluster_permissions", json!([])),
                ("index_permissions", json!([])),
                ("tenant_permissions", json!([])),
                ("static", json!(false)),
            ],
            "rolesmapping" => &[
                ("hosts", json!([])),
                ("users", json!([])),
                ("backend_roles", json!([])),
                ("and_backend_roles", json!([])),
            ],
            _ => &[
                ("backend_roles", json!([])),
                ("attributes", json!({})),
                ("opendistro_security_roles", json!([])),
                ("static", json!(false)),
            ],
        };
        for (k, v) in defaults
            .iter()
            .chain(&[("reserved", json!(false)), ("hidden", json!(false))])
        {
            if body.get(*k).is_none() {
                body[*k] = v.clone();
            }
        }
        self.store(kind).insert(name.into(), body);
        if existing.is_some() {
            security_status(200, "OK", &format!("'{name}' updated."))
        } else {
            security_status(201, "CREATED", &format!("'{name}' created."))
        }
    }

    fn index(&self, name: &str) -> Result<&Index, Response> {
        self.indices.get(name).ok_or_else(|| index_not_found(name))
    }

    fn create_index(&mut self, name: &str, body: Value) -> Result<Response, Response> {
        if self.indices.contains_key(name) {
            return Err(core_error(
                400,
                "resource_already_exists_exception",
                &format!("index [{name}/{}] already exists", self.indices[name].uuid),
            ));
        }
        if name.starts_with(['_', '-', '+']) || name.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(core_error(
                400,
                "invalid_index_name_exception",
                &format!("Invalid index name [{name}], must be lowercase"),
            ));
        }
        let mut idx = self.new_index();
        if let Some(props) = body["mappings"]["properties"].as_object() {
            idx.mappings = props.clone();
        }
        self.indices.insert(name.into(), idx);
        Ok(Response::json(
            200,
            &json!({"acknowledged": true, "shards_acknowledged": true, "index": name}),
        ))
    }

    fn new_index(&mut self) -> Index {
        self.seq += 1;
        Index {
            uuid: format!("fAkEuUiD{:014}", self.seq),
            ..Index::default()
        }
    }

    fn delete_indices(&mut self, names: &str) -> Result<Response, Response> {
        for name in names.split(',') {
            self.index(name)?;
        }
        for name in names.split(',') {
            self.indices.remove(name);
        }
        Ok(Response::json(200, &json!({"acknowledged": true})))
    }

    fn write_result(&self, index: &str, id: &str, doc: &Doc, result: &str) -> Value {
        json!({
            "_index": index, "_id": id, "_version": doc.version, "result": result,
            "_shards": {"total": 2, "successful": 1, "failed": 0},
            "_seq_no": doc.seq_no, "_primary_term": 1
        })
    }

    /// Indexes (or creates) a document, creating the index as OpenSearch
    /// does; returns the status and the body.
    fn write(
        &mut self,
        index: &str,
        id: Option<&str>,
        source: Value,
        create: bool,
    ) -> (u16, Value) {
        if !self.indices.contains_key(index) {
            let idx = self.new_index();
            self.indices.insert(index.into(), idx);
        }
        self.seq += 1;
        let seq = self.seq;
        let Some(idx) = self.indices.get_mut(index) else {
            return (500, json!({}));
        };
        let id = match id {
            Some(id) => id.to_string(),
            None => {
                idx.next_id += 1;
                format!(
                    "auto{:016x}",
                    idx.next_id.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )
            }
        };
        let exists = idx.docs.get(&id).map(|d| d.version);
        if create && exists.is_some() {
            let reason = format!(
                "[{id}]: version conflict, document already exists (current version [{}])",
                exists.unwrap_or(1)
            );
            return (
                409,
                json!({"error": {"root_cause": [{"type": "version_conflict_engine_exception", "reason": reason, "index": index}],
                        "type": "version_conflict_engine_exception", "reason": reason, "index": index}, "status": 409}),
            );
        }
        infer_mappings(&mut idx.mappings, &source);
        let doc = Doc {
            source,
            version: exists.unwrap_or(0) + 1,
            seq_no: seq,
        };
        idx.docs.insert(id.clone(), doc.clone());
        let result = if exists.is_some() {
            "updated"
        } else {
            "created"
        };
        let status = if exists.is_some() { 200 } else { 201 };
        (status, self.write_result(index, &id, &doc, result))
    }

    fn get(&self, index: &str, id: &str) -> Result<Response, Response> {
        let idx = self.index(index)?;
        Ok(match idx.docs.get(id) {
            Some(d) => Response::json(
                200,
                &json!({"_index": index, "_id": id, "_version": d.version, "_seq_no": d.seq_no,
                        "_primary_term": 1, "found": true, "_source": d.source}),
            ),
            None => Response::json(404, &json!({"_index": index, "_id": id, "found": false})),
        })
    }

    fn delete(&mut self, index: &str, id: &str) -> Result<(u16, Value), Response> {
        self.index(index)?;
        self.seq += 1;
        let seq = self.seq;
        let idx = self
            .indices
            .get_mut(index)
            .ok_or_else(|| index_not_found(index))?;
        Ok(match idx.docs.remove(id) {
            Some(d) => {
                let doc = Doc {
                    version: d.version + 1,
                    seq_no: seq,
                    ..d
                };
                (200, self.write_result(index, id, &doc, "deleted"))
            }
            None => {
                let doc = Doc {
                    version: 1,
                    seq_no: seq,
                    ..Doc::default()
                };
                (404, self.write_result(index, id, &doc, "not_found"))
            }
        })
    }

    fn update(&mut self, index: &str, id: &str, body: &Value) -> Result<(u16, Value), Response> {
        if body.get("script").is_some() {
            return Err(core_error(
                400,
                "illegal_argument_exception",
                "scripts are not supported by this test cluster",
            ));
        }
        let current = self
            .indices
            .get(index)
            .and_then(|i| i.docs.get(id))
            .map(|d| d.source.clone());
        let Some(mut source) = current else {
            let upsert = if body["doc_as_upsert"].as_bool() == Some(true) {
                body.get("doc").cloned()
            } else {
                body.get("upsert").cloned()
            };
            return match upsert {
                Some(doc) => Ok(self.write(index, Some(id), doc, false)),
                None => Err(core_error(
                    404,
                    "document_missing_exception",
                    &format!("[{id}]: document missing"),
                )),
            };
        };
        let before = source.clone();
        if let Some(partial) = body.get("doc") {
            json_patch::merge(&mut source, partial);
        }
        if source == before {
            let idx = self.index(index)?;
            let doc = idx.docs.get(id).cloned().unwrap_or_default();
            return Ok((200, self.write_result(index, id, &doc, "noop")));
        }
        let (_, mut v) = self.write(index, Some(id), source, false);
        v["result"] = json!("updated");
        Ok((200, v))
    }

    fn search(&self, indices: &str, body: &Value) -> Result<Response, Response> {
        let mut targets = Vec::new();
        for pat in indices.split(',') {
            if pat.contains('*') || pat == "_all" {
                targets.extend(
                    self.indices
                        .keys()
                        .filter(|k| pat == "_all" || glob(pat, k))
                        .cloned(),
                );
            } else {
                self.index(pat)?;
                targets.push(pat.to_string());
            }
        }
        let query = body
            .get("query")
            .cloned()
            .unwrap_or(json!({"match_all": {}}));
        let mut hits: Vec<(&str, &str, &Doc)> = Vec::new();
        for name in &targets {
            for (id, doc) in &self.indices[name].docs {
                if matches(&query, &doc.source) {
                    hits.push((name, id, doc));
                }
            }
        }
        let sort: Vec<(String, bool)> = body["sort"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| match s {
                Value::String(f) => Some((f.clone(), true)),
                Value::Object(o) => o.iter().next().map(|(f, v)| {
                    let order = v.as_str().or_else(|| v["order"].as_str()).unwrap_or("asc");
                    (f.clone(), order != "desc")
                }),
                _ => None,
            })
            .collect();
        let key = |doc: &Doc| -> Vec<Value> {
            sort.iter()
                .map(|(f, _)| field(&doc.source, f).cloned().unwrap_or(Value::Null))
                .collect()
        };
        let cmp = |a: &[Value], b: &[Value]| {
            for (k, (_, asc)) in sort.iter().enumerate() {
                let o = compare(&a[k], &b[k]);
                if o != std::cmp::Ordering::Equal {
                    return if *asc { o } else { o.reverse() };
                }
            }
            std::cmp::Ordering::Equal
        };
        if !sort.is_empty() {
            hits.sort_by(|a, b| cmp(&key(a.2), &key(b.2)));
            if let Some(after) = body["search_after"].as_array()
                && after.len() == sort.len()
            {
                hits.retain(|h| cmp(&key(h.2), after) == std::cmp::Ordering::Greater);
            }
        }
        let total = hits.len();
        let from = body["from"].as_u64().unwrap_or(0) as usize;
        let size = body["size"].as_u64().unwrap_or(10) as usize;
        let with_source = body["_source"].as_bool() != Some(false);
        let page: Vec<Value> = hits
            .iter()
            .skip(from)
            .take(size)
            .map(|(index, id, doc)| {
                let mut hit = json!({"_index": index, "_id": id, "_score": if sort.is_empty() { json!(1.0) } else { Value::Null }});
                if with_source {
                    hit["_source"] = doc.source.clone();
                }
                if !sort.is_empty() {
                    hit["sort"] = Value::Array(key(doc));
                }
                hit
            })
            .collect();
        Ok(Response::json(
            200,
            &json!({
                "took": 1, "timed_out": false,
                "_shards": {"total": targets.len(), "successful": targets.len(), "skipped": 0, "failed": 0},
                "hits": {
                    "total": {"value": total, "relation": "eq"},
                    "max_score": if sort.is_empty() && total > 0 { json!(1.0) } else { Value::Null },
                    "hits": page
                }
            }),
        ))
    }

    fn bulk(&mut self, p: &Principal, body: &[u8]) -> Result<Response, Response> {
        let text = std::str::from_utf8(body)
            .map_err(|_| core_error(400, "parse_exception", "the bulk body is not UTF-8"))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let mut items = Vec::new();
        let mut errors = false;
        let roles = self.roles_of(p);
        while let Some(line) = lines.next() {
            let action: Value = serde_json::from_str(line).map_err(|e| {
                core_error(
                    400,
                    "illegal_argument_exception",
                    &format!("Malformed action/metadata line [{}]: {e}", items.len() + 1),
                )
            })?;
            let Some((op, meta)) = action.as_object().and_then(|o| o.iter().next()) else {
                return Err(core_error(
                    400,
                    "illegal_argument_exception",
                    "Malformed action/metadata line",
                ));
            };
            let op = op.clone();
            let index = meta["_index"].as_str().unwrap_or_default().to_string();
            let id = meta["_id"].as_str().map(str::to_string);
            let source = if op == "delete" {
                Value::Null
            } else {
                let line = lines.next().ok_or_else(|| {
                    core_error(
                        400,
                        "illegal_argument_exception",
                        "The bulk request must be terminated by a newline [\\n]",
                    )
                })?;
                serde_json::from_str(line).map_err(|e| {
                    core_error(
                        400,
                        "mapper_parsing_exception",
                        &format!("failed to parse: {e}"),
                    )
                })?
            };
            let action_name = match op.as_str() {
                "index" | "create" => "indices:data/write/index",
                "update" => "indices:data/write/update",
                "delete" => "indices:data/write/delete",
                other => {
                    return Err(core_error(
                        400,
                        "illegal_argument_exception",
                        &format!("Unknown action [{other}]"),
                    ));
                }
            };
            let outcome: (u16, Value) = if !self.index_allowed(&roles, action_name, &index) {
                let resp = self.no_permissions(p, action_name);
                let v: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
                (
                    403,
                    json!({"_index": index, "_id": id, "status": 403, "error": v["error"]["root_cause"][0]}),
                )
            } else {
                let r = match op.as_str() {
                    "index" => Ok(self.write(&index, id.as_deref(), source, false)),
                    "create" => Ok(self.write(&index, id.as_deref(), source, true)),
                    "update" => self.update(&index, id.as_deref().unwrap_or_default(), &source),
                    _ => self.delete(&index, id.as_deref().unwrap_or_default()),
                };
                match r {
                    Ok((status, mut v)) => {
                        v["status"] = json!(status);
                        if let Some(err) = v.get("error").cloned() {
                            v = json!({"_index": index, "_id": id, "status": status,
                                       "error": {"type": err["type"], "reason": err["reason"], "index": index}});
                        }
                        (status, v)
                    }
                    Err(resp) => {
                        let v: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
                        (
                            resp.status,
                            json!({"_index": index, "_id": id, "status": resp.status,
                                             "error": {"type": v["error"]["type"], "reason": v["error"]["reason"], "index": index}}),
                        )
                    }
                }
            };
            if outcome.1.get("error").is_some() {
                errors = true;
            }
            items.push(json!({ op: outcome.1 }));
        }
        Ok(Response::json(
            200,
            &json!({"took": 1, "errors": errors, "items": items}),
        ))
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

/// Checks a security resource's keys and types as the plugin does.
fn validate(kind: &str, v: &Value) -> Result<(), Response> {
    let (allowed, arrays): (&[&str], &[&str]) = match kind {
        "rolesmapping" => (
            &[
                "backend_roles",
                "and_backend_roles",
                "users",
                "hosts",
                "description",
                "reserved",
                "hidden",
            ],
            &["backend_roles", "and_backend_roles", "users", "hosts"],
        ),
        "roles" => (
            &[
                "cluster_permissions",
                "index_permissions",
                "tenant_permissions",
                "description",
                "reserved",
                "hidden",
                "static",
            ],
            &[
                "cluster_permissions",
                "index_permissions",
                "tenant_permissions",
            ],
        ),
        _ => (
            &[
                "password",
                "hash",
                "backend_roles",
                "opendistro_security_roles",
                "attributes",
                "description",
                "reserved",
                "hidden",
                "static",
            ],
            &["backend_roles", "opendistro_security_roles"],
        ),
    };
    let Some(obj) = v.as_object() else {
        return Err(security_status(
            400,
            "BAD_REQUEST",
            "Request body required for this action.",
        ));
    };
    let invalid: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if !invalid.is_empty() {
        return Err(Response::json(
            400,
            &json!({"status": "error", "reason": "Invalid configuration",
                    "invalid_keys": {"keys": invalid.join(",")}}),
        ));
    }
    let wrong: Vec<&str> = arrays
        .iter()
        .copied()
        .filter(|k| obj.get(*k).is_some_and(|x| !x.is_array()))
        .collect();
    if !wrong.is_empty() {
        let types: Map<String, Value> = wrong
            .iter()
            .map(|k| (k.to_string(), json!("Array expected")))
            .collect();
        return Err(Response::json(
            400,
            &json!({"status": "error", "reason": "Invalid configuration", "wrong_datatypes": types}),
        ));
    }
    Ok(())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The action patterns an action group stands for (or the pattern itself).
fn expand(group: &str) -> Vec<String> {
    let v: &[&str] = match group {
        "cluster_all" => &["cluster:*"],
        "cluster_monitor" => &["cluster:monitor/*"],
        "cluster_composite_ops_ro" => &[
            "indices:data/read/mget*",
            "indices:data/read/msearch*",
            "indices:data/read/mtv*",
            "indices:data/read/scroll*",
            "indices:admin/aliases/get*",
        ],
        "cluster_composite_ops" => &[
            "indices:data/read/mget*",
            "indices:data/read/msearch*",
            "indices:data/read/mtv*",
            "indices:data/read/scroll*",
            "indices:admin/aliases/get*",
            "indices:data/write/bulk*",
            "indices:admin/aliases*",
        ],
        "indices_all" => &["indices:*"],
        "read" => &["indices:data/read*", "indices:admin/mappings/fields/get*"],
        "write" => &["indices:data/write*", "indices:admin/mapping/put"],
        "crud" => &[
            "indices:data/read*",
            "indices:data/write*",
            "indices:admin/mapping/put",
        ],
        "delete" => &["indices:data/write/delete*"],
        "search" => &["indices:data/read/search*", "indices:data/read/msearch*"],
        "get" => &["indices:data/read/get*", "indices:data/read/mget*"],
        "index" => &[
            "indices:data/write/index*",
            "indices:data/write/update*",
            "indices:admin/mapping/put",
        ],
        "create_index" => &["indices:admin/create", "indices:admin/mapping/put"],
        "manage" => &["indices:monitor/*", "indices:admin/*"],
        "indices_monitor" => &["indices:monitor/*"],
        "data_access" => &["indices:data/*", "indices:admin/mapping/put"],
        other => return vec![other.to_string()],
    };
    v.iter().map(|s| s.to_string()).collect()
}

/// `*` and `?` wildcards.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

fn field<'v>(source: &'v Value, name: &str) -> Option<&'v Value> {
    let name = name.strip_suffix(".keyword").unwrap_or(name);
    name.split('.').try_fold(source, |v, part| v.get(part))
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Value::Null, Value::Null) => Equal,
        (Value::Null, _) => Greater,
        (_, Value::Null) => Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The few queries the tests use: `match_all`, `term`, `match`, `bool.must`.
fn matches(query: &Value, source: &Value) -> bool {
    let Some((kind, arg)) = query.as_object().and_then(|o| o.iter().next()) else {
        return true;
    };
    let pair = || arg.as_object().and_then(|o| o.iter().next());
    match kind.as_str() {
        "match_all" => true,
        "term" => pair().is_some_and(|(f, v)| {
            let want = v.get("value").unwrap_or(v);
            field(source, f) == Some(want)
        }),
        "match" => pair().is_some_and(|(f, v)| {
            let want = v.get("query").unwrap_or(v);
            match (field(source, f), want) {
                (Some(Value::String(have)), Value::String(q)) => {
                    let have = tokens(have);
                    tokens(q).iter().any(|t| have.contains(t))
                }
                (Some(have), want) => have == want,
                (None, _) => false,
            }
        }),
        "bool" => arg["must"]
            .as_array()
            .is_none_or(|qs| qs.iter().all(|q| matches(q, source))),
        _ => false,
    }
}

/// Adds the fields of `doc` to `mappings` the way dynamic mapping does.
fn infer_mappings(mappings: &mut Map<String, Value>, doc: &Value) {
    let Some(obj) = doc.as_object() else {
        return;
    };
    for (k, v) in obj {
        if let Value::Object(_) = v {
            let entry = mappings
                .entry(k.clone())
                .or_insert_with(|| json!({"properties": {}}));
            if let Some(props) = entry["properties"].as_object_mut() {
                infer_mappings(props, v);
            }
            continue;
        }
        if mappings.contains_key(k) {
            continue;
        }
        let t = match v {
            Value::Bool(_) => json!({"type": "boolean"}),
            Value::Number(n) if n.is_f64() => json!({"type": "float"}),
            Value::Number(_) => json!({"type": "long"}),
            Value::String(_) => {
                json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
            }
            _ => continue,
        };
        mappings.insert(k.clone(), t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_groups() {
        assert!(glob("movies*", "movies-2024"));
        assert!(!glob("movies*", "books"));
        assert!(glob("indices:data/read*", "indices:data/read/search"));
        assert!(
            expand("read")
                .iter()
                .any(|p| glob(p, "indices:data/read/get"))
        );
        assert!(
            !expand("read")
                .iter()
                .any(|p| glob(p, "indices:data/write/index"))
        );
    }
}
