//! `rolesanywhere update`: keeps a profile of the shared credentials file
//! fresh.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::Failure;
use rolesanywhere::credentials_file::{upsert, write_atomically};
use rolesanywhere::refresh::next_attempt;

use crate::Session;

fn credentials_path() -> Result<PathBuf, Failure> {
    let env = cred_providers::ProcessEnv;
    let loc = cred_providers::profile::location::resolve(
        &env,
        cred_providers::profile::location::Platform::current(),
        None,
    );
    loc.credentials.map(PathBuf::from).ok_or_else(|| {
        Failure::Io(
            "cannot find the shared credentials file: set HOME or AWS_SHARED_CREDENTIALS_FILE"
                .into(),
        )
    })
}

fn write(session: &Session, path: &PathBuf, profile: &str) -> Result<Option<SystemTime>, Failure> {
    let creds = session.credentials()?;
    let before = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Failure::Io(format!("cannot read {}: {e}", path.display())));
        }
    };
    let after = upsert(
        &before,
        profile,
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token().unwrap_or_default(),
    );
    write_atomically(path, &after)
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))?;
    Ok(creds.expiry())
}

pub(crate) fn run(session: Session, profile: &str, once: bool) -> Result<(), Failure> {
    let path = credentials_path()?;
    let mut expiry = write(&session, &path, profile)?;
    if once {
        return Ok(());
    }
    let mut failures = 0u32;
    loop {
        let Some(wait) = next_attempt(expiry, failures, SystemTime::now()) else {
            return Ok(()); // credentials that never expire
        };
        std::thread::sleep(wait);
        match write(&session, &path, profile) {
            Ok(e) => {
                expiry = e;
                failures = 0;
            }
            Err(e) => {
                failures += 1;
                eprintln!(
                    "rolesanywhere: refresh failed (the file keeps the current credentials): {e}"
                );
            }
        }
    }
}
