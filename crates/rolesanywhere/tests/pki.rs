//! Every key form of an openssl-made PKI, through CreateSession against a
//! local endpoint that verifies the chain, the serial, the date and the
//! signature with Python's `cryptography` (test-support).

use std::path::PathBuf;
use std::sync::Arc;

use cred_providers::transport::BlockingTransport;
use rolesanywhere::identity::{Identity, IdentitySource, Source};
use rolesanywhere::session::SessionParams;
use rolesanywhere::{Error, RolesAnywhereProvider, ServiceErrorKind};
use test_support::pki::{PASSWORD, pki};
use test_support::rolesanywhere::{ANCHOR_ARN, FakeRolesAnywhere, PROFILE_ARN, ROLE_ARN};
use zeroize::Zeroizing;

thread_local! {
    // One endpoint per test (tests run on their own threads), so each
    // test reads only its own requests in the log.
    static FAKE: &'static FakeRolesAnywhere =
        Box::leak(Box::new(FakeRolesAnywhere::start(&pki().path("root.pem"))));
}

fn fake() -> &'static FakeRolesAnywhere {
    FAKE.with(|f| *f)
}

fn p(name: &str) -> PathBuf {
    pki().path(name)
}

fn source(cert: &str, key: Option<&str>, inter: bool, password: bool) -> IdentitySource {
    IdentitySource {
        certificate: Source::path(p(cert)),
        private_key: key.map(|k| Source::path(p(k))),
        intermediates: inter.then(|| Source::path(p("intermediate.pem"))),
        password: password.then(|| Zeroizing::new(PASSWORD.to_string())),
    }
}

fn params(anchor: &str) -> SessionParams {
    builder(anchor).build().unwrap()
}

fn builder(anchor: &str) -> rolesanywhere::session::SessionParamsBuilder {
    SessionParams::builder(anchor, PROFILE_ARN, ROLE_ARN).endpoint(&fake().url)
}

fn session(src: &IdentitySource, anchor: &str) -> Result<cred_providers::Credentials, Error> {
    let identity = Identity::load(src)?;
    let provider = RolesAnywhereProvider::new(
        identity,
        params(anchor),
        Arc::new(BlockingTransport::default()),
    );
    pollster::block_on(provider.create_session())
}

fn logged_after<T>(f: impl FnOnce() -> T) -> (T, Vec<serde_json::Value>) {
    let before = fake().requests().len();
    let out = f();
    let all = fake().requests();
    let new = all[before.min(all.len())..]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out, new)
}

#[test]
fn every_key_form_gets_a_session_verified_independently() {
    let forms: &[(&str, Option<&str>, bool, bool)] = &[
        // (certificate, key, intermediates file, password)
        ("rsa.pem", Some("rsa.key"), true, false),
        ("rsa.pem", Some("rsa.trad.pem"), true, false),
        ("rsa.der", Some("rsa.trad.der"), true, false),
        ("rsa.pem", Some("rsa.pk8.der"), true, false),
        ("rsa.pem", Some("rsa.enc.pem"), true, true),
        ("rsa.pem", Some("rsa.scrypt.pem"), true, true),
        ("rsa.p12", None, false, true),
        ("p256.pem", Some("p256.key"), true, false),
        ("p256.pem", Some("p256.trad.pem"), true, false),
        ("p256.der", Some("p256.trad.der"), true, false),
        ("p256.pem", Some("p256.pk8.der"), true, false),
        ("p256.pem", Some("p256.enc.pem"), true, true),
        ("p256.pem", Some("p256.scrypt.pem"), true, true),
        ("p256.p12", None, false, true),
        ("p384.pem", Some("p384.key"), true, false),
        ("p384.pem", Some("p384.trad.pem"), true, false),
        ("p384.der", Some("p384.trad.der"), true, false),
        ("p384.pem", Some("p384.pk8.der"), true, false),
        ("p384.pem", Some("p384.enc.pem"), true, true),
        ("p384.pem", Some("p384.scrypt.pem"), true, true),
        ("p384.p12", None, false, true),
    ];
    for &(cert, key, inter, pw) in forms {
        let (result, log) = logged_after(|| session(&source(cert, key, inter, pw), ANCHOR_ARN));
        let creds = result.unwrap_or_else(|e| panic!("{cert} + {key:?}: {e}"));
        assert!(creds.access_key_id().starts_with("ASIA"), "{cert}");
        assert!(creds.session_token().is_some());
        assert!(creds.expiry().is_some());
        assert_eq!(creds.provider(), "rolesanywhere");
        assert_eq!(log.len(), 1, "{cert}: one request");
        let entry = &log[0];
        assert_eq!(entry["status"], 201, "{cert}: {}", entry["error"]);
        assert_eq!(entry["body"], "{\"durationSeconds\":3600}");
        let alg = if cert.starts_with("rsa") {
            "AWS4-X509-RSA-SHA256 "
        } else {
            "AWS4-X509-ECDSA-SHA256 "
        };
        let auth = entry["headers"]["authorization"].as_str().unwrap();
        assert!(auth.starts_with(alg), "{cert}: {auth}");
        // The chain is sent and signed: from the file, or from the bundle.
        assert!(
            entry["headers"]["x-amz-x509-chain"].is_string(),
            "{cert}: chain"
        );
        assert!(auth.contains("x-amz-x509-chain"), "{cert}");
    }
}

