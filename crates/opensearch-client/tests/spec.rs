//! Conformance with the OpenSearch API specification (vendored in
//! `tests/spec/` by `scripts/vendor-opensearch-spec`, Apache-2.0).
//!
//! * Every typed endpoint is sent to the loopback cluster, and to the real
//!   OpenSearch node with the security plugin (`scripts/opensearch`), and
//!   its answer read into the client's type; `tests/spec/check.py` then checks each
//!   exchange against the spec's operation with the `jsonschema` package:
//!   method, path template, query parameters, the request body against the
//!   request schema, the response against the response schema.
//! * Every upstream test story of `tests/default` whose namespaces the real
//!   node runs (OpenSearch's own and security: 224 stories, 1,000 steps)
//!   is replayed on it through the generated builders
//!   (`ops::request_by_name`), in order on one cluster as upstream runs
//!   them: outputs carried into later steps, version ranges, method lists,
//!   retries, YAML and CBOR answers honoured; each step's status and
//!   expected payload checked; the exchanges through the same spec check.
//!   Stories that need another plugin are counted, not run; where a story
//!   departs from the spec or expects what 2.19 rightly does not answer,
//!   a named list says so and must keep matching.
//! * Eight of those stories, whose APIs the loopback cluster implements
//!   and the curated layer types, are also replayed there, and the curated
//!   builders must build the same method, path and body as the generated
//!   ones.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cred_providers::{BlockingTransport, ProxySetting, TransportConfig};
use opensearch_client::api::{self, CatIndex, ClusterHealth, Info};
use opensearch_client::auth::Auth;
use opensearch_client::bulk::{BulkBody, BulkResponse};
use opensearch_client::client::parse;
use opensearch_client::documents::{self, GetResponse, SearchResponse, WriteResponse};
use opensearch_client::security::{
    self, AccountDetails, AuthInfo, InternalUser, InternalUsers, Password, PatchOp, Role,
    RoleMapping, RoleMappings, Roles, StatusMessage,
};
use opensearch_client::{ApiRequest, Client, NodePool};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use test_support::opensearch::real::{REAL_MASTER_USER, real_node};
use test_support::opensearch::{Config, FakeOpenSearch, MASTER_PASSWORD, MASTER_USER, engine};
use test_support::two_targets;

mod common;

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec")
}

/// Where the exchanges go: the loopback cluster, or the real node (its
/// master user, basic auth, TLS trusting its CA). Names are tagged on the
/// real node, whose state outlives the test.
#[cfg_attr(not(feature = "by-name"), allow(dead_code))]
struct Target {
    urls: Vec<String>,
    transport: Arc<BlockingTransport>,
    user: &'static str,
    password: String,
    version: String,
    tag: String,
    real: bool,
    _fake: Option<FakeOpenSearch>,
    _serial: Option<std::sync::MutexGuard<'static, ()>>,
}

impl Target {
    fn fake() -> Self {
        let cluster = FakeOpenSearch::start(Config::default());
        Self {
            urls: cluster.urls(),
            transport: Arc::new(
                BlockingTransport::try_new(TransportConfig {
                    proxy: ProxySetting::None,
                    ..TransportConfig::default()
                })
                .unwrap(),
            ),
            user: MASTER_USER,
            password: MASTER_PASSWORD.into(),
            version: engine::VERSION.into(),
            tag: String::new(),
            real: false,
            _fake: Some(cluster),
            _serial: None,
        }
    }

    fn real() -> Self {
        // The stories replace all_access's mapping for a while: the real
        // node's tests take turns.
        static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let node = real_node();
        let transport = Arc::new(node.transport(std::time::Duration::from_secs(60)));
        let client = Client::new(
            NodePool::new([node.url.clone()]).unwrap(),
            transport.clone(),
            Auth::basic(REAL_MASTER_USER, node.master_password.clone()),
        );
        let info: Info = pollster::block_on(client.call(&api::info())).unwrap();
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        Self {
            urls: vec![node.url.clone()],
            transport,
            user: REAL_MASTER_USER,
            password: node.master_password.clone(),
            version: info.version.number,
            tag: format!("-t{stamp}-{}", std::process::id()),
            real: true,
            _fake: None,
            _serial: Some(serial),
        }
    }

    /// `name`, tagged on the real node.
    fn name(&self, name: &str) -> String {
        format!("{name}{}", self.tag)
    }

    fn client(&self) -> Client {
        Client::new(
            NodePool::new(self.urls.clone()).unwrap(),
            self.transport.clone(),
            Auth::basic(self.user, self.password.clone()),
        )
    }

    fn recorder(&self) -> Recorder {
        Recorder {
            client: self.client(),
            exchanges: Vec::new(),
        }
    }
}

struct Recorder {
    client: Client,
    exchanges: Vec<Value>,
}

impl Recorder {
    /// Sends `req`, meant as an operation of `group` (`None`: whichever
    /// the method and path select), and records the exchange.
    fn send(&mut self, group: Option<&str>, req: &ApiRequest) -> http::Response<Vec<u8>> {
        let resp = pollster::block_on(self.client.send(req)).unwrap();
        let body = common::body_json(req);
        self.exchanges.push(json!({
            "group": group,
            "method": req.method.as_str(),
            "path": req.path,
            "query": req.query,
            "content_type": req.content_type,
            "body": body,
            "status": resp.status().as_u16(),
            "response": serde_json::from_slice::<Value>(resp.body()).ok(),
        }));
        resp
    }

    /// Sends and reads the typed answer.
    fn call<T: DeserializeOwned>(&mut self, group: &str, req: &ApiRequest) -> T {
        let resp = self.send(Some(group), req);
        parse(&resp).unwrap_or_else(|e| panic!("{group}: {e}"))
    }

    /// Runs `check.py` over the exchanges; returns its summary.
    fn check(&self) -> String {
        check(&self.exchanges)
    }
}

/// Runs `check.py` over `exchanges`; returns its summary.
fn check(exchanges: &[Value]) -> String {
    match try_check(exchanges) {
        Ok(summary) => summary,
        Err(problems) => panic!(
            "the exchanges do not follow the spec (or jsonschema is missing: pip install jsonschema):\n{}",
            problems.join("\n")
        ),
    }
}

/// Runs `check.py` over `exchanges`: its summary, or the problems it found.
fn try_check(exchanges: &[Value]) -> Result<String, Vec<String>> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let file = std::env::temp_dir().join(format!(
        "spec-exchanges-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&file, Value::Array(exchanges.to_vec()).to_string()).unwrap();
    let out = std::process::Command::new("python3")
        .arg(spec_dir().join("check.py"))
        .arg(spec_dir().join("operations.json"))
        .arg(&file)
        .output()
        .expect("python3 is needed for the spec check");
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout.trim().to_string());
    }
    let mut problems: Vec<String> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    problems.extend(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string),
    );
    Err(problems)
}

