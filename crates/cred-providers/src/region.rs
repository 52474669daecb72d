//! The region, resolved as the SDKs do: an explicit value, `AWS_REGION`,
//! `AWS_DEFAULT_REGION`, then the selected profile's `region`.

use crate::env::{Env, Files};
use crate::profile::ProfileSet;
use crate::profile::location::{self, Platform};

/// Where the region came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionSource {
    /// Given explicitly (`--region`).
    Explicit,
    /// `AWS_REGION`.
    AwsRegion,
    /// `AWS_DEFAULT_REGION`.
    AwsDefaultRegion,
    /// The profile's `region`.
    Profile,
}

/// Resolves the region; a malformed config file is ignored here (the
/// credential chain reports it).
pub fn resolve_region(
    explicit: Option<&str>,
    env: &dyn Env,
    files: &dyn Files,
    profile: Option<&str>,
) -> Option<(String, RegionSource)> {
    if let Some(r) = explicit.filter(|r| !r.is_empty()) {
        return Some((r.to_string(), RegionSource::Explicit));
    }
    if let Some(r) = env.non_empty("AWS_REGION") {
        return Some((r, RegionSource::AwsRegion));
    }
    if let Some(r) = env.non_empty("AWS_DEFAULT_REGION") {
        return Some((r, RegionSource::AwsDefaultRegion));
    }
    let loc = location::resolve(env, Platform::current(), profile);
    let set = ProfileSet::load(files, loc.config.as_deref(), loc.credentials.as_deref()).ok()?;
    let region = set.profile(&loc.profile)?.get("region")?.trim();
    (!region.is_empty()).then(|| (region.to_string(), RegionSource::Profile))
}
