//! Presigned-URL parsing in the verifier: any query string, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigv4_core::{Request, Timestamp, Verifier};

fuzz_target!(|data: &[u8]| {
    let query: String = String::from_utf8_lossy(data)
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '#')
        .collect();
    let url = format!("https://example.amazonaws.com/p?{query}");
    let Ok(req) = Request::new("GET", &url) else {
        return;
    };
    let now = Timestamp::from_unix_seconds(1_440_938_160).expect("valid time");
    let _ = Verifier::default().verify(&req, now, |_| Some("secret"));
});
