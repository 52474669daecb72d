//! A local IAM Roles Anywhere endpoint (`rolesanywhere_server.py`) that
//! verifies each CreateSession request with Python's `cryptography`, an
//! implementation independent of the crate under test.

use std::path::{Path, PathBuf};
use std::process::Child;

/// The trust anchor ARN the fake accepts.
pub const ANCHOR_ARN: &str = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/1a2b3c4d-0000-4000-8000-000000000001";
/// A profile ARN.
pub const PROFILE_ARN: &str =
    "arn:aws:rolesanywhere:us-east-1:123456789012:profile/1a2b3c4d-0000-4000-8000-000000000002";
/// A role ARN.
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/workloads/reader";

/// A running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeRolesAnywhere {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// One JSON line per request.
    pub log: PathBuf,
    child: Child,
}

impl FakeRolesAnywhere {
    /// Starts the fake with `root_pem` as the trust anchor's CA.
    pub fn start(root_pem: &Path) -> Self {
        let log = std::env::temp_dir().join(format!(
            "ra-log-{}-{}.jsonl",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let (child, line) = crate::spawn_python(
            "rolesanywhere_server.py",
            |c| {
                c.arg(ANCHOR_ARN).arg(root_pem).arg(&log);
            },
            "with the cryptography package",
        );
        let port = line
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the fake Roles Anywhere did not start: {line:?}"))
            .to_string();
        Self {
            url: format!("http://127.0.0.1:{port}"),
            log,
            child,
        }
    }

    /// The flags that point a `credential-process`-like command at this
    /// fake: `--trust-anchor-arn`, `--profile-arn`, `--role-arn` and
    /// `--endpoint`.
    pub fn session_args(&self) -> Vec<String> {
        [
            "--trust-anchor-arn",
            ANCHOR_ARN,
            "--profile-arn",
            PROFILE_ARN,
            "--role-arn",
            ROLE_ARN,
            "--endpoint",
            &self.url,
        ]
        .map(String::from)
        .to_vec()
    }

    /// The logged requests.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Makes later sessions fail (or succeed again).
    pub fn deny(&self, deny: bool) {
        self.control(&format!("{{\"deny\":{deny}}}"));
    }

    /// Makes later credentials expire `seconds` after they are issued.
    pub fn expire_after(&self, seconds: u64) {
        self.control(&format!("{{\"expire_seconds\":{seconds}}}"));
    }

    fn control(&self, body: &str) {
        let port: u16 = self.url.rsplit(':').next().unwrap().parse().unwrap();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        use std::io::{Read, Write};
        write!(
            s,
            "POST /_control HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    }
}

impl Drop for FakeRolesAnywhere {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// From `rolesanywhere serve` on `port`: PUT a token, GET the role's
/// credentials (the role of [`FakeRolesAnywhere::session_args`]):
/// (status, body).
pub fn imds_read(port: u16) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nx-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let token = out.split("\r\n\r\n").nth(1).unwrap().to_string();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /latest/meta-data/iam/security-credentials/reader HTTP/1.1\r\nHost: x\r\nx-aws-ec2-metadata-token: {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    (
        status,
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    )
}

impl FakeRolesAnywhere {
    /// Runs `send_two` (which makes two CreateSession calls, ours then a
    /// peer's) until both land in the same second, and returns the two
    /// logged requests; `None` after ten tries. Requests signed in the same
    /// second have the same canonical request when the two tools agree.
    pub fn same_second_pair(
        &self,
        mut send_two: impl FnMut(),
    ) -> Option<(serde_json::Value, serde_json::Value)> {
        for _ in 0..10 {
            let before = self.requests().len();
            send_two();
            let log = self.requests();
            let parse = |l: &String| serde_json::from_str::<serde_json::Value>(l).unwrap();
            let (a, b) = (parse(&log[before]), parse(&log[before + 1]));
            if a["headers"]["x-amz-date"] == b["headers"]["x-amz-date"] {
                return Some((a, b));
            }
        }
        None
    }
}

/// Starts `rolesanywhere serve` as `cmd` (with `--port 0`), reads the
/// address from its first line on stderr and drains the rest in a thread
/// (so the server never blocks on it): the child and the URL
/// (`http://127.0.0.1:PORT/`).
pub fn start_serve(mut cmd: std::process::Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rolesanywhere serve starts");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("the first line");
    let url = line
        .trim()
        .strip_prefix("rolesanywhere: serving on ")
        .unwrap_or_else(|| panic!("serve did not start: {line:?}"))
        .to_string();
    std::thread::spawn(move || for _ in stderr.lines() {});
    (child, url)
}

/// The port of a `http://127.0.0.1:PORT/` URL.
pub fn port_of(url: &str) -> u16 {
    url.trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {url:?}"))
}
