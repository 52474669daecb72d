//! OpenSearch responses: any status and body read as an error (never a
//! panic, the kept text bounded) and as the typed answers the client
//! parses; a bulk answer's items always give an action and a result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opensearch_client::bulk::BulkResponse;
use opensearch_client::client::parse;
use opensearch_client::error::ApiError;
use opensearch_client::security::{AuthInfo, RoleMappings, Roles};

fuzz_target!(|input: (u16, Vec<u8>)| {
    let (status, body) = input;
    let status = 100 + status % 500;
    let err = ApiError::from_response(status, &body);
    // The text is the body's words (a reason and a root cause at most)
    // and a short hint: never more than the body twice.
    assert!(err.to_string().len() <= 2 * body.len() + 1024);
    let Ok(resp) = http::Response::builder().status(status).body(body) else {
        return;
    };
    if let Ok(b) = parse::<BulkResponse>(&resp) {
        for item in &b.items {
            let _ = (item.action(), item.result().status);
        }
    }
    let _ = parse::<RoleMappings>(&resp);
    let _ = parse::<Roles>(&resp);
    let _ = parse::<AuthInfo>(&resp);
    let _ = parse::<serde_json::Value>(&resp);
});
