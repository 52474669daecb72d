//! Who may do what: a caller's roles from the role mappings, action groups
//! expanded, and the plugin's refusals.

use super::{Engine, Principal, Response, core_error};

use serde_json::Value;

impl Engine {
    /// The security roles of `p`, sorted.
    pub fn roles_of(&self, p: &Principal) -> Vec<String> {
        let mut out: Vec<String> = self
            .mappings
            .iter()
            .filter(|(_, m)| {
                let users = strings(&m["users"]);
                let backend = strings(&m["backend_roles"]);
                let and_backend = strings(&m["and_backend_roles"]);
                users.iter().any(|u| glob(u, &p.name))
                    || backend
                        .iter()
                        .any(|b| p.backend_roles.iter().any(|r| glob(b, r)))
                    || (!and_backend.is_empty()
                        && and_backend.iter().all(|b| p.backend_roles.contains(b)))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if p.internal
            && let Some(u) = self.users.get(&p.name)
        {
            out.extend(strings(&u["opendistro_security_roles"]));
        }
        out.sort();
        out.dedup();
        out.retain(|r| self.roles.contains_key(r));
        out
    }

    pub(super) fn cluster_allowed(&self, roles: &[String], action: &str) -> bool {
        roles.iter().filter_map(|r| self.roles.get(r)).any(|role| {
            strings(&role["cluster_permissions"])
                .iter()
                .flat_map(|g| expand(g))
                .any(|pat| glob(&pat, action))
        })
    }

    pub(super) fn index_allowed(&self, roles: &[String], action: &str, index: &str) -> bool {
        roles.iter().filter_map(|r| self.roles.get(r)).any(|role| {
            role["index_permissions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|perm| {
                    strings(&perm["index_patterns"])
                        .iter()
                        .any(|pat| glob(pat, index))
                        && strings(&perm["allowed_actions"])
                            .iter()
                            .flat_map(|g| expand(g))
                            .any(|pat| glob(&pat, action))
                })
        })
    }

    pub(super) fn no_permissions(&self, p: &Principal, action: &str) -> Response {
        core_error(
            403,
            "security_exception",
            &format!(
                "no permissions for [{action}] and User [name={}, backend_roles=[{}], requestedTenant=null]",
                p.name,
                p.backend_roles.join(", ")
            ),
        )
    }

    pub(super) fn check_cluster(&self, p: &Principal, action: &str) -> Result<(), Response> {
        if self.cluster_allowed(&self.roles_of(p), action) {
            Ok(())
        } else {
            Err(self.no_permissions(p, action))
        }
    }

    pub(super) fn check_index(
        &self,
        p: &Principal,
        action: &str,
        index: &str,
    ) -> Result<(), Response> {
        if self.index_allowed(&self.roles_of(p), action, index) {
            Ok(())
        } else {
            Err(self.no_permissions(p, action))
        }
    }
}

pub(super) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The action patterns an action group stands for (or the pattern itself).
pub(super) fn expand(group: &str) -> Vec<String> {
    let v: &[&str] = match group {
        "cluster_all" => &["cluster:*"],
        "cluster_monitor" => &["cluster:monitor/*"],
        "cluster_composite_ops_ro" => &[
            "indices:data/read/mget*",
            "indices:data/read/msearch*",
            "indices:data/read/mtv*",
            "indices:data/read/scroll*",
            "indices:admin/aliases/get*",
        ],
        "cluster_composite_ops" => &[
            "indices:data/read/mget*",
            "indices:data/read/msearch*",
            "indices:data/read/mtv*",
            "indices:data/read/scroll*",
            "indices:admin/aliases/get*",
            "indices:data/write/bulk*",
            "indices:admin/aliases*",
        ],
        "indices_all" => &["indices:*"],
        "read" => &["indices:data/read*", "indices:admin/mappings/fields/get*"],
        "write" => &["indices:data/write*", "indices:admin/mapping/put"],
        "crud" => &[
            "indices:data/read*",
            "indices:data/write*",
            "indices:admin/mapping/put",
        ],
        "delete" => &["indices:data/write/delete*"],
        "search" => &["indices:data/read/search*", "indices:data/read/msearch*"],
        "get" => &["indices:data/read/get*", "indices:data/read/mget*"],
        "index" => &[
            "indices:data/write/index*",
            "indices:data/write/update*",
            "indices:admin/mapping/put",
        ],
        "create_index" => &["indices:admin/create", "indices:admin/mapping/put"],
        "manage" => &["indices:monitor/*", "indices:admin/*"],
        "indices_monitor" => &["indices:monitor/*"],
        "data_access" => &["indices:data/*", "indices:admin/mapping/put"],
        other => return vec![other.to_string()],
    };
    v.iter().map(|s| s.to_string()).collect()
}

/// `*` and `?` wildcards.
pub(super) fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{expand, glob};

    #[test]
    fn globs_and_groups() {
        assert!(glob("movies*", "movies-2024"));
        assert!(!glob("movies*", "books"));
        assert!(glob("indices:data/read*", "indices:data/read/search"));
        assert!(
            expand("read")
                .iter()
                .any(|p| glob(p, "indices:data/read/get"))
        );
        assert!(
            !expand("read")
                .iter()
                .any(|p| glob(p, "indices:data/write/index"))
        );
    }
}
