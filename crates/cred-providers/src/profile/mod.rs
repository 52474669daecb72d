//! The shared config and credentials files: parsing (by the SDKs' rules), where they
//! are ([`location`]), and the merged view of profiles ([`ProfileSet`]).

pub mod location;
mod parse;
mod resolve;

use std::collections::BTreeMap;
use std::path::Path;

pub use parse::{FileKind, ParseError, ParseErrorKind, Properties};
pub use resolve::{AssumeRole, Base, NamedSource, ProfileChain, ResolveError, resolve};

use crate::env::{Env, Files};

/// One profile: its name and properties (keys in lower case).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    name: String,
    properties: Properties,
}

impl Profile {
    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A property (case-insensitive key).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// All properties.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }
}

/// Both files merged: the credentials file's properties win over the config
/// file's for the same profile; in the config file, `[profile default]`
/// wins over `[default]`; repeated sections merge, later keys winning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
    sso_sessions: BTreeMap<String, Properties>,
    services: BTreeMap<String, Properties>,
}

/// The text of one file and where it came from.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// The contents.
    pub text: &'a str,
    /// The path, for error messages.
    pub path: Option<&'a str>,
}

impl ProfileSet {
    /// Parses and merges the two files' texts.
    pub fn parse(
        config: Option<Source<'_>>,
        credentials: Option<Source<'_>>,
    ) -> Result<Self, ParseError> {
        let mut set = ProfileSet::default();
        if let Some(c) = config {
            let raw = parse::parse(c.text, FileKind::Config, c.path)?;
            let has_prefixed_default = raw
                .profiles
                .iter()
                .any(|(name, prefixed, _)| name == "default" && *prefixed);
            for (name, prefixed, props) in raw.profiles {
                if name == "default" && !prefixed && has_prefixed_default {
                    continue;
                }
                set.merge_profile(name, props);
            }
            for (name, props) in raw.sso_sessions {
                set.sso_sessions.entry(name).or_default().extend(props);
            }
            for (name, props) in raw.services {
                set.services.entry(name).or_default().extend(props);
            }
        }
        if let Some(c) = credentials {
            let raw = parse::parse(c.text, FileKind::Credentials, c.path)?;
            for (name, _, props) in raw.profiles {
                set.merge_profile(name, props);
            }
        }
        Ok(set)
    }

    /// Reads and parses the files at `config` and `credentials`; a missing
    /// file counts as empty, an unreadable one is an error.
    pub fn load(
        files: &dyn Files,
        config: Option<&str>,
        credentials: Option<&str>,
    ) -> Result<Self, LoadError> {
        let read = |path: Option<&str>| -> Result<Option<String>, LoadError> {
            let Some(path) = path else { return Ok(None) };
            match files.read_to_string(Path::new(path)) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(LoadError::Read {
                    path: path.to_string(),
                    source: std::sync::Arc::new(e),
                }),
            }
        };
        let config_text = read(config)?;
        let credentials_text = read(credentials)?;
        Ok(Self::parse(
            config_text
                .as_deref()
                .map(|text| Source { text, path: config }),
            credentials_text.as_deref().map(|text| Source {
                text,
                path: credentials,
            }),
        )?)
    }

    /// Resolves the locations from `env` and loads the files.
    pub fn from_env(
        env: &dyn Env,
        files: &dyn Files,
        profile_override: Option<&str>,
    ) -> Result<(Self, location::Locations), LoadError> {
        let loc = location::resolve(env, location::Platform::current(), profile_override);
        let set = Self::load(files, loc.config.as_deref(), loc.credentials.as_deref())?;
        Ok((set, loc))
    }

    fn merge_profile(&mut self, name: String, props: Properties) {
        let p = self
            .profiles
            .entry(name.clone())
            .or_insert_with(|| Profile {
                name,
                properties: Properties::new(),
            });
        p.properties.extend(props);
    }

    /// A profile by name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// Every profile, by name.
    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    /// An `[sso-session NAME]` section.
    pub fn sso_session(&self, name: &str) -> Option<&Properties> {
        self.sso_sessions.get(name)
    }

    /// Every `[sso-session NAME]` section.
    pub fn sso_sessions(&self) -> &BTreeMap<String, Properties> {
        &self.sso_sessions
    }

    /// A `[services NAME]` section (per-service endpoint overrides).
    pub fn services(&self, name: &str) -> Option<&Properties> {
        self.services.get(name)
    }
}

/// Why the shared files could not be loaded.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
    /// A file is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
}
