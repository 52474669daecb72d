//! The client against two targets with one test body each: the loopback
//! OpenSearch-compatible cluster of `test-support`, and a real OpenSearch
//! node with the real security plugin behind the SigV4-verifying IAM
//! gateway (`scripts/opensearch`). The target scenario (the master user
//! maps an IAM role, a workload then calls with SigV4), the data and
//! security APIs, bulk batching and gzip run on both; `aoss` and the faults
//! a real node cannot be made to show run on the fake. Every SigV4 request
//! either took is checked again by botocore.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cred_providers::{
    BlockingTransport, CachedProvider, EnvironmentProvider, MapEnv, ProxySetting, TransportConfig,
};
use opensearch_client::api::{self, CatIndex, ClusterHealth, Info};
use opensearch_client::auth::{Auth, Service};
use opensearch_client::bulk::{BatchLimits, BulkBody, BulkIndexer, BulkResponse};
use opensearch_client::documents::{self, GetResponse, SearchResponse, WriteResponse};
use opensearch_client::error::{ApiErrorKind, Error};
use opensearch_client::security::{
    self, AccountDetails, AuthInfo, InternalUser, InternalUsers, MappingChange, Password, PatchOp,
    Role, RoleMapping, RoleMappings, Roles, StatusMessage,
};
use opensearch_client::{ApiRequest, Client, NodePool, RetryPolicy};
use serde::{Deserialize, Serialize};
use test_support::opensearch::real::{IamGateway, real_node};
use test_support::opensearch::{
    Config, FakeOpenSearch, Fault, IamIdentity, MASTER_PASSWORD, MASTER_USER, Recorded,
    botocore_check,
};
use test_support::two_targets;

const APP_ROLE: &str = "arn:aws:iam::123456789012:role/app-on-ec2";
const APP_KEY: &str = "AKIAAPPEXAMPLE000001";
const APP_SECRET: &str = "appSecretKeyExample/0000000000000000000001";
const OPS_ROLE: &str = "arn:aws:iam::123456789012:role/ops";
const OPS_KEY: &str = "ASIAOPSEXAMPLE000002";
const OPS_SECRET: &str = "opsSecretKeyExample/0000000000000000000002";
const OPS_TOKEN: &str = "FwoGZXIvYXdzEOPS//session+token/example==";

fn config(service: &'static str, nodes: usize) -> Config {
    config_with(service, nodes, APP_ROLE.into(), OPS_ROLE.into())
}

fn config_with(service: &'static str, nodes: usize, app_role: String, ops_role: String) -> Config {
    Config {
        nodes,
        service,
        iam: vec![
            IamIdentity {
                access_key_id: APP_KEY.into(),
                secret: APP_SECRET.into(),
                session_token: None,
                arn: app_role,
            },
            IamIdentity {
                access_key_id: OPS_KEY.into(),
                secret: OPS_SECRET.into(),
                session_token: Some(OPS_TOKEN.into()),
                arn: ops_role,
            },
        ],
        ..Config::default()
    }
}

/// Where a two-target test runs.
enum Backend {
    Fake(FakeOpenSearch),
    Real(IamGateway),
}

/// One of the two targets, with the names a test uses on it: on the real
/// node (shared by every test of the run, and reused between runs) role
/// ARNs, index, role and user names carry a tag of their own, so tests
/// never see each other's state.
struct Target {
    backend: Backend,
    _serial: Option<std::sync::MutexGuard<'static, ()>>,
    tag: String,
    app_role: String,
    ops_role: String,
}

impl Target {
    fn fake() -> Self {
        Self {
            backend: Backend::Fake(FakeOpenSearch::start(config("es", 1))),
            _serial: None,
            tag: String::new(),
            app_role: APP_ROLE.into(),
            ops_role: OPS_ROLE.into(),
        }
    }

    fn real() -> Self {
        // The real node's all_access mapping is shared: its tests take
        // turns (a read-modify-PUT must not race another test's append).
        static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let tag = format!("t{stamp}-{}-{n}", std::process::id());
        let app_role = format!("{APP_ROLE}-{tag}");
        let ops_role = format!("{OPS_ROLE}-{tag}");
        let gateway = IamGateway::start(
            real_node(),
            config_with("es", 1, app_role.clone(), ops_role.clone()),
        );
        Self {
            backend: Backend::Real(gateway),
            _serial: Some(serial),
            tag,
            app_role,
            ops_role,
        }
    }

    /// `name`, tagged on the real node.
    fn name(&self, name: &str) -> String {
        if self.tag.is_empty() {
            name.to_string()
        } else {
            format!("{name}-{}", self.tag)
        }
    }

    fn urls(&self) -> Vec<String> {
        match &self.backend {
            Backend::Fake(c) => c.urls(),
            Backend::Real(g) => vec![g.url()],
        }
    }

    fn config(&self) -> &Config {
        match &self.backend {
            Backend::Fake(c) => c.config(),
            Backend::Real(g) => g.config(),
        }
    }

    fn recorded(&self) -> Vec<Recorded> {
        match &self.backend {
            Backend::Fake(c) => c.recorded(),
            Backend::Real(g) => g.recorded(),
        }
    }

    /// Requests that reached the cluster.
    fn requests(&self) -> usize {
        match &self.backend {
            Backend::Fake(c) => (0..c.config().nodes).map(|n| c.requests(n)).sum(),
            Backend::Real(g) => g.forwarded(),
        }
    }

    fn master_password(&self) -> String {
        match &self.backend {
            Backend::Fake(_) => MASTER_PASSWORD.into(),
            Backend::Real(_) => real_node().master_password.clone(),
        }
    }

    fn master(&self) -> Client {
        client(
            self.urls(),
            Auth::basic(MASTER_USER, self.master_password()),
        )
    }

    fn sigv4(&self, key: &str, secret: &str, token: Option<&str>) -> Auth {
        sigv4_auth(self.config(), key, secret, token)
    }

