//! Every operation group of the OpenSearch API specification through the
//! generated builders ([`opensearch_client::ops`]): for each operation of
//! the vendored specification, `tests/spec/samples.py` writes a call the
//! specification accepts (every path and query parameter it declares, and
//! a body where it takes one); the call is built by
//! [`ops::request_by_name`], which goes through the typed builder and every
//! setter, and `tests/spec/check.py` checks what comes out: the method and
//! path template, that every query parameter is declared, that the body
//! follows the schema. Every group of the specification must be reached.
#![cfg(all(feature = "all-namespaces", feature = "by-name"))]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use opensearch_client::ops;

mod common;
use serde_json::{Value, json};

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec")
}

fn python(script: &str, args: &[&Path]) -> String {
    let out = std::process::Command::new("python3")
        .arg(spec_dir().join(script))
        .args(args)
        .output()
        .expect("python3 is needed for the spec checks");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed (jsonschema is needed: pip install jsonschema):\n{}\n{}",
        &stdout[..stdout.len().min(20_000)],
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn every_operation_group_builds_a_request_the_spec_accepts() {
    let operations = spec_dir().join("operations.json");
    let samples: Vec<Value> =
        serde_json::from_str(&python("samples.py", &[&operations])).expect("samples JSON");
    let spec_groups: BTreeSet<String> = samples
        .iter()
        .map(|s| s["group"].as_str().unwrap().to_string())
        .collect();
    let mut reached = BTreeSet::new();
    let mut failures = Vec::new();
    let mut exchanges = Vec::new();
    for s in &samples {
        let group = s["group"].as_str().unwrap();
        let params = s["params"].as_object().cloned().unwrap_or_default();
        let body = (!s["body"].is_null()).then(|| s["body"].clone());
        let method: http::Method = s["method"].as_str().unwrap().parse().unwrap();
        match ops::request_by_name(group, Some(&method), &params, body.as_ref()) {
            Ok(req) => {
                exchanges.push(json!({
                    "group": group,
                    "method": req.method.as_str(),
                    "path": req.path,
                    "query": req.query,
                    "content_type": req.content_type,
                    "body": common::body_json(&req),
                    "status": 0,
                    "response": null,
                }));
                reached.insert(group.to_string());
            }
            Err(e) => failures.push(format!("{group} ({} {}): {e}", s["method"], s["path"])),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let file = std::env::temp_dir().join(format!("ops-exchanges-{}.json", std::process::id()));
    std::fs::write(&file, Value::Array(exchanges).to_string()).unwrap();
    let summary = python("check.py", &[&operations, &file]);
    let _ = std::fs::remove_file(&file);
    assert!(summary.starts_with("checked "), "{summary}");
    assert_eq!(reached, spec_groups);
    assert_eq!(
        spec_groups.len(),
        485,
        "the vendored spec's operation groups"
    );
}

/// The method and path follow the parameters set: the same group reaches
/// each of its paths, GET without a body and POST with one.
#[test]
fn the_path_and_method_follow_the_parameters_set() {
    let r = ops::api::search().build().unwrap();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/_search"));
    let r = ops::api::search()
        .index("movies")
        .body(&json!({"size": 1}))
        .build()
        .unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/movies/_search")
    );
    let r = ops::cat::indices()
        .index(["a", "b c"])
        .format(ops::types::ResponseFormat::Json)
        .build()
        .unwrap();
    assert_eq!(r.path_and_query(), "/_cat/indices/a,b%20c?format=json");
    // A path parameter no path of the group takes alone.
    let e = ops::api::get("movies", "1").build().unwrap().path;
    assert_eq!(e, "/movies/_doc/1");
    let err = ops::indices::put_alias()
        .name("")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("empty"), "{err}");
    // A required body.
    let err = ops::indices::put_index_template("t")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs a body"), "{err}");
}
