//! How much of the OpenSearch API specification the typed client reaches:
//! for every operation group of the vendored specification
//! (`tests/spec/operations.json`), whether a request is built for it by
//! the generated builders ([`opensearch_client::ops`]), per namespace.
//! Plugin namespaces count only with their cargo feature on
//! (`--features all-namespaces` for all).
//!
//! `cargo run -q -p opensearch-client --example spec_coverage`; the last
//! line is `operation groups: N of 485`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A value a parameter's schema takes: its first enum value, `true`, `1`,
/// or a word.
fn sample(schema: &Value, components: &Value) -> Value {
    let mut s = schema;
    while let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let mut parts = r.trim_start_matches("#/").split('/');
        let (_, kind, name) = (parts.next(), parts.next(), parts.next());
        let name = name
            .unwrap_or_default()
            .replace("~1", "/")
            .replace("~0", "~");
        s = &components[kind.unwrap_or_default()][name];
    }
    if let Some(first) = s.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    match s.get("type").and_then(Value::as_str) {
        Some("boolean") => Value::Bool(true),
        Some("integer" | "number") => Value::from(1),
        _ => Value::String("sample".into()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/spec/operations.json");
    let spec: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let components = &spec["components"];
    // namespace -> group -> reached
    let mut groups: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    for op in spec["operations"].as_array().ok_or("no operations")? {
        let group = op["group"].as_str().ok_or("no group")?;
        let ns = group.rsplit_once('.').map_or("api", |(ns, _)| ns);
        let mut params = Map::new();
        for p in op["operation"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let mut p = p;
            while let Some(r) = p.get("$ref").and_then(Value::as_str) {
                let name = r.rsplit('/').next().unwrap_or_default().replace("~1", "/");
                p = &components["parameters"][name];
            }
            let required = p["in"] == "path" || p["required"] == true;
            if required && let Some(name) = p["name"].as_str() {
                params.insert(name.to_string(), sample(&p["schema"], components));
            }
        }
        let method: http::Method = op["method"].as_str().unwrap_or("GET").parse()?;
        // A body where the operation takes one: an object, or no lines
        // for NDJSON (bulk, msearch).
        let mut rb = &op["operation"]["requestBody"];
        while let Some(r) = rb.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default().replace("~1", "/");
            rb = &components["requestBodies"][name];
        }
        let body = rb.get("content").map(|c| {
            if c.get("application/json").is_none() && c.get("application/x-ndjson").is_some() {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        });
        let built =
            opensearch_client::ops::request_by_name(group, Some(&method), &params, body.as_ref())
                .is_ok();
        let reached = groups
            .entry(ns.to_string())
            .or_default()
            .entry(group.to_string())
            .or_insert(false);
        *reached |= built;
    }
    let (mut total, mut reached) = (0, 0);
    for (ns, gs) in &groups {
        let n = gs.values().filter(|r| **r).count();
        let note = if n == 0 { " (its feature is off)" } else { "" };
        println!("{ns}: {n} of {}{note}", gs.len());
        total += gs.len();
        reached += n;
    }
    println!("operation groups: {reached} of {total}");
    Ok(())
}