    fn app(&self) -> Client {
        client(self.urls(), self.sigv4(APP_KEY, APP_SECRET, None))
    }

    fn ops(&self) -> Client {
        client(
            self.urls(),
            self.sigv4(OPS_KEY, OPS_SECRET, Some(OPS_TOKEN)),
        )
    }

    /// The master user appends `role_arn` to `all_access`'s backend roles
    /// (never a PUT that would drop what is mapped).
    fn map_to_all_access(&self, role_arn: &str) {
        self.master()
            .blocking()
            .add_backend_role("all_access", role_arn)
            .unwrap();
    }

    /// Takes `role_arn` out of `all_access` again (the real node outlives
    /// the test).
    fn unmap(&self, role_arn: &str) {
        self.master()
            .blocking()
            .remove_backend_role("all_access", role_arn)
            .unwrap();
    }
}

fn transport(total: Duration) -> Arc<BlockingTransport> {
    Arc::new(
        BlockingTransport::try_new(TransportConfig {
            proxy: ProxySetting::None,
            total_timeout: total,
            max_body: 64 << 20,
            ..TransportConfig::default()
        })
        .unwrap(),
    )
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        dead_for: Duration::from_secs(60),
    }
}

fn client(urls: Vec<String>, auth: Auth) -> Client {
    Client::new(
        NodePool::new(urls).unwrap(),
        transport(Duration::from_secs(10)),
        auth,
    )
    .with_retry(fast_retries())
}

fn master(cluster: &FakeOpenSearch) -> Client {
    client(cluster.urls(), Auth::basic(MASTER_USER, MASTER_PASSWORD))
}

fn sigv4(cluster: &FakeOpenSearch, key: &str, secret: &str, token: Option<&str>) -> Auth {
    sigv4_auth(cluster.config(), key, secret, token)
}

fn sigv4_auth(config: &Config, key: &str, secret: &str, token: Option<&str>) -> Auth {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", key.to_string()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
    ];
    if let Some(t) = token {
        vars.push(("AWS_SESSION_TOKEN", t.to_string()));
    }
    let env = MapEnv::new(vars.iter().map(|(k, v)| (*k, v.as_str())));
    let provider = Arc::new(CachedProvider::new(Arc::new(EnvironmentProvider::new(
        Arc::new(env),
    ))));
    let service = if config.service == "aoss" {
        Service::Aoss
    } else {
        Service::Es
    };
    Auth::sigv4(provider, config.region.clone(), service)
}

fn app(cluster: &FakeOpenSearch) -> Client {
    client(cluster.urls(), sigv4(cluster, APP_KEY, APP_SECRET, None))
}

