//! The blocking transport against loopback servers: statuses and bodies,
//! timeouts, refused connections, body limits, and an explicit proxy.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{ok_response, proxy_once, serve_once};

use cred_providers::{BlockingTransport, ProxySetting, TransportConfig, TransportError};

fn transport(total: Duration) -> BlockingTransport {
    BlockingTransport::try_new(TransportConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: total,
        max_body: 64,
        proxy: ProxySetting::None,
    })
    .unwrap()
}

#[test]
fn round_trip_with_any_status() {
    let (port, seen) = serve_once(
        ok_response("404 Not Found", r#"{"error":"nope"}"#),
        Duration::ZERO,
    );
    let req = http::Request::post(format!("http://127.0.0.1:{port}/latest/api/token"))
        .header("x-aws-ec2-metadata-token-ttl-seconds", "21600")
        .body(b"payload".to_vec())
        .unwrap();
    let resp = transport(Duration::from_secs(5))
        .send_blocking(req)
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["x-test"], "yes");
    assert_eq!(resp.body(), br#"{"error":"nope"}"#);
    let head = seen.recv().unwrap();
    assert!(
        head.starts_with("POST /latest/api/token HTTP/1.1"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("x-aws-ec2-metadata-token-ttl-seconds: 21600")
    );
    assert!(head.ends_with("payload"));
}

#[test]
fn slow_answers_time_out() {
    let (port, _seen) = serve_once(ok_response("200 OK", "{}"), Duration::from_secs(5));
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    let err = transport(Duration::from_millis(300))
        .send_blocking(req)
        .unwrap_err();
    assert!(matches!(err, TransportError::Timeout(_)), "{err:?}");
}

#[test]
fn refused_connections_and_large_bodies() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    let err = transport(Duration::from_secs(2))
        .send_blocking(req)
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");

    let (port, _seen) = serve_once(ok_response("200 OK", &"x".repeat(200)), Duration::ZERO);
    let req = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    let err = transport(Duration::from_secs(2))
        .send_blocking(req)
        .unwrap_err();
    assert_eq!(err, TransportError::TooLarge(64));
}

#[test]
fn an_explicit_proxy_is_used_but_never_for_metadata_addresses() {
    let (proxy_port, seen) = proxy_once(ok_response("200 OK", "via proxy"));
    let t = BlockingTransport::try_new(TransportConfig {
        proxy: ProxySetting::Url(format!("http://127.0.0.1:{proxy_port}")),
        ..TransportConfig::default()
    })
    .unwrap();
    let req = http::Request::get("http://sts.example.invalid/path")
        .body(Vec::new())
        .unwrap();
    let resp = t.send_blocking(req).unwrap();
    assert_eq!(resp.body(), b"via proxy");
    let first = seen.recv().unwrap();
    let proxied = first.starts_with("GET http://sts.example.invalid/path HTTP/1.1")
        || (first.starts_with("CONNECT sts.example.invalid:80 ")
            && seen.recv().unwrap().starts_with("GET /path HTTP/1.1"));
    assert!(proxied, "{first}");

    for uri in [
        "http://169.254.169.254/latest/api/token",
        "http://169.254.170.2/v2/creds",
        "http://[fd00:ec2::254]/",
    ] {
        assert!(
            !cred_providers::transport::may_proxy(&uri.parse().unwrap()),
            "{uri}"
        );
    }
    assert!(cred_providers::transport::may_proxy(
        &"https://sts.amazonaws.com/".parse().unwrap()
    ));
    assert!(
        BlockingTransport::try_new(TransportConfig {
            proxy: ProxySetting::Url("not a url ::".into()),
            ..TransportConfig::default()
        })
        .is_err()
    );
}
