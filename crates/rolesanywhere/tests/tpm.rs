//! Keys in a TPM 2.0: swtpm (Debian) holding keys made by tpm2-openssl and
//! tpm2-tools (see `test_support::swtpm`), used by `rolesanywhere` and by
//! AWS's `aws_signing_helper` (its TPM support, go-tpm) against the same
//! verifying CreateSession endpoint.
#![cfg(feature = "tpm")]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use test_support::peers::aws_signing_helper;
use test_support::pki::pki;
use test_support::rolesanywhere::{FakeRolesAnywhere, imds_read, port_of, start_serve};
use test_support::swtpm::{HANDLE, HANDLE_PW, KEY_PASSWORD, Swtpm, swtpm};

const OURS: &str = env!("CARGO_BIN_EXE_rolesanywhere");

/// One test at a time on the TPM: swtpm serves one connection at a time,
/// and the reboot test must not cut another test's signature.
static TPM_IN_USE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn p(name: &str) -> String {
    pki().path(name).display().to_string()
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Our command, in a session of its own (`setsid`: no terminal, so a
/// password prompt fails instead of waiting), the TPM named by the TSS's
/// `TPM2TOOLS_TCTI` (the helper takes `TPM_DEVICE`, the forwarded Unix
/// socket).
fn command(bin: &Path, tpm: &Swtpm) -> Command {
    let mut c = Command::new("setsid");
    c.arg(bin)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::null())
        .env("TPM2TOOLS_TCTI", &tpm.tcti);
    c
}

/// Runs ours without a terminal; the helper on one (a pseudo-terminal
/// that types nothing): it opens `/dev/tty` before it knows whether a
/// password is needed, and fails without one.
fn run(bin: &Path, tpm: &Swtpm, args: &[String]) -> Output {
    if bin == Path::new(OURS) {
        return command(bin, tpm).args(args).output().unwrap();
    }
    let mut argv = vec![bin.display().to_string()];
    argv.extend_from_slice(args);
    let socket = tpm.socket.display().to_string();
    test_support::run_on_a_terminal(&argv, &[("TPM_DEVICE", &socket)], &[])
}

fn session(fake: &FakeRolesAnywhere, key_args: &[String]) -> Vec<String> {
    let mut args = vec!["credential-process".to_string()];
    args.extend_from_slice(key_args);
    args.extend(["--intermediates".into(), p("intermediate.pem")]);
    args.extend(fake.session_args());
    args
}

/// `--certificate NAME.pem --private-key KEY` and the password flags.
fn key_args(name: &str, key: &str, password: Option<&str>) -> Vec<String> {
    let mut a = strings(&[
        "--certificate",
        &p(&format!("{name}.pem")),
        "--private-key",
        key,
    ]);
    match password {
        Some(pw) => a.extend(strings(&["--tpm-key-password", pw])),
        None if key.starts_with("handle:") => a.push("--no-tpm-key-password".into()),
        None => {}
    }
    a
}

/// Every key form: credentials through the verifying endpoint, and the
/// helper on the same key sends the same request (the same signature for
/// RSA, which is deterministic).
#[test]
fn credentials_from_tpm_keys_and_the_same_request_as_the_helper() {
    let _one = TPM_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let tpm = swtpm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    let cases = [
        ("tpm-rsa", p("tpm-rsa.key"), None),
        ("tpm-p256", p("tpm-p256.key"), None),
        ("tpm-p384", p("tpm-p384.key"), None),
        ("tpm-p256-parent", p("tpm-p256-parent.key"), None),
        ("tpm-p256-pw", p("tpm-p256-pw.key"), Some(KEY_PASSWORD)),
        ("tpm-handle", HANDLE.to_string(), None),
        ("tpm-handle-pw", HANDLE_PW.to_string(), Some(KEY_PASSWORD)),
    ];
    for (name, key, password) in cases {
        let args = session(&fake, &key_args(name, &key, password));
        let out = run(Path::new(OURS), tpm, &args);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
        let (a, b) = fake
            .same_second_pair(|| {
                for bin in [Path::new(OURS), aws_signing_helper().as_path()] {
                    let o = run(bin, tpm, &args);
                    assert!(o.status.success(), "{name}: {o:?}");
                }
            })
            .unwrap_or_else(|| panic!("{name}: never signed within the same second"));
        assert_eq!(a["canonical_request"], b["canonical_request"], "{name}");
        if name.contains("rsa") || name == "tpm-handle-pw" {
            assert_eq!(
                a["headers"]["authorization"], b["headers"]["authorization"],
                "{name}: RSA in the TPM signs the same bytes"
            );
        }
    }
}

/// sign-string in the TPM: the signature verifies with the certificate's
/// key (openssl), and the helper's signature of its fixed test string is
/// ours for RSA.
#[test]
fn sign_string_in_the_tpm_verifies_with_the_certificate() {
    let _one = TPM_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let tpm = swtpm();
    let dir = pki().path("tpm-sign-string");
    std::fs::create_dir_all(&dir).unwrap();
    let message = dir.join("message");
    std::fs::write(&message, b"the string").unwrap();
    for (name, key) in [
        ("tpm-rsa", p("tpm-rsa.key")),
        ("tpm-p384", p("tpm-p384.key")),
    ] {
        let args = strings(&[
            "sign-string",
            "the string",
            "--private-key",
            &key,
            "--format",
        ]);
        let bin_args = [args.clone(), strings(&["bin"])].concat();
        let out = run(Path::new(OURS), tpm, &bin_args);
        assert!(out.status.success(), "{out:?}");
        let sig = dir.join(format!("{name}.sig"));
        std::fs::write(&sig, &out.stdout).unwrap();
        let pubkey = dir.join(format!("{name}.pub"));
        let status = Command::new("openssl")
            .args([
                "x509",
                "-noout",
                "-pubkey",
                "-in",
                &p(&format!("{name}.pem")),
                "-out",
            ])
            .arg(&pubkey)
            .status()
            .unwrap();
        assert!(status.success());
        let verify = Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(&pubkey)
            .arg("-signature")
            .arg(&sig)
            .arg(&message)
            .output()
            .unwrap();
        assert!(verify.status.success(), "{name}: {verify:?}");
        if name == "tpm-rsa" {
            // The helper signs only its fixed test string (no argument).
            let text_args = strings(&["sign-string", "--private-key", &key, "--format", "text"]);
            let [ours, helper] = [Path::new(OURS), aws_signing_helper().as_path()]
                .map(|bin| run(bin, tpm, &text_args));
            assert!(helper.status.success(), "{helper:?}");
            assert_eq!(
                String::from_utf8_lossy(&ours.stdout).trim(),
                String::from_utf8_lossy(&helper.stdout).trim()
            );
        }
    }
}

/// The password asked on the terminal: a pseudo-terminal plays the user,
/// typing a wrong password, then the right one; neither is echoed.
#[test]
fn the_password_is_asked_on_the_terminal_without_echo() {
    let _one = TPM_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let tpm = swtpm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    let mut argv = vec![OURS.to_string()];
    argv.extend(session(
        &fake,
        &key_args("tpm-p256-pw", &p("tpm-p256-pw.key"), None),
    ));
    let out = test_support::run_on_a_terminal(
        &argv,
        &[("TPM2TOOLS_TCTI", &tpm.tcti)],
        &[
            ("Please enter your TPM key password:", "not it"),
            (
                "Incorrect TPM key password. Please re-enter your TPM key password:",
                KEY_PASSWORD,
            ),
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
        !text.contains("not it") && !text.contains(KEY_PASSWORD),
        "a password was echoed: {text}"
    );
}

/// A key file whose private blob was changed: it no longer loads.
fn corrupted_key_file() -> String {
    use base64::Engine;
    let pem = std::fs::read_to_string(pki().path("tpm-p256.key")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let last = der.len() - 10;
    der[last] ^= 0x55;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let path = pki().path("tpm-corrupted.key");
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    std::fs::write(
        &path,
        format!(
            "-----BEGIN TSS2 PRIVATE KEY-----\n{}\n-----END TSS2 PRIVATE KEY-----\n",
            lines.join("\n")
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn tpm_errors_are_one_line_and_nothing_is_sent() {
    let _one = TPM_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let tpm = swtpm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    let pw_key = p("tpm-p256-pw.key");
    let corrupted = corrupted_key_file();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            key_args("tpm-p256-pw", &pw_key, Some("wrong")),
            "incorrect TPM key password",
        ),
        (
            key_args("tpm-p256-pw", &pw_key, None),
            "give --tpm-key-password",
        ),
        (
            key_args("tpm-p256", &p("tpm-p256.key"), Some("unneeded")),
            "says the key has none",
        ),
        (
            key_args("tpm-rsa", &p("tpm-p256.key"), None),
            "does not match the certificate",
        ),
        (
            key_args("tpm-p256-pw", &p("tpm-p256.key"), None),
            "does not match the certificate",
        ),
        (
            key_args("tpm-handle-pw", HANDLE_PW, None),
            "the key has a password",
        ),
        (
            key_args("tpm-handle", "handle:0x81000999", None),
            "no key at persistent handle 0x81000999",
        ),
        (
            key_args("tpm-handle", "handle:0x01000001", None),
            "is not a persistent handle",
        ),
        (
            key_args("tpm-handle", "handle:81zz", None),
            "bad TPM handle",
        ),
        (
            key_args("tpm-rsa", &p("tpm-decrypt.key"), None),
            "cannot sign",
        ),
        (
            key_args("tpm-p256", &corrupted, None),
            "does not load under its parent 0x40000001",
        ),
        (
            [
                key_args("tpm-handle", HANDLE, Some("x")),
                strings(&["--no-tpm-key-password"]),
            ]
            .concat(),
            "exclude each other",
        ),
        (
            key_args("p256", &p("p256.key"), Some("x")),
            "--tpm-key-password applies to TPM keys",
        ),
    ];
    for (key_args, want) in cases {
        let out = run(Path::new(OURS), tpm, &session(&fake, &key_args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{want}: {err}");
        assert!(out.stdout.is_empty(), "{want}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{want:?} not in {err:?}");
    }
    // No TPM where the configuration points.
    let out = command(Path::new(OURS), tpm)
        .env("TPM2TOOLS_TCTI", "swtpm:host=127.0.0.1,port=1")
        .args(session(
            &fake,
            &key_args("tpm-p256", &p("tpm-p256.key"), None),
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot open the TPM"), "{err}");
    assert!(fake.requests().is_empty(), "nothing was sent");
}

/// `serve` keeps refreshing with the key in the TPM, and a TPM rebooted
/// between two refreshes (every loaded object gone) is simply used again.
#[test]
fn serve_refreshes_with_the_tpm_across_a_reboot() {
    let _one = TPM_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let tpm = swtpm();
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    // Credentials that live 4 seconds: refreshed at half their life.
    fake.expire_after(4);
    let mut args = strings(&["serve", "--port", "0"]);
    args.extend(key_args(
        "tpm-p256-pw",
        &p("tpm-p256-pw.key"),
        Some(KEY_PASSWORD),
    ));
    args.extend(["--intermediates".into(), p("intermediate.pem")]);
    args.extend(fake.session_args());
    let mut serve = command(Path::new(OURS), tpm);
    serve.args(&args).stdout(Stdio::null());
    let (mut child, url) = start_serve(serve);
    let port = port_of(&url);
    let akid = |body: &str| {
        let v: Value = serde_json::from_str(body).unwrap();
        v["AccessKeyId"].as_str().unwrap().to_string()
    };
    let (status, body) = imds_read(port);
    assert_eq!(status, 200, "{body}");
    let first = akid(&body);
    tpm.reboot();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut later = first.clone();
    while later == first && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        let (status, body) = imds_read(port);
        if status == 200 {
            later = akid(&body);
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_ne!(later, first, "no refresh after the TPM rebooted");
    assert!(fake.requests().len() >= 2);
}
