//! The SDKs' shared assume-role resolution cases (28): which base and which
//! roles a profile resolves to, or which kind of error.

use std::path::Path;

use cred_providers::profile::{Base, ProfileSet, ResolveError, Source, resolve};
use serde_json::{Value, json};

fn render(input: &Value) -> String {
    let mut text = String::new();
    for (name, props) in input["profiles"].as_object().unwrap() {
        text.push_str(&format!("[profile {name}]\n"));
        for (k, v) in props.as_object().unwrap() {
            text.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
        }
    }
    if let Some(sessions) = input.get("sso_sessions").and_then(Value::as_object) {
        for (name, props) in sessions {
            text.push_str(&format!("[sso-session {name}]\n"));
            for (k, v) in props.as_object().unwrap() {
                text.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
            }
        }
    }
    text
}

/// Our result in the shape of the shared cases' expected output.
fn as_chain(chain: &cred_providers::profile::ProfileChain) -> Value {
    let mut steps = Vec::new();
    steps.push(match &chain.base {
        Base::AccessKey {
            access_key_id,
            secret_access_key,
            account_id,
            ..
        } => {
            let mut m = json!({"access_key_id": access_key_id, "secret_access_key": secret_access_key.as_str()});
            if let Some(a) = account_id {
                m["account_id"] = json!(a);
            }
            json!({ "AccessKey": m })
        }
        Base::Named(n) => json!({ "NamedSource": n.as_str() }),
        Base::WebIdentity {
            role_arn,
            token_file,
            session_name,
            ..
        } => {
            let mut m = json!({"role_arn": role_arn, "web_identity_token_file": token_file});
            if let Some(s) = session_name {
                m["role_session_name"] = json!(s);
            }
            json!({ "WebIdentityToken": m })
        }
        Base::Process { command, .. } => json!({ "CredentialProcess": command }),
    });
    for r in &chain.roles {
        let mut m = json!({"role_arn": r.role_arn});
        if let Some(s) = &r.session_name {
            m["role_session_name"] = json!(s);
        }
        if let Some(e) = &r.external_id {
            m["external_id"] = json!(e);
        }
        steps.push(json!({ "AssumeRole": m }));
    }
    json!({ "ProfileChain": steps })
}

/// Does our error have the kind the expected message describes?
fn same_kind(expected: &str, got: &ResolveError) -> bool {
    use ResolveError::*;
    let e = expected.to_ascii_lowercase();
    match got {
        RoleWithoutSource(_) => e.contains("must contain `source_profile`"),
        BothSources(_) => e.contains("both source_profile and credential_source"),
        PartialKeys { missing, .. } => e.contains(&format!("missing {missing}")),
        NoCredentials(_) => e.contains("did not contain credential information"),
        SourceProfileNotFound { .. } => e.contains("could not find source profile"),
        NoProfiles(_) => e.contains("no profiles were defined"),
        Cycle(_) => e.contains("infinite loop"),
        WebIdentityWithoutRole(_) => e.contains("`role_arn` was missing"),
        InvalidSso { .. } => e.contains("sso"),
        _ => false,
    }
}

#[test]
fn assume_role_cases() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/assume-role-tests.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 28);
    let mut failures = Vec::new();
    for case in all {
        let docs = case["docs"].as_str().unwrap();
        let text = render(&case["input"]);
        let set = ProfileSet::parse(
            Some(Source {
                text: &text,
                path: None,
            }),
            None,
        )
        .unwrap();
        let selected = case["input"]["selected_profile"].as_str().unwrap();
        let got = resolve(&set, selected);
        let expected = &case["output"];
        let ok = match (&got, expected.get("Error").and_then(Value::as_str)) {
            (Err(e), Some(msg)) => same_kind(msg, e),
            (Ok(chain), None) => as_chain(chain) == *expected,
            // A valid SSO profile: recognised, and refused by name.
            (Err(ResolveError::SsoUnsupported(p)), None) => {
                p == selected && expected["ProfileChain"][0].get("Sso").is_some()
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{docs}\n  expected {expected}\n  got      {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 28 failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_name_the_profiles() {
    let text = "[profile a]\nrole_arn = r\nsource_profile = b\n[profile b]\nrole_arn = r\nsource_profile = c\n[profile c]\nrole_arn = r\nsource_profile = a\n";
    let set = ProfileSet::parse(Some(Source { text, path: None }), None).unwrap();
    let err = resolve(&set, "a").unwrap_err().to_string();
    assert!(err.contains("a -> b -> c -> a"), "{err}");
    let err = resolve(&set, "zz").unwrap_err().to_string();
    assert!(err.contains("`zz`"), "{err}");
}
