//! `Authorization` header parsing in the verifier: any header value, any
//! date, never a panic and never a false acceptance.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigv4_core::{Request, Timestamp, Verifier, VerifyError};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (auth, date) = text.split_once('\n').unwrap_or((&text, "20150830T123600Z"));
    let headers = [
        ("host", "example.amazonaws.com"),
        ("x-amz-date", date),
        ("authorization", auth),
    ];
    let Ok(req) = Request::new("GET", "https://example.amazonaws.com/") else {
        return;
    };
    let req = req.with_headers(&headers);
    let now = Timestamp::from_unix_seconds(1_440_938_160).expect("valid time");
    let r = Verifier::default().verify(&req, now, |id| (id == "AKIDEXAMPLE").then_some("secret"));
    // Guessing a valid HMAC is infeasible: whatever the input, it fails.
    assert!(r.is_err());
    if let Err(VerifyError::Malformed(reason)) = r {
        assert!(!reason.is_empty());
    }
});
