//! Search: match, term and bool queries, sort and `search_after`.

use serde_json::{Value, json};

use super::access::glob;
use super::{Doc, Engine, Response};

impl Engine {
    pub(super) fn search(&self, indices: &str, body: &Value) -> Result<Response, Response> {
        let mut targets = Vec::new();
        for pat in indices.split(',') {
            if pat.contains('*') || pat == "_all" {
                targets.extend(
                    self.indices
                        .keys()
                        .filter(|k| pat == "_all" || glob(pat, k))
                        .cloned(),
                );
            } else {
                self.index(pat)?;
                targets.push(pat.to_string());
            }
        }
        let query = body
            .get("query")
            .cloned()
            .unwrap_or(json!({"match_all": {}}));
        let mut hits: Vec<(&str, &str, &Doc)> = Vec::new();
        for name in &targets {
            for (id, doc) in &self.indices[name].docs {
                if matches(&query, &doc.source) {
                    hits.push((name, id, doc));
                }
            }
        }
        let sort: Vec<(String, bool)> = body["sort"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| match s {
                Value::String(f) => Some((f.clone(), true)),
                Value::Object(o) => o.iter().next().map(|(f, v)| {
                    let order = v.as_str().or_else(|| v["order"].as_str()).unwrap_or("asc");
                    (f.clone(), order != "desc")
                }),
                _ => None,
            })
            .collect();
        let key = |doc: &Doc| -> Vec<Value> {
            sort.iter()
                .map(|(f, _)| field(&doc.source, f).cloned().unwrap_or(Value::Null))
                .collect()
        };
        let cmp = |a: &[Value], b: &[Value]| {
            for (k, (_, asc)) in sort.iter().enumerate() {
                let o = compare(&a[k], &b[k]);
                if o != std::cmp::Ordering::Equal {
                    return if *asc { o } else { o.reverse() };
                }
            }
            std::cmp::Ordering::Equal
        };
        if !sort.is_empty() {
            hits.sort_by(|a, b| cmp(&key(a.2), &key(b.2)));
            if let Some(after) = body["search_after"].as_array()
                && after.len() == sort.len()
            {
                hits.retain(|h| cmp(&key(h.2), after) == std::cmp::Ordering::Greater);
            }
        }
        let total = hits.len();
        let from = body["from"].as_u64().unwrap_or(0) as usize;
        let size = body["size"].as_u64().unwrap_or(10) as usize;
        let with_source = body["_source"].as_bool() != Some(false);
        let page: Vec<Value> = hits
            .iter()
            .skip(from)
            .take(size)
            .map(|(index, id, doc)| {
                let mut hit = json!({"_index": index, "_id": id, "_score": if sort.is_empty() { json!(1.0) } else { Value::Null }});
                if with_source {
                    hit["_source"] = doc.source.clone();
                }
                if !sort.is_empty() {
                    hit["sort"] = Value::Array(key(doc));
                }
                hit
            })
            .collect();
        Ok(Response::json(
            200,
            &json!({
                "took": 1, "timed_out": false,
                "_shards": {"total": targets.len(), "successful": targets.len(), "skipped": 0, "failed": 0},
                "hits": {
                    "total": {"value": total, "relation": "eq"},
                    "max_score": if sort.is_empty() && total > 0 { json!(1.0) } else { Value::Null },
                    "hits": page
                }
            }),
        ))
    }
}

pub(super) fn field<'v>(source: &'v Value, name: &str) -> Option<&'v Value> {
    let name = name.strip_suffix(".keyword").unwrap_or(name);
    name.split('.').try_fold(source, |v, part| v.get(part))
}

pub(super) fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Value::Null, Value::Null) => Equal,
        (Value::Null, _) => Greater,
        (_, Value::Null) => Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

pub(super) fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The few queries the tests use: `match_all`, `term`, `match`, `bool.must`.
pub(super) fn matches(query: &Value, source: &Value) -> bool {
    let Some((kind, arg)) = query.as_object().and_then(|o| o.iter().next()) else {
        return true;
    };
    let pair = || arg.as_object().and_then(|o| o.iter().next());
    match kind.as_str() {
        "match_all" => true,
        "term" => pair().is_some_and(|(f, v)| {
            let want = v.get("value").unwrap_or(v);
            field(source, f) == Some(want)
        }),
        "match" => pair().is_some_and(|(f, v)| {
            let want = v.get("query").unwrap_or(v);
            match (field(source, f), want) {
                (Some(Value::String(have)), Value::String(q)) => {
                    let have = tokens(have);
                    tokens(q).iter().any(|t| have.contains(t))
                }
                (Some(have), want) => have == want,
                (None, _) => false,
            }
        }),
        "bool" => arg["must"]
            .as_array()
            .is_none_or(|qs| qs.iter().all(|q| matches(q, source))),
        _ => false,
    }
}
