//! The container endpoint's and IMDS's credential JSON: never a panic, and
//! an error never repeats the body (which could hold a secret).
#![no_main]

use cred_providers::{container, imds};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = imds::parse_credentials(data) {
        let _ = e.to_string();
    }
    let Ok(resp) = http::Response::builder().status(200).body(data.to_vec()) else {
        return;
    };
    if let Err(e) = container::parse(&resp) {
        let msg = e.to_string();
        // A body holding a JSON object (where a secret would be) must not
        // come back; a body that merely spells the message's own words
        // (the fuzzer finds those) is not a leak.
        if data.len() > 16
            && let Ok(text) = std::str::from_utf8(data)
            && text.contains('{')
        {
            assert!(!msg.contains(text), "the error repeats the body");
        }
    }
});
