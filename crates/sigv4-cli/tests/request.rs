//! `sigv4 request` against loopback servers: the fake checks the SigV4
//! signature with sigv4-core's verifier (or basic auth), and answers like
//! an OpenSearch endpoint.

use std::process::{Command, Output, Stdio};

use sigv4_core::{Payload, Request, Timestamp, Verifier};
use test_support::http::{Seen, serve_fn, text_response};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn sigv4(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .arg("request")
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", "/nonexistent")
        .env("AWS_ACCESS_KEY_ID", AKID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", "SESSION")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Verifies the request's signature (service from the scope).
fn verify(req: &Seen, port: u16) -> Result<String, String> {
    let url = format!("http://127.0.0.1:{port}{}", req.target);
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let r = Request::new(&req.method, &url)
        .map_err(|e| e.to_string())?
        .with_headers(&headers)
        .with_payload(Payload::Bytes(&req.body));
    let ok = Verifier::default()
        .verify(&r, Timestamp::now(), |id| (id == AKID).then_some(SECRET))
        .map_err(|e| e.to_string())?;
    Ok(format!("{}/{}", ok.service, ok.region))
}

fn server() -> u16 {
    let port_cell = std::sync::Arc::new(std::sync::OnceLock::<u16>::new());
    let cell = port_cell.clone();
    let port = serve_fn(move |req: &Seen| {
        let port = *cell.get().unwrap();
        match req.target.as_str() {
            "/moved" => b"HTTP/1.1 302 Found\r\nLocation: /public\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            "/public" => text_response("200 OK", "public page"),
            "/basic" => match req.header("authorization") {
                Some("Basic YWRtaW46czNjcmV0") => text_response("200 OK", "hello admin"),
                _ => text_response("401 Unauthorized", r#"{"error":"unauthorized"}"#),
            },
            _ => match verify(req, port) {
                Ok(scope) if req.target.starts_with("/aoss") && req.header("x-amz-content-sha256").is_none() => {
                    text_response("403 Forbidden", &format!("missing content hash for {scope}"))
                }
                Ok(scope) => text_response("200 OK", &format!("signed for {scope}; body {}", req.body.len())),
                Err(e) => text_response(
                    "403 Forbidden",
                    &format!("{{\"message\":\"The request signature we calculated does not match: {e}\"}}"),
                ),
            },
        }
    });
    port_cell.set(port).unwrap();
    port
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn signs_sends_and_prints_the_body() {
    let port = server();
    let url = format!("http://127.0.0.1:{port}/_search?size=1");
    let out = sigv4(&[
        "--service",
        "es",
        "--region",
        "eu-west-1",
        "-H",
        "Content-Type: application/json",
        "-d",
        "{\"query\":{}}",
        &url,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out), "signed for es/eu-west-1; body 12");
    // aoss implies a signed x-amz-content-sha256.
    let out = sigv4(&[
        "--service",
        "aoss",
        "--region",
        "us-east-1",
        &format!("http://127.0.0.1:{port}/aoss/x"),
    ]);
    assert_eq!(stdout(&out), "signed for aoss/us-east-1; body 0");
    // -i shows the status line and headers; -o writes the body to a file.
    let out = sigv4(&["-i", "--service", "es", "--region", "eu-west-1", &url]);
    assert!(
        stdout(&out).starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        stdout(&out)
    );
    let file = std::env::temp_dir().join(format!("sigv4-request-{}", std::process::id()));
    let out = sigv4(&[
        "-o",
        file.to_str().unwrap(),
        "--service",
        "es",
        "--region",
        "eu-west-1",
        &url,
    ]);
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("signed for es/eu-west-1")
    );
    let _ = std::fs::remove_file(file);
}

#[test]
fn http_errors_exit_22_with_the_body_on_stderr() {
    let port = server();
    let out = sigv4(&[
        "-u",
        "admin:wrong",
        &format!("http://127.0.0.1:{port}/basic"),
    ]);
    assert_eq!(out.status.code(), Some(22));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("401") && err.contains("unauthorized"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1);
    let out = sigv4(&[
        "-u",
        "admin:s3cret",
        &format!("http://127.0.0.1:{port}/basic"),
    ]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "hello admin")
    );
}

#[test]
fn redirects_are_followed_only_with_l() {
    let port = server();
    let url = format!("http://127.0.0.1:{port}/moved");
    let out = sigv4(&["--service", "es", "--region", "eu-west-1", &url]);
    assert_eq!(out.status.code(), Some(0), "a 3xx answer is success");
    assert!(out.stdout.is_empty());
    // A signature covers one URL and the redirect target gets the same
    // headers, so (as with curl) only an unsigned target answers.
    let out = sigv4(&["-L", "--service", "es", "--region", "eu-west-1", &url]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "public page");
}

#[test]
fn usage_and_connection_errors() {
    let port = server();
    let out = sigv4(&[&format!("http://127.0.0.1:{port}/")]);
    assert_eq!(out.status.code(), Some(2), "no service for a loopback host");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--service"));
    let out = sigv4(&[
        "-H",
        "broken",
        "--service",
        "es",
        "--region",
        "r",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = sigv4(&[
        "--service",
        "es",
        "--region",
        "eu-west-1",
        &format!("http://127.0.0.1:{closed}/"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn tls_with_a_private_ca_or_insecure() {
    let tls = test_support::http::tls_server("request");
    let url = format!("https://127.0.0.1:{}/", tls.port);
    // Basic auth, so that no signature is involved.
    let out = sigv4(&["-u", "a:b", &url]);
    assert_eq!(out.status.code(), Some(1), "an unknown issuer is refused");
    assert!(out.stdout.is_empty());
    let out = sigv4(&["-u", "a:b", "--cacert", tls.ca_pem.to_str().unwrap(), &url]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "tls ok"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sigv4(&["-u", "a:b", "-k", &url]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "tls ok")
    );
    let out = sigv4(&["-u", "a:b", "--cacert", "/nonexistent.pem", &url]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unreadable CA file is an input error"
    );
}

#[test]
fn client_certificate() {
    let tls = test_support::http::mtls_server("request-mtls");
    let url = format!("https://127.0.0.1:{}/", tls.port);
    let ca = tls.ca_pem.to_str().unwrap();
    let out = sigv4(&["-u", "a:b", "--cacert", ca, &url]);
    assert_eq!(out.status.code(), Some(1), "the server wants a certificate");
    assert!(out.stdout.is_empty());
    let (cert, key) = (
        tls.client_pem.to_str().unwrap(),
        tls.client_key.to_str().unwrap(),
    );
    let out = sigv4(&[
        "-u", "a:b", "--cacert", ca, "--cert", cert, "--key", key, &url,
    ]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "tls ok client=test-client"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sigv4(&["-u", "a:b", "--cert", cert, &url]);
    assert_eq!(out.status.code(), Some(2), "--cert needs --key");
}

/// The README's scenario with `sigv4 request` against the loopback
/// OpenSearch cluster: the master user maps the role (basic auth), the
/// role's FORBIDDEN on the security API, then it lists indices with SigV4.
#[test]
fn opensearch_role_mapping_scenario() {
    use test_support::opensearch::{
        Config, FakeOpenSearch, IamIdentity, MASTER_PASSWORD, MASTER_USER,
    };
    const ROLE: &str = "arn:aws:iam::123456789012:role/app-on-ec2";
    let cluster = FakeOpenSearch::start(Config {
        iam: vec![IamIdentity {
            access_key_id: AKID.into(),
            secret: SECRET.into(),
            session_token: Some("SESSION".into()),
            arn: ROLE.into(),
        }],
        ..Config::default()
    });
    let url = &cluster.urls()[0];
    let master = format!("{MASTER_USER}:{MASTER_PASSWORD}");
    let signed = ["--region", "eu-west-1", "--service", "es"];

    // Not mapped: the plugin's security_exception, exit 22, body on stderr.
    let out = sigv4(&[&signed[..], &[&format!("{url}/_cat/indices?format=json")]].concat());
    assert_eq!(out.status.code(), Some(22));
    assert!(String::from_utf8_lossy(&out.stderr).contains("security_exception"));

    // The master user appends the role's ARN to all_access's backend roles
    // (the README's command: what is mapped there already stays).
    let mapping = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&stdout(out)).unwrap()["all_access"].clone()
    };
    let get = |m: &str| {
        sigv4(&[
            "-u",
            m,
            &format!("{url}/_plugins/_security/api/rolesmapping/all_access"),
        ])
    };
    let before = mapping(&get(&master));
    // The plugin stores a mapping without its empty lists: the README adds
    // the whole list when there is none, and appends otherwise.
    let existing = before["backend_roles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let patch = if existing.is_empty() {
        format!(r#"[{{"op":"add","path":"/backend_roles","value":["{ROLE}"]}}]"#)
    } else {
        format!(r#"[{{"op":"add","path":"/backend_roles/-","value":"{ROLE}"}}]"#)
    };
    let out = sigv4(&[
        "-u",
        &master,
        "-X",
        "PATCH",
        "-H",
        "Content-Type: application/json",
        "-d",
        &patch,
        &format!("{url}/_plugins/_security/api/rolesmapping/all_access"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains(r#""status":"OK""#));
    let after = mapping(&get(&master));
    assert_eq!(after["users"], before["users"], "the users stay");
    let mut roles = existing;
    roles.push(ROLE.into());
    assert_eq!(after["backend_roles"], serde_json::Value::Array(roles));
    let out = sigv4(&[
        "-u",
        &master,
        "-X",
        "PUT",
        "-d",
        "{}",
        &format!("{url}/orders"),
    ]);
    assert_eq!(out.status.code(), Some(0));

    // all_access alone: FORBIDDEN on the security API.
    let out = sigv4(
        &[
            &signed[..],
            &[&format!("{url}/_plugins/_security/api/rolesmapping")],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(22));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("does not have any role privileged for admin access")
    );

    // The workload lists indices.
    let out = sigv4(&[&signed[..], &[&format!("{url}/_cat/indices?format=json")]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let indices: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(indices[0]["index"], "orders");
    assert!(test_support::opensearch::botocore_check(cluster.config(), &cluster.recorded()) >= 3);
}
