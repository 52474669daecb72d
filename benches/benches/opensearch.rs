//! opensearch-client beside opensearch-rs (the `opensearch` crate, with
//! `aws-auth` and `rustls-tls`; only with `--features opensearch-rs`).
//!
//! * `bulk_1000/*`: the client-side cost of one `_bulk` request of 1,000
//!   small documents: serialise the NDJSON body and sign it with SigV4
//!   (`es`). opensearch-rs signs inside its transport with a crate-private
//!   function; its step is reproduced with the same `aws-sigv4` calls and
//!   settings (`x-amz-content-sha256` on), over the body its
//!   `BulkOperations` writes.
//! * `loopback/*`: whole requests per second against the loopback cluster
//!   of the test suite (SigV4 checked by the server on every request), one
//!   at a time: `GET /` and the same `_bulk` of 1,000 documents.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cred_providers::{
    BlockingTransport, CachedProvider, EnvironmentProvider, MapEnv, ProxySetting, TransportConfig,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opensearch_client::api::{self, Info};
use opensearch_client::auth::{Auth, Service};
use opensearch_client::bulk::{BulkBody, BulkResponse};
use opensearch_client::security::{self, RoleMapping, StatusMessage};
use opensearch_client::{Client, NodePool};
use serde::Serialize;
use test_support::opensearch::{Config, FakeOpenSearch, IamIdentity, MASTER_PASSWORD, MASTER_USER};

const KEY: &str = "AKIABENCHEXAMPLE0001";
const SECRET: &str = "benchSecretKeyExample/000000000000000001";
const ROLE: &str = "arn:aws:iam::123456789012:role/bench";
const REGION: &str = "eu-west-1";

