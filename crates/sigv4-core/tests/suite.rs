//! The official SigV4 and SigV4a test suite (aws-c-auth), every stage of
//! every case, for both the header and the query (presigned) variant.
//!
//! SigV4a signatures are ECDSA with a random nonce in the suite, so the
//! stage "signature" checks instead that the key we derive is the suite's
//! public key, that the suite's signatures verify with it over the string to
//! sign, that ours verify with it too, and that our verifier accepts the
//! suite's signed requests (with the public key and with the secret).
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
    CredentialsRef, PathEncoding, Payload, Request, SessionTokenMode, SigV4aPublicKey,
    SigV4aSigner, Signer, SigningParams, Timestamp, Traced, Verifier, VerifySettings,
};

fn suite_dir() -> PathBuf {
    suite_root().join("v4")
}

fn suite_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/aws-signing-test-suite")
}

/// SigV4 (HMAC) or SigV4a (ECDSA P-256).
#[derive(Clone, Copy, PartialEq)]
enum Version {
    V4,
    V4a,
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

fn check_case(version: Version, name: &str, failures: &mut Vec<String>) {
    let case = suite_root()
        .join(match version {
            Version::V4 => "v4",
            Version::V4a => "v4a",
        })
        .join(name);
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
    let mut signer_v4a = SigV4aSigner::new();
    let public = (version == Version::V4a).then(|| suite_public_key(&case));
    if let Some(public) = &public {
        let derived = signer_v4a.key(&creds).unwrap().public_key();
        if derived != *public {
            failures.push(format!(
                "{name}: derived public key {derived:?} is not the suite's"
            ));
        }
    }

    // Header variant.
    let mut header_params = params;
    header_params.settings.content_sha256_header = ctx.sign_body;
    let (signed, traced) = match version {
        Version::V4 => signer.sign_owned_traced(&request, &creds, &header_params),
        Version::V4a => signer_v4a.sign_owned_traced(&request, &creds, &header_params),
    }
    .unwrap();
    let Traced {
        canonical_request,
        string_to_sign,
    } = traced;
    stage(
        failures,
        name,
        "header",
        "canonical request",
        read(&case, "header-canonical-request.txt"),
        &canonical_request,
    );
    stage(
        failures,
        name,
        "header",
        "string to sign",
        read(&case, "header-string-to-sign.txt"),
        &string_to_sign,
    );
    let expected = parse_http(&read(&case, "header-signed-request.txt"));
    let mut expected_headers = expected.headers.clone();
    let mut actual_headers = parsed.headers.clone();
    actual_headers.extend(
        signed
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone())),
    );
    match &public {
        None => stage(
            failures,
            name,
            "header",
            "signature",
            read(&case, "header-signature.txt"),
            &signed.signature,
        ),
        Some(public) => {
            let sts = read(&case, "header-string-to-sign.txt");
            for (whose, sig) in [
                ("suite's", read(&case, "header-signature.txt")),
                ("our", signed.signature.clone()),
            ] {
                if !ecdsa_verifies(public, &sts, &sig) {
                    failures.push(format!(
                        "{name} [header]: {whose} signature does not verify"
                    ));
                }
            }
            check_suite_request_verifies(name, &expected, &ctx, public, failures);
            // The signatures differ (random nonces): compare the rest.
            strip_signature(&mut expected_headers);
            strip_signature(&mut actual_headers);
        }
    }
    stage(
        failures,
        name,
        "header",
        "signed request headers",
        format!("{:#?}", sorted_headers(&expected_headers)),
        &format!("{:#?}", sorted_headers(&actual_headers)),
    );
    stage(
        failures,
        name,
        "header",
        "signed request target",
        decoded(&expected.path_and_query),
        &decoded(&parsed.path_and_query),
    );

    // Query variant.
    let (signed, traced) = match version {
        Version::V4 => signer.presign_owned_traced(&request, &creds, &params, ctx.expires),
        Version::V4a => signer_v4a.presign_owned_traced(&request, &creds, &params, ctx.expires),
    }
    .unwrap();
    stage(
        failures,
        name,
        "query",
        "canonical request",
        read(&case, "query-canonical-request.txt"),
        &traced.canonical_request,
    );
    stage(
        failures,
        name,
        "query",
        "string to sign",
        read(&case, "query-string-to-sign.txt"),
        &traced.string_to_sign,
    );
    let expected = parse_http(&read(&case, "query-signed-request.txt"));
    match &public {
        None => stage(
            failures,
            name,
            "query",
            "signature",
            read(&case, "query-signature.txt"),
            &signed.signature,
        ),
        Some(public) => {
            let sts = read(&case, "query-string-to-sign.txt");
            for (whose, sig) in [
                ("suite's", read(&case, "query-signature.txt")),
                ("our", signed.signature.clone()),
            ] {
                if !ecdsa_verifies(public, &sts, &sig) {
                    failures.push(format!("{name} [query]: {whose} signature does not verify"));
                }
            }
            // A token appended after signing is not in the canonical query,
            // and a verifier cannot tell it apart from a signed parameter:
            // ours (like AWS's services other than IoT) requires it signed.
            if !ctx.omit_token {
                check_suite_request_verifies(name, &expected, &ctx, public, failures);
            }
        }
    }
    let (exp_path, exp_query) = expected.path_and_query.split_once('?').unwrap();
    let (path, query) = match parsed.path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), format!("{q}&{}", signed.query)),
        None => (parsed.path_and_query.clone(), signed.query.clone()),
    };
    stage(
        failures,
        name,
        "query",
        "signed request path",
        decoded(exp_path),
        &decoded(&path),
    );
    let without_signature = |q: &str| {
        let mut v = sorted_params(q);
        if version == Version::V4a {
            v.retain(|(k, _)| k != "X-Amz-Signature");
        }
        v
    };
    stage(
        failures,
        name,
        "query",
        "signed request query parameters",
        format!("{:#?}", without_signature(exp_query)),
        &format!("{:#?}", without_signature(&to_wire(&query))),
    );
    stage(
        failures,
        name,
        "query",
        "signed request headers",
        format!("{:#?}", sorted_headers(&expected.headers)),
        &format!("{:#?}", sorted_headers(&parsed.headers)),
    );
}

