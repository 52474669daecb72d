//! A real OpenSearch node with the real security plugin
//! (`scripts/opensearch`), and the IAM gateway that puts SigV4 in front of
//! it the way Amazon OpenSearch Service does.
//!
//! The node is started once per test binary (or once for the whole run by
//! `scripts/test`, which passes `OPENSEARCH_URL` / `OPENSEARCH_CA` down).
//! A test that needs it fails, never skips, when it cannot be had.
//!
//! [`IamGateway`] is the managed service's first half: it verifies SigV4
//! with `sigv4-core`'s verifier against a key table (the same rules and
//! refusal wording as [`FakeOpenSearch`](super::FakeOpenSearch)), drops the
//! SigV4 headers and forwards over TLS with the caller's IAM ARN as the
//! user and its role ARN as the backend role, in the headers of the
//! security plugin's proxy authentication domain. Everything else (who may
//! do what, every answer) is the real plugin's. Unsigned or wrongly signed
//! requests never reach the node; HTTP basic and anonymous requests pass
//! through untouched, as on a domain with fine-grained access control.

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cred_providers::{BlockingTransport, ProxySetting, TlsSetting, Transport, TransportConfig};

use super::engine::Response;
use super::{Config, Recorded, verify_sigv4, write_response};
use crate::http::{Seen, read_request};

/// The master user of the real node (mapped to `all_access` and
/// `security_manager`, as on a domain with fine-grained access control).
pub const REAL_MASTER_USER: &str = "admin";

/// The running node.
#[derive(Clone, Debug)]
pub struct RealNode {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// The private CA that signed the node's certificate (PEM file).
    pub ca_pem: PathBuf,
    /// The master user's password.
    pub master_password: String,
}

impl RealNode {
    /// The CA certificate's bytes.
    pub fn ca(&self) -> Vec<u8> {
        std::fs::read(&self.ca_pem).expect("the node's CA file")
    }

    /// A transport that trusts the node's CA.
    pub fn transport(&self, total: Duration) -> BlockingTransport {
        BlockingTransport::try_new(TransportConfig {
            proxy: ProxySetting::None,
            total_timeout: total,
            max_body: 64 << 20,
            tls: TlsSetting::CaBundle(self.ca()),
            ..TransportConfig::default()
        })
        .expect("a TLS transport for the node")
    }
}

/// The node: from `OPENSEARCH_URL` / `OPENSEARCH_CA` when `scripts/test`
/// started it, otherwise started (or reused) with `scripts/opensearch
/// start`. Panics, naming what failed, when there is none.
pub fn real_node() -> &'static RealNode {
    static NODE: OnceLock<RealNode> = OnceLock::new();
    NODE.get_or_init(|| {
        let master_password = std::env::var("OPENSEARCH_ADMIN_PASSWORD")
            .unwrap_or_else(|_| "Sigv4-Test-Admin-2026!".into());
        if let (Ok(url), Ok(ca)) = (
            std::env::var("OPENSEARCH_URL"),
            std::env::var("OPENSEARCH_CA"),
        ) {
            return RealNode {
                url,
                ca_pem: ca.into(),
                master_password,
            };
        }
        let text = script("start");
        let line = |key: &str| printed(&text, key);
        RealNode {
            url: line("OPENSEARCH_URL="),
            ca_pem: line("OPENSEARCH_CA=").into(),
            master_password,
        }
    })
}

