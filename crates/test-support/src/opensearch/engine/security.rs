//! The security plugin's REST API: role mappings, roles, internal users,
//! account and authinfo, with the plugin's validation.

use serde_json::{Map, Value, json};

use super::{Engine, Principal, Response, core_error, not_found, security_status};

impl Engine {
    pub(super) fn authinfo(&self, p: &Principal, peer: &str) -> Response {
        let roles = self.roles_of(p);
        Response::json(
            200,
            &json!({
                "user": format!("User [name={}, backend_roles=[{}], requestedTenant=null]", p.name, p.backend_roles.join(", ")),
                "user_name": p.name,
                "user_requested_tenant": null,
                "remote_address": peer,
                "backend_roles": p.backend_roles,
                "custom_attribute_names": [],
                "roles": roles,
                "tenants": {"global_tenant": true, p.name.clone(): true},
                "principal": null,
                "peer_certificates": "0",
                "sso_logout_url": null
            }),
        )
    }

    pub(super) fn account(&mut self, p: &Principal, method: &str, body: Value) -> Response {
        let user = self.users.get(&p.name).cloned();
        let reserved = user
            .as_ref()
            .and_then(|u| u["reserved"].as_bool())
            .unwrap_or(false);
        match method {
            "GET" => Response::json(
                200,
                &json!({
                    "user_name": p.name,
                    "is_reserved": reserved,
                    "is_hidden": false,
                    "is_internal_user": p.internal,
                    "user_requested_tenant": null,
                    "backend_roles": p.backend_roles,
                    "custom_attribute_names": [],
                    "tenants": {"global_tenant": true, p.name.clone(): true},
                    "roles": self.roles_of(p)
                }),
            ),
            "PUT" => {
                if !p.internal || user.is_none() {
                    return security_status(
                        403,
                        "FORBIDDEN",
                        &format!("'{}' is not an internal user.", p.name),
                    );
                }
                if reserved {
                    return security_status(
                        403,
                        "FORBIDDEN",
                        &format!("Resource '{}' is reserved.", p.name),
                    );
                }
                let (Some(current), Some(new)) =
                    (body["current_password"].as_str(), body["password"].as_str())
                else {
                    return security_status(
                        400,
                        "BAD_REQUEST",
                        "'current_password' and 'password' are required.",
                    );
                };
                if self.passwords.get(&p.name).map(String::as_str) != Some(current) {
                    return security_status(
                        400,
                        "BAD_REQUEST",
                        "Could not validate your current password.",
                    );
                }
                self.passwords.insert(p.name.clone(), new.to_string());
                security_status(200, "OK", &format!("'{}' updated.", p.name))
            }
            _ => core_error(
                405,
                "illegal_argument_exception",
                "Incorrect HTTP method for uri [/_plugins/_security/api/account]",
            ),
        }
    }

    pub(super) fn store(&mut self, kind: &str) -> &mut Map<String, Value> {
        match kind {
            "roles" => &mut self.roles,
            "rolesmapping" => &mut self.mappings,
            _ => &mut self.users,
        }
    }

