//! `sigv4 proxy`: a local signing reverse proxy for programs that cannot
//! sign SigV4 (OpenSearch Dashboards, Grafana, Logstash, curl, a browser).
//!
//! Each request is re-targeted at the upstream (its `Host`), stripped of
//! any `Authorization` and `X-Amz-*` headers, signed with the default
//! chain's credentials (held in the cache, refreshed before they expire,
//! never fetched per request) and sent over one pool of keep-alive
//! connections; the response streams back. Bodies are read (up to
//! `--max-body`) because the signature covers their hash.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use clap::Args;
use cred_providers::{
    CachedProvider, DefaultChain, ProcessEnv, RealFiles, TokioTransport, TransportConfig,
};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use sigv4_core::{Payload, Signer, SigningParams, SigningSettings, Timestamp};

use super::request::infer;
use crate::CliError;

#[derive(Args, Debug)]
pub(crate) struct ProxyArgs {
    /// The endpoint to forward to, e.g. `https://search-logs-abc.eu-west-1.es.amazonaws.com`.
    #[arg(long, value_name = "URL")]
    upstream: String,
    /// Where to listen (`:0` picks a free port).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9200")]
    listen: String,
    /// The signing name (default: from the upstream host: es, aoss).
    #[arg(long, value_name = "SERVICE")]
    service: Option<String>,
    /// The signing region (default: from the upstream host, else the
    /// configured region).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The largest request body accepted, bytes (413 past it).
    #[arg(long, value_name = "BYTES", default_value_t = 100 << 20)]
    max_body: usize,
    /// Listen on an address other than loopback (anyone who reaches it
    /// acts with this workload's identity).
    #[arg(long)]
    allow_remote: bool,
}

type ProxyBody = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

struct Proxy {
    upstream: String,
    upstream_host: String,
    service: String,
    region: String,
    max_body: usize,
    credentials: CachedProvider,
    signer: Mutex<Signer>,
    transport: TokioTransport,
}

/// Headers that belong to one hop, or that the proxy sets itself.
fn dropped(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "host"
            | "authorization"
            | "content-length"
            | "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    ) || n.starts_with("x-amz-")
}

fn plain(status: u16, text: String) -> hyper::Response<ProxyBody> {
    let mut resp = hyper::Response::new(
        Full::new(Bytes::from(format!("{text}\n")))
            .map_err(|e| match e {})
            .boxed(),
    );
    *resp.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

impl Proxy {
    async fn handle(&self, req: hyper::Request<Incoming>) -> hyper::Response<ProxyBody> {
        let (parts, body) = req.into_parts();
        let too_large = || {
            plain(
                413,
                format!(
                    "the request body is larger than {} bytes (--max-body)",
                    self.max_body
                ),
            )
        };
        if parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n > self.max_body)
        {
            return too_large();
        }
        let body = match Limited::new(body, self.max_body).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(),
            Err(e) => return plain(400, format!("cannot read the request body: {e}")),
        };
        let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut out = http::Request::builder()
            .method(parts.method.clone())
            .uri(format!("{}{pq}", self.upstream));
        for (name, value) in &parts.headers {
            if !dropped(name.as_str()) {
                out = out.header(name, value);
            }
        }
        let mut out = match out
            .header(http::header::HOST, self.upstream_host.as_str())
            .body(body.to_vec())
        {
            Ok(r) => r,
            Err(e) => return plain(400, format!("cannot forward this request: {e}")),
        };
        let creds = match self.credentials.credentials().await {
            Ok(c) => c,
            Err(e) => return plain(500, format!("the proxy has no credentials: {e}")),
        };
        let mut params = SigningParams::new(
            &self.region,
            &self.service,
            Timestamp::from(std::time::SystemTime::now()),
        );
        params.settings = SigningSettings {
            content_sha256_header: self.service == "aoss",
            ..SigningSettings::default()
        };
        let signed = {
            let mut signer = match self.signer.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            sigv4_core::http_sign::sign(
                &mut signer,
                &mut out,
                Payload::Bytes(&body),
                &creds.signing(),
                &params,
            )
        };
        if let Err(e) = signed {
            return plain(400, format!("cannot sign this request: {e}"));
        }
        match self.transport.send_streaming(out).await {
            Ok(resp) => {
                let (mut head, body) = resp.into_parts();
                let names: Vec<http::HeaderName> = head
                    .headers
                    .keys()
                    .filter(|n| {
                        matches!(
                            n.as_str(),
                            "connection" | "keep-alive" | "transfer-encoding" | "upgrade" | "te"
                        )
                    })
                    .cloned()
                    .collect();
                for n in names {
                    head.headers.remove(n);
                }
                hyper::Response::from_parts(head, body.map_err(|e| e.into()).boxed())
            }
            Err(e) => plain(502, format!("upstream {}: {e}", self.upstream_host)),
        }
    }
}

pub(crate) fn run(args: &ProxyArgs, profile: Option<&str>) -> Result<String, CliError> {
    let upstream: http::Uri = args
        .upstream
        .parse()
        .map_err(|_| CliError::input("--upstream is not a URL"))?;
    let (Some(scheme), Some(authority)) = (upstream.scheme_str(), upstream.authority()) else {
        return Err(CliError::input("--upstream must be http(s)://host[:port]"));
    };
    if !matches!(scheme, "http" | "https") {
        return Err(CliError::input("--upstream must be http(s)://host[:port]"));
    }
    let listen: SocketAddr = args
        .listen
        .parse()
        .map_err(|_| CliError::input("--listen must be ADDR:PORT, e.g. 127.0.0.1:9200"))?;
    if !listen.ip().is_loopback() {
        if !args.allow_remote {
            return Err(CliError::input(format!(
                "refusing to listen on {listen}: whoever reaches the proxy acts with this workload's AWS identity; add --allow-remote to allow it"
            )));
        }
        eprintln!(
            "sigv4: warning: listening on {listen}, not loopback: anyone who reaches it acts with this workload's AWS identity"
        );
    }
    let (inferred_service, inferred_region) = infer(upstream.host().unwrap_or_default());
    let service = args
        .service
        .clone()
        .or(inferred_service.map(str::to_string))
        .ok_or_else(|| {
            CliError::input(format!(
                "--service is needed: cannot tell the service from the host {}",
                authority.host()
            ))
        })?;
    let region = match (&args.region, inferred_region) {
        (Some(r), _) => super::region(Some(r), profile)?,
        (None, Some(r)) => r,
        (None, None) => super::region(None, profile)?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::with_code(1, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let transport = TokioTransport::try_new(TransportConfig {
            max_body: u64::MAX,
            ..TransportConfig::default()
        })?;
        let chain = DefaultChain::new(
            Arc::new(ProcessEnv),
            Arc::new(RealFiles),
            profile.map(str::to_string),
            Arc::new(transport.clone()),
        );
        let proxy = Arc::new(Proxy {
            upstream: format!("{scheme}://{authority}"),
            upstream_host: authority.as_str().to_string(),
            service,
            region,
            max_body: args.max_body,
            credentials: CachedProvider::new(Arc::new(chain)),
            signer: Mutex::new(Signer::new()),
            transport,
        });
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| CliError::with_code(1, format!("cannot listen on {listen}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| CliError::with_code(1, e))?;
        {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "listening on http://{local}");
            let _ = stdout.flush();
        }
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(_) => continue,
            };
            let proxy = proxy.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let proxy = proxy.clone();
                    async move { Ok::<_, Infallible>(proxy.handle(req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
