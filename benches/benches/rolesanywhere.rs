//! CreateSession signing per key type: the whole request (canonical
//! request, string to sign, X.509 signature, headers) for RSA-2048, P-256,
//! P-384 and ML-DSA-44/65/87 in files, and RSA-2048 and P-256 on a SoftHSM2
//! token (PKCS#11, the session kept open), and — with the `tpm` feature —
//! RSA-2048 and P-256 in a software TPM (swtpm: key files loaded under a
//! re-created primary key, and a persistent key), beside the bare
//! signature of each key (the floor). The token and the TPM are made by
//! `test-support` (needs `softhsm2`, `opensc`, `openssl`, and for the TPM
//! `swtpm`, `tpm2-tools` and `tpm2-openssl`, as the tests do).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rolesanywhere::cert::EndEntity;
use rolesanywhere::key::{Digest, PrivateKey};
use rolesanywhere::session::{SessionParams, create_session_request};
use rolesanywhere::signer::X509Signer;

const KAT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/rolesanywhere/testdata/kat/"
);

fn keys() -> Vec<(&'static str, PrivateKey)> {
    let pem = std::fs::read(format!("{KAT}alice-cert.key")).expect("KAT key");
    let rsa = PrivateKey::from_bytes(&pem, None).expect("RSA key");
    let p256 = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("P-256 scalar");
    let p384 = p384::ecdsa::SigningKey::from_slice(&[7u8; 48]).expect("P-384 scalar");
    let mut keys = vec![
        ("rsa2048", rsa),
        ("p256", PrivateKey::P256(p256)),
        ("p384", PrivateKey::P384(p384)),
    ];
    // ML-DSA PKCS#8 seed keys: id-ml-dsa-44/65/87 (…3.4.3.17/18/19) and
    // the seed as `[0] IMPLICIT OCTET STRING`.
    for (name, last) in [
        ("ml-dsa-44", 0x11u8),
        ("ml-dsa-65", 0x12),
        ("ml-dsa-87", 0x13),
    ] {
        let mut der = vec![
            0x30, 0x34, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
            0x03, 0x04, 0x03, last, 0x04, 0x22, 0x80, 0x20,
        ];
        der.extend_from_slice(&[7u8; 32]);
        keys.push((name, PrivateKey::from_pkcs8(&der).expect("ML-DSA seed key")));
    }
    // The same kinds of key on a PKCS#11 token.
    let hsm = test_support::softhsm::softhsm();
    // SAFETY: set before any thread of this benchmark reads it.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &hsm.conf) };
    for name in ["rsa", "p256"] {
        let source = rolesanywhere::pkcs11::Pkcs11Source {
            module: hsm.module.clone(),
            certificate: rolesanywhere::pkcs11::CertificateLocation::File(
                test_support::pki::pki().path(&format!("{name}.pem")),
            ),
            private_key: Some(
                rolesanywhere::pkcs11::Pkcs11Uri::parse(&hsm.uri(name)).expect("URI"),
            ),
            pin: None,
            pin_prompt: None,
            reuse_pin: false,
        };
        let (_, key) = rolesanywhere::pkcs11::open(&source).expect("the SoftHSM2 token");
        let label = if name == "rsa" {
            "softhsm-rsa2048"
        } else {
            "softhsm-p256"
        };
        keys.push((label, PrivateKey::Pkcs11(Box::new(key))));
    }
    #[cfg(feature = "tpm")]
    {
        let tpm = test_support::swtpm::swtpm();
        let file = |name: &str| {
            let bytes = std::fs::read(tpm.path(name)).expect("TPM key file");
            rolesanywhere::tpm::TpmKeyLocation::KeyFile(bytes.into())
        };
        let handle = rolesanywhere::tpm::TpmKeyLocation::parse_handle(test_support::swtpm::HANDLE)
            .expect("a handle")
            .expect("a persistent handle");
        for (label, key) in [
            ("swtpm-rsa2048-file", file("tpm-rsa.key")),
            ("swtpm-p256-file", file("tpm-p256.key")),
            ("swtpm-p256-handle", handle),
        ] {
            let source = rolesanywhere::tpm::TpmSource {
                key: Some(key),
                no_password: true,
                tcti: Some(tpm.tcti.clone()),
                ..Default::default()
            };
            let key = rolesanywhere::tpm::open(&source).expect("the swtpm key");
            keys.push((label, PrivateKey::Tpm(Box::new(key))));
        }
    }
    keys
}

fn bench(c: &mut Criterion) {
    let cert =
        EndEntity::from_bytes(&std::fs::read(format!("{KAT}alice-cert.crt")).expect("KAT cert"))
            .expect("certificate");
    let params = SessionParams::builder(
        "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta",
        "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p",
        "arn:aws:iam::123456789012:role/reader",
    )
    .build()
    .expect("params");
    let time = "20240101T000000Z".parse().expect("time");
    let mut g = c.benchmark_group("create_session");
    for (name, key) in keys() {
        // A TPM signature takes milliseconds: fewer samples.
        g.sample_size(if name.starts_with("swtpm") { 10 } else { 100 });
        let message = [0x5au8; 150];
        g.bench_function(format!("{name}/signature-only"), |b| {
            b.iter(|| key.sign(black_box(&message), Digest::Sha256).expect("sign"))
        });
        let mut signer = X509Signer::new(key, cert.serial_decimal());
        g.bench_function(format!("{name}/request"), |b| {
            b.iter(|| {
                create_session_request(black_box(&params), &cert, &[], &mut signer, time, None)
                    .expect("request")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