two_targets!(
    typed_endpoints_follow_the_spec,
    typed_endpoints_follow_the_spec_fake,
    typed_endpoints_follow_the_spec_real
);

fn typed_endpoints_follow_the_spec(t: &Target) {
    let mut r = t.recorder();
    let movies = t.name("movies");
    let movies = movies.as_str();
    let ana = t.name("ana");
    let ana = ana.as_str();
    let movie = json!({"title": "Alien", "year": 1979});

    let _: Info = r.call("info", &api::info());
    assert_eq!(r.send(Some("ping"), &api::ping()).status(), 200);
    let _: ClusterHealth = r.call("cluster.health", &api::cluster_health());
    assert_eq!(
        r.send(Some("indices.exists"), &documents::index_exists(movies))
            .status(),
        404
    );
    let _: Value = r.call(
        "indices.create",
        &documents::create_index(
            movies,
            &json!({"mappings": {"properties": {"title": {"type": "text"}}}}),
        )
        .unwrap(),
    );
    let w: WriteResponse = r.call(
        "index",
        &documents::index_document(movies, Some("1"), &movie).unwrap(),
    );
    assert_eq!(w.result, "created");
    let _: WriteResponse = r.call(
        "index",
        &documents::index_document(movies, None, &movie).unwrap(),
    );
    let g: GetResponse<Value> = r.call("get", &documents::get_document(movies, "1"));
    assert_eq!(g.source.unwrap()["title"], "Alien");
    assert_eq!(
        r.send(Some("exists"), &documents::document_exists(movies, "1"))
            .status(),
        200
    );
    let _: WriteResponse = r.call(
        "update",
        &documents::update_document(movies, "1", &json!({"year": 1980})).unwrap(),
    );
    let _: Value = r.call("indices.refresh", &documents::refresh(movies));
    let _: Value = r.call("indices.get_mapping", &documents::get_mapping(movies));
    let s: SearchResponse<Value> = r.call(
        "search",
        &documents::search(
            movies,
            &json!({"query": {"match": {"title": "alien"}}, "sort": [{"year": "asc"}], "size": 5}),
        )
        .unwrap(),
    );
    assert_eq!(s.hits.hits.len(), 2);
    let mut bulk = BulkBody::new();
    bulk.index(movies, Some("2"), &movie).unwrap();
    bulk.create(movies, None, &movie).unwrap();
    bulk.update(movies, "2", &json!({"year": 2000})).unwrap();
    bulk.delete(movies, "1").unwrap();
    let b: BulkResponse = r.call("bulk", &bulk.into_request());
    assert!(!b.errors);
    let c: Vec<CatIndex> = r.call("cat.indices", &api::cat_indices());
    assert!(c.iter().any(|i| i.index == movies), "{movies} listed");
    let _: WriteResponse = r.call("delete", &documents::delete_document(movies, "2"));
    let _: Value = r.call("indices.delete", &documents::delete_index(movies));

    // The security plugin.
    let role = Role {
        cluster_permissions: vec!["cluster_composite_ops".into()],
        index_permissions: vec![security::IndexPermission {
            index_patterns: vec![format!("{movies}*")],
            dls: Some(String::new()),
            fls: vec!["title".into()],
            allowed_actions: vec!["read".into()],
            ..Default::default()
        }],
        tenant_permissions: vec![security::TenantPermission {
            tenant_patterns: vec!["hr".into()],
            allowed_actions: vec!["kibana_all_read".into()],
        }],
        description: Some("movies".into()),
        ..Role::default()
    };
    let s: StatusMessage = r.call(
        "security.create_role",
        &security::put_role(movies, &role).unwrap(),
    );
    assert_eq!(s.status, "CREATED");
    let _: Roles = r.call("security.get_role", &security::get_role(movies));
    let _: Roles = r.call("security.get_roles", &security::get_roles());
    let add = PatchOp::add("/description", "patched").unwrap();
    let _: StatusMessage = r.call(
        "security.patch_role",
        &security::patch_role(movies, std::slice::from_ref(&add)).unwrap(),
    );
    let _: StatusMessage = r.call(
        "security.patch_roles",
        &security::patch_roles(&[PatchOp::remove(format!("/{movies}/tenant_permissions"))])
            .unwrap(),
    );
    let mapping = RoleMapping {
        backend_roles: vec!["arn:aws:iam::123456789012:role/app".into()],
        and_backend_roles: vec!["a".into()],
        users: vec![ana.into()],
        hosts: vec!["*.example.com".into()],
        description: Some("app".into()),
        ..RoleMapping::default()
    };
    let _: StatusMessage = r.call(
        "security.create_role_mapping",
        &security::put_role_mapping(movies, &mapping).unwrap(),
    );
    let _: RoleMappings = r.call(
        "security.get_role_mapping",
        &security::get_role_mapping(movies),
    );
    let _: RoleMappings = r.call("security.get_role_mappings", &security::get_role_mappings());
    let _: StatusMessage = r.call(
        "security.patch_role_mapping",
        &security::patch_role_mapping(movies, std::slice::from_ref(&add)).unwrap(),
    );
    let _: StatusMessage = r.call(
        "security.patch_role_mappings",
        &security::patch_role_mappings(&[
            PatchOp::replace(format!("/{movies}/users"), ["bob"]).unwrap()
        ])
        .unwrap(),
    );
    let user = InternalUser {
        password: Some(Password::new("A-strong-Password-1")),
        backend_roles: vec!["analysts".into()],
        opendistro_security_roles: vec![movies.into()],
        attributes: [("team".to_string(), "blue".to_string())].into(),
        description: Some("analyst".into()),
        ..InternalUser::default()
    };
    let _: StatusMessage = r.call(
        "security.create_user",
        &security::put_user(ana, &user).unwrap(),
    );
    let _: InternalUsers = r.call("security.get_user", &security::get_user(ana));
    let _: InternalUsers = r.call("security.get_users", &security::get_users());
    let _: StatusMessage = r.call(
        "security.patch_user",
        &security::patch_user(ana, std::slice::from_ref(&add)).unwrap(),
    );
    let _: StatusMessage = r.call(
        "security.patch_users",
        &security::patch_users(&[PatchOp::add(format!("/{ana}/backend_roles"), ["x"]).unwrap()])
            .unwrap(),
    );
    let _: AccountDetails = r.call("security.get_account_details", &security::get_account());
    let _: AuthInfo = r.call("security.authinfo", &security::authinfo());
    // The master user is reserved: 403, in the plugin's error shape (the
    // new password is strong: the plugin refuses a weak one first, 400).
    let resp = r.send(
        Some("security.change_password"),
        &security::change_password(
            &Password::new(t.password.clone()),
            &Password::new("Another-Strong-Passw0rd!"),
        )
        .unwrap(),
    );
    assert_eq!(resp.status(), 403);
    let _: StatusMessage = r.call(
        "security.delete_role_mapping",
        &security::delete_role_mapping(movies),
    );
    let _: StatusMessage = r.call("security.delete_user", &security::delete_user(ana));
    let _: StatusMessage = r.call("security.delete_role", &security::delete_role(movies));

    let summary = r.check();
    assert!(summary.starts_with("checked 38 exchanges"), "{summary}");
}

