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

/// Runs `bin` in a session of its own (`setsid`): without a controlling
/// terminal, a PIN prompt fails instead of waiting on the developer's.
fn run(bin: &Path, hsm: &SoftHsm, args: &[String]) -> Output {
    Command::new("setsid")
        .arg(bin)
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
        let (a, b) = fake
            .same_second_pair(|| {
                for bin in [Path::new(OURS), aws_signing_helper().as_path()] {
                    let o = run(bin, hsm, &by_cert);
                    assert!(o.status.success(), "{name}: {o:?}");
                }
            })
            .unwrap_or_else(|| panic!("{name}: never signed within the same second"));
        assert_eq!(a["canonical_request"], b["canonical_request"], "{name}");
        assert_eq!(a["headers"]["x-amz-x509"], b["headers"]["x-amz-x509"]);
        if name == "rsa" {
            assert_eq!(
                a["headers"]["authorization"], b["headers"]["authorization"],
                "RSA on the token signs the same bytes"
            );
        }
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

/// The subject of a test certificate, as read-certificate-data prints it.
fn subject(name: &str) -> String {
    let out = Command::new(OURS)
        .args([
            "read-certificate-data",
            "--certificate",
            &p(&format!("{name}.pem")),
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["subject"].as_str().unwrap().to_string()
}

#[test]
fn cert_selector_picks_the_certificate_on_the_token() {
    let _one = TOKEN_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let hsm = softhsm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    // The token and its PIN by URI; the certificate by selector.
    let token = format!("pkcs11:token={TOKEN}?pin-value={PIN}");
    let dir = std::env::temp_dir().join(format!("cert-selector-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["p256", "rsa"] {
        let subject = subject(name);
        let json = dir.join(format!("{name}.json"));
        std::fs::write(
            &json,
            serde_json::json!([{"Key": "x509Subject", "Value": subject}]).to_string(),
        )
        .unwrap();
        for selector in [
            format!("Key=x509Subject,Value={subject}"),
            format!("file://{}", json.display()),
        ] {
            let args = session(
                hsm,
                &fake,
                &strings(&["--cert-selector", &selector, "--private-key", &token]),
            );
            let out = run(Path::new(OURS), hsm, &args);
            assert!(
                out.status.success(),
                "{name} {selector}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let log = fake.requests();
            let last: Value = serde_json::from_str(log.last().unwrap()).unwrap();
            let cert = std::fs::read_to_string(p(&format!("{name}.pem"))).unwrap();
            let b64: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
            assert_eq!(
                last["headers"]["x-amz-x509"], b64,
                "{name}: the selected certificate was sent"
            );
        }
    }
    // All three share the issuer: ambiguous. A serial that is none of them.
    let issuer = {
        let out = Command::new(OURS)
            .args(["read-certificate-data", "--certificate", &p("p256.pem")])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["issuer"].as_str().unwrap().to_string()
    };
    for (selector, want) in [
        (
            format!("Key=x509Issuer,Value={issuer}"),
            "3 certificates on the token match",
        ),
        (
            "Key=x509Serial,Value=0badc0de".to_string(),
            "no certificate on the token matches",
        ),
        ("Key=x509Colour,Value=red".to_string(), "unknown key"),
    ] {
        let args = session(
            hsm,
            &fake,
            &strings(&["--cert-selector", &selector, "--private-key", &token]),
        );
        let out = run(Path::new(OURS), hsm, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{selector}: {err}");
        assert!(out.stdout.is_empty());
        assert!(err.contains(want), "{want:?} not in {err:?}");
    }
    // The Windows store's flag is refused by name.
    let args = session(
        hsm,
        &fake,
        &strings(&[
            "--certificate",
            &hsm.uri("rsa"),
            "--system-store-name",
            "MY",
        ]),
    );
    let out = run(Path::new(OURS), hsm, &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Windows"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_key_that_wants_its_pin_for_every_signature_takes_reuse_pin() {
    let _one = TOKEN_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let hsm = softhsm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    let always = format!("pkcs11:token={TOKEN};object=app-always?pin-value={PIN}");
    let key_args = strings(&["--certificate", &p("rsa.pem"), "--private-key", &always]);
    // Without --reuse-pin and without a terminal: a clear refusal.
    let out = run(Path::new(OURS), hsm, &session(hsm, &fake, &key_args));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("context-specific PIN"), "{err}");
    assert!(out.stdout.is_empty());
    // With it: the user PIN logs in for each signature.
    let mut args = session(hsm, &fake, &key_args);
    args.push("--reuse-pin".into());
    let out = run(Path::new(OURS), hsm, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same key without the attribute signs the same bytes (RSA PKCS#1
    // v1.5 is deterministic): sign-string through both.
    let sign = |uri: &str, extra: &[&str]| {
        let mut a = strings(&[
            "sign-string",
            "--pkcs11-lib",
            &hsm.module.display().to_string(),
            "--private-key",
            uri,
            "--certificate",
            &p("rsa.pem"),
            "--format",
            "text",
            "hello",
        ]);
        a.extend(extra.iter().map(|s| s.to_string()));
        let out = run(Path::new(OURS), hsm, &a);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    assert_eq!(sign(&always, &["--reuse-pin"]), sign(&hsm.uri("rsa"), &[]));
}

/// The PIN asked on the terminal: a pseudo-terminal (Python's `pty`)
/// plays the user, typing a wrong PIN, then the right one; neither is
/// echoed, and the credentials come out.
#[test]
fn the_pin_is_asked_on_the_terminal_without_echo() {
    let _one = TOKEN_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let hsm = softhsm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    let no_pin = format!("pkcs11:token={TOKEN};object=app-p256");
    let args = session(hsm, &fake, &strings(&["--certificate", &no_pin]));
    let mut argv = vec![OURS.to_string()];
    argv.extend(args);
    let conf = hsm.conf.display().to_string();
    let out = test_support::run_on_a_terminal(
        &argv,
        &[("SOFTHSM2_CONF", &conf)],
        &[
            ("Please enter your user PIN:", "9876"),
            ("Incorrect user PIN. Please re-enter your user PIN:", "1234"),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("\"AccessKeyId\""), "{text}");
    assert!(
        !text.contains("9876") && !text.contains("1234"),
        "a PIN was echoed: {text}"
    );
}

/// Two identities on one module in one process (a server with two roles):
/// the module is initialised once and the login is shared.
#[test]
fn two_identities_on_one_token_in_one_process() {
    let _one = TOKEN_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let hsm = softhsm();
    // SAFETY: the tests of this file run one at a time (TOKEN_IN_USE), and
    // the module reads the variable when it is initialised.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &hsm.conf) };
    let open = |name: &str| {
        let source = rolesanywhere::pkcs11::Pkcs11Source {
            module: hsm.module.clone(),
            certificate: rolesanywhere::pkcs11::CertificateLocation::File(
                pki().path(&format!("{name}.pem")),
            ),
            private_key: Some(rolesanywhere::pkcs11::Pkcs11Uri::parse(&hsm.uri(name)).unwrap()),
            pin: None,
            pin_prompt: None,
            reuse_pin: false,
        };
        rolesanywhere::pkcs11::open(&source).unwrap().1
    };
    let (rsa, p256) = (open("rsa"), open("p256"));
    for key in [&rsa, &p256, &rsa] {
        let sig = key
            .sign(b"hello", rolesanywhere::key::Digest::Sha256)
            .unwrap();
        assert!(!sig.is_empty());
    }
}

/// A token that lost its login (as after being removed and put back): the
/// next signature logs in again with the PIN it had, without a restart.
#[test]
fn a_lost_login_is_recovered_without_a_restart() {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    let _one = TOKEN_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let hsm = softhsm();
    // SAFETY: the tests of this file run one at a time (TOKEN_IN_USE).
    unsafe { std::env::set_var("SOFTHSM2_CONF", &hsm.conf) };
    let source = rolesanywhere::pkcs11::Pkcs11Source {
        module: hsm.module.clone(),
        certificate: rolesanywhere::pkcs11::CertificateLocation::File(pki().path("p256.pem")),
        private_key: Some(rolesanywhere::pkcs11::Pkcs11Uri::parse(&hsm.uri("p256")).unwrap()),
        pin: None,
        pin_prompt: None,
        reuse_pin: false,
    };
    let (_, key) = rolesanywhere::pkcs11::open(&source).unwrap();
    let sign = || key.sign(b"hello", rolesanywhere::key::Digest::Sha256);
    sign().unwrap();
    // Another session of this process logs the application out.
    let module = Pkcs11::new(&hsm.module).unwrap();
    let _ = module.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = module.get_slots_with_token().unwrap()[0];
    let other = module.open_ro_session(slot).unwrap();
    other.logout().unwrap();
    assert!(
        other.get_session_info().unwrap().session_state()
            == cryptoki::session::SessionState::RoPublic,
        "the logout took"
    );
    sign().expect("signing after the token lost its login");
}
