//! Post-quantum Roles Anywhere: ML-DSA-44/65/87 certificates and seed
//! keys (made by Python's `cryptography`, `mldsa_pki.py`), CreateSession
//! signed with `AWS4-X509-MLDSA` and verified by the fake's independent
//! FIPS 204 implementation (cryptography's, from its OpenSSL), and the
//! keys that must be refused before anything is sent.

use std::process::{Command, Output, Stdio};

use serde_json::Value;
use test_support::pki::{PASSWORD, pki};
use test_support::rolesanywhere::FakeRolesAnywhere;

const BIN: &str = env!("CARGO_BIN_EXE_rolesanywhere");

fn p(name: &str) -> String {
    pki().path(name).display().to_string()
}

fn run(args: &[String]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn session(fake: &FakeRolesAnywhere, cert: &str, key: &str, intermediates: &str) -> Vec<String> {
    let mut args = vec![
        "credential-process".to_string(),
        "--certificate".into(),
        p(cert),
        "--private-key".into(),
        p(key),
        "--intermediates".into(),
        p(intermediates),
    ];
    args.extend(fake.session_args());
    args
}

/// The signature's hex digits in an `Authorization` header.
fn signature_len(auth: &str) -> usize {
    auth.rsplit("Signature=").next().unwrap().len() / 2
}

#[test]
fn credentials_for_every_parameter_set_plain_and_encrypted_keys() {
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    for (bits, sig_len) in [("44", 2420), ("65", 3309), ("87", 4627)] {
        for encrypted in [false, true] {
            let key = if encrypted {
                format!("mldsa{bits}.enc.pem")
            } else {
                format!("mldsa{bits}.key")
            };
            let mut args = session(&fake, &format!("mldsa{bits}.pem"), &key, "intermediate.pem");
            if encrypted {
                args.extend(["--pkcs8-password".into(), PASSWORD.into()]);
            }
            let out = run(&args);
            assert!(
                out.status.success(),
                "ML-DSA-{bits} ({key}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let creds: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(creds["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
            let logged: Value = serde_json::from_str(fake.requests().last().unwrap()).unwrap();
            assert_eq!(logged["status"], 201);
            let auth = logged["headers"]["authorization"].as_str().unwrap();
            assert!(auth.starts_with("AWS4-X509-MLDSA Credential="), "{auth}");
            assert_eq!(signature_len(auth), sig_len, "ML-DSA-{bits}");
        }
    }
}

#[test]
fn a_chain_of_ml_dsa_signatures() {
    // An ML-DSA-44 leaf issued by an ML-DSA-65 CA under the RSA root.
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    let out = run(&session(
        &fake,
        "mldsa-ca-leaf.pem",
        "mldsa-ca-leaf.key",
        "mldsa-ca.pem",
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The check can fail: without the ML-DSA CA there is no path.
    let out = run(&session(
        &fake,
        "mldsa-ca-leaf.pem",
        "mldsa-ca-leaf.key",
        "intermediate.pem",
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no path to the trust anchor"));
}

#[test]
fn read_certificate_data_reports_the_parameter_set() {
    for bits in ["44", "65", "87"] {
        let out = run(&[
            "read-certificate-data".into(),
            "--certificate".into(),
            p(&format!("mldsa{bits}.pem")),
        ]);
        assert!(out.status.success(), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["keyType"], format!("ML-DSA-{bits}"));
        assert_eq!(
            v["supportedAlgorithms"],
            serde_json::json!([format!("ML-DSA-{bits}")])
        );
        // The certificate as openssl reads it (it knows no ML-DSA, but the
        // DER and serial are plain X.509).
        let serial = Command::new("openssl")
            .args([
                "x509",
                "-noout",
                "-serial",
                "-in",
                &p(&format!("mldsa{bits}.pem")),
            ])
            .output()
            .unwrap();
        let hex = String::from_utf8_lossy(&serial.stdout)
            .trim()
            .trim_start_matches("serial=")
            .to_string();
        let decimal = Command::new("python3")
            .args(["-c", &format!("print(int('{hex}', 16))")])
            .output()
            .unwrap();
        assert_eq!(
            v["serialNumber"].as_str().unwrap(),
            String::from_utf8_lossy(&decimal.stdout).trim()
        );
    }
}

/// Verifies `sig_hex` over `message` with the certificate's ML-DSA key,
/// by Python's `cryptography`.
fn verifies(cert: &str, message: &str, sig_hex: &str) -> bool {
    let script = "import sys\nfrom cryptography import x509\ncert = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())\ncert.public_key().verify(bytes.fromhex(sys.argv[3]), sys.argv[2].encode())\n";
    Command::new("python3")
        .args(["-c", script, cert, message, sig_hex])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn sign_string_is_pure_deterministic_ml_dsa() {
    for bits in ["44", "65", "87"] {
        let sign = |extra: &[&str]| {
            let mut args = vec![
                "sign-string".to_string(),
                "--private-key".into(),
                p(&format!("mldsa{bits}.key")),
                "--format".into(),
                "text".into(),
            ];
            args.extend(extra.iter().map(|s| s.to_string()));
            let out = run(&args);
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        let cert = p(&format!("mldsa{bits}.pem"));
        let given = sign(&["a string to sign"]);
        assert!(verifies(&cert, "a string to sign", &given), "ML-DSA-{bits}");
        assert!(!verifies(&cert, "another string", &given));
        assert_eq!(given, sign(&["a string to sign"]), "deterministic");
        // The helper's fixed test string carries no key digest for ML-DSA.
        let fixed = sign(&[]);
        assert!(verifies(
            &cert,
            "AWS Roles Anywhere Credential Helper Signing Test1",
            &fixed
        ));
    }
}

#[test]
fn keys_that_cannot_sign_are_refused_before_anything_is_sent() {
    let fake = FakeRolesAnywhere::start(&pki().path("root.pem"));
    for (key, want) in [
        (
            "mldsa44.key",
            "the private key does not match the certificate",
        ),
        ("mldsa-bad-truncated.der", "seed is 31 bytes; it must be 32"),
        ("mldsa-bad-expanded.der", "holds only the expanded key"),
        (
            "mldsa-bad-oid.der",
            "2.16.840.1.101.3.4.3.20 is not supported",
        ),
    ] {
        let out = run(&session(&fake, "mldsa65.pem", key, "intermediate.pem"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{key}: {err}");
        assert!(out.stdout.is_empty(), "{key}");
        assert_eq!(err.lines().count(), 1, "{key}: {err}");
        assert!(err.contains(want), "{key}: {want:?} not in {err:?}");
    }
    assert!(fake.requests().is_empty(), "nothing was sent");
}