/// The upstream stories, replayed through the generated builders
/// (`ops::request_by_name`, feature `by-name`).
#[cfg(feature = "by-name")]
mod stories {
    use super::*;
    use serde_json::Map;

    /// `< 2.13`, `= 2.13`, `>= 2.0`, … against the cluster's version.
    fn version_matches(constraint: &str, version: &str) -> bool {
        let parse = |v: &str| -> Vec<u32> {
            let mut v: Vec<u32> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
            v.resize(3, 0);
            v
        };
        let have = parse(version);
        // `>= 2.4 < 2.19`: each comparison must hold.
        let mut rest = constraint.trim();
        let mut all = true;
        while !rest.is_empty() {
            let op_len = rest
                .find(|c: char| !matches!(c, '<' | '>' | '='))
                .unwrap_or(rest.len());
            let op = &rest[..op_len];
            let after = rest[op_len..].trim_start();
            let v_len = after
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(after.len());
            let want = parse(&after[..v_len]);
            all &= match op {
                "<" => have < want,
                "<=" => have <= want,
                ">" => have > want,
                ">=" => have >= want,
                _ => {
                    let n = after[..v_len].split('.').count().min(3);
                    have[..n] == want[..n]
                }
            };
            rest = after[v_len..].trim_start();
        }
        all
    }

