//! Which providers a profile stands for: a base (static keys, a process, a
//! web identity token, a named source) and the roles to assume on top of it,
//! innermost first — the SDKs' rules for `role_arn`, `source_profile`,
//! `credential_source` and `web_identity_token_file`.
//!
//! * In the selected profile, `role_arn` wins over static keys in the same
//!   profile; in a *source* profile, static keys win over its `role_arn`.
//! * A profile may name itself as its source: its keys assume its role.
//! * Chains may be of any length; a cycle is an error that names it.
//! * Without `role_arn`, a profile's own credentials come from, in order:
//!   `web_identity_token_file` (which then needs `role_arn`), SSO
//!   (recognised, refused), `credential_process`, static keys.

use std::collections::BTreeSet;
use std::fmt;

use zeroize::Zeroizing;

use super::{Profile, ProfileSet};

/// A `credential_source` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedSource {
    /// `Environment`: the environment variables.
    Environment,
    /// `Ec2InstanceMetadata`: IMDS.
    Ec2InstanceMetadata,
    /// `EcsContainer`: the container credentials endpoint.
    EcsContainer,
}

impl NamedSource {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "Environment" => Some(Self::Environment),
            "Ec2InstanceMetadata" => Some(Self::Ec2InstanceMetadata),
            "EcsContainer" => Some(Self::EcsContainer),
            _ => None,
        }
    }

    /// The name as written in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Environment => "Environment",
            Self::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            Self::EcsContainer => "EcsContainer",
        }
    }
}

/// Where the first credentials of a chain come from.
#[derive(Clone, PartialEq, Eq)]
pub enum Base {
    /// `aws_access_key_id` / `aws_secret_access_key` in a profile.
    AccessKey {
        /// The profile holding them.
        profile: String,
        /// The access key id.
        access_key_id: String,
        /// The secret.
        secret_access_key: Zeroizing<String>,
        /// `aws_session_token`.
        session_token: Option<Zeroizing<String>>,
        /// `aws_account_id`.
        account_id: Option<String>,
    },
    /// `credential_source`.
    Named(NamedSource),
    /// `web_identity_token_file` with `role_arn`.
    WebIdentity {
        /// The profile.
        profile: String,
        /// The role.
        role_arn: String,
        /// The token file (re-read on every refresh).
        token_file: String,
        /// `role_session_name`.
        session_name: Option<String>,
    },
    /// `credential_process`.
    Process {
        /// The profile.
        profile: String,
        /// The command line, run with `sh -c`.
        command: String,
    },
}

impl fmt::Debug for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base::AccessKey {
                profile,
                access_key_id,
                ..
            } => f
                .debug_struct("AccessKey")
                .field("profile", profile)
                .field("access_key_id", access_key_id)
                .finish_non_exhaustive(),
            Base::Named(n) => f.debug_tuple("Named").field(n).finish(),
            Base::WebIdentity {
                profile,
                role_arn,
                token_file,
                session_name,
            } => f
                .debug_struct("WebIdentity")
                .field("profile", profile)
                .field("role_arn", role_arn)
                .field("token_file", token_file)
                .field("session_name", session_name)
                .finish(),
            Base::Process { profile, .. } => f
                .debug_struct("Process")
                .field("profile", profile)
                .finish_non_exhaustive(),
        }
    }
}

/// A role to assume with the credentials of the step before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRole {
    /// The profile that names the role.
    pub profile: String,
    /// `role_arn`.
    pub role_arn: String,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `role_session_name`.
    pub session_name: Option<String>,
    /// `duration_seconds`.
    pub duration_seconds: Option<u32>,
}

/// A resolved profile: the base, then roles to assume, innermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileChain {
    /// The first credentials.
    pub base: Base,
    /// Roles assumed in turn.
    pub roles: Vec<AssumeRole>,
}

