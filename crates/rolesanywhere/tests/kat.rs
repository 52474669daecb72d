//! The known-answer vector: a CreateSession request that the official
//! aws_signing_helper 1.1.1 signed with an RSA key (testdata/kat, Apache-2.0,
//! see its SOURCE.md). RSA PKCS#1 v1.5 is deterministic, so the canonical
//! request, string to sign and signature must match byte for byte.

use std::path::Path;

use rolesanywhere::cert::EndEntity;
use rolesanywhere::key::PrivateKey;
use rolesanywhere::session::{SessionParams, create_session_request};
use rolesanywhere::signer::X509Signer;
use serde_json::Value;
use sigv4_core::Trace;
use x509_cert::der::pem;

fn kat(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/kat")
            .join(file),
    )
    .unwrap()
}

#[test]
fn reproduces_the_official_helpers_request() {
    let v: Value = serde_json::from_slice(&kat("rsa-create-session.json")).unwrap();
    let s = |k: &str| v[k].as_str().unwrap().to_string();
    let cert = EndEntity::from_bytes(&kat("alice-cert.crt")).unwrap();
    assert_eq!(cert.serial_decimal(), s("certificate_serial_decimal"));
    assert_eq!(
        cert.header_value(),
        v["headers"]["X-Amz-X509"].as_str().unwrap()
    );
    let key_pem = kat("alice-cert.key");
    let (label, key_der) = pem::decode_vec(&key_pem).unwrap();
    assert_eq!(label, "PRIVATE KEY");
    let mut signer = X509Signer::new(
        PrivateKey::from_pkcs8(&key_der).unwrap(),
        cert.serial_decimal(),
    );
    let params = SessionParams::builder(s("trust_anchor_arn"), s("profile_arn"), s("role_arn"))
        .region(s("region"))
        .endpoint(s("endpoint"))
        .build()
        .unwrap();
    let (mut creq, mut sts) = (Vec::new(), Vec::new());
    let req = create_session_request(
        &params,
        &cert,
        &[],
        &mut signer,
        s("amz_date").parse().unwrap(),
        Some(Trace {
            canonical_request: &mut creq,
            string_to_sign: &mut sts,
        }),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(creq).unwrap(),
        s("canonical_request"),
        "canonical request"
    );
    assert_eq!(
        String::from_utf8(sts).unwrap(),
        s("string_to_sign"),
        "string to sign"
    );
    assert_eq!(
        req.headers()["authorization"],
        s("authorization").as_str(),
        "authorization"
    );
    assert_eq!(req.body(), s("body").as_bytes(), "body");
    let line = format!("{} {}", req.method(), req.uri().path_and_query().unwrap());
    assert_eq!(line, s("request_line"), "request line");
}
