//! STS answers (credentials, caller identity, error documents): never a
//! panic, whatever the body and status.
#![no_main]

use cred_providers::sts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&status, body)) = data.split_first() else {
        return;
    };
    let status = [200u16, 400, 403, 500][usize::from(status % 4)];
    let Ok(resp) = http::Response::builder().status(status).body(body.to_vec()) else {
        return;
    };
    let creds = sts::parse_credentials(&resp, "fuzz");
    if let Err(e) = &creds {
        let _ = e.to_string();
    }
    let _ = sts::parse_caller_identity(&resp);
});