/// Why a profile cannot be resolved. Every variant names the profile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// Neither file defines any profile.
    #[error("no profiles are defined in the config or credentials file (selected profile `{0}`)")]
    NoProfiles(String),
    /// The selected profile does not exist.
    #[error("profile `{0}` is not defined in the config or credentials file")]
    ProfileNotFound(String),
    /// `source_profile` names a profile that does not exist.
    #[error("profile `{profile}` names source_profile `{source_profile}`, which is not defined")]
    SourceProfileNotFound {
        /// The referring profile.
        profile: String,
        /// The missing one.
        source_profile: String,
    },
    /// `source_profile` links form a loop.
    #[error("source_profile links form a loop: {0}")]
    Cycle(String),
    /// `role_arn` with neither `source_profile`, `credential_source` nor
    /// `web_identity_token_file`.
    #[error(
        "profile `{0}` has role_arn but no source_profile, credential_source or web_identity_token_file"
    )]
    RoleWithoutSource(String),
    /// Both `source_profile` and `credential_source`.
    #[error("profile `{0}` has both source_profile and credential_source; keep one")]
    BothSources(String),
    /// An unknown `credential_source`.
    #[error(
        "profile `{profile}` has credential_source `{value}`; use Environment, Ec2InstanceMetadata or EcsContainer"
    )]
    UnknownCredentialSource {
        /// The profile.
        profile: String,
        /// What it said.
        value: String,
    },
    /// `web_identity_token_file` without `role_arn`.
    #[error("profile `{0}` has web_identity_token_file but no role_arn")]
    WebIdentityWithoutRole(String),
    /// One of the two static key properties without the other.
    #[error("profile `{profile}` has {present} but not {missing}")]
    PartialKeys {
        /// The profile.
        profile: String,
        /// The key that is there.
        present: &'static str,
        /// The key that is missing.
        missing: &'static str,
    },
    /// Nothing a credential can come from.
    #[error(
        "profile `{0}` has no credentials: no keys, role_arn, credential_process or web_identity_token_file"
    )]
    NoCredentials(String),
    /// `duration_seconds` is not a number of seconds.
    #[error(
        "profile `{profile}` has duration_seconds `{value}`, which is not a whole number of seconds"
    )]
    BadDuration {
        /// The profile.
        profile: String,
        /// What it said.
        value: String,
    },
    /// An SSO profile with a configuration mistake.
    #[error("profile `{profile}`: invalid SSO configuration: {message}")]
    InvalidSso {
        /// The profile.
        profile: String,
        /// What is wrong.
        message: &'static str,
    },
    /// A valid SSO profile: recognised, not supported.
    #[error(
        "profile `{0}` uses AWS IAM Identity Center (SSO), which is not supported; run `aws sso login` and `aws configure export-credentials --profile {0} --format process` as a credential_process, or use another profile"
    )]
    SsoUnsupported(String),
}

fn role_of(p: &Profile) -> Result<Option<AssumeRole>, ResolveError> {
    let Some(role_arn) = p.get("role_arn") else {
        return Ok(None);
    };
    let duration_seconds = match p.get("duration_seconds") {
        Some(d) => Some(
            d.trim()
                .parse::<u32>()
                .map_err(|_| ResolveError::BadDuration {
                    profile: p.name().to_string(),
                    value: d.to_string(),
                })?,
        ),
        None => None,
    };
    Ok(Some(AssumeRole {
        profile: p.name().to_string(),
        role_arn: role_arn.to_string(),
        external_id: p.get("external_id").map(str::to_string),
        session_name: p.get("role_session_name").map(str::to_string),
        duration_seconds,
    }))
}

fn static_keys(p: &Profile) -> Result<Option<Base>, ResolveError> {
    let name = || p.name().to_string();
    match (p.get("aws_access_key_id"), p.get("aws_secret_access_key")) {
        (Some(id), Some(secret)) => Ok(Some(Base::AccessKey {
            profile: name(),
            access_key_id: id.to_string(),
            secret_access_key: Zeroizing::new(secret.to_string()),
            session_token: p
                .get("aws_session_token")
                .map(|t| Zeroizing::new(t.to_string())),
            account_id: p.get("aws_account_id").map(str::to_string),
        })),
        (Some(_), None) => Err(ResolveError::PartialKeys {
            profile: name(),
            present: "aws_access_key_id",
            missing: "aws_secret_access_key",
        }),
        (None, Some(_)) => Err(ResolveError::PartialKeys {
            profile: name(),
            present: "aws_secret_access_key",
            missing: "aws_access_key_id",
        }),
        (None, None) => Ok(None),
    }
}

