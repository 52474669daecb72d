//! The shared config and credentials file format, as the AWS SDKs read it.
//!
//! Line by line:
//! * blank lines, and lines starting with `#` or `;`, are skipped;
//! * `[name]` starts a section (a `#`/`;` comment may follow the `]`);
//! * `key = value` sets a property (keys are case-insensitive; a value's
//!   comment starts at whitespace followed by `#` or `;`);
//! * a line starting with whitespace continues the last property; when that
//!   property's value was empty, the continuation lines are `key = value`
//!   sub-properties (`s3 =` then `  max_concurrent_requests = 20`).
//!
//! In the config file, profiles are `[profile NAME]` (or `[default]`), and
//! `[sso-session NAME]` and `[services NAME]` are their own sections; in the
//! credentials file, profiles are `[NAME]`. Sections and properties with
//! invalid names are ignored, as the SDKs do.

use std::collections::BTreeMap;
use std::fmt;

/// Which of the two shared files a text came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config` (`AWS_CONFIG_FILE`).
    Config,
    /// `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`).
    Credentials,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Config => "config file",
            FileKind::Credentials => "credentials file",
        })
    }
}

/// What is wrong with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// `[profile foo` without the closing `]`.
    UnterminatedSection,
    /// A property or continuation before any `[section]`.
    OutsideSection,
    /// A line that is neither a section, a comment nor `key = value`.
    MissingEquals,
    /// `= value`: a property without a name.
    EmptyPropertyName,
    /// An indented line that follows no property.
    ContinuationWithoutProperty,
    /// A sub-property line without `=`.
    SubPropertyMissingEquals,
    /// A sub-property line without a name.
    EmptySubPropertyName,
}

impl ParseErrorKind {
    fn describe(self) -> &'static str {
        match self {
            Self::UnterminatedSection => "section header must end with ']'",
            Self::OutsideSection => "expected a [profile …] section before this line",
            Self::MissingEquals => "expected an '=' sign defining a property",
            Self::EmptyPropertyName => "property did not have a name",
            Self::ContinuationWithoutProperty => {
                "expected a property definition, found an indented continuation line"
            }
            Self::SubPropertyMissingEquals => "expected an '=' sign defining a sub-property",
            Self::EmptySubPropertyName => "sub-property did not have a name",
        }
    }
}

/// A malformed config or credentials file: which file, which line, what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}{path}, line {line}: {}", kind.describe(), path = path.as_deref().map(|p| format!(" {p}")).unwrap_or_default())]
pub struct ParseError {
    /// Config or credentials.
    pub file: FileKind,
    /// The file's path, when it came from one.
    pub path: Option<String>,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// One section's properties, keys in lower case.
pub type Properties = BTreeMap<String, String>;

/// Every section of one file, before merging.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawFile {
    /// Profiles, with a flag telling whether the config file named them
    /// `[profile default]` (which wins over `[default]`).
    pub(crate) profiles: Vec<(String, bool, Properties)>,
    pub(crate) sso_sessions: Vec<(String, Properties)>,
    pub(crate) services: Vec<(String, Properties)>,
}

/// Section names and property keys: letters, digits and `- / . % @ _ : +`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-/.%@_:+".contains(&b))
}

/// Strips a trailing comment: whitespace followed by `#` or `;`.
fn strip_value_comment(v: &str) -> &str {
    let b = v.as_bytes();
    for i in 1..b.len() {
        if (b[i] == b'#' || b[i] == b';') && (b[i - 1] == b' ' || b[i - 1] == b'\t') {
            return &v[..i];
        }
    }
    v
}

fn strip_prefix_ws<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(prefix)?;
    rest.starts_with([' ', '\t']).then(|| rest.trim())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    Profile { prefixed: bool },
    SsoSession,
    Services,
}

/// Where properties currently go.
enum Target {
    /// Before any section.
    None,
    /// An ignored section: its properties are dropped.
    Ignored,
    /// Index into the section list of that kind.
    Section(SectionKind, usize),
}