    pub(super) fn security_api(
        &mut self,
        method: &str,
        kind: &str,
        name: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        match (method, name, body) {
            ("GET", None, _) => Response::json(200, &Value::Object(self.store(kind).clone())),
            ("GET", Some(name), _) => match self.store(kind).get(name) {
                Some(v) => Response::json(200, &json!({ name: v })),
                None => not_found(name),
            },
            ("PUT", Some(name), Some(body)) => self.put_resource(kind, name, body),
            ("PATCH", name, Some(Value::Array(ops))) => {
                // As the plugin: three operations only.
                for op in &ops {
                    let kind_of_op = op["op"].as_str().unwrap_or_default();
                    if !matches!(kind_of_op, "add" | "replace" | "remove") {
                        return security_status(
                            400,
                            "BAD_REQUEST",
                            &format!(
                                "Unsupported patch operation: {kind_of_op}. Supported are: replace,add,remove"
                            ),
                        );
                    }
                }
                let patch: json_patch::Patch = match serde_json::from_value(Value::Array(ops)) {
                    Ok(p) => p,
                    Err(e) => {
                        return security_status(
                            400,
                            "BAD_REQUEST",
                            &format!("not a JSON patch: {e}"),
                        );
                    }
                };
                let mut doc = match name {
                    None => Value::Object(self.store(kind).clone()),
                    Some(n) => match self.store(kind).get(n) {
                        Some(v) => v.clone(),
                        None => return not_found(n),
                    },
                };
                // The plugin patches the stored form, which has no empty
                // lists: appending to an empty one fails.
                match (name, &mut doc) {
                    (Some(_), v) => drop_empty_lists(v),
                    (None, Value::Object(all)) => all.values_mut().for_each(drop_empty_lists),
                    _ => {}
                }
                if let Err(e) = json_patch::patch(&mut doc, &patch) {
                    let message = match e.kind {
                        json_patch::PatchErrorKind::InvalidPointer => {
                            let path = e.path.to_string();
                            let depth = if name.is_some() { 1 } else { 2 };
                            let field = path.split('/').nth(depth).unwrap_or_default();
                            format!("Missing field \"{field}\"")
                        }
                        _ => e.to_string(),
                    };
                    return security_status(400, "BAD_REQUEST", &message);
                }
                let entries: Vec<(String, Value)> = match (name, doc) {
                    (None, Value::Object(all)) => all.into_iter().collect(),
                    (Some(n), v) => vec![(n.to_string(), v)],
                    (None, _) => {
                        return security_status(400, "BAD_REQUEST", "the result is not an object");
                    }
                };
                for (_, v) in &entries {
                    if let Err(resp) = validate(kind, v) {
                        return resp;
                    }
                }
                if name.is_none() {
                    let keep: Vec<&String> = entries.iter().map(|(n, _)| n).collect();
                    self.store(kind).retain(|k, _| keep.contains(&k));
                }
                for (n, mut v) in entries {
                    if kind == "internalusers"
                        && let Some(pw) = v.as_object_mut().and_then(|o| o.remove("password"))
                    {
                        self.passwords
                            .insert(n.clone(), pw.as_str().unwrap_or_default().to_string());
                        v["hash"] = json!("");
                    }
                    self.store(kind).insert(n, v);
                }
                match name {
                    Some(n) => security_status(200, "OK", &format!("'{n}' updated.")),
                    None => security_status(200, "OK", "Resource updated."),
                }
            }
            ("DELETE", Some(name), _) => {
                match self.store(kind).get(name) {
                    None => return not_found(name),
                    Some(v) => {
                        if let Some(refusal) = locked(name, v) {
                            return refusal;
                        }
                    }
                }
                self.store(kind).remove(name);
                if kind == "internalusers" {
                    self.passwords.remove(name);
                }
                security_status(200, "OK", &format!("'{name}' deleted."))
            }
            ("PATCH", _, _) => security_status(
                400,
                "BAD_REQUEST",
                "the body must be a JSON array of patch operations",
            ),
            _ => core_error(
                405,
                "illegal_argument_exception",
                &format!(
                    "Incorrect HTTP method for uri [/_plugins/_security/api/{kind}] and method [{method}]"
                ),
            ),
        }
    }

