//! The official SigV4 test suite (aws-c-auth), every stage of every case,
//! for both the header and the query (presigned) variant.
//!
//! `request.txt` paths are written as text, not as they go on the wire
//! (`get-space-unnormalized` has a literal space, `get-utf8` raw UTF-8), so
//! the harness percent-encodes bytes that cannot appear in a URL, as any
//! HTTP client would, and leaves the rest alone. The suite's expected
//! canonical paths are that wire path itself (`%20` stays `%20`), which is
//! `PathEncoding::Single`; the two legacy smithy-rs cases check `Double`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sigv4_core::{
    CredentialsRef, PathEncoding, Payload, Request, SessionTokenMode, Signer, SigningParams,
    Timestamp, Traced,
};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/aws-signing-test-suite/v4")
}

fn read(case: &Path, file: &str) -> String {
    fs::read_to_string(case.join(file)).unwrap_or_else(|e| panic!("{}/{file}: {e}", case.display()))
}

/// A request as written in a suite file.
struct Parsed {
    method: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_http(text: &str) -> Parsed {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b.as_bytes().to_vec()),
        None => (text.trim_end_matches('\n'), Vec::new()),
    };
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let request_line = request_line.strip_suffix(" HTTP/1.1").expect("HTTP/1.1");
    let (method, target) = request_line.split_once(' ').expect("method and target");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // obs-fold: RFC 9112 says to replace it with a space.
            let last = headers.last_mut().expect("continuation after a header");
            last.1.push(' ');
            last.1.push_str(line);
        } else {
            let (n, v) = line.split_once(':').expect("header with a colon");
            headers.push((n.to_string(), v.to_string()));
        }
    }
    Parsed {
        method: method.to_string(),
        path_and_query: target.to_string(),
        headers,
        body,
    }
}

/// Percent-encodes the bytes that cannot appear in a URL as they are.
fn to_wire(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Context {
    akid: String,
    secret: String,
    token: Option<String>,
    region: String,
    service: String,
    time: Timestamp,
    normalize: bool,
    sign_body: bool,
    omit_token: bool,
    expires: u64,
}

fn context(case: &Path) -> Context {
    let v: Value = serde_json::from_str(&read(case, "context.json")).unwrap();
    let rfc3339 = v["timestamp"].as_str().unwrap();
    let amz: String = rfc3339.chars().filter(|c| *c != '-' && *c != ':').collect();
    Context {
        akid: v["credentials"]["access_key_id"].as_str().unwrap().into(),
        secret: v["credentials"]["secret_access_key"]
            .as_str()
            .unwrap()
            .into(),
        token: v["credentials"]["token"].as_str().map(Into::into),
        region: v["region"].as_str().unwrap().into(),
        service: v["service"].as_str().unwrap().into(),
        time: amz.parse().unwrap(),
        normalize: v["normalize"].as_bool().unwrap(),
        sign_body: v["sign_body"].as_bool().unwrap_or(false),
        omit_token: v["omit_session_token"].as_bool().unwrap_or(false),
        expires: v["expiration_in_seconds"].as_u64().unwrap(),
    }
}

fn sorted_headers(h: &[(String, String)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = h
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    v.sort();
    v
}

/// The text a wire string stands for: the signed-request files write paths
/// and parameters decoded (`/example space/`, `ሴ=bar`).
fn decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn sorted_params(q: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decoded(k), decoded(v))
        })
        .collect();
    v.sort();
    v
}