/// Parses one file's text.
pub(crate) fn parse(text: &str, file: FileKind, path: Option<&str>) -> Result<RawFile, ParseError> {
    let mut out = RawFile::default();
    let mut target = Target::None;
    // The last property: its key, and whether it holds sub-properties.
    let mut property: Option<(String, bool)> = None;
    let err = |line: usize, kind| ParseError {
        file,
        path: path.map(str::to_string),
        line,
        kind,
    };

    for (n, raw) in text.split('\n').enumerate() {
        let line_no = n + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            let close = line
                .find(']')
                .ok_or_else(|| err(line_no, ParseErrorKind::UnterminatedSection))?;
            let inner = line[1..close].trim();
            property = None;
            let kind = match file {
                FileKind::Config => {
                    if let Some(name) = strip_prefix_ws(inner, "profile") {
                        Some((SectionKind::Profile { prefixed: true }, name))
                    } else if let Some(name) = strip_prefix_ws(inner, "sso-session") {
                        Some((SectionKind::SsoSession, name))
                    } else if let Some(name) = strip_prefix_ws(inner, "services") {
                        Some((SectionKind::Services, name))
                    } else if inner == "default" {
                        Some((SectionKind::Profile { prefixed: false }, inner))
                    } else {
                        None
                    }
                }
                FileKind::Credentials => Some((SectionKind::Profile { prefixed: false }, inner)),
            };
            target = match kind {
                Some((kind, name)) if valid_name(name) => {
                    let name = name.to_string();
                    let idx = match kind {
                        SectionKind::Profile { prefixed } => {
                            out.profiles.push((name, prefixed, Properties::new()));
                            out.profiles.len() - 1
                        }
                        SectionKind::SsoSession => {
                            out.sso_sessions.push((name, Properties::new()));
                            out.sso_sessions.len() - 1
                        }
                        SectionKind::Services => {
                            out.services.push((name, Properties::new()));
                            out.services.len() - 1
                        }
                    };
                    Target::Section(kind, idx)
                }
                _ => Target::Ignored,
            };
            continue;
        }

        let props = match &target {
            Target::None => return Err(err(line_no, ParseErrorKind::OutsideSection)),
            Target::Ignored => None,
            Target::Section(SectionKind::Profile { .. }, i) => {
                out.profiles.get_mut(*i).map(|p| &mut p.2)
            }
            Target::Section(SectionKind::SsoSession, i) => {
                out.sso_sessions.get_mut(*i).map(|p| &mut p.1)
            }
            Target::Section(SectionKind::Services, i) => out.services.get_mut(*i).map(|p| &mut p.1),
        };

        if line.starts_with([' ', '\t']) {
            // A continuation of the last property.
            let Some((key, sub)) = &property else {
                return Err(err(line_no, ParseErrorKind::ContinuationWithoutProperty));
            };
            let content = line.trim();
            if *sub {
                let (k, _) = content
                    .split_once('=')
                    .ok_or_else(|| err(line_no, ParseErrorKind::SubPropertyMissingEquals))?;
                if k.trim().is_empty() {
                    return Err(err(line_no, ParseErrorKind::EmptySubPropertyName));
                }
            }
            if let Some(v) = props.and_then(|p| p.get_mut(key)) {
                v.push('\n');
                v.push_str(content);
            }
            continue;
        }

        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| err(line_no, ParseErrorKind::MissingEquals))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(err(line_no, ParseErrorKind::EmptyPropertyName));
        }
        let value = strip_value_comment(value.trim()).trim();
        if !valid_name(key) {
            // Ignored, with any continuation lines.
            property = Some((String::new(), false));
            continue;
        }
        let key = key.to_ascii_lowercase();
        if let Some(p) = props {
            p.insert(key.clone(), value.to_string());
        }
        property = Some((key, value.is_empty()));
    }
    Ok(out)
}