fn stage(
    failures: &mut Vec<String>,
    name: &str,
    variant: &str,
    stage: &str,
    expected: String,
    actual: &str,
) {
    if expected != actual {
        failures.push(format!(
            "{name} [{variant}] {stage} differs\n--- expected\n{expected}\n--- actual\n{actual}\n"
        ));
    }
}

/// The suite's public key of a SigV4a case.
fn suite_public_key(case: &Path) -> SigV4aPublicKey {
    let v: Value = serde_json::from_str(&read(case, "public-key.json")).unwrap();
    let coord = |k: &str| -> [u8; 32] {
        let hex = v[k].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        bytes.try_into().unwrap()
    };
    SigV4aPublicKey::from_coordinates(&coord("X"), &coord("Y")).unwrap()
}

/// Checks a hex DER signature over `text` with `p256` directly (not
/// through the crate's verifier).
fn ecdsa_verifies(public: &SigV4aPublicKey, text: &str, hex_der: &str) -> bool {
    use p256::ecdsa::signature::Verifier as _;
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&public.to_uncompressed()).unwrap();
    let der: Vec<u8> = (0..hex_der.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex_der.trim()[i..i + 2], 16).unwrap())
        .collect();
    let Ok(sig) = p256::ecdsa::Signature::from_der(&der) else {
        return false;
    };
    key.verify(text.as_bytes(), &sig).is_ok()
}

fn strip_signature(headers: &mut [(String, String)]) {
    for (n, v) in headers.iter_mut() {
        if n.eq_ignore_ascii_case("authorization")
            && let Some(i) = v.find("Signature=")
        {
            v.truncate(i);
        }
    }
}

/// The suite's signed request (as a server receives it) passes our
/// verifier, with the public key and with the secret.
fn check_suite_request_verifies(
    name: &str,
    signed: &Parsed,
    ctx: &Context,
    public: &SigV4aPublicKey,
    failures: &mut Vec<String>,
) {
    let host = signed
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .unwrap();
    let url = format!("https://{host}{}", to_wire(&signed.path_and_query));
    let headers: Vec<(&str, &str)> = signed
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = Request::new(&signed.method, &url)
        .unwrap()
        .with_headers(&headers)
        .with_payload(Payload::Bytes(&signed.body));
    let mut settings = VerifySettings::default();
    settings.signing.normalize_path = ctx.normalize;
    settings.signing.path_encoding = PathEncoding::Single;
    let mut verifier = Verifier::new(settings);
    let by_public = verifier
        .verify_with_public_key(&request, ctx.time, |id| (id == ctx.akid).then_some(*public));
    let by_secret = verifier.verify(&request, ctx.time, |id| {
        (id == ctx.akid).then_some(ctx.secret.as_bytes())
    });
    for (how, result) in [("public key", by_public), ("secret", by_secret)] {
        match result {
            Ok(v) if v.sigv4a && v.region.as_str() == ctx.region => {}
            other => failures.push(format!(
                "{name}: the suite's signed request does not verify with the {how}: {other:?}"
            )),
        }
    }
}

fn run_suite(version: Version) {
    let dir = match version {
        Version::V4 => suite_root().join("v4"),
        Version::V4a => suite_root().join("v4a"),
    };
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| dir.join(n).join("context.json").exists())
        .collect();
    names.sort();
    assert_eq!(names.len(), 38, "the suite has 38 full cases");
    let mut failures = Vec::new();
    for name in &names {
        check_case(version, name, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} stage(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn official_suite_every_stage() {
    run_suite(Version::V4);
}

#[test]
fn official_sigv4a_suite_every_stage() {
    run_suite(Version::V4a);
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
