//! An OpenSearch-compatible cluster on loopback for the client's tests and
//! example: several nodes sharing one in-memory cluster ([`engine`]), each
//! a small HTTP/1.1 server with keep-alive.
//!
//! Authentication is that of an Amazon OpenSearch Service domain with
//! fine-grained access control: HTTP basic for internal users (the master
//! user), SigV4 (`es`, or `aoss` which also needs a signed
//! `x-amz-content-sha256`) for IAM principals, checked with `sigv4-core`'s
//! verifier; every SigV4 request is recorded so that a test can have
//! botocore check the same requests ([`botocore_check`]). Refusals come in
//! the shapes the real services send.
//!
//! Each node can be given a [`Fault`]: slow answers, dropped connections,
//! bursts of 429/503.

pub mod engine;
pub mod real;

/// Defines two tests running one body on two targets: `$fake` with
/// `Target::fake()` and `$real` with `Target::real()`, where `Target` is
/// the calling test file's type for the loopback cluster and the real node.
#[macro_export]
macro_rules! two_targets {
    ($body:ident, $fake:ident, $real:ident) => {
        #[test]
        fn $fake() {
            $body(&Target::fake());
        }
        #[test]
        fn $real() {
            $body(&Target::real());
        }
    };
}

use std::collections::VecDeque;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4_core::http_sign::HttpError;
use sigv4_core::{Payload, Timestamp, Verifier, VerifyError};

use crate::http::{Seen, read_request};
use engine::{Engine, Principal, Response};

/// An IAM identity the cluster accepts SigV4 from.
#[derive(Clone, Debug)]
pub struct IamIdentity {
    /// The access key id.
    pub access_key_id: String,
    /// The secret.
    pub secret: String,
    /// The session token, when the keys are temporary.
    pub session_token: Option<String>,
    /// The IAM role ARN (the user name and backend role OpenSearch sees).
    pub arn: String,
}

/// How the cluster is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Nodes to start.
    pub nodes: usize,
    /// The SigV4 region.
    pub region: String,
    /// `es` or `aoss`.
    pub service: &'static str,
    /// IAM principals.
    pub iam: Vec<IamIdentity>,
    /// The master user's name (an internal user, reserved).
    pub master_user: String,
    /// Its password.
    pub master_password: String,
}

/// The master user of [`Config::default`].
pub const MASTER_USER: &str = "admin";
/// Its password (the one the upstream test stories use).
pub const MASTER_PASSWORD: &str = "myStrongPassword123!";

impl Default for Config {
    fn default() -> Self {
        Self {
            nodes: 1,
            region: "eu-west-1".into(),
            service: "es",
            iam: Vec::new(),
            master_user: MASTER_USER.into(),
            master_password: MASTER_PASSWORD.into(),
        }
    }
}

/// A fault a node shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Waits this long before each answer.
    Slow(Duration),
    /// Closes the connection after reading a request, without answering.
    Drop,
    /// Answers with this status (429, 503) and OpenSearch's body.
    Status(u16),
}

/// A request as it came off the wire, and the node that took it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Which node took it.
    pub node: usize,
    /// The request (the body as sent, maybe gzip).
    pub request: Seen,
}

impl std::ops::Deref for Recorded {
    type Target = Seen;
    fn deref(&self) -> &Seen {
        &self.request
    }
}

impl std::ops::DerefMut for Recorded {
    fn deref_mut(&mut self) -> &mut Seen {
        &mut self.request
    }
}

#[derive(Debug, Default)]
struct NodeState {
    faults: Mutex<VecDeque<Fault>>,
    sticky: Mutex<Option<Fault>>,
    connections: AtomicUsize,
    requests: AtomicUsize,
}

#[derive(Debug)]
struct Shared {
    config: Config,
    engine: Mutex<Engine>,
    nodes: Vec<NodeState>,
    recorded: Mutex<Vec<Recorded>>,
}

/// A running cluster; its threads end with the test process.
#[derive(Debug, Clone)]
pub struct FakeOpenSearch {
    shared: Arc<Shared>,
    ports: Vec<u16>,
}

