//! Writing a profile into the shared credentials file, as
//! `rolesanywhere update` does: the profile's three keys are replaced or
//! added, every other line of the file is kept as it was, and the file is
//! replaced atomically with mode 0600.

use std::io::Write;
use std::path::Path;

const KEYS: [&str; 3] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
];

fn section_name(line: &str) -> Option<&str> {
    let t = line.trim();
    let inner = t.strip_prefix('[')?;
    let end = inner.find(']')?;
    Some(inner[..end].trim())
}

fn key_of(line: &str) -> Option<String> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let (k, _) = line.split_once('=')?;
    Some(k.trim().to_ascii_lowercase())
}

/// `contents` with `profile` holding these credentials.
pub fn upsert(
    contents: &str,
    profile: &str,
    access_key_id: &str,
    secret_access_key: &str,
    session_token: &str,
) -> String {
    let values = [access_key_id, secret_access_key, session_token];
    let new_line = |i: usize| format!("{} = {}", KEYS[i], values[i]);
    // Split on '\n' only, so every other byte of a line (a '\r' of CRLF
    // files included) is written back as it was.
    let mut lines: Vec<&str> = if contents.is_empty() {
        Vec::new()
    } else {
        contents.split('\n').collect()
    };
    if contents.ends_with('\n') {
        lines.pop();
    }
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 5);
    let mut in_section = false;
    let mut found_section = false;
    let mut written = [false; 3];
    // Where to add keys the section lacks: after its last non-blank line.
    let mut insert_at: Option<usize> = None;
    let mut skipping_continuation = false;
    for line in &lines {
        if let Some(name) = section_name(line) {
            if in_section {
                flush_missing(&mut out, &mut insert_at, &mut written, &new_line);
            }
            in_section = name == profile;
            skipping_continuation = false;
            if in_section {
                out.push((*line).to_string());
                // A repeated section (merged by the SDKs) only loses its
                // copies of the keys; the first one holds them.
                if !found_section {
                    insert_at = Some(out.len());
                }
                found_section = true;
                continue;
            }
            out.push((*line).to_string());
            continue;
        }
        if in_section {
            if skipping_continuation && line.starts_with([' ', '\t']) && !line.trim().is_empty() {
                continue;
            }
            skipping_continuation = false;
            if let Some(k) = key_of(line)
                && let Some(i) = KEYS.iter().position(|&x| x == k)
            {
                skipping_continuation = true;
                if !written[i] {
                    written[i] = true;
                    out.push(new_line(i));
                    insert_at = Some(out.len());
                }
                continue;
            }
            out.push((*line).to_string());
            if !line.trim().is_empty() {
                insert_at = Some(out.len());
            }
            continue;
        }
        out.push((*line).to_string());
    }
    if in_section {
        flush_missing(&mut out, &mut insert_at, &mut written, &new_line);
    }
    if !found_section {
        if out.last().is_some_and(|l| !l.trim().is_empty()) {
            out.push(String::new());
        }
        out.push(format!("[{profile}]"));
        for i in 0..3 {
            out.push(new_line(i));
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn flush_missing(
    out: &mut Vec<String>,
    insert_at: &mut Option<usize>,
    written: &mut [bool; 3],
    new_line: &dyn Fn(usize) -> String,
) {
    if let Some(mut at) = insert_at.take() {
        for (i, done) in written.iter_mut().enumerate() {
            if !*done {
                out.insert(at, new_line(i));
                *done = true;
                at += 1;
            }
        }
    }
}

/// Replaces `path` with `contents` atomically (a temporary file in the same
/// directory, then a rename), mode 0600 on Unix.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "credentials".into());
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut f = options.open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::upsert;

    #[test]
    fn replaces_in_place_and_keeps_everything_else() {
        let before = "# my creds\n[default]\naws_access_key_id = OLD\nregion = eu-west-1\naws_secret_access_key = OLDSECRET\n\n[ra]\n# comment\naws_session_token = OLDTOKEN\n  continued\nother = 1\n\n[after]\nx = y\n";
        let after = upsert(before, "ra", "AKID", "SECRET", "TOKEN");
        assert_eq!(
            after,
            "# my creds\n[default]\naws_access_key_id = OLD\nregion = eu-west-1\naws_secret_access_key = OLDSECRET\n\n[ra]\n# comment\naws_session_token = TOKEN\nother = 1\naws_access_key_id = AKID\naws_secret_access_key = SECRET\n\n[after]\nx = y\n"
        );
    }

    #[test]
    fn adds_a_missing_profile_and_handles_an_empty_file() {
        assert_eq!(
            upsert("", "default", "A", "S", "T"),
            "[default]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n"
        );
        assert_eq!(
            upsert("[x]\na = b", "y", "A", "S", "T"),
            "[x]\na = b\n\n[y]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n"
        );
    }

    #[test]
    fn duplicate_keys_collapse_and_section_at_end() {
        let before = "[p]\naws_access_key_id=1\naws_access_key_id=2\n";
        assert_eq!(
            upsert(before, "p", "A", "S", "T"),
            "[p]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n"
        );
    }

    #[test]
    fn carriage_returns_are_kept() {
        let before = "# c\r\r\n[p]\r\nregion = x\r\n";
        let once = upsert(before, "p", "A", "S", "T");
        assert!(
            once.starts_with("# c\r\r\n[p]\r\nregion = x\r\n"),
            "{once:?}"
        );
        assert_eq!(upsert(&once, "p", "A", "S", "T"), once);
    }

    #[test]
    fn a_repeated_section_keeps_one_copy() {
        let before = "[p]\naws_session_token = 1\n[q]\n[p]\naws_access_key_id = 2\nx = y\n";
        assert_eq!(
            upsert(before, "p", "A", "S", "T"),
            "[p]\naws_session_token = T\naws_access_key_id = A\naws_secret_access_key = S\n[q]\n[p]\nx = y\n"
        );
    }

    #[test]
    fn idempotent() {
        let once = upsert("[a]\nk = v\n[p]\nregion = x\n", "p", "A", "S", "T");
        assert_eq!(upsert(&once, "p", "A", "S", "T"), once);
    }
}
