//! The edge where network providers do I/O.
//!
//! Providers build an `http::Request<Vec<u8>>` and parse an
//! `http::Response<Vec<u8>>`; a [`Transport`] moves one to the other. Tests
//! hand in their own; [`BlockingTransport`] (feature `blocking`) is ureq
//! with rustls (ring provider, no C build) and the system's roots.
//!
//! Proxies follow `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY`
//! (lower-case spellings too), except that link-local metadata addresses
//! (169.254.0.0/16, fe80::/10, fd00:ec2::/32 — IMDS and the container
//! endpoint) are always reached directly: a proxy there would leak
//! instance credentials.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

/// A request to send.
pub type HttpRequest = http::Request<Vec<u8>>;

/// A response body that streams in (see `TokioTransport::send_streaming`).
#[cfg(feature = "tokio")]
pub type StreamingBody = http_body_util::combinators::BoxBody<bytes::Bytes, TransportError>;
/// A response, body read in full.
pub type HttpResponse = http::Response<Vec<u8>>;

/// The future a transport returns.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Moves requests to responses.
///
/// A transport honours a [`RequestTimeout`] in the request's extensions:
/// that request is given that much time (connecting included) instead of
/// the transport's own timeouts. The metadata providers use it, so that one
/// transport serves every provider of a chain.
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and reads the whole response (any status).
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

/// A per-request timeout, set in `http::Request::extensions_mut()`: the
/// whole exchange, connecting included, must finish within it. The
/// metadata endpoints answer in milliseconds or not at all, so IMDS and
/// the container endpoint ask for `AWS_METADATA_SERVICE_TIMEOUT` (1 s by
/// default) whatever the transport's own timeouts are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestTimeout(pub Duration);

impl RequestTimeout {
    /// The timeout `request` asks for, if any.
    pub fn of<B>(request: &http::Request<B>) -> Option<Duration> {
        request.extensions().get::<RequestTimeout>().map(|t| t.0)
    }
}

/// Why no response came back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No answer in time (connect or read).
    #[error("timed out {0}")]
    Timeout(String),
    /// The connection could not be made (refused, unreachable, no such
    /// host).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// TLS failed (certificate, handshake).
    #[error("TLS failed: {0}")]
    Tls(String),
    /// The response was larger than allowed.
    #[error("response body larger than {0} bytes")]
    TooLarge(u64),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl TransportError {
    /// True for a timeout or a failed connection: the same request may
    /// succeed later or on another node. TLS refusals, oversized bodies
    /// and other failures are not retryable.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Connect(_))
    }

    /// True for a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }
}

/// Timeouts and limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportConfig {
    /// Connecting, TLS included.
    pub connect_timeout: Duration,
    /// The whole exchange.
    pub total_timeout: Duration,
    /// The largest response body read.
    pub max_body: u64,
    /// Which proxy to use.
    pub proxy: ProxySetting,
    /// How servers are authenticated.
    pub tls: TlsSetting,
    /// The certificate this client presents, for servers that ask for one
    /// (mutual TLS).
    pub client_cert: Option<ClientCertificate>,
    /// Follow redirects (up to 10); off by default.
    pub follow_redirects: bool,
}

/// How a transport checks server certificates.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum TlsSetting {
    /// The platform's roots (the default).
    #[default]
    Platform,
    /// Only the certificates of this PEM bundle (a private CA, `--cacert`).
    CaBundle(Vec<u8>),
    /// No verification at all (curl's `-k`, for self-signed test servers).
    Insecure,
}

/// A client certificate chain and its private key, both PEM (curl's
/// `--cert` and `--key`). The key is zeroised on drop, never shown, and
/// compared in constant time.
#[derive(Clone)]
pub struct ClientCertificate {
    /// The certificate, then any intermediates (PEM).
    pub chain_pem: Vec<u8>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_pem: zeroize::Zeroizing<Vec<u8>>,
}

impl ClientCertificate {
    /// From PEM bytes.
    pub fn from_pem(chain_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        Self {
            chain_pem: chain_pem.into(),
            key_pem: zeroize::Zeroizing::new(key_pem.into()),
        }
    }