/// The master user maps the master user and `role_arn` to `all_access`.
fn map_to_all_access(cluster: &FakeOpenSearch, role_arn: &str) {
    let mapping = RoleMapping {
        users: vec![MASTER_USER.into()],
        backend_roles: vec![role_arn.into()],
        ..RoleMapping::default()
    };
    run(master(cluster)
        .call::<StatusMessage>(&security::put_role_mapping("all_access", &mapping).unwrap()))
    .unwrap();
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn api_error(e: Error) -> (u16, ApiErrorKind) {
    match e {
        Error::Api(a) => (a.status, a.kind),
        other => panic!("expected an API error, got {other}"),
    }
}

fn the_master_user_maps_an_iam_role_then_the_workload_signs(t: &Target) {
    let admin = t.master();
    let workload = t.app();
    let app_role = t.app_role.as_str();

    // Not mapped yet: authenticated by SigV4, but no role.
    let (status, kind) =
        api_error(run(workload.call::<Vec<CatIndex>>(&api::cat_indices())).unwrap_err());
    assert_eq!(status, 403);
    match kind {
        ApiErrorKind::Core {
            error_type, reason, ..
        } => {
            assert_eq!(error_type, "security_exception");
            assert!(reason.contains(app_role), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let me: AuthInfo = run(workload.call(&security::authinfo())).unwrap();
    assert_eq!(me.user_name, app_role);
    assert_eq!(me.backend_roles, [app_role]);
    assert!(me.roles.is_empty());

    // The master user appends the role to all_access: what was mapped stays.
    let before = admin
        .blocking()
        .get_role_mapping("all_access")
        .unwrap()
        .unwrap();
    let done = admin
        .blocking()
        .add_backend_role("all_access", app_role)
        .unwrap();
    assert!(
        matches!(done, MappingChange::Changed(ref s) if s.status == "OK"),
        "{done:?}"
    );
    let got: RoleMappings = run(admin.call(&security::get_role_mapping("all_access"))).unwrap();
    assert_eq!(got["all_access"].users, before.users);
    assert!(
        got["all_access"]
            .backend_roles
            .contains(&app_role.to_string())
    );

    // all_access is not enough for the security API: the FORBIDDEN case.
    let mapping = RoleMapping {
        backend_roles: vec![app_role.into()],
        ..RoleMapping::default()
    };
    let err =
        run(workload
            .call::<StatusMessage>(&security::put_role_mapping("readall", &mapping).unwrap()))
        .unwrap_err();
    let text = err.to_string();
    let (status, kind) = api_error(err);
    assert_eq!(status, 403);
    match kind {
        ApiErrorKind::Security { status, message } => {
            assert_eq!(status, "FORBIDDEN");
            assert!(
                message.contains("does not have any role privileged for admin access"),
                "{message}"
            );
            assert!(message.contains("[all_access]"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        text.contains("security_manager"),
        "the hint names the fix: {text}"
    );

    // The workload lists indices with SigV4.
    let orders = t.name("orders");
    run(admin.call::<serde_json::Value>(
        &documents::create_index(&orders, &serde_json::json!({})).unwrap(),
    ))
    .unwrap();
    let indices: Vec<CatIndex> = run(workload.call(&api::cat_indices())).unwrap();
    assert!(indices.iter().any(|i| i.index == orders), "{indices:?}");
    let me: AuthInfo = run(workload.call(&security::authinfo())).unwrap();
    assert_eq!(me.roles, ["all_access"]);

    let _: serde_json::Value = run(admin.call(&documents::delete_index(&orders))).unwrap();
    t.unmap(app_role);
    assert!(botocore_check(t.config(), &t.recorded()) >= 5);
}

two_targets!(
    the_master_user_maps_an_iam_role_then_the_workload_signs,
    fake_master_user_maps_an_iam_role_then_the_workload_signs,
    real_master_user_maps_an_iam_role_then_the_workload_signs
);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Movie {
    title: String,
    year: u32,
}

fn documents_search_and_pagination(t: &Target) {
    t.map_to_all_access(&t.app_role);
    let c = t.app();
    let movies = t.name("movies");
    let movies = movies.as_str();
    let info: Info = run(c.call(&api::info())).unwrap();
    assert_eq!(info.version.distribution.as_deref(), Some("opensearch"));
    let health: ClusterHealth = run(c.call(&api::cluster_health())).unwrap();
    assert_eq!(health.status, "green");

    assert!(!run(c.exists(&documents::index_exists(movies))).unwrap());
    run(c.call::<serde_json::Value>(
        &documents::create_index(movies, &serde_json::json!({})).unwrap(),
    ))
    .unwrap();
    assert!(run(c.exists(&documents::index_exists(movies))).unwrap());
    let again = run(c.call::<serde_json::Value>(
        &documents::create_index(movies, &serde_json::json!({})).unwrap(),
    ))
    .unwrap_err();
    assert!(
        matches!(api_error(again), (400, ApiErrorKind::Core { error_type, .. }) if error_type == "resource_already_exists_exception")
    );

    for year in 1990..2015u32 {
        let m = Movie {
            title: format!("Film {year}"),
            year,
        };
        let id = year.to_string();
        let w: WriteResponse =
            run(c.call(&documents::index_document(movies, Some(id.as_str()), &m).unwrap()))
                .unwrap();
        assert_eq!(w.result, "created");
    }
    let auto: WriteResponse = run(c.call(
        &documents::index_document(
            movies,
            None,
            &Movie {
                title: "No id".into(),
                year: 1980,
            },
        )
        .unwrap(),
    ))
    .unwrap();
    assert!(!auto.id.is_empty());
    let got: GetResponse<Movie> = run(c.call(&documents::get_document(movies, "1999"))).unwrap();
    assert_eq!(got.source.unwrap().title, "Film 1999");
    let upd: WriteResponse = run(c.call(
        &documents::update_document(movies, "1999", &serde_json::json!({"title": "Matrix"}))
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(upd.result, "updated");
    let got: GetResponse<Movie> = run(c.call(&documents::get_document(movies, "1999"))).unwrap();
    assert_eq!(got.source.unwrap().title, "Matrix");
    let del: WriteResponse = run(c.call(&documents::delete_document(movies, &auto.id))).unwrap();
    assert_eq!(del.result, "deleted");
    let missing =
        run(c.call::<GetResponse<Movie>>(&documents::get_document(movies, &auto.id))).unwrap_err();
    assert_eq!(api_error(missing).0, 404);
    let _: serde_json::Value = run(c.call(&documents::refresh(movies))).unwrap();
    let mapping: serde_json::Value = run(c.call(&documents::get_mapping(movies))).unwrap();
    assert_eq!(
        mapping[movies]["mappings"]["properties"]["year"]["type"],
        "long"
    );

    // A typed search, then every page with search_after.
    let found: SearchResponse<Movie> = run(c.call(
        &documents::search(
            movies,
            &serde_json::json!({"query": {"match": {"title": "matrix"}}}),
        )
        .unwrap(),
    ))
    .unwrap();
    assert_eq!(found.hits.hits.len(), 1);
    assert_eq!(found.hits.hits[0].source.as_ref().unwrap().year, 1999);
    let query =
        serde_json::json!({"size": 10, "sort": [{"year": "asc"}], "query": {"match_all": {}}});
    let mut body = query.clone();
    let mut years = Vec::new();
    let mut pages = 0;
    loop {
        let page: SearchResponse<Movie> =
            run(c.call(&documents::search(movies, &body).unwrap())).unwrap();
        pages += 1;
        years.extend(
            page.hits
                .hits
                .iter()
                .map(|h| h.source.as_ref().unwrap().year),
        );
        match documents::next_page(&query, &page) {
            Some(next) if !page.hits.hits.is_empty() => body = next,
            _ => break,
        }
    }
    assert_eq!(years, (1990..2015).collect::<Vec<_>>());
    assert_eq!(pages, 4, "three full pages and an empty one");

    let indices: Vec<CatIndex> = run(c.call(&api::cat_indices())).unwrap();
    let ours = indices.iter().find(|i| i.index == movies).unwrap();
    assert_eq!(ours.docs_count.as_deref(), Some("25"));
    let _: serde_json::Value = run(c.call(&documents::delete_index(movies))).unwrap();
    assert!(!run(c.exists(&documents::index_exists(movies))).unwrap());

    t.unmap(&t.app_role);
    assert!(botocore_check(t.config(), &t.recorded()) >= 30);
}

two_targets!(
    documents_search_and_pagination,
    fake_documents_search_and_pagination,
    real_documents_search_and_pagination
);

fn roles_users_and_account(t: &Target) {
    let admin = t.master();
    let reader = t.name("movie_reader");
    let reader = reader.as_str();
    let ana = t.name("ana");
    let ana_name = ana.as_str();
    let pattern = format!("{}*", t.name("movies"));
    let role = Role {
        description: Some("read movies".into()),
        cluster_permissions: vec!["cluster_composite_ops_ro".into()],
        index_permissions: vec![security::IndexPermission {
            index_patterns: vec![pattern.clone()],
            allowed_actions: vec!["read".into()],
            ..Default::default()
        }],
        ..Role::default()
    };
    let created: StatusMessage =
        run(admin.call(&security::put_role(reader, &role).unwrap())).unwrap();
    assert_eq!(created.status, "CREATED");
    let roles: Roles = run(admin.call(&security::get_role(reader))).unwrap();
    assert_eq!(
        roles[reader].index_permissions[0].index_patterns,
        [pattern.as_str()]
    );
    let all: Roles = run(admin.call(&security::get_roles())).unwrap();
    assert!(all["all_access"].reserved == Some(true));
    let reserved =
        run(admin.call::<StatusMessage>(&security::delete_role("all_access"))).unwrap_err();
    assert_eq!(api_error(reserved).0, 403);
    let _: StatusMessage = run(admin.call(
        &security::patch_role(
            reader,
            &[PatchOp::add("/index_permissions/0/fls", ["title"]).unwrap()],
        )
        .unwrap(),
    ))
    .unwrap();
    let roles: Roles = run(admin.call(&security::get_role(reader))).unwrap();
    assert_eq!(roles[reader].index_permissions[0].fls, ["title"]);

    // An internal user with that role logs in with its password.
    let user = InternalUser {
        password: Some(Password::new("first-Password-1")),
        opendistro_security_roles: vec![reader.into()],
        backend_roles: vec!["analysts".into()],
        ..InternalUser::default()
    };
    let created: StatusMessage =
        run(admin.call(&security::put_user(ana_name, &user).unwrap())).unwrap();
    assert_eq!(created.status, "CREATED");
    let users: InternalUsers = run(admin.call(&security::get_user(ana_name))).unwrap();
    assert_eq!(users[ana_name].backend_roles, ["analysts"]);
    assert!(users[ana_name].password.is_none(), "never returned");
    let _: StatusMessage = run(admin.call(
        &security::patch_users(&[PatchOp::add(
            format!("/{ana_name}/attributes"),
            serde_json::json!({"team": "a"}),
        )
        .unwrap()])
        .unwrap(),
    ))
    .unwrap();
    let _: StatusMessage = run(admin.call(
        &security::patch_user(
            ana_name,
            &[PatchOp::add("/description", "analyst").unwrap()],
        )
        .unwrap(),
    ))
    .unwrap();
    let all: InternalUsers = run(admin.call(&security::get_users())).unwrap();
    assert_eq!(all[ana_name].attributes["team"], "a");
    assert_eq!(all[ana_name].description.as_deref(), Some("analyst"));

    let ana = client(t.urls(), Auth::basic(ana_name, "first-Password-1"));
    let me: AccountDetails = run(ana.call(&security::get_account())).unwrap();
    assert_eq!(
        (me.user_name.as_str(), me.is_internal_user),
        (ana_name, true)
    );
    assert_eq!(me.roles, [reader]);
    // It may read movies* but not write, nor touch the security API.
    let denied = run(ana.call::<WriteResponse>(
        &documents::index_document(
            &t.name("movies"),
            Some("1"),
            &Movie {
                title: "x".into(),
                year: 1,
            },
        )
        .unwrap(),
    ))
    .unwrap_err();
    assert!(
        matches!(api_error(denied), (403, ApiErrorKind::Core { error_type, .. }) if error_type == "security_exception")
    );
    let forbidden = run(ana.call::<Roles>(&security::get_roles())).unwrap_err();
    assert!(matches!(
        api_error(forbidden),
        (403, ApiErrorKind::Security { .. })
    ));

    // Its own password change: a wrong current password, then the right one.
    let wrong = run(ana.call::<StatusMessage>(
        &security::change_password(&Password::new("nope"), &Password::new("second-Password-2"))
            .unwrap(),
    ))
    .unwrap_err();
    assert_eq!(api_error(wrong).0, 400);
    let ok: StatusMessage = run(ana.call(
        &security::change_password(
            &Password::new("first-Password-1"),
            &Password::new("second-Password-2"),
        )
        .unwrap(),
    ))
    .unwrap();
    assert_eq!(ok.status, "OK");
    let old = run(ana.call::<AccountDetails>(&security::get_account())).unwrap_err();
    assert_eq!(api_error(old).0, 401);
    let ana2 = client(t.urls(), Auth::basic(ana_name, "second-Password-2"));
    let _: AccountDetails = run(ana2.call(&security::get_account())).unwrap();
    // The master user is reserved: its password is not changed here (the
    // new one is strong: the plugin refuses a weak one first, with 400).
    let reserved = run(admin.call::<StatusMessage>(
        &security::change_password(
            &Password::new(t.master_password()),
            &Password::new("Another-Strong-Passw0rd!"),
        )
        .unwrap(),
    ))
    .unwrap_err();
    let (status, kind) = api_error(reserved);
    assert_eq!(status, 403);
    assert!(
        matches!(&kind, ApiErrorKind::Security { message, .. } if message.contains("is reserved")),
        "{kind:?}"
    );

    let _: StatusMessage = run(admin.call(&security::delete_user(ana_name))).unwrap();
    assert_eq!(
        api_error(run(ana2.call::<AccountDetails>(&security::get_account())).unwrap_err()).0,
        401
    );
    let _: StatusMessage = run(admin.call(&security::delete_role(reader))).unwrap();
    let gone = run(admin.call::<Roles>(&security::get_role(reader))).unwrap_err();
    assert!(
        matches!(api_error(gone), (404, ApiErrorKind::Security { status, .. }) if status == "NOT_FOUND")
    );
    // A mapping sent back with read-only fields would be refused by the
    // plugin; ours leaves them out.
    let mappings: RoleMappings = run(admin.call(&security::get_role_mappings())).unwrap();
    let _: StatusMessage = run(
        admin.call(&security::put_role_mapping("all_access", &mappings["all_access"]).unwrap())
    )
    .unwrap();
    let _: StatusMessage = run(admin.call(
        &security::patch_role_mappings(&[PatchOp::add(
            "/readall",
            RoleMapping {
                users: vec![ana_name.into()],
                ..Default::default()
            },
        )
        .unwrap()])
        .unwrap(),
    ))
    .unwrap();
    let _: StatusMessage = run(admin.call(
        &security::patch_role_mapping("readall", &[PatchOp::replace("/users", ["bob"]).unwrap()])
            .unwrap(),
    ))
    .unwrap();
    let m: RoleMappings = run(admin.call(&security::get_role_mapping("readall"))).unwrap();
    assert_eq!(m["readall"].users, ["bob"]);
    let _: StatusMessage = run(admin.call(&security::delete_role_mapping("readall"))).unwrap();
}

two_targets!(
    roles_users_and_account,
    fake_roles_users_and_account,
    real_roles_users_and_account
);

fn bulk_batches_by_count_and_bytes_and_reports_item_failures(t: &Target) {
    t.map_to_all_access(&t.ops_role);
    let c = t.ops();
    let books = t.name("books");
    let books = books.as_str();
    let bytes = t.name("bytes");
    let bytes = bytes.as_str();
    let gzipped = t.name("gzipped");
    let gzipped = gzipped.as_str();
    // Two documents exist already: `create` of those ids fails (409).
    for id in ["7", "1234"] {
        let _: WriteResponse = run(c.call(
            &documents::index_document(
                books,
                Some(id),
                &Movie {
                    title: "old".into(),
                    year: 1,
                },
            )
            .unwrap(),
        ))
        .unwrap();
    }
    let mut ix = BulkIndexer::new(
        &c,
        BatchLimits {
            max_operations: 500,
            max_bytes: 1 << 20,
        },
    );
    for i in 0..2500u32 {
        let id = i.to_string();
        run(ix.create(
            books,
            Some(id.as_str()),
            &Movie {
                title: format!("Book {i}"),
                year: 2000 + i % 20,
            },
        ))
        .unwrap();
    }
    let report = run(ix.finish()).unwrap();
    assert_eq!(report.requests, 5);
    assert_eq!(report.succeeded, 2498);
    let positions: Vec<usize> = report.failed.iter().map(|f| f.position).collect();
    assert_eq!(positions, [7, 1234]);
    assert_eq!(report.failed[0].status, 409);
    assert_eq!(
        report.failed[0].error_type,
        "version_conflict_engine_exception"
    );
    assert_eq!(report.failed[1].id.as_deref(), Some("1234"));

    // By bytes: no request body above the limit.
    let before = t.recorded().len();
    let limit = 4096;
    let mut ix = BulkIndexer::new(
        &c,
        BatchLimits {
            max_operations: 10_000,
            max_bytes: limit,
        },
    );
    for i in 0..300u32 {
        let id = format!("b{i}");
        run(ix.index(
            bytes,
            Some(id.as_str()),
            &Movie {
                title: "x".repeat(50),
                year: i,
            },
        ))
        .unwrap();
    }
    let report = run(ix.finish()).unwrap();
    assert_eq!((report.succeeded, report.failed.len()), (300, 0));
    let sent = &t.recorded()[before..];
    assert_eq!(sent.len(), report.requests);
    assert!(report.requests > 5);
    for r in sent {
        assert!(r.body.len() <= limit, "{} bytes", r.body.len());
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    }
    let _: serde_json::Value = run(c.call(&documents::refresh(bytes))).unwrap();
    let found: SearchResponse<Movie> =
        run(c.call(&documents::search(bytes, &serde_json::json!({"size": 0})).unwrap())).unwrap();
    assert_eq!(found.hits.total.unwrap().value, 300);

    // A raw _bulk (built by hand) and its typed answer.
    let mut body = BulkBody::new();
    body.delete(books, "does-not-exist").unwrap();
    body.update(books, "7", &serde_json::json!({"title": "new"}))
        .unwrap();
    let resp: BulkResponse = run(c.call(&body.into_request())).unwrap();
    assert!(!resp.errors);
    assert_eq!(resp.items[0].result().result.as_deref(), Some("not_found"));

    // gzip: the same, compressed, still signed right.
    let gz = t.ops().with_gzip(true);
    let before = t.recorded().len();
    let mut ix = BulkIndexer::new(&gz, BatchLimits::default());
    for i in 0..200u32 {
        let id = format!("g{i}");
        run(ix.index(
            gzipped,
            Some(id.as_str()),
            &Movie {
                title: "same title again".into(),
                year: i,
            },
        ))
        .unwrap();
    }
    assert_eq!(run(ix.finish()).unwrap().succeeded, 200);
    let sent = &t.recorded()[before];
    assert_eq!(sent.header("content-encoding"), Some("gzip"));
    assert!(sent.body.starts_with(&[0x1f, 0x8b]));

    let _: serde_json::Value = run(c.call(&documents::refresh(gzipped))).unwrap();
    let found: SearchResponse<Movie> =
        run(c.call(&documents::search(gzipped, &serde_json::json!({"size": 0})).unwrap())).unwrap();
    assert_eq!(found.hits.total.unwrap().value, 200);

    // Per-item 403s: a role that may write to the books index only. The
    // request is allowed; the item for another index fails on its own.
    let writer = t.name("books-writer");
    let secret = t.name("secret");
    let master = t.master();
    let role = Role {
        cluster_permissions: vec!["indices:data/write/bulk".into()],
        index_permissions: vec![security::IndexPermission {
            index_patterns: vec![format!("{books}*")],
            allowed_actions: vec!["crud".into(), "create_index".into()],
            ..Default::default()
        }],
        ..Role::default()
    };
    let _: StatusMessage = run(master.call(&security::put_role(&writer, &role).unwrap())).unwrap();
    let mapping = RoleMapping {
        backend_roles: vec![t.app_role.clone()],
        ..RoleMapping::default()
    };
    let _: StatusMessage =
        run(master.call(&security::put_role_mapping(&writer, &mapping).unwrap())).unwrap();
    let movie = Movie {
        title: "w".into(),
        year: 1,
    };
    // One other index exists, one does not (the bulk would create it).
    let existing = t.name("secret-existing");
    let _: serde_json::Value =
        run(master.call(&documents::create_index(&existing, &serde_json::json!({})).unwrap()))
            .unwrap();
    let app = t.app();
    let mut ix = BulkIndexer::new(&app, BatchLimits::default());
    run(ix.index(books, Some("w1"), &movie)).unwrap();
    run(ix.index(&secret, Some("s1"), &movie)).unwrap();
    run(ix.create(books, Some("w2"), &movie)).unwrap();
    run(ix.index(&existing, Some("s2"), &movie)).unwrap();
    let report = run(ix.finish()).unwrap();
    assert_eq!(report.succeeded, 2, "{report:?}");
    let denied: Vec<_> = report
        .failed
        .iter()
        .map(|f| {
            (
                f.position,
                f.status,
                f.index.as_str(),
                f.error_type.as_str(),
            )
        })
        .collect();
    assert_eq!(
        denied,
        [
            (1, 403, secret.as_str(), "security_exception"),
            (3, 403, existing.as_str(), "security_exception")
        ]
    );
    // The plugin's words: creating the missing index is refused first.
    assert!(
        report.failed[0]
            .reason
            .starts_with("no permissions for [indices:admin/create] and User [name="),
        "{}",
        report.failed[0].reason
    );
    assert!(
        report.failed[1]
            .reason
            .starts_with("no permissions for [indices:data/write/bulk[s], indices:data/write/index] and User [name="),
        "{}",
        report.failed[1].reason
    );
    let _: serde_json::Value = run(master.call(&documents::delete_index(&existing))).unwrap();
    let _: StatusMessage = run(master.call(&security::delete_role_mapping(&writer))).unwrap();
    let _: StatusMessage = run(master.call(&security::delete_role(&writer))).unwrap();

    for index in [books, bytes, gzipped] {
        let _: serde_json::Value = run(c.call(&documents::delete_index(index))).unwrap();
    }
    t.unmap(&t.ops_role);
    assert!(botocore_check(t.config(), &t.recorded()) > 15);
}

two_targets!(
    bulk_batches_by_count_and_bytes_and_reports_item_failures,
    fake_bulk_batches_by_count_and_bytes_and_reports_item_failures,
    real_bulk_batches_by_count_and_bytes_and_reports_item_failures
);

#[test]
fn serverless_needs_the_signed_content_hash() {
    let cluster = FakeOpenSearch::start(config("aoss", 1));
    let c = app(&cluster);
    // Serverless has no security plugin roles here: the fake maps by data
    // access policy = the role ARN mapped to all_access.
    cluster.engine().handle(
        &test_support::opensearch::engine::Principal {
            name: MASTER_USER.into(),
            backend_roles: vec![],
            internal: true,
        },
        "PATCH",
        "/_plugins/_security/api/rolesmapping",
        "",
        format!(r#"[{{"op":"add","path":"/all_access/backend_roles","value":["{APP_ROLE}"]}}]"#)
            .as_bytes(),
        "",
    );
    let _: serde_json::Value =
        run(c.call(&documents::create_index("logs", &serde_json::json!({})).unwrap())).unwrap();
    let resp: BulkResponse = run(c.call(&{
        let mut b = BulkBody::new();
        b.index("logs", Some("1"), &serde_json::json!({"msg": "hello"}))
            .unwrap();
        b.into_request()
    }))
    .unwrap();
    assert!(!resp.errors);
    for r in cluster.recorded() {
        assert!(r.header("x-amz-content-sha256").is_some());
    }
    // Signed for `es`: no signed content hash, refused by Serverless.
    let es = client(cluster.urls(), {
        let Auth::SigV4 {
            provider, region, ..
        } = sigv4(&cluster, APP_KEY, APP_SECRET, None)
        else {
            unreachable!()
        };
        Auth::sigv4(provider, region, Service::Es)
    });
    let (status, kind) = api_error(run(es.call::<Vec<CatIndex>>(&api::cat_indices())).unwrap_err());
    assert_eq!(status, 403);
    assert!(
        matches!(&kind, ApiErrorKind::Core { error_type, .. } if error_type == "Forbidden"),
        "{kind:?}"
    );
    // Without any signature: Serverless's own 403.
    let anon = client(cluster.urls(), Auth::None);
    let (status, _) = api_error(run(anon.call::<Vec<CatIndex>>(&api::cat_indices())).unwrap_err());
    assert_eq!(status, 403);
    assert!(botocore_check(cluster.config(), &cluster.recorded()) >= 3);

    // A signed request replayed with another body: the cluster's gateway
    // leaves the body check to sigv4-core's verifier, which refuses it.
    let signed = cluster
        .recorded()
        .into_iter()
        .find(|r| r.method == "POST" && !r.body.is_empty())
        .expect("the bulk request was recorded");
    let url = &cluster.urls()[0];
    let (status, body) = replay(url, &signed, &signed.body);
    assert_eq!(status, 200, "the unchanged replay passes: {body}");
    let mut changed = signed.body.clone();
    changed[0] ^= 0x20;
    let (status, body) = replay(url, &signed, &changed);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("does not match what was computed"), "{body}");
}

/// Sends a recorded request again over a fresh connection, with `body`.
fn replay(url: &str, r: &test_support::opensearch::Recorded, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut head = format!("{} {} HTTP/1.1\r\n", r.method, r.target);
    for (n, v) in &r.headers {
        if n != "content-length" && n != "connection" {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn a_wrong_secret_gets_the_gateway_message() {
    let cluster = FakeOpenSearch::start(config("es", 1));
    let c = client(
        cluster.urls(),
        sigv4(&cluster, APP_KEY, "not-the-secret", None),
    );
    let err = run(c.call::<Info>(&api::info())).unwrap_err();
    let text = err.to_string();
    let (status, kind) = api_error(err);
    assert_eq!(status, 403);
    assert!(
        matches!(&kind, ApiErrorKind::Gateway { message } if message.contains("signature we calculated does not match")),
        "{kind:?}"
    );
    assert!(!text.contains("not-the-secret"));
    let c = client(
        cluster.urls(),
        sigv4(&cluster, "AKIAUNKNOWN000000000", "x", None),
    );
    assert_eq!(
        api_error(run(c.call::<Info>(&api::info())).unwrap_err()).0,
        403
    );
    let c = client(cluster.urls(), Auth::basic(MASTER_USER, "wrong"));
    assert_eq!(
        api_error(run(c.call::<Info>(&api::info())).unwrap_err()).0,
        401
    );
}

#[test]
fn faults_one_dead_node_of_three_bursts_drops_and_a_slow_node() {
    let cluster = FakeOpenSearch::start(config("es", 2));
    map_to_all_access(&cluster, APP_ROLE);
    let mut urls = cluster.urls();
    urls.insert(1, FakeOpenSearch::dead_url());
    let c = client(urls, sigv4(&cluster, APP_KEY, APP_SECRET, None));
    for _ in 0..20 {
        let _: Info = run(c.call(&api::info())).unwrap();
    }
    assert_eq!(
        c.nodes().alive(Instant::now()),
        2,
        "the dead node is set aside"
    );
    // The 20 calls and the master user's mapping.
    assert_eq!(cluster.requests(0) + cluster.requests(1), 20 + 1);
    // Keep-alive: a handful of connections, not one per request.
    assert!(cluster.connections(0) + cluster.connections(1) <= 4);

    // A 429 burst on both nodes: retried with backoff, then answered.
    cluster.fault(0, Fault::Status(429), 1);
    cluster.fault(1, Fault::Status(429), 1);
    let before = cluster.requests(0) + cluster.requests(1);
    let _: Info = run(c.call(&api::info())).unwrap();
    assert_eq!(cluster.requests(0) + cluster.requests(1) - before, 3);
    // A longer 503 burst gives up after the retries, with OpenSearch's words.
    cluster.fault_always(0, Some(Fault::Status(503)));
    cluster.fault_always(1, Some(Fault::Status(503)));
    let (status, kind) = api_error(run(c.call::<Info>(&api::info())).unwrap_err());
    assert_eq!(status, 503);
    assert!(
        matches!(kind, ApiErrorKind::Core { error_type, .. } if error_type == "cluster_block_exception")
    );
    cluster.fault_always(0, None);
    cluster.fault_always(1, None);

    // A POST without ids is not repeated after a 503 (it may be applied).
    let c = client(cluster.urls(), sigv4(&cluster, APP_KEY, APP_SECRET, None));
    cluster.fault(0, Fault::Status(503), 1);
    cluster.fault(1, Fault::Status(503), 1);
    let err = run(c.call::<WriteResponse>(
        &documents::index_document(
            "x",
            None,
            &Movie {
                title: "t".into(),
                year: 1,
            },
        )
        .unwrap(),
    ))
    .unwrap_err();
    assert_eq!(api_error(err).0, 503);

    // (Faults a section queued but did not meet end with it.)
    cluster.clear_faults();
    // A dropped connection: the GET goes to the other node.
    let c = client(cluster.urls(), sigv4(&cluster, APP_KEY, APP_SECRET, None));
    cluster.fault(0, Fault::Drop, 1);
    cluster.fault(1, Fault::Drop, 1);
    let _: Info = run(c.call(&api::info())).unwrap();
    cluster.clear_faults();
    // A POST without ids whose connection drops after it was read is not
    // sent again: it may have been applied.
    let c = client(
        vec![cluster.urls()[0].clone()],
        sigv4(&cluster, APP_KEY, APP_SECRET, None),
    );
    cluster.fault(0, Fault::Drop, 1);
    let before = cluster.requests(0) + cluster.requests(1);
    let err = run(c.call::<WriteResponse>(
        &documents::index_document(
            "x",
            None,
            &Movie {
                title: "t".into(),
                year: 1,
            },
        )
        .unwrap(),
    ))
    .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err}");
    assert_eq!(
        cluster.requests(0) + cluster.requests(1) - before,
        1,
        "{err}"
    );

    cluster.clear_faults();
    // A slow node: the timeout moves the request to the other one, and the
    // slow node is set aside.
    let c = Client::new(
        NodePool::new(cluster.urls()).unwrap(),
        transport(Duration::from_millis(400)),
        sigv4(&cluster, APP_KEY, APP_SECRET, None),
    )
    .with_retry(fast_retries());
    cluster.fault_always(0, Some(Fault::Slow(Duration::from_secs(2))));
    let slow_before = cluster.requests(0);
    for _ in 0..4 {
        let _: Info = run(c.call(&api::info())).unwrap();
    }
    // The slow node was tried once, timed out, and was then left alone.
    assert_eq!(cluster.requests(0) - slow_before, 1);
    assert_eq!(c.nodes().alive(Instant::now()), 1);
    cluster.fault_always(0, None);

    assert!(botocore_check(cluster.config(), &cluster.recorded()) > 20);
}

#[test]
fn raw_send_for_anything_else() {
    let cluster = FakeOpenSearch::start(config("es", 1));
    let admin = master(&cluster);
    let req = ApiRequest::new(http::Method::GET, "/_cat/indices").param("v", "true");
    let resp = run(admin.send(&req)).unwrap();
    assert_eq!(resp.status(), 200);
    let resp = run(admin.send(&ApiRequest::new(http::Method::GET, "/_nope"))).unwrap();
    assert_eq!(resp.status(), 400);
}

#[test]
fn the_botocore_check_catches_a_changed_request() {
    let cluster = FakeOpenSearch::start(config("es", 1));
    map_to_all_access(&cluster, APP_ROLE);
    let c = app(&cluster);
    let _: WriteResponse = run(c.call(
        &documents::index_document(
            "t",
            Some("a b"),
            &Movie {
                title: "t".into(),
                year: 1,
            },
        )
        .unwrap(),
    ))
    .unwrap();
    let recorded = cluster.recorded();
    assert_eq!(botocore_check(cluster.config(), &recorded), 1);
    let mut changed = recorded.clone();
    changed[0].body.push(b' ');
    let caught = std::panic::catch_unwind(|| botocore_check(cluster.config(), &changed));
    assert!(caught.is_err(), "a changed body must not pass");
    let mut changed = recorded;
    changed[0].target = changed[0].target.replace("a%20b", "a%20c");
    let caught = std::panic::catch_unwind(|| botocore_check(cluster.config(), &changed));
    assert!(caught.is_err(), "a changed path must not pass");
}

/// The role-mapping scene as the README tells it: no executor crate (the
/// blocking façade), no hand-written JSON Patch, no nested match to tell a
/// FORBIDDEN, and the mapping's other entries kept.
fn the_mapping_helpers_append_and_remove_without_dropping_anything(t: &Target) {
    let (app_role, ops_role) = (t.app_role.as_str(), t.ops_role.as_str());
    let alice = t.name("alice");
    let alice = alice.as_str();
    let workload = t.app();
    // One client, two identities: the master user beside the workload.
    let admin = workload.with_auth(Auth::basic(MASTER_USER, t.master_password()));
    let admin = admin.blocking();
    let before = admin.get_role_mapping("all_access").unwrap().unwrap();
    assert!(
        before.users.contains(&MASTER_USER.to_string()),
        "{before:?}"
    );

    let err = workload
        .blocking()
        .call::<Vec<CatIndex>>(&api::cat_indices())
        .unwrap_err();
    assert!(
        err.is_forbidden() && err.is_auth() && !err.is_retryable(),
        "{err}"
    );

    // Appended: everything that was mapped stays.
    let done = admin.add_backend_role("all_access", app_role).unwrap();
    assert!(
        matches!(done, MappingChange::Changed(ref s) if s.status == "OK"),
        "{done:?}"
    );
    let after = admin.get_role_mapping("all_access").unwrap().unwrap();
    assert_eq!(after.users, before.users);
    assert_eq!(after.hosts, before.hosts);
    let mut expected = before.backend_roles.clone();
    expected.push(app_role.into());
    assert_eq!(after.backend_roles, expected);
    // Again: nothing to do, nothing sent.
    let sent = t.requests();
    assert_eq!(
        admin.add_backend_role("all_access", app_role).unwrap(),
        MappingChange::Unchanged
    );
    assert_eq!(t.requests(), sent + 1, "one GET only");

    let _: Vec<CatIndex> = workload.blocking().call(&api::cat_indices()).unwrap();

    // The workload (all_access only) may not change mappings: FORBIDDEN,
    // recognised without matching on the body, with the fix as a hint.
    let err = workload
        .blocking()
        .add_backend_role("all_access", ops_role)
        .unwrap_err();
    assert!(err.is_forbidden(), "{err}");
    assert_eq!(
        err.api().and_then(|a| a.security_status()),
        Some("FORBIDDEN")
    );
    assert!(err.hint().unwrap().contains("security_manager"));

    // Users too; a role without a mapping gets one.
    let role = t.name("reader");
    let role = role.as_str();
    let empty = admin
        .call::<StatusMessage>(&security::put_role(role, &Role::default()).unwrap())
        .unwrap_err();
    assert_eq!(empty.api().map(|a| a.status), Some(400), "{empty}");
    let monitor = Role {
        cluster_permissions: vec!["cluster_monitor".into()],
        ..Role::default()
    };
    let _: StatusMessage = admin
        .call(&security::put_role(role, &monitor).unwrap())
        .unwrap();
    admin.add_user("all_access", alice).unwrap();
    assert!(
        admin
            .get_role_mapping("all_access")
            .unwrap()
            .unwrap()
            .users
            .ends_with(&[alice.to_string()])
    );
    assert_eq!(admin.get_role_mapping(role).unwrap(), None);
    admin.add_backend_role(role, ops_role).unwrap();
    assert_eq!(
        admin.get_role_mapping(role).unwrap().unwrap().backend_roles,
        [ops_role]
    );
    let _: StatusMessage = admin.call(&security::delete_role_mapping(role)).unwrap();
    let _: StatusMessage = admin.call(&security::delete_role(role)).unwrap();

    // Removed: only that entry goes.
    admin.remove_backend_role("all_access", app_role).unwrap();
    admin.remove_user("all_access", alice).unwrap();
    assert_eq!(
        admin.get_role_mapping("all_access").unwrap().unwrap(),
        before
    );
    assert_eq!(
        admin.remove_backend_role("all_access", app_role).unwrap(),
        MappingChange::Unchanged
    );
    assert!(
        workload
            .blocking()
            .call::<Vec<CatIndex>>(&api::cat_indices())
            .unwrap_err()
            .is_forbidden()
    );
    assert!(botocore_check(t.config(), &t.recorded()) >= 3);
}

two_targets!(
    the_mapping_helpers_append_and_remove_without_dropping_anything,
    fake_mapping_helpers_append_and_remove_without_dropping_anything,
    real_mapping_helpers_append_and_remove_without_dropping_anything
);
