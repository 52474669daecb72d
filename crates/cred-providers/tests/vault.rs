//! Vault's AWS `iam` login against a loopback Vault-like endpoint that
//! applies Vault's checks and replays the request to moto's STS.

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cred_providers::vault::{LoginOptions, VaultError, login_payload, login_request, parse_login};
use cred_providers::{BlockingTransport, Credentials, sts};
use serde_json::{Value, json};
use test_support::http::{Seen, serve_fn, text_response};
use test_support::moto::moto;

const SERVER_ID: &str = "vault.example.com";

fn json_response(status: &str, v: &Value) -> Vec<u8> {
    let body = v.to_string();
    format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
        .into_bytes()
}

fn refuse(msg: &str) -> Vec<u8> {
    json_response("400 Bad Request", &json!({ "errors": [msg] }))
}

/// What Vault's aws auth method checks, then the replay to STS (moto).
fn vault_login(req: &Seen, sts_url: &str) -> Vec<u8> {
    if req.method != "POST" || req.target != "/v1/auth/aws/login" {
        return text_response("405 Method Not Allowed", "");
    }
    let Ok(p) = serde_json::from_slice::<Value>(&req.body) else {
        return refuse("bad JSON");
    };
    let decode = |k: &str| STANDARD.decode(p[k].as_str().unwrap_or("")).ok();
    if p["iam_http_request_method"] != "POST" {
        return refuse("iam_http_request_method must be POST");
    }
    let (Some(url), Some(body), Some(headers)) = (
        decode("iam_request_url"),
        decode("iam_request_body"),
        decode("iam_request_headers"),
    ) else {
        return refuse("bad base64");
    };
    if String::from_utf8_lossy(&url).contains('?') {
        return refuse("query strings are not allowed");
    }
    let body = String::from_utf8(body).unwrap_or_default();
    let mut params: Vec<&str> = body.split('&').collect();
    params.sort();
    if params != ["Action=GetCallerIdentity", "Version=2011-06-15"] {
        return refuse("the body must be exactly Action=GetCallerIdentity and Version");
    }
    let Ok(headers) = serde_json::from_slice::<BTreeMap<String, Vec<String>>>(&headers) else {
        return refuse("bad headers");
    };
    for name in headers.keys() {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-amz-") && lower != "x-amz-date" && lower != "x-amz-security-token" {
            return refuse("disallowed header");
        }
    }
    let server_id = headers
        .get("X-Vault-AWS-IAM-Server-ID")
        .and_then(|v| v.first());
    let auth = headers
        .get("Authorization")
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default();
    if server_id.map(String::as_str) != Some(SERVER_ID)
        || !auth.contains("x-vault-aws-iam-server-id")
    {
        return refuse("missing or unsigned X-Vault-AWS-IAM-Server-ID");
    }
    // Vault sends the request to its own configured STS endpoint.
    let mut replay = http::Request::post(format!("{sts_url}/"));
    for (name, values) in &headers {
        if name.eq_ignore_ascii_case("host") {
            continue; // the transport sets it from the URL, which is what was signed
        }
        for v in values {
            replay = replay.header(name.as_str(), v.as_str());
        }
    }
    let resp = BlockingTransport::default()
        .send_blocking(replay.body(body.into_bytes()).unwrap())
        .unwrap();
    match sts::parse_caller_identity(&resp) {
        Ok(id) => json_response(
            "200 OK",
            &json!({"auth": {"client_token": "hvs.fake-token", "metadata": {"account_id": id.account, "client_arn": id.arn}}}),
        ),
        Err(e) => refuse(&format!("error making upstream request: {e}")),
    }
}

fn vault() -> String {
    let sts_url = moto().url.clone();
    let port = serve_fn(move |req: &Seen| vault_login(req, &sts_url));
    format!("http://127.0.0.1:{port}")
}

fn options(server_id: Option<&str>) -> LoginOptions {
    let mut o = LoginOptions::new("dev-role");
    o.sts_endpoint = moto().url.clone();
    o.server_id = server_id.map(str::to_string);
    o
}

fn login(
    creds: &Credentials,
    opts: &LoginOptions,
    addr: &str,
) -> Result<cred_providers::vault::LoginResponse, VaultError> {
    let payload = login_payload(opts, creds, SystemTime::now())?;
    let req = login_request(addr, "aws", Some("team-a"), &payload)?;
    assert_eq!(req.headers()["x-vault-namespace"], "team-a");
    parse_login(&BlockingTransport::default().send_blocking(req).unwrap())
}

#[test]
fn the_payload_replayed_to_sts_returns_the_caller() {
    let addr = vault();
    let r = login(&moto().user, &options(Some(SERVER_ID)), &addr).unwrap();
    assert_eq!(r.client_token(), Some("hvs.fake-token"));
    assert!(
        r.json["auth"]["metadata"]["client_arn"]
            .as_str()
            .unwrap()
            .ends_with(":user/alice")
    );
}

#[test]
fn vaults_checks_and_stss_answer_are_reported() {
    let addr = vault();
    let err = login(&moto().user, &options(None), &addr).unwrap_err();
    assert!(
        matches!(err, VaultError::Refused { status: 400, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("X-Vault-AWS-IAM-Server-ID"),
        "{err}"
    );

    let wrong = Credentials::builder(moto().user.access_key_id(), "wrong")
        .provider("t")
        .build();
    let err = login(&wrong, &options(Some(SERVER_ID)), &addr).unwrap_err();
    assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");
}
