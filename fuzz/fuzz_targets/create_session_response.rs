//! The CreateSession response parser: any status, headers and body; never
//! a panic, and a success never yields empty credentials.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, Option<String>, Vec<u8>)| {
    let (status, error_type, body) = input;
    let mut b = http::Response::builder().status(100 + status % 500);
    if let Some(t) = &error_type {
        b = b.header("x-amzn-errortype", t.as_str());
    }
    let Ok(resp) = b.body(body) else {
        return;
    };
    match rolesanywhere::session::parse_response(&resp) {
        Ok(c) => {
            assert!(resp.status().is_success());
            assert!(!c.access_key_id().is_empty());
            assert!(!c.secret_access_key().is_empty());
            assert!(c.expiry().is_some());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