/// Runs `scripts/opensearch ARG` and returns what it printed on stdout;
/// panics, naming the step, when it fails (a real OpenSearch node is
/// required for these tests).
fn script(arg: &str) -> String {
    let out = Command::new(crate::workspace_root().join("scripts/opensearch"))
        .arg(arg)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("scripts/opensearch could not be run");
    assert!(
        out.status.success(),
        "scripts/opensearch {arg} failed (a real OpenSearch node is required for these tests)"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of the `KEY=value` line the script printed.
fn printed(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("scripts/opensearch printed no {key}: {text}"))
        .to_string()
}

/// Starts (or restarts, on the same port and data) a second, data-only
/// node that joins [`real_node`]'s cluster; returns its URL once the
/// cluster has two nodes.
pub fn start_data_node() -> String {
    let node = real_node();
    // The script finds the first node by its own files; a node passed in
    // by URL must be the script's (scripts/test starts it so).
    let url = printed(&script("start-data-node"), "OPENSEARCH_DATA_NODE_URL=");
    assert_ne!(url, node.url);
    url
}

/// Kills the data-only node at once (SIGKILL, as a crash would).
pub fn kill_data_node() {
    script("kill-data-node");
}

/// Headers a caller may not send through the gateway: the SigV4 ones it
/// consumes and the trusted ones it sets.
fn dropped(name: &str) -> bool {
    name == "authorization"
        || name.starts_with("x-amz-")
        || name == "host"
        || name == "connection"
        || name == "content-length"
        || name == "transfer-encoding"
        || name == "x-proxy-user"
        || name == "x-proxy-roles"
        || name == "x-forwarded-for"
}

struct GatewayShared {
    config: Config,
    upstream: String,
    transport: BlockingTransport,
    recorded: Mutex<Vec<Recorded>>,
    forwarded: AtomicUsize,
    refused: AtomicUsize,
}

/// The SigV4-verifying gateway in front of a [`RealNode`]; its threads end
/// with the test process.
#[derive(Clone)]
pub struct IamGateway {
    shared: Arc<GatewayShared>,
    port: u16,
}

impl std::fmt::Debug for IamGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamGateway")
            .field("port", &self.port)
            .finish()
    }
}

impl IamGateway {
    /// Starts a gateway on loopback for `node`, accepting SigV4 for
    /// `config.service` / `config.region` from `config.iam`.
    pub fn start(node: &RealNode, config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(GatewayShared {
            config,
            upstream: node.url.clone(),
            transport: node.transport(Duration::from_secs(60)),
            recorded: Mutex::new(Vec::new()),
            forwarded: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(&s, stream));
            }
        });
        Self { shared, port }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The configuration (keys, region, service).
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Every SigV4 request that came in (for [`super::botocore_check`]).
    pub fn recorded(&self) -> Vec<Recorded> {
        self.shared.recorded.lock().unwrap().clone()
    }

    /// Requests forwarded to the node.
    pub fn forwarded(&self) -> usize {
        self.shared.forwarded.load(Ordering::Relaxed)
    }

    /// SigV4 requests refused before the node.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::Relaxed)
    }
}

fn serve(shared: &GatewayShared, stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let peer = stream
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let resp = handle(shared, &request, &peer);
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if write_response(&mut writer, &request.method, &resp, close).is_err() || close {
            return;
        }
        let _ = writer.flush();
    }
}

fn handle(shared: &GatewayShared, req: &Seen, peer: &str) -> Response {
    let auth = req.header("authorization").unwrap_or("");
    let mut identity = None;
    if auth.starts_with("AWS4-") || req.target.contains("X-Amz-Signature=") {
        shared.recorded.lock().unwrap().push(Recorded {
            node: 0,
            request: req.clone(),
        });
        match verify_sigv4(&shared.config, req) {
            Ok(principal) => identity = Some(principal),
            Err(refusal) => {
                shared.refused.fetch_add(1, Ordering::Relaxed);
                return refusal;
            }
        }
    }
    let mut builder = http::Request::builder()
        .method(req.method.as_str())
        .uri(format!("{}{}", shared.upstream, req.target));
    for (name, value) in &req.headers {
        if dropped(name) || (identity.is_none() && name == "authorization") {
            continue;
        }
        builder = builder.header(name.as_str(), value.as_str());
    }
    if identity.is_none() && auth.starts_with("Basic ") {
        builder = builder.header("authorization", auth);
    }
    if let Some(p) = &identity {
        builder = builder
            .header("x-proxy-user", p.name.as_str())
            .header("x-proxy-roles", p.backend_roles.join(","))
            .header("x-forwarded-for", peer);
    }
    let Ok(request) = builder.body(req.body.clone()) else {
        return Response::text(400, "the gateway could not forward this request");
    };
    shared.forwarded.fetch_add(1, Ordering::Relaxed);
    match pollster::block_on(shared.transport.send(request)) {
        Ok(resp) => {
            let mut headers = Vec::new();
            for (name, value) in resp.headers() {
                let name = name.as_str();
                if matches!(name, "content-length" | "transfer-encoding" | "connection") {
                    continue;
                }
                headers.push((
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ));
            }
            Response {
                status: resp.status().as_u16(),
                headers,
                body: resp.into_body(),
            }
        }
        Err(e) => Response::text(502, &format!("the gateway could not reach the node: {e}")),
    }
}
