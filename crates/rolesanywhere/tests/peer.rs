//! `rolesanywhere` beside AWS's own `aws_signing_helper` (built at its
//! pinned version by `scripts/peers`): the same inputs to both, against the
//! same CreateSession verifier (Python's `cryptography`), and what each
//! sends and prints compared. The README's table "same as
//! aws_signing_helper / differs" is what these tests assert.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use test_support::peers::aws_signing_helper;
use test_support::pki::{PASSWORD, pki};
use test_support::rolesanywhere::{ANCHOR_ARN, FakeRolesAnywhere, PROFILE_ARN, ROLE_ARN};

const OURS: &str = env!("CARGO_BIN_EXE_rolesanywhere");

fn p(name: &str) -> String {
    pki().path(name).display().to_string()
}

fn cmd(bin: &Path) -> Command {
    let mut c = Command::new(bin);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::null());
    c
}

fn both() -> [&'static Path; 2] {
    [Path::new(OURS), aws_signing_helper().as_path()]
}

fn session_args(fake: &FakeRolesAnywhere, cert: &str, key: &str, chain: bool) -> Vec<String> {
    let mut args = vec![
        "--certificate".to_string(),
        p(cert),
        "--private-key".into(),
        p(key),
    ];
    if chain {
        args.extend(["--intermediates".into(), p("intermediate.pem")]);
    }
    args.extend(fake.session_args());
    args
}

/// Fakes of a test's own (the tests run in parallel, and `pair` reads the
/// log): one whose trust anchor is the root (a leaf needs its
/// intermediate), one whose anchor is the issuing CA itself.
fn fakes() -> (FakeRolesAnywhere, FakeRolesAnywhere) {
    (
        FakeRolesAnywhere::start(&pki().path("root.pem")),
        FakeRolesAnywhere::start(&pki().path("intermediate.pem")),
    )
}

/// One logged CreateSession.
fn entry(line: &str) -> Value {
    serde_json::from_str(line).unwrap()
}