#[test]
fn without_the_intermediate_the_chain_does_not_reach_the_anchor() {
    let (result, log) = logged_after(|| {
        session(
            &source("p256.pem", Some("p256.key"), false, false),
            ANCHOR_ARN,
        )
    });
    match result {
        Err(Error::Service {
            kind: ServiceErrorKind::AccessDenied,
            status: 403,
            message,
        }) => assert!(message.contains("Untrusted"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(log[0]["headers"].get("x-amz-x509-chain").is_none());
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let err = session(
        &source("rogue.pem", Some("rogue.key"), false, false),
        ANCHOR_ARN,
    )
    .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Service {
                kind: ServiceErrorKind::AccessDenied,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_wrong_trust_anchor_is_a_typed_error_with_the_services_words() {
    let other = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/00000000-dead-beef-0000-000000000000";
    let err = session(&source("rsa.pem", Some("rsa.key"), true, false), other).unwrap_err();
    match &err {
        Error::Service {
            kind: ServiceErrorKind::ResourceNotFound,
            status: 404,
            message,
        } => assert_eq!(message, "Trust anchor not found"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("ResourceNotFoundException"));
}

#[test]
fn local_failures_happen_before_any_request() {
    let cases: Vec<(IdentitySource, &str)> = vec![
        (
            source("rsa.pem", Some("other.key"), true, false),
            "does not match",
        ),
        (
            source("rsa.pem", Some("p256.key"), true, false),
            "does not match",
        ),
        (
            source("rsa.pem", Some("rsa.enc.pem"), true, false),
            "passphrase",
        ),
        (
            IdentitySource {
                password: Some(Zeroizing::new("wrong".into())),
                ..source("rsa.pem", Some("rsa.enc.pem"), true, false)
            },
            "wrong passphrase",
        ),
        (
            IdentitySource {
                password: Some(Zeroizing::new("wrong".into())),
                ..source("rsa.p12", None, false, false)
            },
            "wrong passphrase for the PKCS#12 bundle",
        ),
        (
            source("missing.pem", Some("rsa.key"), true, false),
            "cannot read the certificate file",
        ),
        (
            source("rsa.pem", Some("missing.key"), true, false),
            "cannot read the private key file",
        ),
        (
            source("rsa.key", Some("rsa.key"), true, false),
            "not an X.509 certificate",
        ),
        (
            source("rsa.pem", Some("rsa.pem"), true, false),
            "no private key",
        ),
    ];
    for (src, want) in cases {
        let (result, log) = logged_after(|| session(&src, ANCHOR_ARN));
        let err = result.unwrap_err().to_string();
        assert!(err.contains(want), "{want:?} not in {err:?}");
        assert!(!err.contains("BEGIN"), "{err}");
        assert!(log.is_empty(), "{want}: nothing sent");
    }
    // An expired certificate: refused before sending.
    let (result, log) = logged_after(|| {
        session(
            &source("expired.pem", Some("expired.key"), true, false),
            ANCHOR_ARN,
        )
    });
    let err = result.unwrap_err().to_string();
    assert!(err.contains("expired at 2020-02-01T00:00:00Z"), "{err}");
    assert!(log.is_empty());
}

#[test]
fn ec_parameters_block_before_the_key_is_skipped() {
    let key = std::fs::read(p("p256.ecparam.pem")).unwrap();
    assert!(String::from_utf8_lossy(&key).contains("EC PARAMETERS"));
    let k = rolesanywhere::key::PrivateKey::from_bytes(&key, None).unwrap();
    assert_eq!(k.key_type(), rolesanywhere::cert::KeyType::P256);
}

#[test]
fn role_session_name_and_duration_go_in_the_body() {
    let identity = Identity::load(&source("p384.pem", Some("p384.key"), true, false)).unwrap();
    let params = builder(ANCHOR_ARN)
        .duration_seconds(900)
        .role_session_name("build-42")
        .build()
        .unwrap();
    let provider =
        RolesAnywhereProvider::new(identity, params, Arc::new(BlockingTransport::default()));
    let (result, log) = logged_after(|| pollster::block_on(provider.create_session()));
    result.unwrap();
    assert_eq!(
        log[0]["body"],
        "{\"durationSeconds\":900,\"roleSessionName\":\"build-42\"}"
    );
}

#[test]
fn a_full_chain_file_sends_the_leaf_only_once() {
    let dir = pki().path("fullchain");
    std::fs::create_dir_all(&dir).unwrap();
    let mut full = std::fs::read(p("rsa.pem")).unwrap();
    full.extend(std::fs::read(p("intermediate.pem")).unwrap());
    std::fs::write(dir.join("fullchain.pem"), &full).unwrap();
    let src = IdentitySource {
        intermediates: Some(Source::path(dir.join("fullchain.pem"))),
        ..source("rsa.pem", Some("rsa.key"), false, false)
    };
    let identity = Identity::load(&src).unwrap();
    assert_eq!(identity.chain.len(), 1);
    let (result, log) = logged_after(|| session(&src, ANCHOR_ARN));
    result.unwrap();
    let chain = log[0]["headers"]["x-amz-x509-chain"].as_str().unwrap();
    assert!(!chain.contains(','), "one intermediate: {chain}");
    assert_ne!(chain, log[0]["headers"]["x-amz-x509"].as_str().unwrap());
}
