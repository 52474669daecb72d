//! How much of the OpenSearch API specification the typed client covers:
//! for every operation group of the vendored specification
//! (`tests/spec/operations.json`), whether this build has a generated
//! builder for it ([`opensearch_client::ops`]), per namespace. Plugin
//! namespaces count with their cargo feature on (`--features
//! all-namespaces` for all); that each builder makes requests the
//! specification accepts is `tests/ops.rs`.
//!
//! `cargo run -q -p opensearch-client --example spec_coverage`; the last
//! line is `operation groups: N of 485`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/spec/operations.json");
    let spec: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let built: BTreeSet<&str> = opensearch_client::ops::groups().into_iter().collect();
    // namespace -> groups of the specification
    let mut namespaces: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for op in spec["operations"].as_array().ok_or("no operations")? {
        let group = op["group"].as_str().ok_or("an operation without a group")?;
        let ns = group.rsplit_once('.').map_or("api", |(ns, _)| ns);
        namespaces.entry(ns).or_default().insert(group);
    }
    let (mut total, mut reached) = (0, 0);
    for (ns, groups) in &namespaces {
        let n = groups.iter().filter(|g| built.contains(*g)).count();
        let note = if n == 0 {
            format!(" (feature {ns} is off)")
        } else {
            String::new()
        };
        println!("{ns}: {n} of {}{note}", groups.len());
        total += groups.len();
        reached += n;
    }
    println!("operation groups: {reached} of {total}");
    Ok(())
}