    pub(super) fn put_resource(&mut self, kind: &str, name: &str, mut body: Value) -> Response {
        // The plugin reads `{}` as no body at all.
        if body.as_object().is_some_and(Map::is_empty) {
            return Response::json(
                400,
                &json!({"status": "error", "reason": "Request body required for this action."}),
            );
        }
        if let Err(resp) = validate(kind, &body) {
            return resp;
        }
        let existing = self.store(kind).get(name).cloned();
        if let Some(refusal) = existing.as_ref().and_then(|v| locked(name, v)) {
            return refusal;
        }
        if kind == "internalusers" {
            match body.as_object_mut().and_then(|o| o.remove("password")) {
                Some(pw) => {
                    self.passwords
                        .insert(name.into(), pw.as_str().unwrap_or_default().into());
                }
                None if existing.is_none() && body.get("hash").is_none() => {
                    return security_status(
                        400,
                        "BAD_REQUEST",
                        "Please specify either 'hash' or 'password' when creating a new internal user.",
                    );
                }
                None => {}
            }
            body["hash"] = json!("");
        }
        if kind == "rolesmapping" && !self.roles.contains_key(name) {
            return security_status(404, "NOT_FOUND", &format!("role '{name}' not found."));
        }
        let defaults: &[(&str, Value)] = match kind {
            "roles" => &[
                ("cluster_permissions", json!([])),
                ("index_permissions", json!([])),
                ("tenant_permissions", json!([])),
                ("static", json!(false)),
            ],
            "rolesmapping" => &[
                ("hosts", json!([])),
                ("users", json!([])),
                ("backend_roles", json!([])),
                ("and_backend_roles", json!([])),
            ],
            _ => &[
                ("backend_roles", json!([])),
                ("attributes", json!({})),
                ("opendistro_security_roles", json!([])),
                ("static", json!(false)),
            ],
        };
        for (k, v) in defaults
            .iter()
            .chain(&[("reserved", json!(false)), ("hidden", json!(false))])
        {
            if body.get(*k).is_none() {
                body[*k] = v.clone();
            }
        }
        self.store(kind).insert(name.into(), body);
        if existing.is_some() {
            security_status(200, "OK", &format!("'{name}' updated."))
        } else {
            security_status(201, "CREATED", &format!("'{name}' created."))
        }
    }
}

/// Checks a security resource's keys and types as the plugin does.
pub(super) fn validate(kind: &str, v: &Value) -> Result<(), Response> {
    let (allowed, arrays): (&[&str], &[&str]) = match kind {
        "rolesmapping" => (
            &[
                "backend_roles",
                "and_backend_roles",
                "users",
                "hosts",
                "description",
                "reserved",
                "hidden",
            ],
            &["backend_roles", "and_backend_roles", "users", "hosts"],
        ),
        "roles" => (
            &[
                "cluster_permissions",
                "index_permissions",
                "tenant_permissions",
                "description",
                "reserved",
                "hidden",
                "static",
            ],
            &[
                "cluster_permissions",
                "index_permissions",
                "tenant_permissions",
            ],
        ),
        _ => (
            &[
                "password",
                "hash",
                "backend_roles",
                "opendistro_security_roles",
                "attributes",
                "description",
                "reserved",
                "hidden",
                "static",
            ],
            &["backend_roles", "opendistro_security_roles"],
        ),
    };
    let Some(obj) = v.as_object() else {
        return Err(security_status(
            400,
            "BAD_REQUEST",
            "Request body required for this action.",
        ));
    };
    let invalid: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if !invalid.is_empty() {
        return Err(Response::json(
            400,
            &json!({"status": "error", "reason": "Invalid configuration",
                    "invalid_keys": {"keys": invalid.join(",")}}),
        ));
    }
    let wrong: Vec<&str> = arrays
        .iter()
        .copied()
        .filter(|k| obj.get(*k).is_some_and(|x| !x.is_array()))
        .collect();
    if !wrong.is_empty() {
        let types: Map<String, Value> = wrong
            .iter()
            .map(|k| (k.to_string(), json!("Array expected")))
            .collect();
        return Err(Response::json(
            400,
            &json!({"status": "error", "reason": "Invalid configuration", "wrong_datatypes": types}),
        ));
    }
    Ok(())
}

/// Removes the empty lists of a stored resource, as the plugin stores it.
fn drop_empty_lists(v: &mut Value) {
    if let Value::Object(fields) = v {
        fields.retain(|_, f| !matches!(f, Value::Array(a) if a.is_empty()));
    }
}

/// The plugin's refusal to change a static (built-in) or reserved resource.
fn locked(name: &str, v: &Value) -> Option<Response> {
    let word = if v["static"].as_bool().unwrap_or(false) {
        "static"
    } else if v["reserved"].as_bool().unwrap_or(false) {
        "reserved"
    } else {
        return None;
    };
    Some(security_status(
        403,
        "FORBIDDEN",
        &format!("Resource '{name}' is {word}."),
    ))
}
