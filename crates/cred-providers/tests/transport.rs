//! Both transports against loopback servers, case by case through the
//! `Transport` trait: statuses and bodies, timeouts, refused connections,
//! body limits, and an explicit proxy (never for metadata addresses).

use std::net::TcpListener;
use std::time::Duration;

use cred_providers::transport::may_proxy;
use cred_providers::{
    BlockingTransport, ClientCertificate, ProxySetting, RequestTimeout, TlsSetting, Transport,
    TransportConfig, TransportError,
};
use test_support::http::{mtls_server, ok_response, proxy_once, serve_once, tls_server};

fn config(total: Duration) -> TransportConfig {
    TransportConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: total,
        max_body: 64,
        proxy: ProxySetting::None,
        ..TransportConfig::default()
    }
}

fn proxied(proxy_port: u16) -> TransportConfig {
    TransportConfig {
        proxy: ProxySetting::Url(format!("http://127.0.0.1:{proxy_port}")),
        ..TransportConfig::default()
    }
}

/// Every case, for any transport; `make` builds one from a configuration.
async fn all_cases(make: impl Fn(TransportConfig) -> Box<dyn Transport>) {
    // Any status comes back with its headers and body.
    let (port, seen) = serve_once(
        ok_response("404 Not Found", r#"{"error":"nope"}"#),
        Duration::ZERO,
    );
    let req = http::Request::put(format!("http://127.0.0.1:{port}/latest/api/token"))
        .header("x-aws-ec2-metadata-token-ttl-seconds", "21600")
        .body(b"payload".to_vec())
        .unwrap();
    let resp = make(config(Duration::from_secs(5)))
        .send(req)
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["x-test"], "yes");
    assert_eq!(resp.body(), br#"{"error":"nope"}"#);
    let head = seen.recv().unwrap();
    assert!(head.starts_with("PUT /latest/api/token HTTP/1.1"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-aws-ec2-metadata-token-ttl-seconds: 21600")
    );
    assert!(head.ends_with("payload"));

    // A slow answer times out.
    let (port, _seen) = serve_once(ok_response("200 OK", "{}"), Duration::from_secs(5));
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    let err = make(config(Duration::from_millis(300)))
        .send(req)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Timeout(_)), "{err:?}");
    assert!(err.is_retryable() && err.is_timeout());

    // A request's own timeout wins over the transport's (IMDS asks for its
    // metadata timeout on a transport shared with STS).
    let (port, _seen) = serve_once(ok_response("200 OK", "{}"), Duration::from_secs(5));
    let mut req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    req.extensions_mut()
        .insert(RequestTimeout(Duration::from_millis(300)));
    let err = make(config(Duration::from_secs(30)))
        .send(req)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Timeout(_)), "{err:?}");

    // Nobody listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    let err = make(config(Duration::from_secs(2)))
        .send(req)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");

    // Too large a body.
    let (port, _seen) = serve_once(ok_response("200 OK", &"x".repeat(200)), Duration::ZERO);
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    let err = make(config(Duration::from_secs(2)))
        .send(req)
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::TooLarge(64));

    // An explicit proxy (plain forwarding or a CONNECT tunnel).
    let (proxy_port, seen) = proxy_once(ok_response("200 OK", "via proxy"));
    let req = http::Request::get("http://sts.example.invalid/path")
        .body(Vec::new())
        .unwrap();
    let resp = make(proxied(proxy_port)).send(req).await.unwrap();
    assert_eq!(resp.body(), b"via proxy");
    let first = seen.recv().unwrap();
    let via_proxy = first.starts_with("GET http://sts.example.invalid/path HTTP/1.1")
        || (first.starts_with("CONNECT sts.example.invalid:80 ")
            && seen.recv().unwrap().starts_with("GET /path HTTP/1.1"));
    assert!(via_proxy, "{first}");
}

