//! The OIDC parsers: a JWKS and a compact JWS checked against it, and a
//! public key read as PEM or DER. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cred_providers::oidc::fuzzing::token_and_jwks(data);
});
