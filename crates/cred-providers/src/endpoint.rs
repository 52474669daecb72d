//! Configured endpoint overrides, by the SDKs' rules ("service-specific
//! endpoints"), highest first:
//!
//! 1. `AWS_ENDPOINT_URL_<SERVICE>` (the service id upper-cased, spaces as
//!    `_`: `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_OPENSEARCH`);
//! 2. the profile's `services = NAME` section, `[services NAME]`, with
//!    `<service> =` and an indented `endpoint_url = …` sub-property;
//! 3. `AWS_ENDPOINT_URL`;
//! 4. the profile's `endpoint_url`.
//!
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or the profile's
//! `ignore_configured_endpoint_urls = true`) turns all of them off.

use crate::env::Env;
use crate::profile::{Profile, ProfileSet};

/// Where an endpoint override came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointSource {
    /// `AWS_ENDPOINT_URL_<SERVICE>`.
    ServiceEnv,
    /// The profile's `[services …]` section.
    ServicesSection,
    /// `AWS_ENDPOINT_URL`.
    GlobalEnv,
    /// The profile's `endpoint_url`.
    Profile,
}

/// The environment-variable suffix of a service id (`Elasticsearch
/// Service` → `ELASTICSEARCH_SERVICE`).
pub fn env_suffix(service_id: &str) -> String {
    service_id
        .trim()
        .chars()
        .map(|c| {
            if c == ' ' || c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

/// The key of a service in a `[services]` section (`Elasticsearch Service`
/// → `elasticsearch_service`).
pub fn config_key(service_id: &str) -> String {
    env_suffix(service_id).to_ascii_lowercase()
}

fn sub_property<'a>(value: &'a str, key: &str) -> Option<&'a str> {
    value.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
    })
}

fn truthy(v: Option<String>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The configured endpoint for `service_id`, if any.
pub fn resolve_endpoint(
    service_id: &str,
    env: &dyn Env,
    set: &ProfileSet,
    profile: Option<&Profile>,
) -> Option<(String, EndpointSource)> {
    let ignore = truthy(env.non_empty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
        || truthy(
            profile.and_then(|p| p.get("ignore_configured_endpoint_urls").map(str::to_string)),
        );
    if ignore {
        return None;
    }
    if let Some(url) = env.non_empty(&format!("AWS_ENDPOINT_URL_{}", env_suffix(service_id))) {
        return Some((url, EndpointSource::ServiceEnv));
    }
    if let Some(url) = profile
        .and_then(|p| p.get("services"))
        .and_then(|name| set.services(name))
        .and_then(|section| section.get(&config_key(service_id)))
        .and_then(|v| sub_property(v, "endpoint_url"))
        .filter(|u| !u.is_empty())
    {
        return Some((url.to_string(), EndpointSource::ServicesSection));
    }
    if let Some(url) = env.non_empty("AWS_ENDPOINT_URL") {
        return Some((url, EndpointSource::GlobalEnv));
    }
    profile
        .and_then(|p| p.get("endpoint_url"))
        .filter(|u| !u.is_empty())
        .map(|u| (u.to_string(), EndpointSource::Profile))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;
    use crate::profile::Source;

    const CONFIG: &str = "[profile dev]\nendpoint_url = http://profile-global\nservices = local\n\
        [services local]\nsts =\n  endpoint_url = http://section-sts\nelasticsearch_service =\n  endpoint_url = http://section-es\n\
        [profile plain]\nregion = x\n[profile off]\nendpoint_url = http://ignored\nignore_configured_endpoint_urls = true\n";

    fn set() -> ProfileSet {
        ProfileSet::parse(
            Some(Source {
                text: CONFIG,
                path: None,
            }),
            None,
        )
        .unwrap()
    }

    #[test]
    fn precedence() {
        let set = set();
        let dev = set.profile("dev");
        let none = MapEnv::default();
        let r = |service: &str, env: &MapEnv, p| resolve_endpoint(service, env, &set, p);
        assert_eq!(
            r("STS", &none, dev),
            Some(("http://section-sts".into(), EndpointSource::ServicesSection))
        );
        assert_eq!(
            r("Elasticsearch Service", &none, dev),
            Some(("http://section-es".into(), EndpointSource::ServicesSection))
        );
        assert_eq!(
            r("S3", &none, dev),
            Some(("http://profile-global".into(), EndpointSource::Profile))
        );
        let global = MapEnv::new([("AWS_ENDPOINT_URL", "http://env-global")]);
        assert_eq!(
            r("S3", &global, dev),
            Some(("http://env-global".into(), EndpointSource::GlobalEnv))
        );
        assert_eq!(
            r("STS", &global, dev).unwrap().1,
            EndpointSource::ServicesSection
        );
        let specific = MapEnv::new([
            ("AWS_ENDPOINT_URL_STS", "http://env-sts"),
            ("AWS_ENDPOINT_URL", "http://g"),
        ]);
        assert_eq!(
            r("STS", &specific, dev),
            Some(("http://env-sts".into(), EndpointSource::ServiceEnv))
        );
        assert_eq!(r("STS", &none, set.profile("plain")), None);
        assert_eq!(r("STS", &none, set.profile("off")), None);
        let ignore = MapEnv::new([
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ("AWS_ENDPOINT_URL", "http://g"),
        ]);
        assert_eq!(r("STS", &ignore, dev), None);
    }

    #[test]
    fn names() {
        assert_eq!(env_suffix("Elasticsearch Service"), "ELASTICSEARCH_SERVICE");
        assert_eq!(env_suffix("sts"), "STS");
        assert_eq!(config_key("OpenSearchServerless"), "opensearchserverless");
    }
}
