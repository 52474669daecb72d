//! `sigv4 whoami` against moto's STS (which verifies the signature).

use std::process::{Command, Output, Stdio};

use serde_json::Value;
use test_support::moto::moto;

fn whoami(env: &[(&str, &str)], args: &[&str]) -> Output {
    let home = std::env::temp_dir().join(format!("sigv4-whoami-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .arg("whoami")
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", &home)
        .env("AWS_ENDPOINT_URL_STS", &moto().url)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn prints_the_caller() {
    let m = moto();
    let out = whoami(
        &[
            ("AWS_ACCESS_KEY_ID", m.user.access_key_id()),
            ("AWS_SECRET_ACCESS_KEY", m.user.secret_access_key()),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let at: Vec<usize> = ["\"UserId\"", "\"Account\"", "\"Arn\""]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "key order: {text}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 3);
    assert!(v["Arn"].as_str().unwrap().ends_with(":user/alice"));
}

#[test]
fn sts_errors_are_code_and_message_on_one_line() {
    let m = moto();
    let out = whoami(
        &[
            ("AWS_ACCESS_KEY_ID", m.user.access_key_id()),
            ("AWS_SECRET_ACCESS_KEY", "wrong"),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("sigv4: SignatureDoesNotMatch: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1);

    let out = whoami(&[], &[]);
    assert_eq!(out.status.code(), Some(1), "no credentials");
    assert!(out.stdout.is_empty());
}
