//! `sigv4 vault-login`: the payload, and a login against a loopback
//! Vault-like endpoint.

use std::process::{Command, Output, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use test_support::http::{Seen, serve_fn};

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .arg("vault-login")
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", "/nonexistent")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn prints_the_payload() {
    let out = run(
        &[
            "--role",
            "dev",
            "--server-id",
            "vault.example.com",
            "--sts-endpoint",
            "https://sts.eu-west-1.amazonaws.com",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["role"], "dev");
    assert_eq!(v["iam_http_request_method"], "POST");
    let url = STANDARD
        .decode(v["iam_request_url"].as_str().unwrap())
        .unwrap();
    assert_eq!(url, b"https://sts.eu-west-1.amazonaws.com/");
    let headers = STANDARD
        .decode(v["iam_request_headers"].as_str().unwrap())
        .unwrap();
    let h: Value = serde_json::from_slice(&headers).unwrap();
    let auth = h["Authorization"][0].as_str().unwrap();
    assert!(
        auth.contains("/eu-west-1/sts/aws4_request"),
        "region from the endpoint: {auth}"
    );
    assert_eq!(h["X-Vault-AWS-IAM-Server-ID"][0], "vault.example.com");
}

#[test]
fn logs_in_and_prints_vaults_answer() {
    let port = serve_fn(|req: &Seen| {
        let ok = req.method == "POST"
            && req.target == "/v1/auth/aws-prod/login"
            && req.header("x-vault-namespace") == Some("team-a")
            && serde_json::from_slice::<Value>(&req.body).is_ok_and(|p| p["role"] == "dev");
        let (status, body) = if ok {
            (
                "200 OK",
                r#"{"auth":{"client_token":"hvs.abc","policies":["default"]}}"#,
            )
        } else {
            ("400 Bad Request", r#"{"errors":["unexpected request"]}"#)
        };
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    });
    let addr = format!("http://127.0.0.1:{port}");
    let out = run(
        &[
            "--role",
            "dev",
            "--login",
            "--mount",
            "aws-prod",
            "--namespace",
            "team-a",
        ],
        &[("VAULT_ADDR", &addr)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["auth"]["client_token"], "hvs.abc");

    let out = run(&["--role", "other", "--login", "--vault-addr", &addr], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unexpected request") && err.lines().count() == 1,
        "{err}"
    );

    let out = run(&["--role", "dev", "--login"], &[]);
    assert_eq!(out.status.code(), Some(2), "no address");
    assert!(out.stdout.is_empty());
}
