//! The tokio transport (feature `tokio`) against the same loopback servers.
#![cfg(feature = "tokio")]

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{ok_response, proxy_once, serve_once};
use cred_providers::{ProxySetting, TokioTransport, Transport, TransportConfig, TransportError};

fn transport(total: Duration) -> TokioTransport {
    TokioTransport::try_new(TransportConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: total,
        max_body: 64,
        proxy: ProxySetting::None,
    })
    .unwrap()
}

#[tokio::test]
async fn round_trip_with_any_status() {
    let (port, seen) = serve_once(ok_response("403 Forbidden", r#"{"x":1}"#), Duration::ZERO);
    let req = http::Request::put(format!("http://127.0.0.1:{port}/latest/api/token"))
        .header("x-aws-ec2-metadata-token-ttl-seconds", "60")
        .body(b"b".to_vec())
        .unwrap();
    let resp = transport(Duration::from_secs(5)).send(req).await.unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["x-test"], "yes");
    assert_eq!(resp.body(), br#"{"x":1}"#);
    let head = seen.recv().unwrap();
    assert!(head.starts_with("PUT /latest/api/token HTTP/1.1"), "{head}");
}

#[tokio::test]
async fn timeouts_refusals_and_limits() {
    let (port, _seen) = serve_once(ok_response("200 OK", "{}"), Duration::from_secs(5));
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    let err = transport(Duration::from_millis(300))
        .send(req)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Timeout(_)), "{err:?}");

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    let err = transport(Duration::from_secs(2))
        .send(req)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");

    let (port, _seen) = serve_once(ok_response("200 OK", &"x".repeat(200)), Duration::ZERO);
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        transport(Duration::from_secs(2))
            .send(req)
            .await
            .unwrap_err(),
        TransportError::TooLarge(64)
    );
}

#[tokio::test]
async fn an_explicit_proxy_is_used() {
    let (proxy_port, seen) = proxy_once(ok_response("200 OK", "via proxy"));
    let t = TokioTransport::try_new(TransportConfig {
        proxy: ProxySetting::Url(format!("http://127.0.0.1:{proxy_port}")),
        ..TransportConfig::default()
    })
    .unwrap();
    let req = http::Request::get("http://sts.example.invalid/path")
        .body(Vec::new())
        .unwrap();
    let resp = t.send(req).await.unwrap();
    assert_eq!(resp.body(), b"via proxy");
    let first = seen.recv().unwrap();
    let proxied = first.starts_with("GET http://sts.example.invalid/path HTTP/1.1")
        || (first.starts_with("CONNECT sts.example.invalid:80 ")
            && seen.recv().unwrap().starts_with("GET /path HTTP/1.1"));
    assert!(proxied, "{first}");
}
