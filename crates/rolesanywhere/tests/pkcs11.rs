//! Keys on a PKCS#11 token: SoftHSM2 (Debian) holding the test PKI's
//! RSA-2048, P-256 and P-384 keys and certificates, used by `rolesanywhere`
//! and by AWS's `aws_signing_helper` (its PKCS#11 support, built with cgo)
//! against the same verifying CreateSession endpoint.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use test_support::peers::aws_signing_helper;
use test_support::pki::pki;
use test_support::rolesanywhere::FakeRolesAnywhere;
use test_support::softhsm::{PIN, SoftHsm, TOKEN, softhsm};

const OURS: &str = env!("CARGO_BIN_EXE_rolesanywhere");

/// One test at a time on the token: SoftHSM2's file store is shared by
/// the processes of all tests.
static TOKEN_IN_USE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn p(name: &str) -> String {
    pki().path(name).display().to_string()
}

fn run(bin: &Path, hsm: &SoftHsm, args: &[String]) -> Output {
    Command::new(bin)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SOFTHSM2_CONF", &hsm.conf)
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn session(hsm: &SoftHsm, fake: &FakeRolesAnywhere, key_args: &[String]) -> Vec<String> {
    let mut args = vec![
        "credential-process".to_string(),
        "--pkcs11-lib".into(),
        hsm.module.display().to_string(),
    ];
    args.extend_from_slice(key_args);
    args.extend(["--intermediates".into(), p("intermediate.pem")]);
    args.extend(fake.session_args());
    args
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn credentials_from_keys_on_the_token_and_the_same_request_as_the_helper() {
    let _one = TOKEN_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let hsm = softhsm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    for name in ["rsa", "p256", "p384"] {
        // The certificate on the token; its key found by CKA_ID.
        let by_cert = session(hsm, &fake, &strings(&["--certificate", &hsm.uri(name)]));
        // A certificate file and the key named by its URI.
        let by_key = session(
            hsm,
            &fake,
            &strings(&[
                "--certificate",
                &p(&format!("{name}.pem")),
                "--private-key",
                &hsm.uri(name),
            ]),
        );
        for args in [&by_cert, &by_key] {
            let out = run(Path::new(OURS), hsm, args);
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(v["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
        }
        // The helper on the same token: the same request (same second).
        let mut same = false;
        for _ in 0..10 {
            let before = fake.requests().len();
            let outs = [Path::new(OURS), aws_signing_helper().as_path()]
                .map(|bin| run(bin, hsm, &by_cert));
            for o in &outs {
                assert!(o.status.success(), "{name}: {o:?}");
            }
            let log = fake.requests();
            let [a, b]: [Value; 2] =
                [&log[before], &log[before + 1]].map(|l| serde_json::from_str(l).unwrap());
            if a["headers"]["x-amz-date"] != b["headers"]["x-amz-date"] {
                continue;
            }
            assert_eq!(a["canonical_request"], b["canonical_request"], "{name}");
            assert_eq!(a["headers"]["x-amz-x509"], b["headers"]["x-amz-x509"]);
            if name == "rsa" {
                assert_eq!(
                    a["headers"]["authorization"], b["headers"]["authorization"],
                    "RSA on the token signs the same bytes"
                );
            }
            same = true;
            break;
        }
        assert!(same, "{name}: never signed within the same second");
    }
}

#[test]
fn sign_string_on_the_token_equals_the_file_key() {
    let _one = TOKEN_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let hsm = softhsm();
    let on_token = run(
        Path::new(OURS),
        hsm,
        &strings(&[
            "sign-string",
            "the string",
            "--pkcs11-lib",
            &hsm.module.display().to_string(),
            "--private-key",
            &hsm.uri("rsa"),
            "--format",
            "text",
        ]),
    );
    assert!(on_token.status.success(), "{on_token:?}");
    let from_file = run(
        Path::new(OURS),
        hsm,
        &strings(&[
            "sign-string",
            "the string",
            "--private-key",
            &p("rsa.key"),
            "--format",
            "text",
        ]),
    );
    assert_eq!(
        on_token.stdout, from_file.stdout,
        "RSA PKCS#1 v1.5 is deterministic"
    );
}

#[test]
fn token_errors_are_one_line_and_nothing_is_sent() {
    let _one = TOKEN_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let hsm = softhsm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    let wrong_pin = format!("pkcs11:token={TOKEN};object=app-rsa?pin-value=0000");
    let missing = format!("pkcs11:token={TOKEN};object=nope?pin-value={PIN}");
    let no_pin = format!("pkcs11:token={TOKEN};object=app-rsa");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            strings(&["--certificate", &wrong_pin]),
            "the PIN is incorrect",
        ),
        (
            strings(&["--certificate", &missing]),
            "no certificate matches",
        ),
        (strings(&["--certificate", &no_pin]), "needs its user PIN"),
        (
            strings(&[
                "--certificate",
                &hsm.uri("rsa"),
                "--private-key",
                &hsm.uri("p256"),
            ]),
            "does not match the certificate",
        ),
    ];
    for (key_args, want) in cases {
        let out = run(Path::new(OURS), hsm, &session(hsm, &fake, &key_args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{want}: {err}");
        assert!(out.stdout.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{want:?} not in {err:?}");
    }
    // A module that does not exist.
    let mut args = session(hsm, &fake, &strings(&["--certificate", &hsm.uri("rsa")]));
    args[2] = "/nonexistent/libpkcs11.so".into();
    let out = run(Path::new(OURS), hsm, &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    // A URI without the module: a usage error (exit 1, as the helper's).
    let mut args = session(hsm, &fake, &strings(&["--certificate", &hsm.uri("rsa")]));
    args.drain(1..3);
    let out = run(Path::new(OURS), hsm, &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --pkcs11-lib"));
    assert!(fake.requests().is_empty(), "nothing was sent");
}
