//! The real programs the tests compare this project with, built at their
//! pinned versions by `scripts/peers` (from the Go module proxy). A test
//! that needs one fails, never skips, when it cannot be had.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

/// The peers' paths: from the environment when `scripts/test` built them,
/// otherwise built (or found built) now by `scripts/peers`.
fn peer(var: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return path.into();
    }
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let out = Command::new(crate::workspace_root().join("scripts/peers"))
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("scripts/peers could not be run");
        assert!(
            out.status.success(),
            "scripts/peers failed: the real peers are required for these tests"
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), PathBuf::from(v)))
            .collect()
    });
    built
        .get(var)
        .unwrap_or_else(|| panic!("scripts/peers printed no {var}"))
        .clone()
}

/// AWS's `aws_signing_helper` (`rolesanywhere-credential-helper`).
pub fn aws_signing_helper() -> &'static PathBuf {
    static HELPER: OnceLock<PathBuf> = OnceLock::new();
    HELPER.get_or_init(|| peer("AWS_SIGNING_HELPER"))
}

/// HashiCorp Vault's AWS auth method in-process, serving
/// `POST /v1/auth/aws/login` on loopback; ends with the value.
pub struct VaultAwsAuth {
    /// `http://127.0.0.1:PORT` (Vault's address).
    pub url: String,
    child: Child,
    _stdin: ChildStdin,
}

/// How the Vault auth method is configured.
pub struct VaultConfig<'a> {
    /// Its STS and IAM endpoint (the tests' moto server).
    pub aws_endpoint: &'a str,
    /// Vault's own AWS keys (IAM lookups of the bound principal).
    pub access_key: &'a str,
    /// Their secret.
    pub secret_key: &'a str,
    /// `iam_server_id_header_value` (empty: none required).
    pub server_id: &'a str,
    /// The role's name (`auth_type=iam`, policy `dev`).
    pub role: &'a str,
    /// Its `bound_iam_principal_arn`.
    pub bound_arn: &'a str,
}

impl VaultAwsAuth {
    /// Starts it; panics with its error output when it cannot start.
    pub fn start(c: &VaultConfig) -> Self {
        static PATH: OnceLock<PathBuf> = OnceLock::new();
        let path = PATH.get_or_init(|| peer("VAULT_AWS_AUTH"));
        let mut child = Command::new(path)
            .args(["-sts", c.aws_endpoint, "-iam", c.aws_endpoint])
            .args(["-access-key", c.access_key, "-secret-key", c.secret_key])
            .args([
                "-server-id",
                c.server_id,
                "-role",
                c.role,
                "-bound",
                c.bound_arn,
            ])
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("vault-aws-auth could not be run");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("vault-aws-auth's first line");
        let port = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("vault-aws-auth did not start: {line:?}"));
        Self {
            url: format!("http://127.0.0.1:{port}"),
            _stdin: child.stdin.take().expect("its stdin"),
            child,
        }
    }
}

impl Drop for VaultAwsAuth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
