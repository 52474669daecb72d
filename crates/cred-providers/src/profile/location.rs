//! Where the shared files are: `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
//! else `.aws/config` and `.aws/credentials` in the home directory, and
//! which profile is selected (`AWS_PROFILE`, else `default`).

use crate::env::Env;

/// The platform's rules for finding the home directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// `$HOME`.
    Unix,
    /// `%HOME%`, else `%USERPROFILE%`, else `%HOMEDRIVE%%HOMEPATH%`.
    Windows,
}

impl Platform {
    /// The platform this program runs on.
    pub fn current() -> Self {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }

    fn separator(self) -> char {
        match self {
            Platform::Unix => '/',
            Platform::Windows => '\\',
        }
    }
}

/// The resolved file paths and profile name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locations {
    /// The config file.
    pub config: Option<String>,
    /// The credentials file.
    pub credentials: Option<String>,
    /// The selected profile.
    pub profile: String,
}

/// The home directory, as the SDKs find it.
pub fn home_dir(env: &dyn Env, platform: Platform) -> Option<String> {
    if let Some(home) = env.non_empty("HOME") {
        return Some(home);
    }
    match platform {
        Platform::Unix => None,
        Platform::Windows => env.non_empty("USERPROFILE").or_else(|| {
            match (env.non_empty("HOMEDRIVE"), env.non_empty("HOMEPATH")) {
                (Some(drive), Some(path)) => Some(format!("{drive}{path}")),
                _ => None,
            }
        }),
    }
}

/// Expands a leading `~` (alone or followed by a separator) to the home
/// directory.
pub fn expand_home(path: &str, env: &dyn Env, platform: Platform) -> String {
    let rest = match path.strip_prefix('~') {
        Some(r) if r.is_empty() || r.starts_with(['/', '\\']) => r,
        _ => return path.to_string(),
    };
    match home_dir(env, platform) {
        Some(home) => format!("{home}{rest}"),
        None => path.to_string(),
    }
}

/// Resolves the file locations and the profile; `profile_override` is
/// `--profile` and wins over `AWS_PROFILE`.
pub fn resolve(env: &dyn Env, platform: Platform, profile_override: Option<&str>) -> Locations {
    let sep = platform.separator();
    let default = |file: &str| home_dir(env, platform).map(|h| format!("{h}{sep}.aws{sep}{file}"));
    let config = match env.non_empty("AWS_CONFIG_FILE") {
        Some(p) => Some(expand_home(&p, env, platform)),
        None => default("config"),
    };
    let credentials = match env.non_empty("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => Some(expand_home(&p, env, platform)),
        None => default("credentials"),
    };
    let profile = profile_override
        .map(str::to_string)
        .or_else(|| env.non_empty("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_string());
    Locations {
        config,
        credentials,
        profile,
    }
}