    fn param(params: &Map<String, Value>, name: &str) -> String {
        match &params[name] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    fn from<T: DeserializeOwned>(payload: Option<&Value>) -> T {
        serde_json::from_value(payload.cloned().unwrap_or(Value::Null))
            .unwrap_or_else(|e| panic!("the story's payload does not fit the type: {e}"))
    }

    /// The typed builder for a story step, with its operation group.
    fn typed(
        method: &str,
        path: &str,
        p: &Map<String, Value>,
        payload: Option<&Value>,
    ) -> Option<(&'static str, ApiRequest)> {
        const API: &str = "/_plugins/_security/api";
        let ops = || from::<Vec<PatchOp>>(payload);
        Some(match (method, path) {
            ("GET", "/") => ("info", api::info()),
            ("HEAD", "/") => ("ping", api::ping()),
            ("POST", "/{index}/_doc") => (
                "index",
                documents::index_document(&param(p, "index"), None, &payload?).ok()?,
            ),
            ("PUT", "/{index}/_doc/{id}") => (
                "index",
                documents::index_document(&param(p, "index"), Some(&param(p, "id")), &payload?)
                    .ok()?,
            ),
            ("GET", "/{index}/_doc/{id}") => (
                "get",
                documents::get_document(&param(p, "index"), &param(p, "id")),
            ),
            ("HEAD", "/{index}/_doc/{id}") => (
                "exists",
                documents::document_exists(&param(p, "index"), &param(p, "id")),
            ),
            ("DELETE", "/{index}/_doc/{id}") => (
                "delete",
                documents::delete_document(&param(p, "index"), &param(p, "id")),
            ),
            ("POST", "/{index}/_search") => (
                "search",
                documents::search(&param(p, "index"), payload?).ok()?,
            ),
            ("DELETE", "/{index}") => (
                "indices.delete",
                documents::delete_index(&param(p, "index")),
            ),
            ("DELETE", _) if !path.contains('{') && !path.starts_with(API) => (
                "indices.delete",
                documents::delete_index(path.trim_start_matches('/')),
            ),
            ("POST", "/_bulk") => {
                let lines = payload?.as_array()?;
                let mut body = BulkBody::new();
                let mut i = 0;
                while i < lines.len() {
                    let (action, meta) = lines[i].as_object()?.iter().next()?;
                    let index = meta["_index"].as_str()?;
                    let id = meta["_id"].as_str();
                    match action.as_str() {
                        "index" => body.index(index, id, &lines[i + 1]).ok()?,
                        "create" => body.create(index, id, &lines[i + 1]).ok()?,
                        "delete" => {
                            body.delete(index, id?).ok()?;
                            i += 1;
                            continue;
                        }
                        _ => return None,
                    }
                    i += 2;
                }
                ("bulk", body.into_request())
            }
            ("GET" | "POST", "/_plugins/_security/authinfo") if method == "GET" => {
                ("security.authinfo", security::authinfo())
            }
            ("GET", "/_plugins/_security/api/account") => {
                ("security.get_account_details", security::get_account())
            }
            ("PUT", "/_plugins/_security/api/account") => {
                let body = payload?;
                (
                    "security.change_password",
                    security::change_password(
                        &Password::new(body["current_password"].as_str()?),
                        &Password::new(body["password"].as_str()?),
                    )
                    .ok()?,
                )
            }
            _ => {
                let rest = path.strip_prefix(API)?.trim_start_matches('/');
                let (kind, name) = match rest.split_once('/') {
                    Some((k, n)) => (k, Some(param(p, n.trim_matches(|c| c == '{' || c == '}')))),
                    None => (rest, None),
                };
                match (kind, method, name) {
                    ("roles", "GET", None) => ("security.get_roles", security::get_roles()),
                    ("roles", "GET", Some(n)) => ("security.get_role", security::get_role(&n)),
                    ("roles", "PUT", Some(n)) => (
                        "security.create_role",
                        security::put_role(&n, &from::<Role>(payload)).ok()?,
                    ),
                    ("roles", "PATCH", None) => {
                        ("security.patch_roles", security::patch_roles(&ops()).ok()?)
                    }
                    ("roles", "PATCH", Some(n)) => (
                        "security.patch_role",
                        security::patch_role(&n, &ops()).ok()?,
                    ),
                    ("roles", "DELETE", Some(n)) => {
                        ("security.delete_role", security::delete_role(&n))
                    }
                    ("rolesmapping", "GET", None) => {
                        ("security.get_role_mappings", security::get_role_mappings())
                    }
                    ("rolesmapping", "GET", Some(n)) => {
                        ("security.get_role_mapping", security::get_role_mapping(&n))
                    }
                    ("rolesmapping", "PUT", Some(n)) => (
                        "security.create_role_mapping",
                        security::put_role_mapping(&n, &from::<RoleMapping>(payload)).ok()?,
                    ),
                    ("rolesmapping", "PATCH", None) => (
                        "security.patch_role_mappings",
                        security::patch_role_mappings(&ops()).ok()?,
                    ),
                    ("rolesmapping", "PATCH", Some(n)) => (
                        "security.patch_role_mapping",
                        security::patch_role_mapping(&n, &ops()).ok()?,
                    ),
                    ("rolesmapping", "DELETE", Some(n)) => (
                        "security.delete_role_mapping",
                        security::delete_role_mapping(&n),
                    ),
                    ("internalusers", "GET", None) => ("security.get_users", security::get_users()),
                    ("internalusers", "GET", Some(n)) => {
                        ("security.get_user", security::get_user(&n))
                    }
                    ("internalusers", "PUT", Some(n)) => (
                        "security.create_user",
                        security::put_user(&n, &from::<InternalUser>(payload)).ok()?,
                    ),
                    ("internalusers", "PATCH", None) => {
                        ("security.patch_users", security::patch_users(&ops()).ok()?)
                    }
                    ("internalusers", "PATCH", Some(n)) => (
                        "security.patch_user",
                        security::patch_user(&n, &ops()).ok()?,
                    ),
                    ("internalusers", "DELETE", Some(n)) => {
                        ("security.delete_user", security::delete_user(&n))
                    }
                    _ => return None,
                }
            }
        })
    }

    /// Drops empty arrays, objects and nulls, which the client leaves out
    /// where the stories spell them.
    fn normalise(v: &Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), normalise(v)))
                    .filter(|(_, v)| {
                        !matches!(v, Value::Null)
                            && !matches!(v, Value::Array(a) if a.is_empty())
                            && !matches!(v, Value::Object(o) if o.is_empty())
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
            other => other.clone(),
        }
    }

    /// True when `want` is part of `have`: object keys and array elements in
    /// place.
    fn contains(have: &Value, want: &Value) -> bool {
        match (have, want) {
            (Value::Object(h), Value::Object(w)) => w
                .iter()
                .all(|(k, wv)| h.get(k).is_some_and(|hv| contains(hv, wv))),
            (Value::Array(h), Value::Array(w)) => {
                w.len() <= h.len() && w.iter().zip(h).all(|(wv, hv)| contains(hv, wv))
            }
            (Value::Number(h), Value::Number(w)) => h.as_f64() == w.as_f64(),
            (h, w) => h == w,
        }
    }

    #[derive(Default, Debug)]
    struct Tally {
        /// Steps built by the generated builders (all of them).
        generated: usize,
        /// Of those, steps a curated builder also exists for (and agrees).
        curated: usize,
        skipped: usize,
    }

    /// The spec's operations: (group, method, path template).
    fn spec_operations() -> &'static [(String, String, String)] {
        static OPS: std::sync::OnceLock<Vec<(String, String, String)>> = std::sync::OnceLock::new();
        OPS.get_or_init(|| {
            let spec: Value =
                serde_json::from_slice(&std::fs::read(spec_dir().join("operations.json")).unwrap())
                    .unwrap();
            spec["operations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    let s = |k: &str| o[k].as_str().unwrap().to_string();
                    (s("group"), s("method"), s("path"))
                })
                .collect()
        })
    }

    /// The operation group of a step, and its parameters: a story names the
    /// path template and the parameters, or (rarely) a literal path, whose
    /// segments then fill the template's holes.
    fn spec_group(
        method: &str,
        path: &str,
        params: &Map<String, Value>,
    ) -> (String, Map<String, Value>) {
        find_group(method, path, params)
            .unwrap_or_else(|| panic!("{method} {path} is no operation of the spec"))
    }

    /// [`spec_group`], `None` when no operation fits.
    fn find_group(
        method: &str,
        path: &str,
        params: &Map<String, Value>,
    ) -> Option<(String, Map<String, Value>)> {
        let ops = spec_operations();
        if let Some((g, _, _)) = ops.iter().find(|(_, m, p)| m == method && p == path) {
            return Some((g.clone(), params.clone()));
        }
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        for (g, m, template) in ops {
            let holes: Vec<&str> = template.trim_matches('/').split('/').collect();
            if m != method || holes.len() != segments.len() {
                continue;
            }
            let mut filled = params.clone();
            let fits = holes.iter().zip(&segments).all(|(h, s)| {
                match h.strip_prefix('{').and_then(|h| h.strip_suffix('}')) {
                    Some(name) => {
                        filled.insert(name.to_string(), Value::String(s.to_string()));
                        true
                    }
                    None => h == s,
                }
            });
            if fits {
                return Some((g.clone(), filled));
            }
        }
        None
    }

    /// Where a curated builder exists for a story step, it must build the
    /// same method, path and body as the generated one; true when one does.
    fn curated_agrees(step: &Value, story: &str) -> bool {
        let method = step["method"].as_str().unwrap_or("GET");
        let path = step["path"].as_str().unwrap();
        let empty = Map::new();
        let params = step["parameters"].as_object().unwrap_or(&empty);
        let payload = step["request"].get("payload");
        let Some((typed_group, typed_req)) = typed(method, path, params, payload) else {
            return false;
        };
        let (group, by_name) = spec_group(method, path, params);
        let m: http::Method = method.parse().unwrap();
        let req = opensearch_client::ops::request_by_name(&group, Some(&m), &by_name, payload)
            .unwrap_or_else(|e| panic!("{story}: {method} {path}: {e}"));
        assert_eq!(typed_group, group, "{story}: {method} {path}");
        assert_eq!(
            (&typed_req.method, &typed_req.path),
            (&req.method, &req.path),
            "{story}: the curated and generated builders differ"
        );
        if let Some(want) = payload {
            assert_eq!(
                common::body_json(&typed_req).as_ref().map(normalise),
                Some(normalise(want)),
                "{story}: {method} {path}: the curated body"
            );
        }
        true
    }

    fn statuses(v: &Value, default: &[u16]) -> Vec<u16> {
        match v {
            Value::Array(a) => a
                .iter()
                .filter_map(|s| s.as_u64())
                .map(|s| s as u16)
                .collect(),
            Value::Number(n) => vec![n.as_u64().unwrap_or(0) as u16],
            _ => default.to_vec(),
        }
    }

    two_targets!(
        upstream_stories_replay,
        upstream_stories_replay_fake,
        upstream_stories_replay_real
    );

    fn upstream_stories_replay(first: &Target) {
        let all_stories = load_stories();
        let stories: Vec<(&String, &Value)> = all_stories
            .iter()
            .filter(|(name, _)| CURATED_STORIES.contains(&name.as_str()))
            .collect();
        assert_eq!(stories.len(), 8);
        let mut all = Vec::new();
        let mut tally = Tally::default();
        for (name, story) in stories {
            // The rolesmapping story replaces all_access's mapping (the master
            // user's access included): on the real node it is put back after
            // each story, even when a step fails.
            let _restore = first.real.then(|| Restore::all_access(first));
            // Each story on a fresh cluster, as upstream runs them: a new fake,
            // or the real node without what the stories create.
            let fresh;
            let t = if first.real {
                clean_slate(first);
                first
            } else {
                fresh = Target::fake();
                &fresh
            };
            let mut r = t.recorder();
            let env = Environment::of(t);
            let mut vars = Map::new();
            for (phase, s) in steps(story) {
                match replay_step(&mut r, t, &env, phase, s, &mut vars) {
                    Ok(Some(())) => tally.generated += 1,
                    Ok(None) => {
                        tally.skipped += 1;
                        continue;
                    }
                    Err(e) => panic!("{name}: {e}"),
                }
                if curated_agrees(&adapt(t, s), name) {
                    tally.curated += 1;
                }
            }
            all.extend(r.exchanges);
        }
        // Every step through the generated builders; the curated ones agree
        // where they exist.
        assert_eq!(
            (tally.generated, tally.curated, tally.skipped),
            (40, 39, 3),
            "{tally:?}"
        );
        let summary = check(&all);
        assert!(summary.starts_with("checked 40 exchanges"), "{summary}");
    }

    /// The stories whose APIs the fake implements and the curated layer
    /// types: replayed on both targets, curated and generated builders
    /// compared.
    const CURATED_STORIES: [&str; 8] = [
        "tests/default/_core/info.yaml",
        "tests/default/_core/search/search_after.yaml",
        "tests/default/indices/doc.yaml",
        "tests/default/security/api/account.yaml",
        "tests/default/security/api/internalusers.yaml",
        "tests/default/security/api/roles.yaml",
        "tests/default/security/api/rolesmapping.yaml",
        "tests/default/security/authinfo.yaml",
    ];

    /// Every upstream story of `tests/default`, by path.
    fn load_stories() -> Map<String, Value> {
        serde_json::from_slice(&std::fs::read(spec_dir().join("stories.json")).unwrap()).unwrap()
    }

    /// Upstream runs the stories with the master password
    /// `myStrongPassword123!`; the account story's password change gives it as
    /// the current one.
    fn adapt(t: &Target, step: &Value) -> Value {
        let mut step = step.clone();
        if let Some(current) = step
            .pointer_mut("/request/payload/current_password")
            .filter(|v| v.as_str() == Some(MASTER_PASSWORD))
        {
            *current = Value::String(t.password.clone());
        }
        step
    }

    /// Removes what the stories create from the real node (left over when an
    /// earlier run failed half-way).
    fn clean_slate(t: &Target) {
        let client = t.client();
        for path in [
            "/movies",
            "/_plugins/_security/api/rolesmapping/test",
            "/_plugins/_security/api/internalusers/test",
            "/_plugins/_security/api/roles/test",
        ] {
            let resp =
                pollster::block_on(client.send(&ApiRequest::new(http::Method::DELETE, path)))
                    .expect("the real node answers");
            assert!(
                [200, 404].contains(&resp.status().as_u16()),
                "DELETE {path}: {}",
                String::from_utf8_lossy(resp.body())
            );
        }
    }

    /// Puts a role mapping back as it was (what the plugin computes,
    /// `reserved`/`hidden`/`static`, left out) when dropped.
    struct Restore {
        client: Client,
        name: &'static str,
        mapping: Value,
    }

    impl Restore {
        fn all_access(t: &Target) -> Self {
            let client = t.client();
            let mut all: RoleMappings =
                pollster::block_on(client.call(&security::get_role_mapping("all_access"))).unwrap();
            let mut mapping = serde_json::to_value(all.remove("all_access").unwrap()).unwrap();
            if let Some(m) = mapping.as_object_mut() {
                for computed in ["reserved", "hidden", "static"] {
                    m.remove(computed);
                }
            }
            Self {
                client,
                name: "all_access",
                mapping,
            }
        }
    }

    impl Drop for Restore {
        fn drop(&mut self) {
            let req = ApiRequest::new(
                http::Method::PUT,
                format!("/_plugins/_security/api/rolesmapping/{}", self.name),
            )
            .json(&self.mapping)
            .unwrap();
            let resp = pollster::block_on(self.client.send(&req)).unwrap();
            assert!(
                resp.status().is_success(),
                "could not put {} back: {}",
                self.name,
                String::from_utf8_lossy(resp.body())
            );
        }
    }

    /// The namespaces of OpenSearch's plugins, as the crate's features name
    /// them; the real node has the security plugin only.
    const PLUGIN_NAMESPACES: [&str; 22] = [
        "asynchronous_search",
        "flow_framework",
        "geospatial",
        "insights",
        "ism",
        "knn",
        "ltr",
        "ml",
        "neural",
        "notifications",
        "observability",
        "ppl",
        "query",
        "replication",
        "rollups",
        "search_relevance",
        "security_analytics",
        "sm",
        "sql",
        "transforms",
        "ubi",
        "wlm",
    ];

    /// True for OpenSearch's own namespaces (those the spec has beside the
    /// plugins').
    fn is_core(ns: &str) -> bool {
        spec_operations().iter().any(|(g, _, _)| namespace(g) == ns)
            && !PLUGIN_NAMESPACES.contains(&ns)
    }

    /// The namespace of an operation group (`api` for those without one).
    fn namespace(group: &str) -> &str {
        group.split_once('.').map_or("api", |(ns, _)| ns)
    }

    /// A story's steps, in order, with the statuses each may answer.
    fn steps(story: &Value) -> Vec<(&'static str, &Value)> {
        let mut out = Vec::new();
        for (phase, key) in [
            ("prologue", "prologues"),
            ("chapter", "chapters"),
            ("epilogue", "epilogues"),
        ] {
            for s in story[key].as_array().into_iter().flatten() {
                out.push((phase, s));
            }
        }
        out
    }

    /// Replaces every `${id.name}` in strings by the value a step with that
    /// `id` put out (a whole-string reference keeps the value's type).
    fn substitute(v: &Value, vars: &Map<String, Value>) -> Result<Value, String> {
        Ok(match v {
            Value::String(s) if s.contains("${") => {
                let mut out = String::new();
                let mut rest = s.as_str();
                while let Some(start) = rest.find("${") {
                    let end = rest[start..]
                        .find('}')
                        .ok_or_else(|| format!("unclosed reference in {s:?}"))?;
                    let key = &rest[start + 2..start + end];
                    let value = vars
                        .get(key)
                        .ok_or_else(|| format!("no earlier step put out {key}"))?;
                    if start == 0 && end + 1 == rest.len() && out.is_empty() {
                        return Ok(value.clone());
                    }
                    out.push_str(&rest[..start]);
                    match value {
                        Value::String(v) => out.push_str(v),
                        other => out.push_str(&other.to_string()),
                    }
                    rest = &rest[start + end + 1..];
                }
                out.push_str(rest);
                Value::String(out)
            }
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|v| substitute(v, vars))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| Ok((k.clone(), substitute(v, vars)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    /// The value at `payload.a.b[0].c` of a response.
    fn extract(payload: &Value, path: &str) -> Option<Value> {
        let rest = path.strip_prefix("payload")?;
        let mut v = payload;
        for part in rest.split('.').filter(|p| !p.is_empty()) {
            let (key, indices) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if !key.is_empty() {
                v = v.get(key)?;
            }
            for index in indices.split(']').filter(|i| !i.is_empty()) {
                v = v.get(index.trim_start_matches('[').parse::<usize>().ok()?)?;
            }
        }
        Some(v.clone())
    }

    /// What the replay of every story came to.
    #[derive(Default)]
    struct Replay {
        stories: usize,
        steps: usize,
        skipped_plugin: std::collections::BTreeMap<String, usize>,
        skipped_version: usize,
        skipped_chapters: usize,
        failures: Vec<String>,
    }

    /// Runs one step; `Ok(None)` when its version excludes it.
    fn replay_step(
        r: &mut Recorder,
        t: &Target,
        env: &Environment,
        phase: &str,
        step: &Value,
        vars: &mut Map<String, Value>,
    ) -> Result<Option<()>, String> {
        if let Some(v) = step["version"].as_str()
            && !version_matches(v, &t.version)
        {
            return Ok(None);
        }
        let step = adapt(t, step);
        // A step may name several methods: it runs once with each.
        let methods: Vec<&str> = match &step["method"] {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            Value::String(m) => vec![m.as_str()],
            _ => vec!["GET"],
        };
        for method in methods {
            replay_with(r, env, phase, &step, method, vars)?;
        }
        Ok(Some(()))
    }

    /// What the stories assume of upstream's test cluster that differs
    /// here: its name.
    struct Environment {
        cluster_name: String,
    }

    impl Environment {
        fn of(t: &Target) -> Self {
            let info: Info = pollster::block_on(t.client().call(&api::info())).unwrap();
            Self {
                cluster_name: info.cluster_name,
            }
        }
    }

    /// The answer's body as a JSON value, by its content type; `None` for
    /// SMILE, which nothing here decodes.
    fn decode(content_type: &str, body: &[u8]) -> Result<Option<Value>, String> {
        Ok(Some(match content_type {
            "application/yaml" => {
                serde_norway::from_slice(body).map_err(|e| format!("YAML: {e}"))?
            }
            "application/cbor" => ciborium::from_reader(body).map_err(|e| format!("CBOR: {e}"))?,
            "application/smile" => return Ok(None),
            "text/plain" => Value::String(String::from_utf8_lossy(body).into_owned()),
            _ => match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
            },
        }))
    }

    /// The expected payload with upstream's cluster name replaced by ours.
    fn localise(want: &Value, env: &Environment) -> Value {
        match want {
            Value::String(s) if s == "docker-cluster" => Value::String(env.cluster_name.clone()),
            Value::Array(a) => Value::Array(a.iter().map(|v| localise(v, env)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), localise(v, env)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn replay_with(
        r: &mut Recorder,
        env: &Environment,
        phase: &str,
        step: &Value,
        method: &str,
        vars: &mut Map<String, Value>,
    ) -> Result<(), String> {
        let path = step["path"].as_str().unwrap_or("/");
        let empty = Value::Object(Map::new());
        let params = substitute(step.get("parameters").unwrap_or(&empty), vars)?;
        let params = params.as_object().cloned().unwrap_or_default();
        let payload = match step["request"].get("payload") {
            Some(p) => Some(substitute(p, vars)?),
            None => None,
        };
        let (group, by_name) = spec_group(method, path, &params);
        let m: http::Method = method.parse().map_err(|e| format!("{method}: {e}"))?;
        let req =
            opensearch_client::ops::request_by_name(&group, Some(&m), &by_name, payload.as_ref())
                .map_err(|e| format!("{method} {path}: the generated builder refused: {e}"))?;
        if let Some(want) = &payload
            && common::body_json(&req).as_ref().map(normalise) != Some(normalise(want))
        {
            return Err(format!(
                "{method} {path}: the generated body differs from the story's"
            ));
        }
        let default: &[u16] = if phase == "chapter" {
            &[200]
        } else {
            &[200, 201]
        };
        let status_of = if phase == "chapter" {
            &step["response"]["status"]
        } else {
            &step["status"]
        };
        let expect = statuses(status_of, default);
        let tries = step["retry"]["count"].as_u64().unwrap_or(0) + 1;
        let wait = step["retry"]["wait"].as_u64().unwrap_or(1000).min(5000);
        let mut last = String::new();
        for attempt in 0..tries {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(wait));
            }
            let resp = r.send(Some(&group), &req);
            let status = resp.status().as_u16();
            let text = String::from_utf8_lossy(resp.body()).into_owned();
            let short = || text.chars().take(400).collect::<String>();
            if !expect.contains(&status) {
                last = format!(
                    "{phase} {method} {path}: status {status}, the story expects {expect:?}: {}",
                    short()
                );
                continue;
            }
            let content_type = resp
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if let Some(want) = step["response"]["content_type"].as_str()
                && !resp.body().is_empty()
                && content_type != want
            {
                last = format!(
                    "{phase} {method} {path}: content type {content_type}, the story expects {want}"
                );
                continue;
            }
            let decoded = decode(&content_type, resp.body())
                .map_err(|e| format!("{phase} {method} {path}: the answer does not decode: {e}"))?;
            if let (Some(want), Some(have)) = (step["response"].get("payload"), &decoded) {
                let want = localise(want, env);
                let ok = match (have, &want) {
                    (Value::String(h), Value::String(w)) => h.trim() == w.trim(),
                    (have, want) => contains(have, want),
                };
                if !ok {
                    last = format!("{phase} {method} {path}: {} does not hold {want}", short());
                    continue;
                }
            }
            if let (Some(id), Some(outputs)) = (step["id"].as_str(), step["output"].as_object()) {
                let have = decoded.clone().unwrap_or(Value::Null);
                for (name, at) in outputs {
                    let at = at.as_str().unwrap_or_default();
                    let value = extract(&have, at)
                        .ok_or_else(|| format!("{phase} {method} {path}: no {at} in the answer"))?;
                    vars.insert(format!("{id}.{name}"), value);
                }
            }
            return Ok(());
        }
        Err(last)
    }

    /// Stories of OpenSearch's own namespaces that use a plugin the node
    /// does not have (upstream's cluster has every plugin): a query,
    /// setting, processor or field type the plugin adds.
    const NEEDS_PLUGIN: [(&str, &str); 11] = [
        (
            "tests/default/_core/search/hybrid_query_pagination.yaml",
            "neural-search (the hybrid query)",
        ),
        (
            "tests/default/_core/search/knn/on_disk.yaml",
            "k-NN (index.knn)",
        ),
        (
            "tests/default/_core/search/knn/search/search_filter.yaml",
            "k-NN (index.knn)",
        ),
        (
            "tests/default/_core/search/knn/search/search_k.yaml",
            "k-NN (index.knn)",
        ),
        (
            "tests/default/_core/search/knn/search/search_max_distance.yaml",
            "k-NN (index.knn)",
        ),
        (
            "tests/default/_core/search/knn/search/search_min_score.yaml",
            "k-NN (index.knn)",
        ),
        (
            "tests/default/_core/search/query/xy_shape_point.yaml",
            "geospatial (xy_point)",
        ),
        (
            "tests/default/_core/search/query/xy_shape_shape.yaml",
            "geospatial (xy_shape)",
        ),
        (
            "tests/default/ingest/pipeline/text_embedding.yaml",
            "neural-search (text_embedding)",
        ),
        (
            "tests/default/search_pipeline/search_phase_results_processors/normalization.yaml",
            "neural-search (normalization-processor)",
        ),
        (
            "tests/default/search_pipeline/search_phase_results_processors/score_ranker.yaml",
            "neural-search (score-ranker-processor)",
        ),
    ];

    /// Where a story's request departs from the spec (upstream's runner
    /// only warns about these): a parameter the spec does not declare, a
    /// value of another type than it says. Each must still be seen, so the
    /// list cannot go stale.
    const STORY_SPEC_DEPARTURES: [(&str, &str); 2] = [
        (
            "GET /_cat/nodes (cat.nodes): query parameter 'size' is not in the spec",
            "security/api/certificates.yaml passes size, which cat.nodes does not declare",
        ),
        (
            "request body at attributes/",
            "security/api/internalusers/authtoken.yaml gives user attributes as booleans; the spec says strings",
        ),
    ];

    /// Where OpenSearch 2.19 answers otherwise than a story expects, and
    /// why the story is wrong there: (story, the failure's text, reason).
    /// Each must still fail that way, so the list cannot go stale.
    const STORY_MISTAKES: [(&str, &str, &str); 1] = [(
        "tests/default/_core/search/aggregations/terms_aggregate_unsigned_long.yaml",
        "\"sum_other_doc_count\":1,",
        "a terms aggregation of size 2 over three keys (2, 2 and 1 documents) leaves 1 document \
         in sum_other_doc_count; the story expects 0",
    )];

    /// Indices of the real node, by name.
    fn index_names(client: &Client) -> std::collections::BTreeSet<String> {
        let req = ApiRequest::new(http::Method::GET, "/_cat/indices")
            .param("format", "json")
            .param("h", "index")
            .param("expand_wildcards", "all");
        let rows: Vec<Value> =
            pollster::block_on(client.call(&req)).expect("the real node lists its indices");
        rows.iter()
            .filter_map(|r| r["index"].as_str().map(str::to_string))
            .collect()
    }

    /// Waits until the tasks a story started in the background
    /// (`wait_for_completion=false`: a reindex, a delete or update by query)
    /// have ended, so that its epilogue's deletes come after the task's
    /// writes: a reindex that ends after `DELETE /films` creates `films`
    /// again, and a later story's `PUT /films` fails. (30 s, within the
    /// transport's 60 s timeout: a wait that long is a failure, not a
    /// dropped connection.)
    fn await_background_tasks(client: &Client) -> Result<(), String> {
        let req = ApiRequest::new(http::Method::GET, "/_tasks")
            .param("actions", "*reindex,*byquery")
            .param("wait_for_completion", "true")
            .param("timeout", "30s");
        let got: Value = pollster::block_on(client.call(&req))
            .map_err(|e| format!("waiting for its background tasks: {e}"))?;
        let failures: Vec<&Value> = ["node_failures", "task_failures"]
            .iter()
            .filter_map(|k| got[k].as_array())
            .flatten()
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "its background tasks did not end within 30 s: {failures:?}"
            ))
        }
    }

    /// Upstream's stories run on a stock single node, where a new index
    /// asks for one replica it cannot have (the allocation-explain story
    /// needs that unassigned replica); `scripts/opensearch` sets replicas to
    /// 0 for the other tests with the index template `single-node-defaults`.
    /// The template is taken away for the replay and put back after it,
    /// with the indices the stories left behind deleted.
    struct StockNode {
        client: Client,
        template: Value,
        before: std::collections::BTreeSet<String>,
    }

    impl StockNode {
        fn new(t: &Target) -> Self {
            let client = t.client();
            let req = ApiRequest::new(http::Method::GET, "/_index_template/single-node-defaults");
            let got: Value = pollster::block_on(client.call(&req))
                .expect("scripts/opensearch sets single-node-defaults");
            let template = got["index_templates"][0]["index_template"].clone();
            assert!(
                template.is_object(),
                "no single-node-defaults template: {got}"
            );
            let del = ApiRequest::new(
                http::Method::DELETE,
                "/_index_template/single-node-defaults",
            );
            pollster::block_on(client.call::<Value>(&del)).expect("the template can be deleted");
            let before = index_names(&client);
            Self {
                client,
                template,
                before,
            }
        }
    }

    impl Drop for StockNode {
        fn drop(&mut self) {
            for index in index_names(&self.client).difference(&self.before) {
                if !index.starts_with('.') {
                    let del = ApiRequest::new(http::Method::DELETE, format!("/{index}"));
                    let _ = pollster::block_on(self.client.send(&del));
                }
            }
            let put = ApiRequest::new(http::Method::PUT, "/_index_template/single-node-defaults")
                .json(&self.template)
                .expect("the template serialises");
            let resp = pollster::block_on(self.client.send(&put)).expect("the real node answers");
            assert!(
                resp.status().is_success(),
                "could not put single-node-defaults back: {}",
                String::from_utf8_lossy(resp.body())
            );
        }
    }

    /// Every upstream story of the namespaces the real node runs —
    /// OpenSearch's own and security — through the generated builders, on
    /// the real node, in order, as upstream runs them on one cluster: each
    /// story's prologues, then its chapters (a chapter's version range
    /// honoured), then its epilogues, which run even after a failure, once
    /// the tasks it started in the background have ended. A story must
    /// leave no index behind. Stories that reach another plugin's namespace, or need a plugin for
    /// a query, setting or processor ([`NEEDS_PLUGIN`]), are counted, not
    /// run. Every exchange then goes through the spec check.
    #[test]
    fn every_upstream_story_replays_on_the_real_node() {
        let t = Target::real();
        let env = Environment::of(&t);
        let stories = load_stories();
        let mut replay = Replay::default();
        let mut r = t.recorder();
        let stock = StockNode::new(&t);
        for (name, story) in &stories {
            let all_steps = steps(story);
            let mut plugins: std::collections::BTreeSet<String> = all_steps
                .iter()
                .map(|(_, s)| {
                    let method = match &s["method"] {
                        Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or("GET"),
                        m => m.as_str().unwrap_or("GET"),
                    };
                    let path = s["path"].as_str().unwrap_or("/");
                    let params = s["parameters"].as_object().cloned().unwrap_or_default();
                    match find_group(method, path, &params) {
                        Some((group, _)) => namespace(&group).to_string(),
                        // A plugin operation this spec version lacks.
                        None => path
                            .strip_prefix("/_plugins/_")
                            .map(|rest| rest.split('/').next().unwrap_or(rest).to_string())
                            .unwrap_or_else(|| {
                                panic!("{name}: {method} {path} is no operation of the spec")
                            }),
                    }
                })
                .filter(|ns| {
                    ns != "security" && (PLUGIN_NAMESPACES.contains(&ns.as_str()) || !is_core(ns))
                })
                .collect();
            if let Some((_, plugin)) = NEEDS_PLUGIN.iter().find(|(s, _)| s == name) {
                plugins.insert((*plugin).to_string());
            }
            if let Some(first) = plugins.iter().next() {
                *replay.skipped_plugin.entry(first.clone()).or_default() += 1;
                continue;
            }
            if let Some(v) = story["version"].as_str()
                && !version_matches(v, &t.version)
            {
                replay.skipped_version += 1;
                continue;
            }
            replay.stories += 1;
            // Security stories may replace all_access's mapping, the
            // master user's access with it: put back after each.
            let restore = name.contains("/security/").then(|| Restore::all_access(&t));
            let mut vars = Map::new();
            let mut failed = false;
            let mut settled = false;
            let indices_before = index_names(&stock.client);
            for (phase, step) in all_steps {
                if failed && phase != "epilogue" {
                    continue;
                }
                if phase == "epilogue" && !settled {
                    settled = true;
                    if let Err(e) = await_background_tasks(&stock.client) {
                        replay.failures.push(format!("{name}: {e}"));
                    }
                }
                match replay_step(&mut r, &t, &env, phase, step, &mut vars) {
                    Ok(Some(())) => replay.steps += 1,
                    Ok(None) => replay.skipped_chapters += 1,
                    Err(e) => {
                        failed = true;
                        replay.failures.push(format!("{name}: {e}"));
                    }
                }
            }
            drop(restore);
            // What a story leaves behind breaks a later one (an index
            // that already exists): named at the first story after which
            // it is seen, and deleted.
            let left: Vec<String> = index_names(&stock.client)
                .difference(&indices_before)
                .filter(|i| !i.starts_with('.'))
                .cloned()
                .collect();
            if !left.is_empty() {
                replay
                    .failures
                    .push(format!("{name}: left indices behind: {left:?}"));
                for index in left {
                    let del = ApiRequest::new(http::Method::DELETE, format!("/{index}"));
                    let _ = pollster::block_on(stock.client.send(&del));
                }
            }
        }
        drop(stock);
        let mistakes_seen: Vec<bool> = STORY_MISTAKES
            .iter()
            .map(|(story, text, _)| {
                replay
                    .failures
                    .iter()
                    .any(|f| f.starts_with(story) && f.contains(text))
            })
            .collect();
        replay.failures.retain(|f| {
            !STORY_MISTAKES
                .iter()
                .any(|(story, text, _)| f.starts_with(story) && f.contains(text))
        });
        let unseen_mistakes: Vec<&str> = STORY_MISTAKES
            .iter()
            .zip(&mistakes_seen)
            .filter(|(_, seen)| !**seen)
            .map(|((story, _, _), _)| *story)
            .collect();
        let (summary, problems) = match try_check(&r.exchanges) {
            Ok(summary) => (summary, Vec::new()),
            Err(problems) => ("the spec check found departures".to_string(), problems),
        };
        let unexplained: Vec<&String> = problems
            .iter()
            .filter(|p| {
                !STORY_SPEC_DEPARTURES
                    .iter()
                    .any(|(known, _)| p.contains(known))
            })
            .collect();
        let unseen: Vec<&str> = STORY_SPEC_DEPARTURES
            .iter()
            .filter(|(known, _)| !problems.iter().any(|p| p.contains(known)))
            .map(|(_, why)| *why)
            .collect();
        let report = format!(
            "upstream stories on the real node (OpenSearch {}): {} stories, {} steps replayed; \
             {} chapters outside their version range; {} stories for another version; \
             stories that need a plugin the node does not have: {:?}; {}; {} known departures of the stories from the spec; \
             {} known mistakes of the stories",
            t.version,
            replay.stories,
            replay.steps,
            replay.skipped_chapters,
            replay.skipped_version,
            replay.skipped_plugin,
            summary,
            problems.len() - unexplained.len(),
            mistakes_seen.len(),
        );
        eprintln!("{report}");
        // For CI's log (scripts/test prints it).
        std::fs::write(
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("upstream-stories.txt"),
            format!("{report}\n"),
        )
        .expect("the report is written");
        assert!(
            replay.failures.is_empty()
                && unexplained.is_empty()
                && unseen.is_empty()
                && unseen_mistakes.is_empty(),
            "{} of the upstream stories failed on the real node:\n{}\n\nthe spec check:\n{}\n\n\
             known departures no longer seen: {unseen:?}\nknown story mistakes no longer seen: {unseen_mistakes:?}",
            replay.failures.len(),
            replay.failures.join("\n"),
            unexplained
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}
#[test]
fn the_spec_check_catches_a_wrong_request() {
    let t = Target::fake();
    let mut r = t.recorder();
    // A parameter the operation does not have, and a body it does not take.
    r.send(
        Some("cluster.health"),
        &api::cluster_health().param("no_such_parameter", "1"),
    );
    let mut bad = security::get_roles();
    bad.body = Some(b"{}".to_vec());
    r.send(Some("security.get_roles"), &bad);
    // A role mapping whose backend_roles is not an array of strings.
    let req = ApiRequest::new(
        http::Method::PUT,
        "/_plugins/_security/api/rolesmapping/all_access",
    )
    .json(&json!({"backend_roles": "not-a-list"}))
    .unwrap();
    r.send(Some("security.create_role_mapping"), &req);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.check()));
    let msg = caught
        .err()
        .and_then(|e| e.downcast::<String>().ok())
        .expect("the check must fail");
    assert!(msg.contains("no_such_parameter"), "{msg}");
    assert!(msg.contains("does not take"), "{msg}");
    assert!(msg.contains("backend_roles"), "{msg}");
}
