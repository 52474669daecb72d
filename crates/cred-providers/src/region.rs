//! The region, resolved as the SDKs do: an explicit value, `AWS_REGION`,
//! `AWS_DEFAULT_REGION`, then the selected profile's `region`.

use crate::env::{Env, Files};
use crate::profile::location::{self, Platform};
use crate::profile::{Profile, ProfileSet};

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

/// Resolves the region from the environment and the files, parsing them
/// for this call; a malformed config file is ignored here (the credential
/// chain reports it). Code that resolves more than the region should load
/// a [`SharedConfig`](crate::SharedConfig) once and ask it instead.
pub fn resolve_region(
    explicit: Option<&str>,
    env: &dyn Env,
    files: &dyn Files,
    profile: Option<&str>,
) -> Option<(String, RegionSource)> {
    if let Some(found) = region_from(explicit, env, None) {
        return Some(found);
    }
    let loc = location::resolve(env, Platform::current(), profile);
    let set = ProfileSet::load(files, loc.config.as_deref(), loc.credentials.as_deref()).ok()?;
    region_from(None, env, set.profile(&loc.profile))
}

/// The region from `explicit`, the environment, then `profile`'s `region`.
pub(crate) fn region_from(
    explicit: Option<&str>,
    env: &dyn Env,
    profile: Option<&Profile>,
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
    let region = profile?.get("region")?.trim();
    (!region.is_empty()).then(|| (region.to_string(), RegionSource::Profile))
}
