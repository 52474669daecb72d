//! The AWS SDKs' shared configuration test cases (vendored in testdata/):
//! the profile parser (65 cases) and file locations (9 cases). Errors are
//! matched by kind, not by another SDK's wording.

use std::collections::BTreeMap;
use std::path::Path;

use cred_providers::MapEnv;
use cred_providers::profile::location::{Platform, resolve};
use cred_providers::profile::{ParseErrorKind, ProfileSet, Source};
use serde_json::Value;

fn cases(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(file);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["tests"].as_array().unwrap().clone()
}

/// The kind of failure an expected message describes.
fn expected_kind(message: &str) -> ParseErrorKind {
    let m = message.to_ascii_lowercase();
    if m.contains("must end with ']'") {
        ParseErrorKind::UnterminatedSection
    } else if m.contains("expected a profile definition") {
        ParseErrorKind::OutsideSection
    } else if m.contains("sub-property did not have a name") {
        ParseErrorKind::EmptySubPropertyName
    } else if m.contains("defining a sub-property") {
        ParseErrorKind::SubPropertyMissingEquals
    } else if m.contains("property did not have a name") {
        ParseErrorKind::EmptyPropertyName
    } else if m.contains("defining a property") {
        ParseErrorKind::MissingEquals
    } else if m.contains("expected a property definition") {
        ParseErrorKind::ContinuationWithoutProperty
    } else {
        panic!("no kind for expected message {message:?}")
    }
}

fn as_map(v: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(name, props)| {
            let props = props
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            (name.clone(), props)
        })
        .collect()
}

#[test]
fn profile_parser_cases() {
    let all = cases("profile-parser-tests.json");
    assert_eq!(all.len(), 65);
    let mut failures = Vec::new();
    for case in &all {
        let name = case["name"].as_str().unwrap();
        let input = &case["input"];
        let config = input["configFile"]
            .as_str()
            .map(|text| Source { text, path: None });
        let credentials = input["credentialsFile"]
            .as_str()
            .map(|text| Source { text, path: None });
        let got = ProfileSet::parse(config, credentials);
        let output = &case["output"];
        if let Some(message) = output["errorContaining"].as_str() {
            match got {
                Err(e) if e.kind == expected_kind(message) => {}
                other => failures.push(format!(
                    "{name}: expected {:?}, got {other:?}",
                    expected_kind(message)
                )),
            }
            continue;
        }
        let set = match got {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: unexpected error {e}"));
                continue;
            }
        };
        let expected = as_map(&output["config"]["profiles"]);
        let actual: BTreeMap<String, BTreeMap<String, String>> = set
            .profiles()
            .map(|p| (p.name().to_string(), p.properties().clone()))
            .collect();
        if expected != actual {
            failures.push(format!(
                "{name}: profiles\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
        if let Some(sso) = output["config"].get("sso_sessions") {
            let expected = as_map(sso);
            let actual: BTreeMap<String, BTreeMap<String, String>> = set
                .sso_sessions()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if expected != actual {
                failures.push(format!(
                    "{name}: sso sessions\n  expected {expected:?}\n  actual   {actual:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 65 cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn file_location_cases() {
    let all = cases("file-location-tests.json");
    assert_eq!(all.len(), 9);
    for case in &all {
        let name = case["name"].as_str().unwrap();
        let env = MapEnv::new(
            case["environment"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
        );
        let platform = match case["platform"].as_str().unwrap() {
            "windows" => Platform::Windows,
            _ => Platform::Unix,
        };
        let loc = resolve(&env, platform, None);
        assert_eq!(
            loc.config.as_deref(),
            case["configLocation"].as_str(),
            "{name}: config"
        );
        assert_eq!(
            loc.credentials.as_deref(),
            case["credentialsLocation"].as_str(),
            "{name}: credentials"
        );
        if let Some(profile) = case["profile"].as_str() {
            assert_eq!(loc.profile, profile, "{name}: profile");
        }
    }
}

#[test]
fn errors_name_the_file_and_line() {
    let err = ProfileSet::parse(
        Some(Source {
            text: "[profile a]\nx = 1\n\nbroken line\n",
            path: Some("/home/u/.aws/config"),
        }),
        None,
    )
    .unwrap_err();
    assert_eq!(err.line, 4);
    let text = err.to_string();
    assert!(text.contains("/home/u/.aws/config"), "{text}");
    assert!(text.contains("line 4"), "{text}");
}

#[test]
fn tilde_and_profile_override() {
    let env = MapEnv::new([
        ("HOME", "/home/u"),
        ("AWS_CONFIG_FILE", "~/cfg"),
        ("AWS_PROFILE", "env"),
    ]);
    let loc = resolve(&env, Platform::Unix, Some("flag"));
    assert_eq!(loc.config.as_deref(), Some("/home/u/cfg"));
    assert_eq!(loc.profile, "flag", "--profile wins over AWS_PROFILE");
    let loc = resolve(&MapEnv::default(), Platform::Unix, None);
    assert_eq!(loc.config, None, "no home, no default location");
}
