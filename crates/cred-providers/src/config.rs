//! One context for a resolution: the environment, the shared config and
//! credentials files (located and parsed once), and the selected profile.
//!
//! Everything that reads configuration — the providers of the default
//! chain, the region, the endpoint overrides, IMDS settings — takes a
//! [`SharedConfig`] instead of locating and parsing the files itself, so a
//! resolution reads each file once and every part sees the same snapshot.
//!
//! ```
//! use std::sync::Arc;
//! use cred_providers::{MapEnv, RealFiles, SharedConfig};
//!
//! let env = MapEnv::new([("AWS_REGION", "eu-west-1"), ("AWS_CONFIG_FILE", "/nonexistent")]);
//! let config = SharedConfig::load(Arc::new(env), Arc::new(RealFiles), None);
//! assert_eq!(config.profile_name(), "default");
//! assert_eq!(config.region(None).unwrap().0, "eu-west-1");
//! assert_eq!(config.sts_endpoint(None).url, "https://sts.eu-west-1.amazonaws.com");
//! ```

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::endpoint::{EndpointSource, resolve_endpoint};
use crate::env::{Env, Files};
use crate::profile::location::{self, Locations, Platform};
use crate::profile::{LoadError, Profile, ProfileSet};
use crate::region::RegionSource;
use crate::sts::StsEndpoint;

/// The environment, the parsed shared files and the selected profile, read
/// once. Cheap to clone (the parts are shared).
#[derive(Clone, Debug)]
pub struct SharedConfig {
    env: Arc<dyn Env>,
    files: Arc<dyn Files>,
    explicit_profile: bool,
    locations: Locations,
    loaded: Arc<Result<ProfileSet, LoadError>>,
    clock: Arc<dyn Clock>,
}

impl SharedConfig {
    /// Locates and parses the shared files that `env` points to (once);
    /// `profile` (`--profile`) wins over `AWS_PROFILE`. A file that cannot
    /// be read or parsed is kept as an error: the credential providers
    /// report it, while region and endpoint resolution carry on without the
    /// files, as the SDKs do.
    pub fn load(env: Arc<dyn Env>, files: Arc<dyn Files>, profile: Option<String>) -> Self {
        let explicit_profile = profile.is_some() || env.non_empty("AWS_PROFILE").is_some();
        let locations = location::resolve(&*env, Platform::current(), profile.as_deref());
        let loaded = ProfileSet::load(
            &*files,
            locations.config.as_deref(),
            locations.credentials.as_deref(),
        );
        Self {
            env,
            files,
            explicit_profile,
            locations,
            loaded: Arc::new(loaded),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same context with another clock, which the providers built from
    /// it read (signing times, session names).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A context over an already parsed set (tests, or files read some
    /// other way), with `profile` selected.
    pub fn from_parts(
        env: Arc<dyn Env>,
        files: Arc<dyn Files>,
        set: ProfileSet,
        profile: &str,
    ) -> Self {
        Self {
            env,
            files,
            explicit_profile: true,
            locations: Locations {
                config: None,
                credentials: None,
                profile: profile.to_string(),
            },
            loaded: Arc::new(Ok(set)),
            clock: Arc::new(SystemClock),
        }
    }

    /// The environment.
    pub fn env(&self) -> &Arc<dyn Env> {
        &self.env
    }

    /// The file system (token files, a credentials file to write).
    pub fn files(&self) -> &Arc<dyn Files> {
        &self.files
    }

    /// Where the files are, and the selected profile.
    pub fn locations(&self) -> &Locations {
        &self.locations
    }

    /// The selected profile's name.
    pub fn profile_name(&self) -> &str {
        &self.locations.profile
    }

    /// True when the profile was chosen (`--profile`, `AWS_PROFILE`)
    /// rather than `default`: then a missing profile is an error, not
    /// "not configured".
    pub fn profile_is_explicit(&self) -> bool {
        self.explicit_profile
    }

    /// The parsed files, or why they could not be read.
    pub fn profiles(&self) -> Result<&ProfileSet, &LoadError> {
        self.loaded.as_ref().as_ref()
    }

    /// The selected profile, when the files parse and hold it.
    pub fn profile(&self) -> Option<&Profile> {
        self.profiles()
            .ok()
            .and_then(|set| set.profile(&self.locations.profile))
    }

    /// The region, as the SDKs resolve it: `explicit` (`--region`),
    /// `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's `region`.
    pub fn region(&self, explicit: Option<&str>) -> Option<(String, RegionSource)> {
        crate::region::region_from(explicit, &*self.env, self.profile())
    }

    /// The endpoint configured for the service (its SDK service id, e.g.
    /// `STS`): `AWS_ENDPOINT_URL_<ID>`, the profile's `[services]`
    /// section, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`.
    pub fn endpoint(&self, service_id: &str) -> Option<(String, EndpointSource)> {
        let empty = ProfileSet::default();
        let set = self.profiles().unwrap_or(&empty);
        resolve_endpoint(service_id, &*self.env, set, self.profile())
    }

    /// The STS endpoint: an override, else the regional endpoint of
    /// `region`, else of the configured region, else of us-east-1.
    pub fn sts_endpoint(&self, region: Option<&str>) -> StsEndpoint {
        let region = self
            .region(region)
            .map(|(r, _)| r)
            .unwrap_or_else(|| "us-east-1".to_string());
        match self.endpoint("STS") {
            Some((url, _)) => StsEndpoint::custom(url, &region),
            None => StsEndpoint::regional(&region),
        }
    }
}
