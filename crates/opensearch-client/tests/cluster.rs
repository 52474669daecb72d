//! The client against the loopback OpenSearch-compatible cluster of
//! `test-support`: the target scenario (the master user maps an IAM role,
//! a workload then calls with SigV4), the data and security APIs, bulk
//! batching, `aoss`, gzip, and faults. Every SigV4 request the cluster
//! took is checked again by botocore.

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
use test_support::opensearch::{
    Config, FakeOpenSearch, Fault, IamIdentity, MASTER_PASSWORD, MASTER_USER, botocore_check,
};

const APP_ROLE: &str = "arn:aws:iam::123456789012:role/app-on-ec2";
const APP_KEY: &str = "AKIAAPPEXAMPLE000001";
const APP_SECRET: &str = "appSecretKeyExample/0000000000000000000001";
const OPS_ROLE: &str = "arn:aws:iam::123456789012:role/ops";
const OPS_KEY: &str = "ASIAOPSEXAMPLE000002";
const OPS_SECRET: &str = "opsSecretKeyExample/0000000000000000000002";
const OPS_TOKEN: &str = "FwoGZXIvYXdzEOPS//session+token/example==";

fn config(service: &'static str, nodes: usize) -> Config {
    Config {
        nodes,
        service,
        iam: vec![
            IamIdentity {
                access_key_id: APP_KEY.into(),
                secret: APP_SECRET.into(),
                session_token: None,
                arn: APP_ROLE.into(),
            },
            IamIdentity {
                access_key_id: OPS_KEY.into(),
                secret: OPS_SECRET.into(),
                session_token: Some(OPS_TOKEN.into()),
                arn: OPS_ROLE.into(),
            },
        ],
        ..Config::default()
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
    let service = if cluster.config().service == "aoss" {
        Service::Aoss
    } else {
        Service::Es
    };
    Auth::sigv4(provider, cluster.config().region.clone(), service)
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

#[test]
fn master_user_maps_an_iam_role_then_the_workload_signs() {
    let cluster = FakeOpenSearch::start(config("es", 1));
    let admin = master(&cluster);
    let workload = app(&cluster);

    // Not mapped yet: authenticated by SigV4, but no role.
    let (status, kind) =
        api_error(run(workload.call::<Vec<CatIndex>>(&api::cat_indices())).unwrap_err());
    assert_eq!(status, 403);
    match kind {
        ApiErrorKind::Core {
            error_type, reason, ..
        } => {
            assert_eq!(error_type, "security_exception");
            assert!(reason.contains(APP_ROLE), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let me: AuthInfo = run(workload.call(&security::authinfo())).unwrap();
    assert_eq!(me.user_name, APP_ROLE);
    assert_eq!(me.backend_roles, [APP_ROLE]);
    assert!(me.roles.is_empty());

    // The master user maps the role to all_access.
    let mapping = RoleMapping {
        backend_roles: vec![APP_ROLE.into()],
        users: vec![MASTER_USER.into()],
        description: Some("EC2 application".into()),
        ..RoleMapping::default()
    };
    let done: StatusMessage =
        run(admin.call(&security::put_role_mapping("all_access", &mapping).unwrap())).unwrap();
    assert_eq!(done.status, "OK");
    let got: RoleMappings = run(admin.call(&security::get_role_mapping("all_access"))).unwrap();
    assert_eq!(got["all_access"].backend_roles, [APP_ROLE]);

    // all_access is not enough for the security API: the FORBIDDEN case.
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
    run(admin.call::<serde_json::Value>(
        &documents::create_index("orders", &serde_json::json!({})).unwrap(),
    ))
    .unwrap();
    let indices: Vec<CatIndex> = run(workload.call(&api::cat_indices())).unwrap();
    assert_eq!(
        indices.iter().map(|i| i.index.as_str()).collect::<Vec<_>>(),
        ["orders"]
    );
    let me: AuthInfo = run(workload.call(&security::authinfo())).unwrap();
    assert_eq!(me.roles, ["all_access"]);

    assert!(botocore_check(cluster.config(), &cluster.recorded()) >= 5);
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Movie {
    title: String,
    year: u32,
}

#[test]
fn documents_search_and_pagination() {
    let cluster = FakeOpenSearch::start(config("es", 1));
    map_to_all_access(&cluster, APP_ROLE);
    let c = app(&cluster);
    let info: Info = run(c.call(&api::info())).unwrap();
    assert_eq!(info.version.distribution.as_deref(), Some("opensearch"));
    let health: ClusterHealth = run(c.call(&api::cluster_health())).unwrap();
    assert_eq!(health.status, "green");

    assert!(!run(c.exists(&documents::index_exists("movies"))).unwrap());
    run(c.call::<serde_json::Value>(
        &documents::create_index("movies", &serde_json::json!({})).unwrap(),
    ))
    .unwrap();
    assert!(run(c.exists(&documents::index_exists("movies"))).unwrap());
    let again = run(c.call::<serde_json::Value>(
        &documents::create_index("movies", &serde_json::json!({})).unwrap(),
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
            run(c.call(&documents::index_document("movies", Some(id.as_str()), &m).unwrap()))
                .unwrap();
        assert_eq!(w.result, "created");
    }
    let auto: WriteResponse = run(c.call(
        &documents::index_document(
            "movies",
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
    let got: GetResponse<Movie> = run(c.call(&documents::get_document("movies", "1999"))).unwrap();
    assert_eq!(got.source.unwrap().title, "Film 1999");
    let upd: WriteResponse = run(c.call(
        &documents::update_document("movies", "1999", &serde_json::json!({"title": "Matrix"}))
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(upd.result, "updated");
    let got: GetResponse<Movie> = run(c.call(&documents::get_document("movies", "1999"))).unwrap();
    assert_eq!(got.source.unwrap().title, "Matrix");
    let del: WriteResponse = run(c.call(&documents::delete_document("movies", &auto.id))).unwrap();
    assert_eq!(del.result, "deleted");
    let missing = run(c.call::<GetResponse<Movie>>(&documents::get_document("movies", &auto.id)))
        .unwrap_err();
    assert_eq!(api_error(missing).0, 404);
    let _: serde_json::Value = run(c.call(&documents::refresh("movies"))).unwrap();
    let mapping: serde_json::Value = run(c.call(&documents::get_mapping("movies"))).unwrap();
    assert_eq!(
        mapping["movies"]["mappings"]["properties"]["year"]["type"],
        "long"
    );

    // A typed search, then every page with search_after.
    let found: SearchResponse<Movie> = run(c.call(
        &documents::search(
            "movies",
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
            run(c.call(&documents::search("movies", &body).unwrap())).unwrap();
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
    assert_eq!(indices[0].docs_count.as_deref(), Some("25"));
    let _: serde_json::Value = run(c.call(&documents::delete_index("movies"))).unwrap();
    assert!(!run(c.exists(&documents::index_exists("movies"))).unwrap());

    assert!(botocore_check(cluster.config(), &cluster.recorded()) >= 30);
}

#[test]
fn roles_users_and_account() {
    let cluster = FakeOpenSearch::start(config("es", 1));
    let admin = master(&cluster);
    let role = Role {
        description: Some("read movies".into()),
        cluster_permissions: vec!["cluster_composite_ops_ro".into()],
        index_permissions: vec![security::IndexPermission {
            index_patterns: vec!["movies*".into()],
            allowed_actions: vec!["read".into()],
            ..Default::default()
        }],
        ..Role::default()
    };
    let created: StatusMessage =
        run(admin.call(&security::put_role("movie_reader", &role).unwrap())).unwrap();
    assert_eq!(created.status, "CREATED");
    let roles: Roles = run(admin.call(&security::get_role("movie_reader"))).unwrap();
    assert_eq!(
        roles["movie_reader"].index_permissions[0].index_patterns,
        ["movies*"]
    );
    let all: Roles = run(admin.call(&security::get_roles())).unwrap();
    assert!(all["all_access"].reserved == Some(true));
    let reserved =
        run(admin.call::<StatusMessage>(&security::delete_role("all_access"))).unwrap_err();
    assert_eq!(api_error(reserved).0, 403);
    let _: StatusMessage = run(admin.call(
        &security::patch_role(
            "movie_reader",
            &[PatchOp::add("/index_permissions/0/fls", ["title"]).unwrap()],
        )
        .unwrap(),
    ))
    .unwrap();
    let roles: Roles = run(admin.call(&security::get_role("movie_reader"))).unwrap();
    assert_eq!(roles["movie_reader"].index_permissions[0].fls, ["title"]);

    // An internal user with that role logs in with its password.
    let user = InternalUser {
        password: Some(Password::new("first-Password-1")),
        opendistro_security_roles: vec!["movie_reader".into()],
        backend_roles: vec!["analysts".into()],
        ..InternalUser::default()
    };
    let created: StatusMessage =
        run(admin.call(&security::put_user("ana", &user).unwrap())).unwrap();
    assert_eq!(created.status, "CREATED");
    let users: InternalUsers = run(admin.call(&security::get_user("ana"))).unwrap();
    assert_eq!(users["ana"].backend_roles, ["analysts"]);
    assert!(users["ana"].password.is_none(), "never returned");
    let _: StatusMessage = run(admin.call(
        &security::patch_users(&[PatchOp::add(
            "/ana/attributes",
            serde_json::json!({"team": "a"}),
        )
        .unwrap()])
        .unwrap(),
    ))
    .unwrap();
    let _: StatusMessage = run(admin.call(
        &security::patch_user("ana", &[PatchOp::add("/description", "analyst").unwrap()]).unwrap(),
    ))
    .unwrap();
    let all: InternalUsers = run(admin.call(&security::get_users())).unwrap();
    assert_eq!(all["ana"].attributes["team"], "a");
    assert_eq!(all["ana"].description.as_deref(), Some("analyst"));

    let ana = client(cluster.urls(), Auth::basic("ana", "first-Password-1"));
    let me: AccountDetails = run(ana.call(&security::get_account())).unwrap();
    assert_eq!((me.user_name.as_str(), me.is_internal_user), ("ana", true));
    assert_eq!(me.roles, ["movie_reader"]);
    // It may read movies* but not write, nor touch the security API.
    let denied = run(ana.call::<WriteResponse>(
        &documents::index_document(
            "movies",
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
    let ana2 = client(cluster.urls(), Auth::basic("ana", "second-Password-2"));
    let _: AccountDetails = run(ana2.call(&security::get_account())).unwrap();
    // The master user is reserved: its password is not changed here.
    let reserved = run(admin.call::<StatusMessage>(
        &security::change_password(&Password::new(MASTER_PASSWORD), &Password::new("x")).unwrap(),
    ))
    .unwrap_err();
    assert_eq!(api_error(reserved).0, 403);

    let _: StatusMessage = run(admin.call(&security::delete_user("ana"))).unwrap();
    assert_eq!(
        api_error(run(ana2.call::<AccountDetails>(&security::get_account())).unwrap_err()).0,
        401
    );
    let _: StatusMessage = run(admin.call(&security::delete_role("movie_reader"))).unwrap();
    let gone = run(admin.call::<Roles>(&security::get_role("movie_reader"))).unwrap_err();
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
                users: vec!["ana".into()],
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

#[test]
fn bulk_batches_by_count_and_bytes_and_reports_item_failures() {
    let cluster = FakeOpenSearch::start(config("es", 1));
    map_to_all_access(&cluster, OPS_ROLE);
    let c = client(
        cluster.urls(),
        sigv4(&cluster, OPS_KEY, OPS_SECRET, Some(OPS_TOKEN)),
    );
    // Two documents exist already: `create` of those ids fails (409).
    for id in ["7", "1234"] {
        let _: WriteResponse = run(c.call(
            &documents::index_document(
                "books",
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
            "books",
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
    let before = cluster.recorded().len();
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
            "bytes",
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
    let sent = &cluster.recorded()[before..];
    assert_eq!(sent.len(), report.requests);
    assert!(report.requests > 5);
    for r in sent {
        assert!(r.body.len() <= limit, "{} bytes", r.body.len());
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    }
    let found: SearchResponse<Movie> =
        run(c.call(&documents::search("bytes", &serde_json::json!({"size": 0})).unwrap())).unwrap();
    assert_eq!(found.hits.total.unwrap().value, 300);

    // A raw _bulk (built by hand) and its typed answer.
    let mut body = BulkBody::new();
    body.delete("books", "does-not-exist").unwrap();
    body.update("books", "7", &serde_json::json!({"title": "new"}))
        .unwrap();
    let resp: BulkResponse = run(c.call(&body.into_request())).unwrap();
    assert!(!resp.errors);
    assert_eq!(resp.items[0].result().result.as_deref(), Some("not_found"));

    // gzip: the same, compressed, still signed right.
    let gz = client(
        cluster.urls(),
        sigv4(&cluster, OPS_KEY, OPS_SECRET, Some(OPS_TOKEN)),
    )
    .with_gzip(true);
    let before = cluster.recorded().len();
    let mut ix = BulkIndexer::new(&gz, BatchLimits::default());
    for i in 0..200u32 {
        let id = format!("g{i}");
        run(ix.index(
            "gzipped",
            Some(id.as_str()),
            &Movie {
                title: "same title again".into(),
                year: i,
            },
        ))
        .unwrap();
    }
    assert_eq!(run(ix.finish()).unwrap().succeeded, 200);
    let sent = &cluster.recorded()[before];
    assert_eq!(sent.header("content-encoding"), Some("gzip"));
    assert!(sent.body.starts_with(&[0x1f, 0x8b]));

    assert!(botocore_check(cluster.config(), &cluster.recorded()) > 15);
}

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
#[test]
fn the_mapping_helpers_append_and_remove_without_dropping_anything() {
    let cluster = FakeOpenSearch::start(config("es", 2));
    let workload = app(&cluster);
    // One client, two identities: the master user beside the workload.
    let admin = workload.with_auth(Auth::basic(MASTER_USER, MASTER_PASSWORD));
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
    let done = admin.add_backend_role("all_access", APP_ROLE).unwrap();
    assert!(
        matches!(done, MappingChange::Changed(ref s) if s.status == "OK"),
        "{done:?}"
    );
    let after = admin.get_role_mapping("all_access").unwrap().unwrap();
    assert_eq!(after.users, before.users);
    assert_eq!(after.hosts, before.hosts);
    let mut expected = before.backend_roles.clone();
    expected.push(APP_ROLE.into());
    assert_eq!(after.backend_roles, expected);
    // Again: nothing to do, nothing sent.
    let sent = cluster.requests(0) + cluster.requests(1);
    assert_eq!(
        admin.add_backend_role("all_access", APP_ROLE).unwrap(),
        MappingChange::Unchanged
    );
    assert_eq!(
        cluster.requests(0) + cluster.requests(1),
        sent + 1,
        "one GET only"
    );

    let indices: Vec<CatIndex> = workload.blocking().call(&api::cat_indices()).unwrap();
    assert!(indices.is_empty());

    // The workload (all_access only) may not change mappings: FORBIDDEN,
    // recognised without matching on the body, with the fix as a hint.
    let err = workload
        .blocking()
        .add_backend_role("all_access", OPS_ROLE)
        .unwrap_err();
    assert!(err.is_forbidden(), "{err}");
    assert_eq!(
        err.api().and_then(|a| a.security_status()),
        Some("FORBIDDEN")
    );
    assert!(err.hint().unwrap().contains("security_manager"));

    // Users too; a role without a mapping gets one.
    admin.add_user("all_access", "alice").unwrap();
    assert!(
        admin
            .get_role_mapping("all_access")
            .unwrap()
            .unwrap()
            .users
            .ends_with(&["alice".to_string()])
    );
    assert_eq!(admin.get_role_mapping("readall").unwrap(), None);
    admin.add_backend_role("readall", OPS_ROLE).unwrap();
    assert_eq!(
        admin
            .get_role_mapping("readall")
            .unwrap()
            .unwrap()
            .backend_roles,
        [OPS_ROLE]
    );

    // Removed: only that entry goes.
    admin.remove_backend_role("all_access", APP_ROLE).unwrap();
    admin.remove_user("all_access", "alice").unwrap();
    assert_eq!(
        admin.get_role_mapping("all_access").unwrap().unwrap(),
        before
    );
    assert_eq!(
        admin.remove_backend_role("all_access", APP_ROLE).unwrap(),
        MappingChange::Unchanged
    );
    assert!(
        workload
            .blocking()
            .call::<Vec<CatIndex>>(&api::cat_indices())
            .unwrap_err()
            .is_forbidden()
    );
    assert!(botocore_check(cluster.config(), &cluster.recorded()) >= 3);
}
