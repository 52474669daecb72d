//! The login parser and checks of `verify-login`: a Vault payload or an
//! EKS token, any bytes. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cred_providers::iam_login::fuzzing::parse_and_check(data);
});