impl FakeOpenSearch {
    /// Starts the nodes.
    pub fn start(config: Config) -> Self {
        let engine = Engine::new(&config.master_user, &config.master_password);
        let shared = Arc::new(Shared {
            nodes: (0..config.nodes).map(|_| NodeState::default()).collect(),
            engine: Mutex::new(engine),
            recorded: Mutex::new(Vec::new()),
            config,
        });
        let mut ports = Vec::new();
        for node in 0..shared.config.nodes {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            ports.push(listener.local_addr().unwrap().port());
            let shared = shared.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let shared = shared.clone();
                    shared.nodes[node]
                        .connections
                        .fetch_add(1, Ordering::Relaxed);
                    std::thread::spawn(move || serve_connection(&shared, node, stream));
                }
            });
        }
        Self { shared, ports }
    }

    /// The node URLs.
    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect()
    }

    /// A URL where nothing listens (a dead node).
    pub fn dead_url() -> String {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("http://127.0.0.1:{port}")
    }

    /// Queues `fault` for the next `times` requests to `node`.
    pub fn fault(&self, node: usize, fault: Fault, times: usize) {
        let mut q = self.shared.nodes[node].faults.lock().unwrap();
        q.extend(std::iter::repeat_n(fault, times));
    }

    /// Gives `node` a fault for every request until cleared (`None`).
    pub fn fault_always(&self, node: usize, fault: Option<Fault>) {
        *self.shared.nodes[node].sticky.lock().unwrap() = fault;
    }

    /// Clears every node's queued and standing faults.
    pub fn clear_faults(&self) {
        for n in &self.shared.nodes {
            n.faults.lock().unwrap().clear();
            *n.sticky.lock().unwrap() = None;
        }
    }

    /// Connections `node` accepted.
    pub fn connections(&self, node: usize) -> usize {
        self.shared.nodes[node].connections.load(Ordering::Relaxed)
    }

    /// Requests `node` read.
    pub fn requests(&self, node: usize) -> usize {
        self.shared.nodes[node].requests.load(Ordering::Relaxed)
    }

    /// The SigV4 requests taken so far.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.shared.recorded.lock().unwrap().clone()
    }

    /// The in-memory cluster, to look at or set up.
    pub fn engine(&self) -> std::sync::MutexGuard<'_, Engine> {
        self.shared.engine.lock().unwrap()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }
}

fn serve_connection(shared: &Shared, node: usize, stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let req = Recorded { node, request };
        let state = &shared.nodes[node];
        state.requests.fetch_add(1, Ordering::Relaxed);
        let fault = state
            .faults
            .lock()
            .unwrap()
            .pop_front()
            .or_else(|| state.sticky.lock().unwrap().clone());
        let resp = match fault {
            Some(Fault::Drop) => return,
            Some(Fault::Slow(d)) => {
                std::thread::sleep(d);
                handle(shared, &req, &peer)
            }
            Some(Fault::Status(status)) => engine::overloaded(status),
            None => handle(shared, &req, &peer),
        };
        let close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if write_response(&mut writer, &req.method, &resp, close).is_err() || close {
            return;
        }
    }
}

pub(crate) fn write_response(
    w: &mut TcpStream,
    method: &str,
    resp: &Response,
    close: bool,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-length: {}\r\n",
        resp.status,
        reason(resp.status),
        resp.body.len()
    );
    for (n, v) in &resp.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    if close {
        out.push_str("connection: close\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if method != "HEAD" {
        bytes.extend_from_slice(&resp.body);
    }
    w.write_all(&bytes)?;
    w.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn gateway(status: u16, message: &str) -> Response {
    Response::json(status, &serde_json::json!({ "message": message }))
}

/// Authenticates, then hands the request to the engine.
fn handle(shared: &Shared, req: &Recorded, peer: &str) -> Response {
    let principal = match authenticate(shared, req) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    // Like OpenSearch's REST layer: a body needs a type it reads.
    if !req.body.is_empty() {
        let given = req.header("content-type").unwrap_or("");
        let media = given
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let known = [
            "application/json",
            "application/x-ndjson",
            "application/yaml",
            "application/smile",
            "application/cbor",
            "application/vnd.opensearch+json",
        ];
        if !known.contains(&media.as_str()) {
            return Response::json(
                406,
                &serde_json::json!({
                    "error": format!("Content-Type header [{given}] is not supported"),
                    "status": 406
                }),
            );
        }
    }
    let body = if req
        .header("content-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"))
    {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&req.body[..])
            .read_to_end(&mut out)
            .is_err()
        {
            return engine::core_error(400, "parse_exception", "the gzip body does not decode");
        }
        out
    } else {
        req.body.clone()
    };
    let (path, query) = match req.target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (req.target.as_str(), ""),
    };
    shared
        .engine
        .lock()
        .unwrap()
        .handle(&principal, &req.method, path, query, &body, peer)
}