    /// The parsed chain and key, checked to be present.
    #[cfg(any(feature = "blocking", feature = "tokio"))]
    fn parse(
        &self,
    ) -> Result<
        (
            Vec<rustls_pki_types::CertificateDer<'static>>,
            rustls_pki_types::PrivateKeyDer<'static>,
        ),
        TransportError,
    > {
        use rustls_pki_types::pem::PemObject;
        let chain = rustls_pki_types::CertificateDer::pem_slice_iter(&self.chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TransportError::Tls(format!("cannot read the client certificate: {e}")))?;
        if chain.is_empty() {
            return Err(TransportError::Tls(
                "the client certificate file holds no certificate".into(),
            ));
        }
        let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|_| {
            TransportError::Tls(
                "cannot read the client key: expected an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)"
                    .into(),
            )
        })?;
        Ok((chain, key))
    }
}

impl PartialEq for ClientCertificate {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        let key = bool::from(self.key_pem.as_slice().ct_eq(other.key_pem.as_slice()));
        key && self.chain_pem == other.chain_pem
    }
}

impl Eq for ClientCertificate {}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("chain_pem", &format_args!("{} bytes", self.chain_pem.len()))
            .finish_non_exhaustive()
    }
}

/// The certificates of a PEM bundle; an error when it holds none.
#[cfg(any(feature = "blocking", feature = "tokio"))]
fn ca_certificates(
    pem: &[u8],
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, TransportError> {
    use rustls_pki_types::pem::PemObject;
    let certs = rustls_pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TransportError::Tls(format!("cannot read the CA bundle: {e}")))?;
    if certs.is_empty() {
        return Err(TransportError::Tls(
            "the CA bundle holds no certificate".into(),
        ));
    }
    Ok(certs)
}

/// Which proxy a transport uses (never for link-local addresses).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ProxySetting {
    /// `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` (or lower case) and
    /// `NO_PROXY` from the process environment.
    #[default]
    FromEnv,
    /// This proxy URL (`http://host:port`), for every host.
    Url(String),
    /// No proxy.
    None,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            total_timeout: Duration::from_secs(10),
            max_body: 1 << 20,
            proxy: ProxySetting::FromEnv,
            tls: TlsSetting::Platform,
            client_cert: None,
            follow_redirects: false,
        }
    }
}

/// True for the link-local ranges of the metadata endpoints, which are
/// never proxied.
pub fn is_link_local(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_link_local(),
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            (s[0] & 0xffc0) == 0xfe80 || (s[0] == 0xfd00 && s[1] == 0x0ec2)
        }
        Err(_) => false,
    }
}

/// Whether a request to `uri` may go through a proxy: not to the
/// link-local metadata addresses.
pub fn may_proxy(uri: &http::Uri) -> bool {
    !uri.host().is_some_and(is_link_local)
}

/// ureq with rustls: a blocking transport for the CLI and sync callers.
#[cfg(feature = "blocking")]
#[derive(Clone)]
pub struct BlockingTransport {
    proxied: ureq::Agent,
    direct: ureq::Agent,
    max_body: u64,
}

#[cfg(feature = "blocking")]
impl fmt::Debug for BlockingTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingTransport").finish_non_exhaustive()
    }
}

#[cfg(feature = "blocking")]
impl Default for BlockingTransport {
    /// The default settings: the platform's roots, proxies from the
    /// environment (a malformed proxy variable is ignored with a warning,
    /// as curl does), 3 s to connect, 10 s in all.
    fn default() -> Self {
        Self::try_new(TransportConfig::default()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "ignoring the proxy environment variables");
            Self::try_new(TransportConfig {
                proxy: ProxySetting::None,
                ..TransportConfig::default()
            })
            .unwrap_or_else(|_| Self::minimal())
        })
    }
}

