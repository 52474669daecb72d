//! What the spec tests share.

use opensearch_client::ApiRequest;
use serde_json::Value;

/// A request's body as `check.py` reads it: JSON, NDJSON as an array of
/// lines, other media as text; `None` without a body.
pub(crate) fn body_json(req: &ApiRequest) -> Option<Value> {
    let body = req.body.as_ref()?;
    Some(match req.content_type {
        "application/json" => serde_json::from_slice(body).expect("a JSON body"),
        "application/x-ndjson" => Value::Array(
            body.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).expect("an NDJSON line"))
                .collect(),
        ),
        _ => Value::String(String::from_utf8_lossy(body).into_owned()),
    })
}