fn check_case(name: &str, failures: &mut Vec<String>) {
    let case = suite_dir().join(name);
    let ctx = context(&case);
    let req_text = read(&case, "request.txt");
    let parsed = parse_http(&req_text);
    let host = parsed
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .expect("Host header");
    let url = format!("https://{host}{}", to_wire(&parsed.path_and_query));
    let headers: Vec<(&str, &str)> = parsed
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = Request::new(&parsed.method, &url)
        .unwrap()
        .with_headers(&headers)
        .with_payload(Payload::Bytes(&parsed.body));

    let mut creds = CredentialsRef::new(&ctx.akid, &ctx.secret);
    if let Some(t) = &ctx.token {
        creds = creds.with_session_token(t);
    }
    let mut params = SigningParams::new(&ctx.region, &ctx.service, ctx.time);
    params.settings.normalize_path = ctx.normalize;
    params.settings.path_encoding = PathEncoding::Single;
    if ctx.omit_token {
        params.settings.session_token = SessionTokenMode::AppendedAfterSigning;
    }
    let mut signer = Signer::new();

    let mut stage = |variant: &str, stage: &str, expected: String, actual: &str| {
        if expected != actual {
            failures.push(format!(
                "{name} [{variant}] {stage} differs\n--- expected\n{expected}\n--- actual\n{actual}\n"
            ));
        }
    };

    // Header variant.
    let mut header_params = params;
    header_params.settings.content_sha256_header = ctx.sign_body;
    let (signed, traced) = signer
        .sign_owned_traced(&request, &creds, &header_params)
        .unwrap();
    let Traced {
        canonical_request,
        string_to_sign,
    } = traced;
    stage(
        "header",
        "canonical request",
        read(&case, "header-canonical-request.txt"),
        &canonical_request,
    );
    stage(
        "header",
        "string to sign",
        read(&case, "header-string-to-sign.txt"),
        &string_to_sign,
    );
    stage(
        "header",
        "signature",
        read(&case, "header-signature.txt"),
        &signed.signature,
    );
    let expected = parse_http(&read(&case, "header-signed-request.txt"));
    let mut actual_headers = parsed.headers.clone();
    actual_headers.extend(
        signed
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone())),
    );
    stage(
        "header",
        "signed request headers",
        format!("{:#?}", sorted_headers(&expected.headers)),
        &format!("{:#?}", sorted_headers(&actual_headers)),
    );
    stage(
        "header",
        "signed request target",
        decoded(&expected.path_and_query),
        &decoded(&parsed.path_and_query),
    );

    // Query variant.
    let (signed, traced) = signer
        .presign_owned_traced(&request, &creds, &params, ctx.expires)
        .unwrap();
    stage(
        "query",
        "canonical request",
        read(&case, "query-canonical-request.txt"),
        &traced.canonical_request,
    );
    stage(
        "query",
        "string to sign",
        read(&case, "query-string-to-sign.txt"),
        &traced.string_to_sign,
    );
    stage(
        "query",
        "signature",
        read(&case, "query-signature.txt"),
        &signed.signature,
    );
    let expected = parse_http(&read(&case, "query-signed-request.txt"));
    let (exp_path, exp_query) = expected.path_and_query.split_once('?').unwrap();
    let (path, query) = match parsed.path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), format!("{q}&{}", signed.query)),
        None => (parsed.path_and_query.clone(), signed.query.clone()),
    };
    stage(
        "query",
        "signed request path",
        decoded(exp_path),
        &decoded(&path),
    );
    stage(
        "query",
        "signed request query parameters",
        format!("{:#?}", sorted_params(exp_query)),
        &format!("{:#?}", sorted_params(&to_wire(&query))),
    );
    stage(
        "query",
        "signed request headers",
        format!("{:#?}", sorted_headers(&expected.headers)),
        &format!("{:#?}", sorted_headers(&parsed.headers)),
    );
}

#[test]
fn official_suite_every_stage() {
    let mut names: Vec<String> = fs::read_dir(suite_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| suite_dir().join(n).join("context.json").exists())
        .collect();
    names.sort();
    assert_eq!(names.len(), 38, "the suite has 38 full cases");
    let mut failures = Vec::new();
    for name in &names {
        check_case(name, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} stage(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The legacy cases check the double encoding of an already-encoded path.
#[test]
fn legacy_double_encoding_cases() {
    // double-url-encode: every stage it has.
    let case = suite_dir().join("double-url-encode");
    let parsed = parse_http(&read(&case, "request.txt"));
    let url = format!(
        "https://lambda.us-east-2.amazonaws.com{}",
        parsed.path_and_query
    );
    let headers: Vec<(&str, &str)> = parsed
        .headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("x-amz-date"))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = Request::new(&parsed.method, &url)
        .unwrap()
        .with_headers(&headers);
    let creds = CredentialsRef::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let time: Timestamp = "20210511T154045Z".parse().unwrap();
    let params = SigningParams::new("us-east-2", "lambda", time);
    let (signed, traced) = Signer::new()
        .sign_owned_traced(&request, &creds, &params)
        .unwrap();
    assert_eq!(
        traced.canonical_request,
        read(&case, "header-canonical-request.txt"),
        "canonical request"
    );
    let expected = read(&case, "header-signed-request.txt");
    let auth = expected
        .lines()
        .find_map(|l| l.strip_prefix("Authorization: "))
        .unwrap();
    assert_eq!(signed.headers.last().unwrap().1, auth, "authorization");

    // double-encode-path: the canonical path line only (its files disagree
    // on the date and carry no secret).
    let case = suite_dir().join("double-encode-path");
    let parsed = parse_http(&read(&case, "request.txt"));
    let url = format!(
        "https://tj9n5r0m12.execute-api.us-east-1.amazonaws.com{}",
        parsed.path_and_query
    );
    let request = Request::new(&parsed.method, &url).unwrap();
    let params = SigningParams::new("us-east-1", "execute-api", time);
    let (_, traced) = Signer::new()
        .sign_owned_traced(&request, &creds, &params)
        .unwrap();
    let expected = read(&case, "header-canonical-request.txt");
    assert_eq!(
        traced.canonical_request.lines().nth(1),
        expected.lines().nth(1),
        "canonical path"
    );
}
