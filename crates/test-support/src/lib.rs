//! Test helpers shared by the workspace's tests (not published).
//!
//! * [`http`]: loopback HTTP servers that answer one connection each, and
//!   a forward proxy that handles `CONNECT`;
//! * [`moto`]: moto's server with IAM enforcement, set up once per test
//!   binary with a user, its keys and a role to assume;
//! * [`opensearch`]: an OpenSearch-compatible cluster on loopback with the
//!   security plugin's rules, SigV4 and basic auth, and faults.

pub mod http;
pub mod moto;
pub mod opensearch;
pub mod peers;
pub mod pki;
pub mod rolesanywhere;
pub mod softhsm;
pub mod swtpm;
pub mod workload;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Runs the `openssl` command in `dir`; panics with its stderr on failure.
pub(crate) fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl command is needed for these tests");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs `{name}.csr` in `dir` with the CA `{ca}.pem` / `{ca}.key`, adding
/// the extensions `ext` (written to `{name}.ext`), valid for `days`; writes
/// `{name}.pem`.
pub(crate) fn sign_csr(dir: &Path, name: &str, ca: &str, ext: &str, days: u32) {
    let ext_file = format!("{name}.ext");
    std::fs::write(dir.join(&ext_file), ext).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            &days.to_string(),
            "-sha256",
            "-extfile",
            &ext_file,
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// Starts `python3 SCRIPT` (a file of this crate) with `args`, stdin held
/// open by the test process (the scripts exit when it closes), and returns
/// the child and the first line it prints.
pub(crate) fn spawn_python(
    script: &str,
    args: impl FnOnce(&mut Command),
    needs: &str,
) -> (Child, String) {
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script));
    args(&mut cmd);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is needed to run {script} ({needs}): {e}"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut line).unwrap();
    }
    (child, line.trim().to_string())
}

/// The workspace root (where `scripts/` lies).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The SigV4a public key (PEM) of an access key pair, derived by a Python
/// script of this crate from the KDF's definition, independently of
/// `sigv4-core` (needs `python3` with `cryptography`).
pub fn sigv4a_public_key_pem(access_key_id: &str, secret: &str) -> String {
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("sigv4a_key.py"))
        .args([access_key_id, secret])
        .output()
        .expect("python3 is needed to derive a SigV4a key");
    assert!(
        out.status.success(),
        "sigv4a_key.py failed (python3 with cryptography is needed): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("PEM is ASCII")
}

/// Runs `argv` on a pseudo-terminal (`pty_user.py`) with `envs` added,
/// typing each answer once its prompt appeared and the terminal's echo is
/// off: a user at a terminal. The output is what the terminal showed, and
/// the command's status.
pub fn run_on_a_terminal(
    argv: &[String],
    envs: &[(&str, &str)],
    answers: &[(&str, &str)],
) -> std::process::Output {
    Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("pty_user.py"))
        .arg(serde_json::to_string(argv).expect("JSON"))
        .arg(serde_json::to_string(answers).expect("JSON"))
        .envs(envs.iter().copied())
        .output()
        .expect("python3 drives the pseudo-terminal")
}