#[cfg(feature = "blocking")]
impl BlockingTransport {
    /// No proxy, the platform's roots: settings that build no proxy and
    /// read no file, so they cannot fail.
    fn minimal() -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Self {
            proxied: agent.clone(),
            direct: agent,
            max_body: TransportConfig::default().max_body,
        }
    }

    /// A transport with these settings; fails on a malformed proxy URL, an
    /// unusable CA bundle or client certificate.
    pub fn try_new(config: TransportConfig) -> Result<Self, TransportError> {
        let builder = ureq::tls::TlsConfig::builder();
        let builder = match &config.tls {
            TlsSetting::Platform => builder.root_certs(ureq::tls::RootCerts::PlatformVerifier),
            TlsSetting::Insecure => builder.disable_verification(true),
            TlsSetting::CaBundle(pem) => {
                let certs = ca_certificates(pem)?
                    .into_iter()
                    .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
                    .collect();
                builder.root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(certs)))
            }
        };
        let builder = match &config.client_cert {
            None => builder,
            Some(identity) => {
                let (chain, key) = identity.parse()?;
                let chain: Vec<_> = chain
                    .iter()
                    .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
                    .collect();
                // Parsed above for the clear errors; ureq takes the PEM.
                drop(key);
                let key = ureq::tls::PrivateKey::from_pem(&identity.key_pem)
                    .map_err(|_| TransportError::Tls("cannot read the client key".into()))?;
                builder.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&chain, key)))
            }
        };
        let tls = builder.build();
        let agent = |proxy: Option<ureq::Proxy>| -> ureq::Agent {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(if config.follow_redirects { 10 } else { 0 })
                .timeout_connect(Some(config.connect_timeout))
                .timeout_global(Some(config.total_timeout))
                .user_agent(concat!("sigv4-rs/", env!("CARGO_PKG_VERSION")))
                .tls_config(tls.clone())
                .proxy(proxy)
                .build()
                .into()
        };
        let proxy = match &config.proxy {
            ProxySetting::FromEnv => ureq::Proxy::try_from_env(),
            ProxySetting::Url(u) => Some(
                ureq::Proxy::new(u)
                    .map_err(|e| TransportError::Other(format!("invalid proxy URL: {e}")))?,
            ),
            ProxySetting::None => None,
        };
        Ok(Self {
            proxied: agent(proxy),
            direct: agent(None),
            max_body: config.max_body,
        })
    }

    /// Sends `request` on this thread.
    pub fn send_blocking(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let agent = if may_proxy(request.uri()) {
            &self.proxied
        } else {
            &self.direct
        };
        let request = match RequestTimeout::of(&request) {
            Some(t) => agent
                .configure_request(request)
                .timeout_global(Some(t))
                .timeout_connect(Some(t))
                .build(),
            None => request,
        };
        let response = agent.run(request).map_err(convert)?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.max_body)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => TransportError::TooLarge(self.max_body),
                other => convert(other),
            })?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

#[cfg(feature = "blocking")]
fn convert(e: ureq::Error) -> TransportError {
    match e {
        ureq::Error::Timeout(t) => TransportError::Timeout(format!("({t:?})").to_lowercase()),
        ureq::Error::HostNotFound => TransportError::Connect("host not found".into()),
        ureq::Error::ConnectionFailed => TransportError::Connect("connection failed".into()),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::NotConnected => TransportError::Connect(io.to_string()),
            std::io::ErrorKind::TimedOut => TransportError::Timeout(io.to_string()),
            // rustls reports a refused certificate or a failed handshake
            // as invalid data on the stream.
            std::io::ErrorKind::InvalidData => TransportError::Tls(io.to_string()),
            _ => TransportError::Other(io.to_string()),
        },
        ureq::Error::Tls(msg) => TransportError::Tls(msg.to_string()),
        ureq::Error::Rustls(e) => TransportError::Tls(e.to_string()),
        other => TransportError::Other(other.to_string()),
    }
}

#[cfg(feature = "blocking")]
impl Transport for BlockingTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(async move { self.send_blocking(request) })
    }
}

/// An async transport on tokio: hyper (through reqwest) with rustls and the
/// ring provider, the same TLS settings (roots, CA bundle, `-k`, client
/// certificate), the same proxy rules as
/// [`BlockingTransport`], redirects off. Needs a tokio runtime to send.
#[cfg(feature = "tokio")]
#[derive(Clone)]
pub struct TokioTransport {
    proxied: reqwest::Client,
    direct: reqwest::Client,
    max_body: u64,
}

#[cfg(feature = "tokio")]
impl fmt::Debug for TokioTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioTransport").finish_non_exhaustive()
    }
}

