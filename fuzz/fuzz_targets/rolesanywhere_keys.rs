//! Loading certificates, chains and keys from untrusted bytes: PEM, DER,
//! PKCS#1, SEC1, PKCS#8 (ML-DSA seeds included), encrypted PKCS#8 and
//! PKCS#12. Never a panic, and
//! an error never repeats the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolesanywhere::cert::{EndEntity, parse_chain};
use rolesanywhere::key::{PrivateKey, read_pkcs12};

fn check<T>(r: Result<T, rolesanywhere::Error>, data: &[u8]) {
    if let Err(e) = r {
        let msg = e.to_string();
        if data.len() > 24
            && let Ok(text) = std::str::from_utf8(data)
        {
            assert!(!msg.contains(text), "the error repeats the input");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the password, so both paths are reached.
    let password = match data.first() {
        Some(b) if b & 1 == 1 => Some("correct horse"),
        _ => None,
    };
    check(PrivateKey::from_bytes(data, password), data);
    check(EndEntity::from_bytes(data), data);
    check(parse_chain(data), data);
    check(read_pkcs12(data, password.unwrap_or("")), data);
    if let Ok(cert) = EndEntity::from_bytes(data) {
        let _ = cert.principal_tags();
        let _ = cert.subject_alternative_names();
        let _ = cert.serial_hex();
    }
});
