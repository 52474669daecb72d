//! Where providers read their surroundings from: environment variables and
//! files, behind small traits so that tests (and embedders) can supply
//! their own.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::Path;

/// A source of environment variables.
pub trait Env: Send + Sync + fmt::Debug {
    /// The value of `name`, if set and valid UTF-8.
    fn get(&self, name: &str) -> Option<String>;

    /// The value of `name` if set and not empty.
    fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

/// The process environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var_os(name).and_then(|v| v.into_string().ok())
    }
}

/// A fixed set of variables, for tests and for callers that build their
/// own environment.
#[derive(Clone, Debug, Default)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    /// An environment with these variables.
    pub fn new<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        Self(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl Env for MapEnv {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// A source of file contents.
pub trait Files: Send + Sync + fmt::Debug {
    /// The whole file as text.
    fn read_to_string(&self, path: &Path) -> io::Result<String>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFiles;

impl Files for RealFiles {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Describes a JSON parse failure without quoting the input: serde_json's
/// own messages may repeat a value from it (`invalid type: string "…"`),
/// and the input may hold a secret.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "missing field or wrong type",
        serde_json::error::Category::Eof => "unexpected end",
    };
    // A missing field's name comes from the schema, not the input.
    let text = e.to_string();
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some(field) = rest.split('`').next()
    {
        return format!("missing field {field}");
    }
    format!("{kind} at line {} column {}", e.line(), e.column())
}

/// Reads a token file (a web identity token, a container authorization
/// token) without its trailing line break or spaces, which Kubernetes
/// secrets and `echo` often add. Read on every use: such files rotate.
pub fn read_token_file(files: &dyn Files, path: &Path) -> io::Result<String> {
    let mut text = files.read_to_string(path)?;
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_lose_their_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("token-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (written, read) in [
            ("eyJ.a.b\n", "eyJ.a.b"),
            ("eyJ.a.b\r\n", "eyJ.a.b"),
            ("eyJ.a.b", "eyJ.a.b"),
            ("x y \n\n", "x y"),
        ] {
            let p = dir.join("token");
            std::fs::write(&p, written).unwrap();
            assert_eq!(read_token_file(&RealFiles, &p).unwrap(), read);
        }
        assert!(read_token_file(&RealFiles, &dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
