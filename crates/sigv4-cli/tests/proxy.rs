//! `sigv4 proxy` in front of the loopback OpenSearch cluster, which checks
//! every SigV4 signature with sigv4-core's verifier (and botocore checks
//! them again): the methods, a 10 MiB bulk body, 64 clients at once while
//! the credentials rotate, an upstream that is down, the body limit, and a
//! bind beyond loopback refused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use test_support::opensearch::engine::Principal;
use test_support::opensearch::{Config, FakeOpenSearch, IamIdentity, botocore_check};

const ROLE: &str = "arn:aws:iam::123456789012:role/dashboards";

struct Proxy {
    child: Child,
    url: String,
    _home: Home,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Home(PathBuf);

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A home whose profile gets credentials from a `credential_process` that
/// hands out key A, then B, then A… each valid for 4 seconds: the cache
/// refreshes every couple of seconds while the proxy runs.
fn rotating_home(tag: &str) -> Home {
    let dir = std::env::temp_dir().join(format!("sigv4-proxy-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".aws")).unwrap();
    let script = dir.join("creds.sh");
    std::fs::write(
        &script,
        format!(
            r#"n=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}
if [ $((n % 2)) -eq 0 ]; then k=AKIAPROXYKEYA0000001; s=secretA; else k=AKIAPROXYKEYB0000002; s=secretB; fi
e=$(date -u -d '+4 seconds' +%Y-%m-%dT%H:%M:%SZ)
printf '{{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s","Expiration":"%s"}}' $k $s $e
"#,
            count = dir.join("count").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join(".aws/config"),
        format!("[default]\ncredential_process = sh {}\n", script.display()),
    )
    .unwrap();
    Home(dir)
}

fn start(upstream: &str, extra: &[&str]) -> Proxy {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let home = rotating_home(
        &NEXT
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            .to_string(),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args([
            "proxy",
            "--upstream",
            upstream,
            "--listen",
            "127.0.0.1:0",
            "--service",
            "es",
            "--region",
            "eu-west-1",
        ])
        .args(extra)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home.0)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Proxy {
        child,
        url,
        _home: home,
    }
}

/// One HTTP/1.1 exchange: (status, body).
fn call(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn cluster() -> FakeOpenSearch {
    let identity = |k: &str, s: &str| IamIdentity {
        access_key_id: k.into(),
        secret: s.into(),
        session_token: None,
        arn: ROLE.into(),
    };
    let cluster = FakeOpenSearch::start(Config {
        iam: vec![
            identity("AKIAPROXYKEYA0000001", "secretA"),
            identity("AKIAPROXYKEYB0000002", "secretB"),
        ],
        ..Config::default()
    });
    let master = Principal {
        name: "admin".into(),
        backend_roles: vec![],
        internal: true,
    };
    let (status, _) = {
        let r = cluster.engine().handle(
            &master,
            "PATCH",
            "/_plugins/_security/api/rolesmapping/all_access",
            "",
            format!(r#"[{{"op":"add","path":"/backend_roles","value":["{ROLE}"]}}]"#).as_bytes(),
            "",
        );
        (r.status, ())
    };
    assert_eq!(status, 200);
    cluster
}

#[test]
fn signs_every_method_large_bodies_and_many_clients_while_credentials_rotate() {
    let cluster = cluster();
    let upstream = cluster.urls()[0].clone();
    let proxy = start(&upstream, &[]);
    let p = proxy.url.as_str();
    let json = [("Content-Type", "application/json")];

    // The methods; an Authorization or X-Amz-* header from the client is
    // dropped, not forwarded.
    assert_eq!(call(p, "PUT", "/movies", &json, b"{}").0, 200);
    let (status, body) = call(
        p,
        "PUT",
        "/movies/_doc/1",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "Basic Zm9vOmJhcg=="),
            ("X-Amz-Date", "19990101T000000Z"),
        ],
        br#"{"title":"Alien"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = call(p, "GET", "/movies/_doc/1", &[], b"");
    assert_eq!(status, 200);
    assert!(body.contains("Alien"), "{body}");
    let (status, body) = call(
        p,
        "POST",
        "/movies/_search",
        &json,
        br#"{"query":{"match_all":{}}}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(call(p, "DELETE", "/movies/_doc/1", &[], b"").0, 200);
    let (status, body) = call(p, "GET", "/_plugins/_security/authinfo", &[], b"");
    assert!(status == 200 && body.contains(ROLE), "{body}");

    // A 10 MiB bulk body.
    let mut bulk = Vec::new();
    let doc = format!("{{\"title\":\"{}\"}}\n", "x".repeat(1000));
    let mut n = 0;
    while bulk.len() < 10 << 20 {
        bulk.extend_from_slice(
            format!("{{\"index\":{{\"_index\":\"big\",\"_id\":\"{n}\"}}}}\n").as_bytes(),
        );
        bulk.extend_from_slice(doc.as_bytes());
        n += 1;
    }
    let (status, body) = call(
        p,
        "POST",
        "/_bulk",
        &[("Content-Type", "application/x-ndjson")],
        &bulk,
    );
    assert_eq!(status, 200, "{}", &body[..body.len().min(300)]);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"], false);
    assert_eq!(v["items"].as_array().unwrap().len(), n);

    // 64 clients at once for a few seconds, across credential rotations.
    let deadline = Instant::now() + Duration::from_secs(5);
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (p, failures) = (p.to_string(), failures.clone());
            std::thread::spawn(move || {
                let mut calls = 0;
                while Instant::now() < deadline {
                    let (status, body) = call(&p, "GET", "/", &[], b"");
                    if status != 200
                        && failures.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0
                    {
                        eprintln!("first failure: {status} {}", &body[..body.len().min(300)]);
                    }
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let calls: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(
        failures.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "of {calls}"
    );
    let recorded = cluster.recorded();
    let keys: std::collections::BTreeSet<String> = recorded
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_string))
        .filter_map(|a| a.split("Credential=").nth(1).map(|c| c[..20].to_string()))
        .collect();
    assert_eq!(keys.len(), 2, "both keys of the rotation signed: {keys:?}");
    // Credentials came from the cache, not once per request.
    let fetched: usize = std::fs::read_to_string(proxy._home.0.join("count"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        fetched < 10 && calls > 100,
        "{fetched} fetches for {calls} calls"
    );
    assert!(botocore_check(cluster.config(), &recorded) > 100);
}

#[test]
fn limits_failures_and_remote_binds() {
    // The body limit: 413 before anything is forwarded.
    let cluster = cluster();
    let proxy = start(&cluster.urls()[0], &["--max-body", "1000"]);
    let (status, body) = call(&proxy.url, "POST", "/x/_doc", &[], &[b'a'; 2000]);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("--max-body"));
    assert!(cluster.recorded().is_empty());

    // The upstream down: 502 with the reason.
    let dead = FakeOpenSearch::dead_url();
    let proxy = start(&dead, &[]);
    let (status, body) = call(&proxy.url, "GET", "/", &[], b"");
    assert_eq!(status, 502);
    assert!(
        body.contains("upstream") && body.contains("connect"),
        "{body}"
    );

    // Beyond loopback: refused without --allow-remote (exit 2, nothing on
    // stdout, one line naming the flag).
    let out = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args([
            "proxy",
            "--upstream",
            "https://search-d.eu-west-1.es.amazonaws.com",
            "--listen",
            "0.0.0.0:0",
        ])
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--allow-remote") && err.lines().count() == 1,
        "{err}"
    );
}
