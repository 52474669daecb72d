//! IMDSv2 against a loopback fake that behaves like the real service:
//! tokens required (401 otherwise), TTL checked, 404 for unknown paths,
//! the extended credentials path, IMDSv1 fallback rules, slow answers.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use cred_providers::imds::{ImdsClient, ImdsConfig};
use cred_providers::profile::{ProfileSet, Source};
use cred_providers::{
    BlockingTransport, CredentialsError, ImdsProvider, MapEnv, ProxySetting, RealFiles,
    TransportConfig, provide_blocking,
};
use serde_json::Value;
use test_support::http::{Seen, serve_fn, text_response};

#[derive(Default)]
struct Fake {
    tokens: Mutex<Vec<String>>,
    puts: AtomicUsize,
    extended_gets: AtomicUsize,
    v1_only: AtomicBool,
    slow_token: AtomicBool,
    no_extended: AtomicBool,
    no_role: AtomicBool,
}

const CREDS: &str = r#"{"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z"}"#;
const CREDS_EXT: &str = r#"{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z","AccountId":"123456789012"}"#;

fn start(fake: Arc<Fake>) -> String {
    let f = fake.clone();
    let port = serve_fn(move |req: &Seen| {
        if req.method == "PUT" && req.target == "/latest/api/token" {
            f.puts.fetch_add(1, Ordering::SeqCst);
            if f.slow_token.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
            if f.v1_only.load(Ordering::SeqCst) {
                return text_response("403 Forbidden", "");
            }
            let ttl: Option<u64> = req
                .header("x-aws-ec2-metadata-token-ttl-seconds")
                .and_then(|t| t.parse().ok());
            if !ttl.is_some_and(|t| (1..=21600).contains(&t)) {
                return text_response("400 Bad Request", "");
            }
            let mut tokens = f.tokens.lock().unwrap();
            let token = format!("token-{}", tokens.len() + 1);
            tokens.push(token.clone());
            return text_response("200 OK", &token);
        }
        if req.method != "GET" {
            return text_response("405 Method Not Allowed", "");
        }
        if !f.v1_only.load(Ordering::SeqCst) {
            let ok = req
                .header("x-aws-ec2-metadata-token")
                .is_some_and(|t| f.tokens.lock().unwrap().iter().any(|k| k == t));
            if !ok {
                return text_response("401 Unauthorized", "");
            }
        }
        let role = !f.no_role.load(Ordering::SeqCst);
        match req.target.as_str() {
            "/latest/meta-data/iam/security-credentials-extended/" => {
                f.extended_gets.fetch_add(1, Ordering::SeqCst);
                match (f.no_extended.load(Ordering::SeqCst), role) {
                    (false, true) => text_response("200 OK", "reader\n"),
                    _ => text_response("404 Not Found", ""),
                }
            }
            "/latest/meta-data/iam/security-credentials-extended/reader"
                if !f.no_extended.load(Ordering::SeqCst) =>
            {
                text_response("200 OK", CREDS_EXT)
            }
            "/latest/meta-data/iam/security-credentials/" if role => {
                text_response("200 OK", "reader")
            }
            "/latest/meta-data/iam/security-credentials/reader" if role => {
                text_response("200 OK", CREDS)
            }
            "/latest/meta-data/placement/region" => text_response("200 OK", "eu-central-1"),
            _ => text_response("404 Not Found", ""),
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn client(endpoint: &str, v1_disabled: bool, timeout_ms: u64) -> ImdsClient {
    let t = std::time::Duration::from_millis(timeout_ms);
    let transport = BlockingTransport::try_new(TransportConfig {
        connect_timeout: t,
        total_timeout: t,
        proxy: ProxySetting::None,
        ..TransportConfig::default()
    })
    .unwrap();
    ImdsClient::new(
        ImdsConfig {
            endpoint: endpoint.to_string(),
            v1_disabled,
            timeout: t,
            attempts: 1,
        },
        Arc::new(transport),
    )
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    pollster::block_on(f)
}

#[test]
fn imdsv2_with_the_extended_path_and_a_reused_token() {
    let fake = Arc::new(Fake::default());
    let c = client(&start(fake.clone()), false, 2000);
    let creds = run(c.credentials()).unwrap();
    assert_eq!(
        (creds.access_key_id(), creds.account_id()),
        ("ASIAIMDS", Some("123456789012"))
    );
    run(c.credentials()).unwrap();
    assert_eq!(run(c.region()).unwrap().as_deref(), Some("eu-central-1"));
    assert_eq!(
        fake.puts.load(Ordering::SeqCst),
        1,
        "one token for all calls"
    );
}

#[test]
fn falls_back_to_the_legacy_path_for_good() {
    let fake = Arc::new(Fake::default());
    fake.no_extended.store(true, Ordering::SeqCst);
    let c = client(&start(fake.clone()), false, 2000);
    let creds = run(c.credentials()).unwrap();
    assert_eq!(
        (creds.access_key_id(), creds.account_id()),
        ("ASIAIMDS", None)
    );
    run(c.credentials()).unwrap();
    assert_eq!(
        fake.extended_gets.load(Ordering::SeqCst),
        1,
        "the extended path is not asked again"
    );
}

#[test]
fn an_expired_token_is_replaced_on_401() {
    let fake = Arc::new(Fake::default());
    let c = client(&start(fake.clone()), false, 2000);
    run(c.credentials()).unwrap();
    fake.tokens.lock().unwrap().clear(); // every token the client holds is now invalid
    run(c.credentials()).unwrap();
    assert_eq!(fake.puts.load(Ordering::SeqCst), 2);
}

#[test]
fn imdsv1_only_when_allowed() {
    let fake = Arc::new(Fake::default());
    fake.v1_only.store(true, Ordering::SeqCst);
    let url = start(fake.clone());
    assert_eq!(
        run(client(&url, false, 2000).credentials())
            .unwrap()
            .access_key_id(),
        "ASIAIMDS"
    );
    let err = run(client(&url, true, 2000).credentials()).unwrap_err();
    assert!(err.to_string().contains("IMDSv1 is disabled"), "{err}");

    // A token request that times out falls back to IMDSv1 too.
    let slow = Arc::new(Fake::default());
    slow.slow_token.store(true, Ordering::SeqCst);
    slow.v1_only.store(true, Ordering::SeqCst);
    let url = start(slow);
    assert_eq!(
        run(client(&url, false, 300).credentials())
            .unwrap()
            .access_key_id(),
        "ASIAIMDS"
    );
}

#[test]
fn no_role_and_no_service_are_not_configured() {
    let fake = Arc::new(Fake::default());
    fake.no_role.store(true, Ordering::SeqCst);
    let err = run(client(&start(fake), false, 2000).credentials()).unwrap_err();
    assert!(err.is_not_configured(), "{err}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err =
        run(client(&format!("http://127.0.0.1:{port}"), false, 500).credentials()).unwrap_err();
    assert!(err.is_not_configured(), "{err}");
}

#[test]
fn provider_reads_its_settings_from_the_environment() {
    let fake = Arc::new(Fake::default());
    let url = start(fake);
    let env = MapEnv::new([
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.as_str()),
        ("AWS_METADATA_SERVICE_TIMEOUT", "2"),
        ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2"),
        ("HOME", "/nonexistent"),
    ]);
    let p = ImdsProvider::new(
        Arc::new(env),
        Arc::new(RealFiles),
        None,
        Arc::new(BlockingTransport::default()),
    );
    assert_eq!(
        provide_blocking(&p).unwrap().account_id(),
        Some("123456789012")
    );
    let off = MapEnv::new([
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("HOME", "/nonexistent"),
    ]);
    let p = ImdsProvider::new(
        Arc::new(off),
        Arc::new(RealFiles),
        None,
        Arc::new(BlockingTransport::default()),
    );
    assert!(provide_blocking(&p).unwrap_err().is_not_configured());
    let bad = MapEnv::new([
        ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "many"),
        ("HOME", "/nonexistent"),
    ]);
    let p = ImdsProvider::new(
        Arc::new(bad),
        Arc::new(RealFiles),
        None,
        Arc::new(BlockingTransport::default()),
    );
    assert!(matches!(
        provide_blocking(&p),
        Err(CredentialsError::InvalidConfiguration { .. })
    ));
}

#[test]
fn shared_endpoint_cases() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imds-endpoint-tests.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for case in v["tests"].as_array().unwrap() {
        let docs = case["docs"].as_str().unwrap();
        let env = MapEnv::new(
            case["env"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "AWS_CONFIG_FILE")
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
        );
        let config = case["fs"]["config"].as_str().unwrap_or("");
        let set = ProfileSet::parse(
            Some(Source {
                text: config,
                path: None,
            }),
            None,
        )
        .unwrap();
        let got = ImdsConfig::resolve(
            &env,
            &set,
            "default",
            case.get("endpoint_override").and_then(Value::as_str),
            case.get("mode_override").and_then(Value::as_str),
        );
        match (got, case["result"].get("Ok").and_then(Value::as_str)) {
            (Ok(Some(c)), Some(expected)) => assert_eq!(
                format!("{}/latest/api/token", c.endpoint),
                expected,
                "{docs}"
            ),
            (Err(e), None) => {
                let expected = case["result"]["Err"].as_str().unwrap();
                assert!(
                    matches!(e, CredentialsError::InvalidConfiguration { .. }),
                    "{docs}: {e}"
                );
                if expected.contains("endpoint mode") {
                    assert!(
                        e.to_string().contains("not a valid endpoint mode"),
                        "{docs}: {e}"
                    );
                }
            }
            (got, _) => panic!("{docs}: {got:?}"),
        }
    }
}

#[test]
fn the_region_comes_from_placement() {
    let url = start(Arc::new(Fake::default()));
    let env = MapEnv::new([
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.as_str()),
        ("HOME", "/nonexistent"),
    ]);
    assert_eq!(
        cred_providers::imds::region_from_env(&env, &RealFiles, None).as_deref(),
        Some("eu-central-1")
    );
    let off = MapEnv::new([
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("HOME", "/nonexistent"),
    ]);
    assert_eq!(
        cred_providers::imds::region_from_env(&off, &RealFiles, None),
        None
    );
}
