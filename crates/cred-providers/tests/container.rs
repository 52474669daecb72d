//! The container endpoint: the SDKs' shared URI cases, and a loopback fake
//! that answers like the ECS agent / EKS Pod Identity agent.

use std::path::Path;
use std::sync::Arc;

use cred_providers::container::endpoint;
use cred_providers::{
    BlockingTransport, ContainerProvider, CredentialsError, MapEnv, RealFiles, provide_blocking,
    time,
};
use serde_json::Value;
use test_support::http::{ok_response, serve_script};

#[test]
fn shared_uri_cases() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ecs-tests.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = v["tests"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let docs = case["docs"].as_str().unwrap();
        let env = MapEnv::new(
            case["env"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
        );
        match (
            endpoint(&env),
            case["result"].get("Ok").and_then(Value::as_str),
        ) {
            (Ok(uri), Some(expected)) => assert_eq!(uri.to_string(), expected, "{docs}"),
            (Err(e), None) => {
                let expected = case["result"]["ErrorContains"].as_str().unwrap();
                let kind_ok = if expected.contains("No environment variables") {
                    e.is_not_configured()
                } else {
                    matches!(e, CredentialsError::InvalidConfiguration { .. })
                };
                assert!(kind_ok, "{docs}: {e}");
            }
            (got, _) => panic!("{docs}: got {got:?}"),
        }
    }
}

#[test]
fn other_http_hosts_are_refused_before_any_connection() {
    for uri in [
        "http://example.com/creds",
        "http://10.0.0.1/creds",
        "http://169.254.169.254/creds",
        "ftp://localhost/x",
    ] {
        let env = MapEnv::new([("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)]);
        assert!(
            matches!(
                endpoint(&env),
                Err(CredentialsError::InvalidConfiguration { .. })
            ),
            "{uri}"
        );
    }
    for uri in [
        "http://127.0.0.1:9/creds",
        "http://[::1]:9/creds",
        "https://creds.example.com/x",
    ] {
        let env = MapEnv::new([("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)]);
        assert!(endpoint(&env).is_ok(), "{uri}");
    }
}

const ANSWER: &str = r#"{"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z","AccountId":"123456789012","RoleArn":"arn:aws:iam::123456789012:role/task"}"#;

fn provider(vars: Vec<(&str, String)>) -> ContainerProvider {
    ContainerProvider::new(
        Arc::new(MapEnv::new(vars)),
        Arc::new(RealFiles),
        Arc::new(BlockingTransport::default()),
    )
}

#[test]
fn fetches_with_the_token_file_reread_each_time() {
    let dir = std::env::temp_dir().join(format!("container-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("token");
    std::fs::write(&token_file, "first-token\n").unwrap();
    let (port, seen) = serve_script(vec![
        ok_response("200 OK", ANSWER),
        ok_response("200 OK", ANSWER),
    ]);
    let p = provider(vec![
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("http://127.0.0.1:{port}/v1/credentials"),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "ignored-when-a-file-is-set".into(),
        ),
    ]);
    let c = provide_blocking(&p).unwrap();
    assert_eq!(
        (c.access_key_id(), c.session_token(), c.account_id()),
        ("ASIACONTAINER", Some("t"), Some("123456789012"))
    );
    assert_eq!(
        time::format_rfc3339(c.expiry().unwrap()),
        "2030-01-01T00:00:00Z"
    );
    let head = seen.recv().unwrap();
    assert!(head.starts_with("GET /v1/credentials HTTP/1.1"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("authorization: first-token\r\n"),
        "{head}"
    );
    std::fs::write(&token_file, "rotated-token\n").unwrap();
    provide_blocking(&p).unwrap();
    assert!(
        seen.recv()
            .unwrap()
            .to_ascii_lowercase()
            .contains("authorization: rotated-token\r\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn server_errors_are_retried_and_client_errors_reported() {
    let (port, _seen) = serve_script(vec![
        ok_response("503 Service Unavailable", "{}"),
        ok_response("200 OK", ANSWER),
    ]);
    let p = provider(vec![
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("http://localhost:{port}/creds"),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok".into()),
    ]);
    assert_eq!(
        provide_blocking(&p).unwrap().access_key_id(),
        "ASIACONTAINER"
    );

    let (port, _seen) = serve_script(vec![ok_response(
        "403 Forbidden",
        r#"{"code":"AccessDeniedException","message":"invalid token"}"#,
    )]);
    let p = provider(vec![(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("http://127.0.0.1:{port}/creds"),
    )]);
    let err = provide_blocking(&p).unwrap_err().to_string();
    assert!(
        err.contains("403") && err.contains("AccessDeniedException: invalid token"),
        "{err}"
    );

    let (port, _seen) = serve_script(vec![ok_response("200 OK", r#"{"AccessKeyId":"A"}"#)]);
    let p = provider(vec![(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("http://127.0.0.1:{port}/creds"),
    )]);
    let err = provide_blocking(&p).unwrap_err().to_string();
    assert!(err.contains("not container credentials JSON"), "{err}");

    let p = provider(vec![
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:9/creds".into(),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "bad\r\nX-Injected: 1".into(),
        ),
    ]);
    assert!(matches!(
        provide_blocking(&p),
        Err(CredentialsError::InvalidConfiguration { .. })
    ));
}

/// Found by the metadata_json fuzz target: serde_json's messages can quote
/// the input, which may hold a secret. Errors describe the failure without it.
#[test]
fn parse_errors_never_repeat_the_body() {
    for body in [
        r#""AKIAEXAMPLESECRETVALUE""#,
        "22222222222222222",
        r#"{"AccessKeyId":"A","SecretAccessKey":["SECRETINLIST"]}"#,
        r#"{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":12345678901}"#,
    ] {
        let resp = http::Response::builder()
            .status(200)
            .body(body.as_bytes().to_vec())
            .unwrap();
        let container = cred_providers::container::parse(&resp)
            .unwrap_err()
            .to_string();
        let imds = cred_providers::imds::parse_credentials(body.as_bytes())
            .unwrap_err()
            .to_string();
        for msg in [container, imds] {
            for secret in ["EXAMPLESECRET", "2222222", "SECRETINLIST", "12345678901"] {
                assert!(!msg.contains(secret), "{msg}");
            }
        }
    }
}