fn check_sso(set: &ProfileSet, p: &Profile) -> Result<bool, ResolveError> {
    let invalid = |message| ResolveError::InvalidSso {
        profile: p.name().to_string(),
        message,
    };
    if let Some(session) = p.get("sso_session") {
        if set.sso_session(session).is_none() {
            return Err(invalid(
                "its sso_session names an [sso-session] section that does not exist",
            ));
        }
        if p.get("sso_region").is_some() || p.get("sso_start_url").is_some() {
            return Err(invalid(
                "with sso_session, sso_region and sso_start_url belong in the [sso-session] section",
            ));
        }
        return Ok(true);
    }
    let keys = [
        "sso_account_id",
        "sso_role_name",
        "sso_region",
        "sso_start_url",
    ];
    if !keys.iter().any(|k| p.get(k).is_some()) {
        return Ok(false);
    }
    match (p.get("sso_account_id"), p.get("sso_role_name")) {
        (None, Some(_)) => Err(invalid("sso_role_name is set but sso_account_id is not")),
        (Some(_), None) => Err(invalid("sso_account_id is set but sso_role_name is not")),
        _ => Ok(true),
    }
}

/// A profile's own credentials, when it assumes no role itself.
fn own_base(set: &ProfileSet, p: &Profile) -> Result<Base, ResolveError> {
    if let Some(token_file) = p.get("web_identity_token_file") {
        let role_arn = p
            .get("role_arn")
            .ok_or_else(|| ResolveError::WebIdentityWithoutRole(p.name().to_string()))?;
        return Ok(Base::WebIdentity {
            profile: p.name().to_string(),
            role_arn: role_arn.to_string(),
            token_file: token_file.to_string(),
            session_name: p.get("role_session_name").map(str::to_string),
        });
    }
    if check_sso(set, p)? {
        return Err(ResolveError::SsoUnsupported(p.name().to_string()));
    }
    if let Some(command) = p.get("credential_process") {
        return Ok(Base::Process {
            profile: p.name().to_string(),
            command: command.to_string(),
        });
    }
    static_keys(p)?.ok_or_else(|| ResolveError::NoCredentials(p.name().to_string()))
}

/// Resolves the profile `selected` of `set`.
pub fn resolve(set: &ProfileSet, selected: &str) -> Result<ProfileChain, ResolveError> {
    if set.profiles().next().is_none() {
        return Err(ResolveError::NoProfiles(selected.to_string()));
    }
    let mut current = set
        .profile(selected)
        .ok_or_else(|| ResolveError::ProfileNotFound(selected.to_string()))?;
    let mut visited: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut roles: Vec<AssumeRole> = Vec::new();
    loop {
        let first = visited.is_empty();
        visited.push(current.name().to_string());
        seen.insert(current.name().to_string());
        // A source profile with keys is used for them, whatever else it says.
        if !first && let Some(keys) = static_keys(current)? {
            roles.reverse();
            return Ok(ProfileChain { base: keys, roles });
        }
        let role = role_of(current)?;
        let source = current.get("source_profile");
        let named = current.get("credential_source");
        let Some(role) = role else {
            let base = own_base(set, current)?;
            roles.reverse();
            return Ok(ProfileChain { base, roles });
        };
        if current.get("web_identity_token_file").is_some() {
            let base = own_base(set, current)?;
            roles.reverse();
            return Ok(ProfileChain { base, roles });
        }
        match (source, named) {
            (Some(_), Some(_)) => {
                return Err(ResolveError::BothSources(current.name().to_string()));
            }
            (None, Some(n)) => {
                let source =
                    NamedSource::parse(n).ok_or_else(|| ResolveError::UnknownCredentialSource {
                        profile: current.name().to_string(),
                        value: n.to_string(),
                    })?;
                roles.push(role);
                roles.reverse();
                return Ok(ProfileChain {
                    base: Base::Named(source),
                    roles,
                });
            }
            (None, None) => {
                return Err(ResolveError::RoleWithoutSource(current.name().to_string()));
            }
            (Some(src), None) => {
                roles.push(role);
                if src == current.name() {
                    // Self-reference: this profile's keys assume its role.
                    let keys = static_keys(current)?
                        .ok_or_else(|| ResolveError::NoCredentials(current.name().to_string()))?;
                    roles.reverse();
                    return Ok(ProfileChain { base: keys, roles });
                }
                if seen.contains(src) {
                    visited.push(src.to_string());
                    return Err(ResolveError::Cycle(visited.join(" -> ")));
                }
                current = set
                    .profile(src)
                    .ok_or_else(|| ResolveError::SourceProfileNotFound {
                        profile: current.name().to_string(),
                        source_profile: src.to_string(),
                    })?;
            }
        }
    }
}