/// The JSON object's keys in the order printed.
fn key_order(stdout: &[u8]) -> Vec<String> {
    let v: serde_json::Map<String, Value> = serde_json::from_slice(stdout).unwrap();
    // serde_json keeps insertion order only with preserve_order; read the
    // raw text instead.
    let text = String::from_utf8_lossy(stdout);
    let mut keys: Vec<(usize, String)> = v
        .keys()
        .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

/// Runs `credential-process` with both tools until their requests carry
/// the same `X-Amz-Date` (the helper has no clock option); returns
/// (ours, theirs) outputs and logged requests.
fn pair(fake: &FakeRolesAnywhere, args: &[String]) -> ([Output; 2], [Value; 2]) {
    for _ in 0..10 {
        let before = fake.requests().len();
        let outs = both().map(|bin| {
            cmd(bin)
                .arg("credential-process")
                .args(args)
                .output()
                .unwrap()
        });
        let log = fake.requests();
        assert_eq!(log.len(), before + 2, "each tool sent one request");
        let logged = [entry(&log[before]), entry(&log[before + 1])];
        if logged[0]["headers"]["x-amz-date"] == logged[1]["headers"]["x-amz-date"] {
            return (outs, logged);
        }
    }
    panic!("the two tools never signed within the same second");
}

fn signed_headers(auth: &str) -> &str {
    auth.split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap()
}

#[test]
fn credential_process_sends_the_same_request_and_prints_the_same_keys() {
    let (root_anchor, issuer_anchor) = &fakes();
    let forms = [
        ("rsa.pem", "rsa.key"),        // PKCS#8
        ("rsa.pem", "rsa.trad.pem"),   // PKCS#1
        ("p256.pem", "p256.key"),      // PKCS#8
        ("p256.pem", "p256.trad.pem"), // SEC1
        ("p384.pem", "p384.key"),
        ("p384.pem", "p384.trad.pem"),
    ];
    let mut compared = 0;
    for (cert, key) in forms {
        // With the intermediate (anchor: the root) and without it (anchor:
        // the issuing CA).
        for (fake, chain) in [(root_anchor, true), (issuer_anchor, false)] {
            let what = format!("{key} (intermediates: {chain})");
            let ([ours, theirs], [a, b]) = pair(fake, &session_args(fake, cert, key, chain));
            assert!(ours.status.success(), "{what}: ours failed: {ours:?}");
            assert!(
                theirs.status.success(),
                "{what}: the helper failed: {theirs:?}"
            );
            assert_eq!(
                (&a["status"], &b["status"]),
                (&201.into(), &201.into()),
                "{what}"
            );
            assert_eq!(a["path"], b["path"], "{what}: path and query");
            assert_eq!(a["body"], b["body"], "{what}: body");
            let (ah, bh) = (&a["headers"], &b["headers"]);
            let (aa, ba) = (
                ah["authorization"].as_str().unwrap(),
                bh["authorization"].as_str().unwrap(),
            );
            assert_eq!(signed_headers(aa), signed_headers(ba), "{what}");
            assert_eq!(ah["content-type"], bh["content-type"], "{what}");
            assert_eq!(ah["x-amz-x509"], bh["x-amz-x509"], "{what}");
            assert_eq!(ah["x-amz-x509-chain"], bh["x-amz-x509-chain"], "{what}");
            assert_eq!(bh.get("x-amz-x509-chain").is_some(), chain, "{what}");
            assert_eq!(a["canonical_request"], b["canonical_request"], "{what}");
            // How the body travels differs: Go's client chunks it.
            assert_eq!(bh["transfer-encoding"], "chunked", "{what}");
            assert_eq!(ah["content-length"], "24", "{what}");
            assert_eq!(a["string_to_sign"], b["string_to_sign"], "{what}");
            if key.starts_with("rsa") {
                // PKCS#1 v1.5 is deterministic: the very same Authorization.
                assert_eq!(aa, ba, "{what}");
            }
            assert_eq!(
                key_order(&ours.stdout),
                key_order(&theirs.stdout),
                "{what}: credential-process keys"
            );
            assert_eq!(
                key_order(&ours.stdout),
                [
                    "Version",
                    "AccessKeyId",
                    "SecretAccessKey",
                    "SessionToken",
                    "Expiration"
                ]
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 12);
}

#[test]
fn key_forms_only_ours_reads() {
    // DER keys, encrypted PKCS#8 and a PKCS#12 bundle made by OpenSSL 3
    // (PBES2/AES, SHA-256 MAC): the helper (v1.4.0) cannot read them.
    let (fake, _) = &fakes();
    let cases: [(&str, &[&str]); 4] = [
        ("rsa.trad.der", &["--private-key", "rsa.trad.der"]),
        ("p256.pk8.der", &["--private-key", "p256.pk8.der"]),
        (
            "rsa.enc.pem",
            &["--private-key", "rsa.enc.pem", "--pkcs8-password", PASSWORD],
        ),
        ("rsa.p12", &["--pkcs8-password", PASSWORD]),
    ];
    for (name, extra) in cases {
        let cert = if name.ends_with(".p12") {
            "rsa.p12"
        } else if name.starts_with("rsa") {
            "rsa.pem"
        } else {
            "p256.pem"
        };
        let common = |with_password: bool| {
            let mut args = vec![
                "credential-process".to_string(),
                "--certificate".into(),
                p(cert),
                "--intermediates".into(),
                p("intermediate.pem"),
                "--trust-anchor-arn".into(),
                ANCHOR_ARN.into(),
                "--profile-arn".into(),
                PROFILE_ARN.into(),
                "--role-arn".into(),
                ROLE_ARN.into(),
                "--endpoint".into(),
                fake.url.clone(),
            ];
            let mut it = extra.iter();
            while let Some(flag) = it.next() {
                let value = it.next().unwrap();
                if *flag == "--pkcs8-password" && !with_password {
                    continue;
                }
                args.push(flag.to_string());
                args.push(if *flag == "--private-key" {
                    p(value)
                } else {
                    value.to_string()
                });
            }
            args
        };
        let ours = cmd(Path::new(OURS)).args(common(true)).output().unwrap();
        assert!(ours.status.success(), "{name}: {ours:?}");
        // The helper has no passphrase flag; it refuses the file.
        let theirs = cmd(aws_signing_helper())
            .args(common(false))
            .output()
            .unwrap();
        assert_eq!(theirs.status.code(), Some(1), "{name}: {theirs:?}");
        assert!(theirs.stdout.is_empty(), "{name}");
    }
}

#[test]
fn read_certificate_data_prints_the_helpers_fields_with_the_same_values() {
    for (name, key_type, algorithms) in [
        ("rsa", "RSA", ["RSASHA256", "RSASHA384", "RSASHA512"]),
        ("p256", "EC", ["ECSHA256", "ECSHA384", "ECSHA512"]),
        ("p384", "EC", ["ECSHA256", "ECSHA384", "ECSHA512"]),
    ] {
        let [ours, theirs] = both().map(|bin| {
            let out = cmd(bin)
                .args([
                    "read-certificate-data",
                    "--certificate",
                    &p(&format!("{name}.pem")),
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            serde_json::from_slice::<serde_json::Map<String, Value>>(&out.stdout).unwrap()
        });
        assert_eq!(theirs.len(), 4, "{theirs:?}");
        for (field, value) in &theirs {
            assert_eq!(ours.get(field), Some(value), "{name}: {field}");
        }
        assert_eq!(theirs["keyType"], key_type);
        assert_eq!(theirs["supportedAlgorithms"], serde_json::json!(algorithms));
        // Ours adds the fields a trust policy is written from.
        for extra in [
            "issuer",
            "subject",
            "notBefore",
            "notAfter",
            "subjectAlternativeNames",
            "principalTags",
        ] {
            assert!(ours.contains_key(extra), "{name}: {extra}");
        }
    }
}

/// Verifies `sig_hex` over the helper's fixed test string with Python's
/// `cryptography` (the string derived there from the certificate's key).
fn verifies_fixed_string(cert: &str, digest: &str, sig_hex: &str) -> bool {
    let script = r#"
import sys, hashlib
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
key = cert.public_key()
if isinstance(key, rsa.RSAPublicKey):
    raw = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
else:
    raw = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
msg = b"AWS Roles Anywhere Credential Helper Signing Test" + b"1" + hashlib.sha256(b"IAM RA" + raw).digest()
h = {"SHA256": hashes.SHA256(), "SHA384": hashes.SHA384(), "SHA512": hashes.SHA512()}[sys.argv[2]]
sig = bytes.fromhex(sys.argv[3])
if isinstance(key, rsa.RSAPublicKey):
    key.verify(sig, msg, padding.PKCS1v15(), h)
else:
    key.verify(sig, msg, ec.ECDSA(h))
"#;
    Command::new("python3")
        .args(["-c", script, cert, digest, sig_hex])
        .output()
        .expect("python3 with cryptography")
        .status
        .success()
}

#[test]
fn sign_string_signs_the_helpers_fixed_string() {
    for name in ["rsa", "p256", "p384"] {
        for digest in ["SHA256", "SHA384", "SHA512"] {
            let [ours, theirs] = both().map(|bin| {
                let out = cmd(bin)
                    .args([
                        "sign-string",
                        "--certificate",
                        &p(&format!("{name}.pem")),
                        "--private-key",
                        &p(&format!("{name}.key")),
                        "--digest",
                        digest,
                        "--format",
                        "text",
                    ])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{out:?}");
                String::from_utf8(out.stdout).unwrap()
            });
            let cert = p(&format!("{name}.pem"));
            assert!(
                verifies_fixed_string(&cert, digest, &ours),
                "{name} {digest}: ours"
            );
            assert!(
                verifies_fixed_string(&cert, digest, &theirs),
                "{name} {digest}: theirs"
            );
            if name == "rsa" {
                assert_eq!(ours, theirs, "{name} {digest}");
            }
        }
    }
    // The check can fail: another key's signature does not verify.
    let other = cmd(Path::new(OURS))
        .args([
            "sign-string",
            "--private-key",
            &p("p256.key"),
            "--format",
            "text",
        ])
        .output()
        .unwrap();
    let other = String::from_utf8(other.stdout).unwrap();
    assert!(!verifies_fixed_string(&p("p384.pem"), "SHA256", &other));
}

#[test]
fn the_same_bad_inputs_fail_the_same_way() {
    let (fake, _) = &fakes();
    let good = session_args(fake, "rsa.pem", "rsa.key", true);
    let with = |flag: &str, value: &str| -> Vec<String> {
        let mut args = good.clone();
        let i = args.iter().position(|a| a == flag).unwrap();
        args[i + 1] = value.into();
        args
    };
    let without = |flag: &str| -> Vec<String> {
        let mut args = good.clone();
        let i = args.iter().position(|a| a == flag).unwrap();
        args.drain(i..i + 2);
        args
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "a missing certificate file",
            with("--certificate", &p("nope.pem")),
        ),
        ("a missing key file", with("--private-key", &p("nope.key"))),
        (
            "a key of another certificate",
            with("--private-key", &p("p256.key")),
        ),
        (
            "an unreachable endpoint",
            with("--endpoint", "http://127.0.0.1:1"),
        ),
        (
            "a malformed trust anchor ARN",
            with("--trust-anchor-arn", "not-an-arn"),
        ),
        ("no role ARN", without("--role-arn")),
        ("a certificate from another CA", {
            let mut a = with("--certificate", &p("rogue.pem"));
            let i = a.iter().position(|x| x == "--private-key").unwrap();
            a[i + 1] = p("rogue.key");
            a
        }),
        ("an expired certificate", {
            let mut a = with("--certificate", &p("expired.pem"));
            let i = a.iter().position(|x| x == "--private-key").unwrap();
            a[i + 1] = p("expired.key");
            a
        }),
    ];
    for (what, args) in cases {
        for bin in both() {
            let out = cmd(bin)
                .arg("credential-process")
                .args(&args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{what}: {bin:?}: {out:?}");
            assert!(out.stdout.is_empty(), "{what}: {bin:?}");
            assert!(!out.stderr.is_empty(), "{what}: {bin:?}");
        }
    }
    // An unknown flag: a usage error, 2 for ours (as every command of this
    // project), 1 for the helper; nothing on stdout from either.
    let [ours, theirs] = both().map(|bin| {
        cmd(bin)
            .args(["credential-process", "--bogus"])
            .output()
            .unwrap()
    });
    assert_eq!(
        (ours.status.code(), theirs.status.code()),
        (Some(2), Some(1))
    );
    assert!(ours.stdout.is_empty() && theirs.stdout.is_empty());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 exchange; (status, body).
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Content-Length: 0\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_answers_the_same_imds_paths_with_the_same_shapes() {
    let (fake, _) = &fakes();
    let mut answers = Vec::new();
    for bin in both() {
        let port = free_port();
        let _child = Killed(
            cmd(bin)
                .arg("serve")
                .args(session_args(fake, "p256.pem", "p256.key", true))
                .args(["--port", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "{bin:?} serve did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let (status, token) = http(
            port,
            "PUT",
            "/latest/api/token",
            &[("X-aws-ec2-metadata-token-ttl-seconds", "60")],
        );
        assert_eq!(status, 200, "{bin:?}");
        let auth = [("X-aws-ec2-metadata-token", token.as_str())];
        let (status, name) = http(
            port,
            "GET",
            "/latest/meta-data/iam/security-credentials/",
            &auth,
        );
        assert_eq!(status, 200, "{bin:?}");
        let (status, creds) = http(
            port,
            "GET",
            &format!("/latest/meta-data/iam/security-credentials/{}", name.trim()),
            &auth,
        );
        assert_eq!(status, 200, "{bin:?}: {creds}");
        // Without a token: refused (IMDSv2 only).
        let (no_token, _) = http(
            port,
            "GET",
            "/latest/meta-data/iam/security-credentials/",
            &[],
        );
        answers.push((
            name.trim().to_string(),
            key_order(creds.as_bytes()),
            no_token,
            creds,
        ));
    }
    let (ours, theirs) = (&answers[0], &answers[1]);
    assert_eq!(ours.0, theirs.0, "the role name listed");
    assert_eq!(ours.1, theirs.1, "the credential document's keys");
    assert_eq!(ours.2, theirs.2, "a request without a token");
    for (_, _, _, creds) in &answers {
        let v: Value = serde_json::from_str(creds).unwrap();
        assert_eq!(v["Code"], "Success");
        assert_eq!(v["Type"], "AWS-HMAC");
    }
}

#[test]
fn update_writes_the_same_profile() {
    let (fake, _) = &fakes();
    let mut files = Vec::new();
    for (i, bin) in both().into_iter().enumerate() {
        let file =
            std::env::temp_dir().join(format!("peer-credentials-{}-{i}", std::process::id()));
        std::fs::write(&file, "[keep]\naws_access_key_id = AKIAKEEP\n").unwrap();
        let out = cmd(bin)
            .env("AWS_SHARED_CREDENTIALS_FILE", &file)
            .arg("update")
            .args(session_args(fake, "rsa.pem", "rsa.key", true))
            .args(["--profile", "ra", "--once"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{bin:?}: {out:?}");
        files.push(std::fs::read_to_string(&file).unwrap());
        let _ = std::fs::remove_file(&file);
    }
    // The same sections and keys, in the same order (values differ: each
    // run has its own session).
    let shape = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split('=').next().unwrap().trim().to_string())
            .collect()
    };
    assert_eq!(shape(&files[0]), shape(&files[1]), "{files:?}");
    assert!(files[0].contains("[keep]\naws_access_key_id = AKIAKEEP"));
}
