//! Indices and documents: create, write, get, update, delete, `_bulk`,
//! `_cat/indices`, health, and dynamic mappings.

use serde_json::{Map, Value, json};

use super::{Doc, Engine, Index, Principal, Response, core_error, index_not_found};

impl Engine {
    pub(super) fn health(&self) -> Value {
        let shards = self.indices.len();
        json!({
            "cluster_name": "fake-cluster", "status": "green", "timed_out": false,
            "number_of_nodes": 3, "number_of_data_nodes": 3,
            "discovered_master": true, "discovered_cluster_manager": true,
            "active_primary_shards": shards, "active_shards": shards * 2,
            "relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": 0,
            "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0
        })
    }

    pub(super) fn cat_indices(&self, query: &[(String, String)]) -> Response {
        let rows: Vec<Value> = self
            .indices
            .iter()
            .map(|(name, idx)| {
                let size = idx
                    .docs
                    .values()
                    .map(|d| d.source.to_string().len())
                    .sum::<usize>()
                    + 208;
                json!({
                    "health": "green", "status": "open", "index": name, "uuid": idx.uuid,
                    "pri": "1", "rep": "1", "docs.count": idx.docs.len().to_string(),
                    "docs.deleted": "0", "store.size": format!("{}b", size * 2),
                    "pri.store.size": format!("{size}b")
                })
            })
            .collect();
        if query.iter().any(|(k, v)| k == "format" && v == "json") {
            Response::json(200, &Value::Array(rows))
        } else {
            let text: String = rows
                .iter()
                .map(|r| {
                    format!(
                        "green open {} {} 1 1 {} 0 {} {}\n",
                        r["index"].as_str().unwrap_or_default(),
                        r["uuid"].as_str().unwrap_or_default(),
                        r["docs.count"].as_str().unwrap_or_default(),
                        r["store.size"].as_str().unwrap_or_default(),
                        r["pri.store.size"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            Response::text(200, &text)
        }
    }

    pub(super) fn index(&self, name: &str) -> Result<&Index, Response> {
        self.indices.get(name).ok_or_else(|| index_not_found(name))
    }

    pub(super) fn create_index(&mut self, name: &str, body: Value) -> Result<Response, Response> {
        if self.indices.contains_key(name) {
            return Err(core_error(
                400,
                "resource_already_exists_exception",
                &format!("index [{name}/{}] already exists", self.indices[name].uuid),
            ));
        }
        if name.starts_with(['_', '-', '+']) || name.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(core_error(
                400,
                "invalid_index_name_exception",
                &format!("Invalid index name [{name}], must be lowercase"),
            ));
        }
        let mut idx = self.new_index();
        if let Some(props) = body["mappings"]["properties"].as_object() {
            idx.mappings = props.clone();
        }
        self.indices.insert(name.into(), idx);
        Ok(Response::json(
            200,
            &json!({"acknowledged": true, "shards_acknowledged": true, "index": name}),
        ))
    }

    pub(super) fn new_index(&mut self) -> Index {
        self.seq += 1;
        Index {
            uuid: format!("fAkEuUiD{:014}", self.seq),
            ..Index::default()
        }
    }

    pub(super) fn delete_indices(&mut self, names: &str) -> Result<Response, Response> {
        for name in names.split(',') {
            self.index(name)?;
        }
        for name in names.split(',') {
            self.indices.remove(name);
        }
        Ok(Response::json(200, &json!({"acknowledged": true})))
    }

    pub(super) fn write_result(&self, index: &str, id: &str, doc: &Doc, result: &str) -> Value {
        json!({
            "_index": index, "_id": id, "_version": doc.version, "result": result,
            "_shards": {"total": 2, "successful": 1, "failed": 0},
            "_seq_no": doc.seq_no, "_primary_term": 1
        })
    }

    /// Indexes (or creates) a document, creating the index as OpenSearch
    /// does; returns the status and the body.
    pub(super) fn write(
        &mut self,
        index: &str,
        id: Option<&str>,
        source: Value,
        create: bool,
    ) -> (u16, Value) {
        if !self.indices.contains_key(index) {
            let idx = self.new_index();
            self.indices.insert(index.into(), idx);
        }
        self.seq += 1;
        let seq = self.seq;
        let Some(idx) = self.indices.get_mut(index) else {
            return (500, json!({}));
        };
        let id = match id {
            Some(id) => id.to_string(),
            None => {
                idx.next_id += 1;
                format!(
                    "auto{:016x}",
                    idx.next_id.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )
            }
        };
        let exists = idx.docs.get(&id).map(|d| d.version);
        if create && exists.is_some() {
            let reason = format!(
                "[{id}]: version conflict, document already exists (current version [{}])",
                exists.unwrap_or(1)
            );
            return (
                409,
                json!({"error": {"root_cause": [{"type": "version_conflict_engine_exception", "reason": reason, "index": index}],
                        "type": "version_conflict_engine_exception", "reason": reason, "index": index}, "status": 409}),
            );
        }
        infer_mappings(&mut idx.mappings, &source);
        let doc = Doc {
            source,
            version: exists.unwrap_or(0) + 1,
            seq_no: seq,
        };
        idx.docs.insert(id.clone(), doc.clone());
        let result = if exists.is_some() {
            "updated"
        } else {
            "created"
        };
        let status = if exists.is_some() { 200 } else { 201 };
        (status, self.write_result(index, &id, &doc, result))
    }

    pub(super) fn get(&self, index: &str, id: &str) -> Result<Response, Response> {
        let idx = self.index(index)?;
        Ok(match idx.docs.get(id) {
            Some(d) => Response::json(
                200,
                &json!({"_index": index, "_id": id, "_version": d.version, "_seq_no": d.seq_no,
                        "_primary_term": 1, "found": true, "_source": d.source}),
            ),
            None => Response::json(404, &json!({"_index": index, "_id": id, "found": false})),
        })
    }

    pub(super) fn delete(&mut self, index: &str, id: &str) -> Result<(u16, Value), Response> {
        self.index(index)?;
        self.seq += 1;
        let seq = self.seq;
        let idx = self
            .indices
            .get_mut(index)
            .ok_or_else(|| index_not_found(index))?;
        Ok(match idx.docs.remove(id) {
            Some(d) => {
                let doc = Doc {
                    version: d.version + 1,
                    seq_no: seq,
                    ..d
                };
                (200, self.write_result(index, id, &doc, "deleted"))
            }
            None => {
                let doc = Doc {
                    version: 1,
                    seq_no: seq,
                    ..Doc::default()
                };
                (404, self.write_result(index, id, &doc, "not_found"))
            }
        })
    }

    pub(super) fn update(
        &mut self,
        index: &str,
        id: &str,
        body: &Value,
    ) -> Result<(u16, Value), Response> {
        if body.get("script").is_some() {
            return Err(core_error(
                400,
                "illegal_argument_exception",
                "scripts are not supported by this test cluster",
            ));
        }
        let current = self
            .indices
            .get(index)
            .and_then(|i| i.docs.get(id))
            .map(|d| d.source.clone());
        let Some(mut source) = current else {
            let upsert = if body["doc_as_upsert"].as_bool() == Some(true) {
                body.get("doc").cloned()
            } else {
                body.get("upsert").cloned()
            };
            return match upsert {
                Some(doc) => Ok(self.write(index, Some(id), doc, false)),
                None => Err(core_error(
                    404,
                    "document_missing_exception",
                    &format!("[{id}]: document missing"),
                )),
            };
        };
        let before = source.clone();
        if let Some(partial) = body.get("doc") {
            json_patch::merge(&mut source, partial);
        }
        if source == before {
            let idx = self.index(index)?;
            let doc = idx.docs.get(id).cloned().unwrap_or_default();
            return Ok((200, self.write_result(index, id, &doc, "noop")));
        }
        let (_, mut v) = self.write(index, Some(id), source, false);
        v["result"] = json!("updated");
        Ok((200, v))
    }

    pub(super) fn bulk(&mut self, p: &Principal, body: &[u8]) -> Result<Response, Response> {
        let text = std::str::from_utf8(body)
            .map_err(|_| core_error(400, "parse_exception", "the bulk body is not UTF-8"))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let mut items = Vec::new();
        let mut errors = false;
        let roles = self.roles_of(p);
        while let Some(line) = lines.next() {
            let action: Value = serde_json::from_str(line).map_err(|e| {
                core_error(
                    400,
                    "illegal_argument_exception",
                    &format!("Malformed action/metadata line [{}]: {e}", items.len() + 1),
                )
            })?;
            let Some((op, meta)) = action.as_object().and_then(|o| o.iter().next()) else {
                return Err(core_error(
                    400,
                    "illegal_argument_exception",
                    "Malformed action/metadata line",
                ));
            };
            let op = op.clone();
            let index = meta["_index"].as_str().unwrap_or_default().to_string();
            let id = meta["_id"].as_str().map(str::to_string);
            let source = if op == "delete" {
                Value::Null
            } else {
                let line = lines.next().ok_or_else(|| {
                    core_error(
                        400,
                        "illegal_argument_exception",
                        "The bulk request must be terminated by a newline [\\n]",
                    )
                })?;
                serde_json::from_str(line).map_err(|e| {
                    core_error(
                        400,
                        "mapper_parsing_exception",
                        &format!("failed to parse: {e}"),
                    )
                })?
            };
            let action_name = match op.as_str() {
                "index" | "create" => "indices:data/write/index",
                "update" => "indices:data/write/update",
                "delete" => "indices:data/write/delete",
                other => {
                    return Err(core_error(
                        400,
                        "illegal_argument_exception",
                        &format!("Unknown action [{other}]"),
                    ));
                }
            };
            // As the plugin does: a missing index is created first (and
            // that may be what is refused); the item's own action is
            // named after the shard-level bulk action.
            let refused = if op != "delete"
                && !self.indices.contains_key(&index)
                && !self.index_allowed(&roles, "indices:admin/create", &index)
            {
                Some("indices:admin/create".to_string())
            } else if !self.index_allowed(&roles, action_name, &index) {
                Some(format!("indices:data/write/bulk[s], {action_name}"))
            } else {
                None
            };
            let outcome: (u16, Value) = if let Some(action) = refused {
                let resp = self.no_permissions(p, &action);
                let v: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
                (
                    403,
                    json!({"_index": index, "_id": id, "status": 403, "error": v["error"]["root_cause"][0]}),
                )
            } else {
                let r = match op.as_str() {
                    "index" => Ok(self.write(&index, id.as_deref(), source, false)),
                    "create" => Ok(self.write(&index, id.as_deref(), source, true)),
                    "update" => self.update(&index, id.as_deref().unwrap_or_default(), &source),
                    _ => self.delete(&index, id.as_deref().unwrap_or_default()),
                };
                match r {
                    Ok((status, mut v)) => {
                        v["status"] = json!(status);
                        if let Some(err) = v.get("error").cloned() {
                            v = json!({"_index": index, "_id": id, "status": status,
                                       "error": {"type": err["type"], "reason": err["reason"], "index": index}});
                        }
                        (status, v)
                    }
                    Err(resp) => {
                        let v: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
                        (
                            resp.status,
                            json!({"_index": index, "_id": id, "status": resp.status,
                                             "error": {"type": v["error"]["type"], "reason": v["error"]["reason"], "index": index}}),
                        )
                    }
                }
            };
            if outcome.1.get("error").is_some() {
                errors = true;
            }
            items.push(json!({ op: outcome.1 }));
        }
        Ok(Response::json(
            200,
            &json!({"took": 1, "errors": errors, "items": items}),
        ))
    }
}

/// Adds the fields of `doc` to `mappings` the way dynamic mapping does.
pub(super) fn infer_mappings(mappings: &mut Map<String, Value>, doc: &Value) {
    let Some(obj) = doc.as_object() else {
        return;
    };
    for (k, v) in obj {
        if let Value::Object(_) = v {
            let entry = mappings
                .entry(k.clone())
                .or_insert_with(|| json!({"properties": {}}));
            if let Some(props) = entry["properties"].as_object_mut() {
                infer_mappings(props, v);
            }
            continue;
        }
        if mappings.contains_key(k) {
            continue;
        }
        let t = match v {
            Value::Bool(_) => json!({"type": "boolean"}),
            Value::Number(n) if n.is_f64() => json!({"type": "float"}),
            Value::Number(_) => json!({"type": "long"}),
            Value::String(_) => {
                json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
            }
            _ => continue,
        };
        mappings.insert(k.clone(), t);
    }
}
