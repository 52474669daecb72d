//! `credential_process`: run a command and read credentials from its output,
//! as the AWS SDKs do.
//!
//! The command line runs through `sh -c` (as the Go, Java and Rust SDKs do),
//! with stdin closed. It prints one JSON object:
//!
//! ```json
//! {"Version": 1, "AccessKeyId": "…", "SecretAccessKey": "…",
//!  "SessionToken": "…", "Expiration": "2026-01-01T00:00:00Z", "AccountId": "…"}
//! ```
//!
//! `SessionToken`, `Expiration` and `AccountId` are optional. Credentials
//! without `Expiration` never expire: the command is run once and its answer
//! reused. A non-zero exit, a time-out or malformed output is an error that
//! carries the process's stderr (never its stdout, which may hold secrets).

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};
use crate::{Credentials, time};

const NAME: &str = "credential_process";

/// How long the command may run before it is killed (the Go SDK's default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Most stderr kept for an error message.
const STDERR_LIMIT: usize = 2048;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    version: u32,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: Option<String>,
    account_id: Option<String>,
}

/// The Version 1 JSON a credential process prints, for programs that
/// are one (`sigv4 credentials`, `rolesanywhere credential-process`):
/// `Version`, `AccessKeyId`, `SecretAccessKey`, then `SessionToken` and
/// `Expiration` when the credentials have them, in that order.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessJson<'a> {
    /// Always 1.
    pub version: u8,
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<&'a str>,
    /// The expiry, RFC 3339, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
}

impl<'a> ProcessJson<'a> {
    /// The output for `creds`.
    pub fn new(creds: &'a Credentials) -> Self {
        Self {
            version: 1,
            access_key_id: creds.access_key_id(),
            secret_access_key: creds.secret_access_key(),
            session_token: creds.session_token(),
            expiration: creds.expiry().map(time::format_rfc3339),
        }
    }
}

/// Parses the Version 1 JSON a credential process prints.
pub fn parse_output(stdout: &[u8]) -> Result<Credentials, CredentialsError> {
    let failed = |message: String| CredentialsError::failed(NAME, message);
    // serde_json's messages give a position, never the input itself.
    let out: Output = serde_json::from_slice(stdout).map_err(|e| {
        failed(format!(
            "the output is not credential_process JSON ({})",
            crate::env::json_error(&e)
        ))
        .with_cause(e)
    })?;
    if out.version != 1 {
        return Err(failed(format!(
            "unsupported credential_process Version {} (only 1 is defined)",
            out.version
        )));
    }
    if out.access_key_id.is_empty() || out.secret_access_key.is_empty() {
        return Err(failed("AccessKeyId or SecretAccessKey is empty".into()));
    }
    let expiry = match out.expiration.as_deref() {
        Some(e) => Some(
            time::parse_rfc3339(e)
                .ok_or_else(|| failed(format!("Expiration is not an RFC 3339 time: {e:.40}")))?,
        ),
        None => None,
    };
    let creds = Credentials::builder(out.access_key_id, out.secret_access_key)
        .session_token(out.session_token.filter(|t| !t.is_empty()))
        .expiry(expiry)
        .provider(NAME)
        .build();
    Ok(match out.account_id.filter(|a| !a.is_empty()) {
        Some(a) => creds.with_account_id(a),
        None => creds,
    })
}

/// Runs `command` with `sh -c` and parses its output.
pub fn run(command: &str, timeout: Duration) -> Result<Credentials, CredentialsError> {
    let failed = |message: String| CredentialsError::failed(NAME, message);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot start `sh -c`: {e}")).with_cause(e))?;
    // Read both pipes on their own threads so a chatty process cannot block.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "the command did not finish within {} s and was killed",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(failed(format!("cannot wait for the command: {e}")).with_cause(e)),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let stderr_text = || {
        let s = String::from_utf8_lossy(&stderr[..stderr.len().min(STDERR_LIMIT)]);
        let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.is_empty() {
            String::from("(no stderr)")
        } else {
            one_line
        }
    };
    if !status.success() {
        let code = status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
        return Err(failed(format!(
            "the command exited with {code}: {}",
            stderr_text()
        )));
    }
    parse_output(&stdout).map_err(|e| match e {
        CredentialsError::Failed { message, cause, .. } if !stderr.is_empty() => {
            CredentialsError::Failed {
                provider: NAME,
                message: format!("{message} (stderr: {})", stderr_text()),
                cause,
            }
        }
        other => other,
    })
}

/// The `credential_process` provider.
#[derive(Debug, Clone)]
pub struct ProcessProvider {
    command: Arc<str>,
    timeout: Duration,
    /// Credentials without an expiry, kept after the first run.
    lasting: Arc<Mutex<Option<Credentials>>>,
}

impl ProcessProvider {
    /// A provider for this command line.
    pub fn new(command: impl Into<Arc<str>>) -> Self {
        Self {
            command: command.into(),
            timeout: DEFAULT_TIMEOUT,
            lasting: Arc::default(),
        }
    }

    /// Sets how long the command may run.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the command (or answers from the kept, non-expiring result).
    ///
    /// This blocks while the command runs.
    pub fn credentials(&self) -> Result<Credentials, CredentialsError> {
        if let Some(c) = self.lasting.lock().ok().and_then(|g| g.clone()) {
            return Ok(c);
        }
        let creds = run(&self.command, self.timeout)?;
        if creds.expiry().is_none()
            && let Ok(mut g) = self.lasting.lock()
        {
            *g = Some(creds.clone());
        }
        Ok(creds)
    }
}

/// As a provider the command runs on a thread of its own, so that an async
/// caller's runtime keeps running while it does; the future waits for it
/// without blocking.
impl ProvideCredentials for ProcessProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move {
            if let Some(c) = self.lasting.lock().ok().and_then(|g| g.clone()) {
                return Ok(c);
            }
            let (tx, rx) = tokio::sync::oneshot::channel();
            let this = self.clone();
            let spawned = std::thread::Builder::new()
                .name("credential_process".into())
                .spawn(move || {
                    let _ = tx.send(this.credentials());
                });
            match spawned {
                Ok(_) => rx.await.unwrap_or_else(|_| {
                    Err(CredentialsError::failed(
                        NAME,
                        "the thread running the command stopped",
                    ))
                }),
                // No thread to be had: run it here.
                Err(_) => self.credentials(),
            }
        })
    }
}