#[derive(Serialize)]
struct Doc {
    title: String,
    year: u32,
    tags: [&'static str; 2],
}

fn docs() -> Vec<(String, Doc)> {
    (0..1000u32)
        .map(|i| {
            (
                format!("doc-{i}"),
                Doc {
                    title: format!("Document number {i}"),
                    year: 1950 + i % 70,
                    tags: ["bench", "small"],
                },
            )
        })
        .collect()
}

fn auth() -> Auth {
    let env = MapEnv::new([
        ("AWS_ACCESS_KEY_ID", KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ]);
    Auth::sigv4(
        Arc::new(CachedProvider::new(Arc::new(EnvironmentProvider::new(
            Arc::new(env),
        )))),
        REGION,
        Service::Es,
    )
}

fn bulk_body(docs: &[(String, Doc)]) -> BulkBody {
    let mut b = BulkBody::new();
    for (id, d) in docs {
        b.index("bench", Some(id), d).expect("serialisable");
    }
    b
}

fn bulk_client_side(c: &mut Criterion) {
    let docs = docs();
    let auth = auth();
    let node = "https://search-bench.eu-west-1.es.amazonaws.com";
    let mut g = c.benchmark_group("bulk_1000");
    g.throughput(Throughput::Elements(1));
    g.bench_function("opensearch-client", |b| {
        b.iter(|| {
            let mut req = bulk_body(black_box(&docs))
                .into_request()
                .to_http(node)
                .expect("request");
            pollster::block_on(auth.apply(&mut req, SystemTime::now())).expect("signed");
            black_box(req)
        })
    });
    #[cfg(feature = "opensearch-rs")]
    peer::bulk_client_side(&mut g, &docs, node);
    g.finish();
}

fn cluster() -> FakeOpenSearch {
    let cluster = FakeOpenSearch::start(Config {
        region: REGION.into(),
        iam: vec![IamIdentity {
            access_key_id: KEY.into(),
            secret: SECRET.into(),
            session_token: None,
            arn: ROLE.into(),
        }],
        ..Config::default()
    });
    let master = client(&cluster, Auth::basic(MASTER_USER, MASTER_PASSWORD));
    let mapping = RoleMapping {
        users: vec![MASTER_USER.into()],
        backend_roles: vec![ROLE.into()],
        ..RoleMapping::default()
    };
    let _: StatusMessage = pollster::block_on(
        master.call(&security::put_role_mapping("all_access", &mapping).expect("mapping")),
    )
    .expect("mapped");
    cluster
}

fn client(cluster: &FakeOpenSearch, auth: Auth) -> Client {
    let transport = BlockingTransport::try_new(TransportConfig {
        proxy: ProxySetting::None,
        ..TransportConfig::default()
    })
    .expect("transport");
    Client::new(
        NodePool::new(cluster.urls()).expect("nodes"),
        Arc::new(transport),
        auth,
    )
}

fn loopback(c: &mut Criterion) {
    let cluster = cluster();
    let docs = docs();
    let ours = client(&cluster, auth());
    let mut g = c.benchmark_group("loopback");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("info/opensearch-client", |b| {
        b.iter(|| {
            let info: Info = pollster::block_on(ours.call(&api::info())).expect("info");
            black_box(info)
        })
    });
    g.bench_function("bulk_1000/opensearch-client", |b| {
        b.iter(|| {
            let resp: BulkResponse =
                pollster::block_on(ours.call(&bulk_body(&docs).into_request())).expect("bulk");
            assert!(!resp.errors);
        })
    });
    #[cfg(feature = "opensearch-rs")]
    peer::loopback(&mut g, &cluster, &docs);
    g.finish();
}

#[cfg(feature = "opensearch-rs")]
mod peer {
    use super::*;
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_sigv4::http_request::{
        PayloadChecksumKind, SignableBody, SignableRequest, SigningParams, SigningSettings, sign,
    };
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;
    use criterion::BenchmarkGroup;
    use criterion::measurement::WallTime;
    use opensearch::auth::Credentials as OsCredentials;
    use opensearch::http::request::Body;
    use opensearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
    use opensearch::{BulkOperation, BulkOperations, BulkParts, OpenSearch};

    fn operations(docs: &[(String, Doc)]) -> BulkOperations {
        let mut ops = BulkOperations::new();
        for (id, d) in docs {
            ops.push(BulkOperation::index(d).id(id).index("bench"))
                .expect("serialisable");
        }
        ops
    }

    pub(super) fn bulk_client_side(
        g: &mut BenchmarkGroup<'_, WallTime>,
        docs: &[(String, Doc)],
        node: &str,
    ) {
        let identity = Identity::new(Credentials::new(KEY, SECRET, None, None, "bench"), None);
        let url = format!("{node}/_bulk");
        g.bench_function("opensearch-rs", |b| {
            b.iter(|| {
                // What its transport does: the body into a buffer, then
                // aws_auth::sign_request's aws-sigv4 calls.
                let ops = operations(black_box(docs));
                let mut buf = bytes::BytesMut::new();
                ops.write(&mut buf).expect("body");
                let mut settings = SigningSettings::default();
                settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
                let params: SigningParams<'_> = v4::SigningParams::builder()
                    .identity(&identity)
                    .name("es")
                    .region(REGION)
                    .time(SystemTime::now())
                    .settings(settings)
                    .build()
                    .expect("params")
                    .into();
                let headers = [("content-type", "application/x-ndjson")];
                let signable = SignableRequest::new(
                    "POST",
                    &url,
                    headers.iter().copied(),
                    SignableBody::Bytes(&buf),
                )
                .expect("signable");
                let (instructions, _) = sign(signable, &params).expect("signed").into_parts();
                black_box((buf, instructions))
            })
        });
    }

    pub(super) fn loopback(
        g: &mut BenchmarkGroup<'_, WallTime>,
        cluster: &FakeOpenSearch,
        docs: &[(String, Doc)],
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let url = opensearch::http::Url::parse(&cluster.urls()[0]).expect("url");
        let provider =
            SharedCredentialsProvider::new(Credentials::new(KEY, SECRET, None, None, "bench"));
        let transport = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .auth(OsCredentials::AwsSigV4(
                provider,
                aws_types::region::Region::new(REGION),
            ))
            .service_name("es")
            .build()
            .expect("transport");
        let os = OpenSearch::new(transport);
        // This client on the same runtime, through the tokio transport.
        let tokio_transport = cred_providers::TokioTransport::try_new(TransportConfig {
            proxy: ProxySetting::None,
            ..TransportConfig::default()
        })
        .expect("tokio transport");
        let ours = Client::new(
            NodePool::new(cluster.urls()).expect("nodes"),
            Arc::new(tokio_transport),
            auth(),
        );
        g.bench_function("info/opensearch-client-tokio", |b| {
            b.iter(|| {
                let info: Info = rt.block_on(ours.call(&api::info())).expect("info");
                black_box(info)
            })
        });
        g.bench_function("info/opensearch-rs", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let resp = os.info().send().await.expect("info");
                    assert_eq!(resp.status_code().as_u16(), 200);
                    black_box(resp.json::<serde_json::Value>().await.expect("json"))
                })
            })
        });
        g.bench_function("bulk_1000/opensearch-rs", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let resp = os
                        .bulk(BulkParts::None)
                        .body(vec![operations(docs)])
                        .send()
                        .await
                        .expect("bulk");
                    let v: serde_json::Value = resp.json().await.expect("json");
                    assert_eq!(v["errors"], false);
                })
            })
        });
    }
}

criterion_group!(benches, bulk_client_side, loopback);
criterion_main!(benches);