/// TLS: a private CA's server is refused with the platform roots and
/// accepted with its CA bundle or `-k`; a server that wants a client
/// certificate gets ours. `make` may fail (a bad bundle or key).
async fn tls_cases(make: impl Fn(TransportConfig) -> Result<Box<dyn Transport>, TransportError>) {
    let get = |port: u16| {
        http::Request::get(format!("https://127.0.0.1:{port}/"))
            .body(Vec::new())
            .unwrap()
    };
    let with = |tls: TlsSetting, client_cert: Option<ClientCertificate>| TransportConfig {
        tls,
        client_cert,
        proxy: ProxySetting::None,
        ..TransportConfig::default()
    };
    let server = tls_server("transport");
    let ca = std::fs::read(&server.ca_pem).unwrap();
    let t = make(with(TlsSetting::Platform, None)).unwrap();
    let err = t.send(get(server.port)).await.unwrap_err();
    assert!(matches!(err, TransportError::Tls(_)), "{err:?}");
    for tls in [TlsSetting::CaBundle(ca.clone()), TlsSetting::Insecure] {
        let t = make(with(tls, None)).unwrap();
        let resp = t.send(get(server.port)).await.unwrap();
        assert_eq!(resp.body(), b"tls ok");
    }
    // A bundle without certificates is refused up front.
    let err = make(with(TlsSetting::CaBundle(b"nothing".to_vec()), None)).unwrap_err();
    assert!(err.to_string().contains("no certificate"), "{err}");

    // Mutual TLS.
    let server = mtls_server("transport-mtls");
    let ca = std::fs::read(&server.ca_pem).unwrap();
    let identity = ClientCertificate::from_pem(
        std::fs::read(&server.client_pem).unwrap(),
        std::fs::read(&server.client_key).unwrap(),
    );
    assert!(!format!("{identity:?}").contains("PRIVATE"));
    let t = make(with(TlsSetting::CaBundle(ca.clone()), None)).unwrap();
    assert!(
        t.send(get(server.port)).await.is_err(),
        "no client certificate"
    );
    let t = make(with(TlsSetting::CaBundle(ca.clone()), Some(identity))).unwrap();
    let resp = t.send(get(server.port)).await.unwrap();
    assert_eq!(resp.body(), b"tls ok client=test-client");
    // A key that is not a key.
    let bad =
        ClientCertificate::from_pem(std::fs::read(&server.client_pem).unwrap(), b"x".to_vec());
    let err = make(with(TlsSetting::CaBundle(ca), Some(bad))).unwrap_err();
    assert!(err.to_string().contains("client key"), "{err}");
}

#[test]
fn blocking_transport() {
    pollster::block_on(all_cases(|c| {
        Box::new(BlockingTransport::try_new(c).unwrap())
    }));
}

#[test]
fn blocking_transport_tls() {
    pollster::block_on(tls_cases(|c| {
        BlockingTransport::try_new(c).map(|t| Box::new(t) as Box<dyn Transport>)
    }));
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn tokio_transport() {
    all_cases(|c| Box::new(cred_providers::TokioTransport::try_new(c).unwrap())).await;
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn tokio_transport_tls() {
    tls_cases(|c| {
        cred_providers::TokioTransport::try_new(c).map(|t| Box::new(t) as Box<dyn Transport>)
    })
    .await;
}

#[test]
fn metadata_addresses_are_never_proxied_and_bad_proxies_are_refused() {
    for uri in [
        "http://169.254.169.254/latest/api/token",
        "http://169.254.170.2/v2/creds",
        "http://[fd00:ec2::254]/",
    ] {
        assert!(!may_proxy(&uri.parse().unwrap()), "{uri}");
    }
    assert!(may_proxy(&"https://sts.amazonaws.com/".parse().unwrap()));
    let bad = TransportConfig {
        proxy: ProxySetting::Url("not a url ::".into()),
        ..TransportConfig::default()
    };
    assert!(BlockingTransport::try_new(bad.clone()).is_err());
    #[cfg(feature = "tokio")]
    assert!(cred_providers::TokioTransport::try_new(bad).is_err());
}