#[cfg(feature = "tokio")]
impl TokioTransport {
    /// A transport with these settings; fails on a malformed proxy URL or
    /// when the platform's roots cannot be loaded.
    pub fn try_new(config: TransportConfig) -> Result<Self, TransportError> {
        use std::sync::Arc;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?;
        let builder = match &config.tls {
            TlsSetting::Platform => {
                let verifier = rustls_platform_verifier::Verifier::new(provider).map_err(|e| {
                    TransportError::Tls(format!("cannot load the system's roots: {e}"))
                })?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
            }
            TlsSetting::CaBundle(pem) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in ca_certificates(pem)? {
                    roots.add(cert).map_err(|e| {
                        TransportError::Tls(format!("unusable CA certificate: {e}"))
                    })?;
                }
                builder.with_root_certificates(roots)
            }
            TlsSetting::Insecure => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(insecure::AcceptAnyServer(provider))),
        };
        let tls = match &config.client_cert {
            None => builder.with_no_client_auth(),
            Some(identity) => {
                let (chain, key) = identity.parse()?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| TransportError::Tls(format!("unusable client certificate: {e}")))?
            }
        };
        let build = |proxy: Option<&ProxySetting>| -> Result<reqwest::Client, TransportError> {
            let mut b = reqwest::Client::builder()
                .tls_backend_preconfigured(tls.clone())
                .redirect(if config.follow_redirects {
                    reqwest::redirect::Policy::limited(10)
                } else {
                    reqwest::redirect::Policy::none()
                })
                .connect_timeout(config.connect_timeout)
                .timeout(config.total_timeout)
                .user_agent(concat!("sigv4-rs/", env!("CARGO_PKG_VERSION")));
            b = match proxy {
                // reqwest reads the environment's proxies by default.
                Some(ProxySetting::FromEnv) => b,
                Some(ProxySetting::Url(u)) => b.proxy(
                    reqwest::Proxy::all(u)
                        .map_err(|e| TransportError::Other(format!("invalid proxy URL: {e}")))?,
                ),
                Some(ProxySetting::None) | None => b.no_proxy(),
            };
            b.build().map_err(|e| TransportError::Other(e.to_string()))
        };
        Ok(Self {
            proxied: build(Some(&config.proxy))?,
            direct: build(None)?,
            max_body: config.max_body,
        })
    }

    /// Sends `request` and hands back the response as soon as its head has
    /// arrived, the body streaming behind it (for proxies; no size limit
    /// is applied here).
    pub async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<http::Response<StreamingBody>, TransportError> {
        use http_body_util::BodyExt;
        let client = if may_proxy(request.uri()) {
            &self.proxied
        } else {
            &self.direct
        };
        let timeout = RequestTimeout::of(&request);
        let mut request = reqwest::Request::try_from(request)
            .map_err(|e| TransportError::Other(e.to_string()))?;
        if let Some(t) = timeout {
            *request.timeout_mut() = Some(t);
        }
        let response = client.execute(request).await.map_err(convert_reqwest)?;
        let response: http::Response<reqwest::Body> = response.into();
        Ok(response.map(|b| b.map_err(convert_reqwest).boxed()))
    }

    async fn send_async(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let client = if may_proxy(request.uri()) {
            &self.proxied
        } else {
            &self.direct
        };
        let timeout = RequestTimeout::of(&request);
        let mut request = reqwest::Request::try_from(request)
            .map_err(|e| TransportError::Other(e.to_string()))?;
        if let Some(t) = timeout {
            *request.timeout_mut() = Some(t);
        }
        let mut response = client.execute(request).await.map_err(convert_reqwest)?;
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(h) = builder.headers_mut() {
            *h = std::mem::take(response.headers_mut());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(convert_reqwest)? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(TransportError::TooLarge(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body)
            .map_err(|e| TransportError::Other(e.to_string()))
    }
}

#[cfg(feature = "tokio")]
fn convert_reqwest(e: reqwest::Error) -> TransportError {
    let text = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    let text = if detail.is_empty() {
        text
    } else {
        format!("{text}: {detail}")
    };
    if e.is_timeout() {
        TransportError::Timeout(text)
    } else if e.is_connect() {
        if detail.to_ascii_lowercase().contains("certificate") {
            TransportError::Tls(text)
        } else {
            TransportError::Connect(text)
        }
    } else {
        TransportError::Other(text)
    }
}

#[cfg(feature = "tokio")]
impl Transport for TokioTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(self.send_async(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_addresses_are_link_local() {
        for h in [
            "169.254.169.254",
            "169.254.170.2",
            "169.254.170.23",
            "[fd00:ec2::254]",
            "[fd00:ec2::23]",
            "fe80::1",
        ] {
            assert!(is_link_local(h), "{h}");
        }
        for h in [
            "127.0.0.1",
            "10.0.0.1",
            "sts.amazonaws.com",
            "[::1]",
            "[fd00:ec3::1]",
        ] {
            assert!(!is_link_local(h), "{h}");
        }
    }
}

/// curl's `-k` for rustls: any server certificate is accepted, while the
/// handshake's signatures are still checked (so the session is at least
/// bound to the key the server showed).
#[cfg(feature = "tokio")]
mod insecure {
    use std::sync::Arc;

    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

    #[derive(Debug)]
    pub(super) struct AcceptAnyServer(pub(super) Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAnyServer {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}