fn authenticate(shared: &Shared, req: &Recorded) -> Result<Principal, Response> {
    let config = &shared.config;
    let Some(auth) = req.header("authorization") else {
        if config.service == "aoss" {
            return Err(serverless_forbidden());
        }
        return Err(Response::text(401, "Unauthorized")
            .with_header("www-authenticate", "Basic realm=\"OpenSearch Security\""));
    };
    if let Some(token) = auth.strip_prefix("Basic ") {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| Response::text(401, "Unauthorized"))?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or_else(|| Response::text(401, "Unauthorized"))?;
        return shared
            .engine
            .lock()
            .unwrap()
            .login(user, password)
            .ok_or_else(|| Response::text(401, "Unauthorized"));
    }
    if !auth.starts_with("AWS4-HMAC-SHA256 ") {
        return Err(gateway(
            403,
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter.",
        ));
    }
    shared.recorded.lock().unwrap().push(req.clone());
    verify_sigv4(config, req)
}

fn serverless_forbidden() -> Response {
    Response::json(
        403,
        &serde_json::json!({
            "status": 403,
            "request-id": "00000000-0000-4000-8000-000000000000",
            "error": {"reason": "403 Forbidden", "type": "Forbidden"}
        }),
    )
}

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

pub(crate) fn verify_sigv4(config: &Config, req: &Seen) -> Result<Principal, Response> {
    let mut builder = http::Request::builder()
        .method(req.method.as_str())
        .uri(req.target.as_str());
    for (n, v) in &req.headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    let request = builder
        .body(())
        .map_err(|_| gateway(400, "malformed request"))?;
    // Serverless refuses a request without the signed body hash. Whether
    // the body matches that hash is the verifier's to say, not ours.
    if config.service == "aoss" && req.header("x-amz-content-sha256").is_none() {
        return Err(serverless_forbidden());
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let identity = |ak: &str| config.iam.iter().find(|i| i.access_key_id == ak);
    let verified = sigv4_core::http_sign::verify(
        &mut Verifier::default(),
        &request,
        Payload::Bytes(&req.body),
        Timestamp::from_unix_seconds(now).unwrap(),
        |ak| identity(ak).map(|i| i.secret.clone()),
    )
    .map_err(|e| match e {
        HttpError::Verify(VerifyError::UnknownAccessKey) => {
            gateway(403, "The security token included in the request is invalid.")
        }
        HttpError::Verify(VerifyError::Expired | VerifyError::NotYetValid) => gateway(
            403,
            "Signature expired: the request's X-Amz-Date is more than 5 minutes from the server's time.",
        ),
        HttpError::Verify(VerifyError::PayloadHashMismatch) => gateway(
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
        _ => gateway(403, SIGNATURE_MISMATCH),
    })?;
    if verified.service.as_str() != config.service || verified.region.as_str() != config.region {
        return Err(gateway(
            403,
            &format!(
                "Credential should be scoped to correct service: '{}' and region '{}'.",
                config.service, config.region
            ),
        ));
    }
    let id = identity(verified.access_key_id.as_str()).ok_or_else(|| {
        gateway(
            403,
            "The security token included in the request is invalid.",
        )
    })?;
    if let Some(token) = &id.session_token
        && req.header("x-amz-security-token") != Some(token.as_str())
    {
        return Err(gateway(
            403,
            "The security token included in the request is invalid.",
        ));
    }
    Ok(Principal::iam(&id.arn))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Has botocore (`SigV4Auth`, an implementation independent of this
/// workspace) recompute the signature of every request in `requests` with
/// the secrets of `config`; returns how many it checked and panics, with
/// botocore's canonical request, on any mismatch. Needs python3 and
/// botocore (installed with moto).
pub fn botocore_check(config: &Config, requests: &[Recorded]) -> usize {
    let mut lines = String::new();
    for r in requests {
        let ak = r
            .header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or_default();
        let Some(id) = config.iam.iter().find(|i| i.access_key_id == ak) else {
            continue;
        };
        let host = r.header("host").unwrap_or_default();
        let line = serde_json::json!({
            "method": r.method,
            "url": format!("http://{host}{}", r.target),
            "headers": r.headers,
            "body_hex": hex(&r.body),
            "secret": id.secret,
            "token": id.session_token,
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let file = std::env::temp_dir().join(format!(
        "botocore-check-{}-{}.jsonl",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::write(&file, lines).unwrap();
    let out = std::process::Command::new("python3")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("botocore_check.py"))
        .arg(&file)
        .output()
        .expect("python3 is needed for the botocore check");
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "botocore disagrees (or is missing: pip install botocore):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .trim()
        .strip_prefix("verified ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected botocore check output: {stdout}"))
}
