//! `sigv4 sign` and `sigv4 verify` as a script sees them: stdout, stderr,
//! exit status. Expected signatures come from the official suite's files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn suite(case: &str, file: &str) -> String {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sigv4-core/testdata/aws-signing-test-suite/v4")
        .join(case)
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn sigv4(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails early may exit before reading its input.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

const CREDS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", AKID),
    ("AWS_SECRET_ACCESS_KEY", SECRET),
];

fn json(args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = sigv4(args, env, b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn header_names(v: &Value) -> Vec<String> {
    v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap().to_string())
        .collect()
}

const BASE: &[&str] = &[
    "sign",
    "--region",
    "us-east-1",
    "--service",
    "service",
    "--date",
    "20150830T123600Z",
];

fn with(extra: &[&'static str]) -> Vec<&'static str> {
    BASE.iter().chain(extra).copied().collect()
}

#[test]
fn json_matches_the_official_suite_for_get_vanilla() {
    let v = json(
        &with(&["--format", "json", "https://example.amazonaws.com/"]),
        CREDS,
    );
    assert_eq!(
        v["canonical_request"],
        suite("get-vanilla", "header-canonical-request.txt")
    );
    assert_eq!(
        v["string_to_sign"],
        suite("get-vanilla", "header-string-to-sign.txt")
    );
    assert_eq!(v["signature"], suite("get-vanilla", "header-signature.txt"));
    assert_eq!(v["url"], "https://example.amazonaws.com/");
    assert_eq!(header_names(&v), ["Host", "X-Amz-Date", "Authorization"]);
    let auth = v["authorization"].as_str().unwrap();
    assert!(auth.ends_with(&format!(
        "Signature={}",
        suite("get-vanilla", "header-signature.txt")
    )));
    assert_eq!(v["headers"][2][1].as_str().unwrap(), auth);
}

#[test]
fn presigned_json_matches_the_official_suite() {
    let v = json(
        &with(&[
            "--format",
            "json",
            "--presign",
            "--expires",
            "3600",
            "https://example.amazonaws.com/",
        ]),
        CREDS,
    );
    assert_eq!(
        v["canonical_request"],
        suite("get-vanilla", "query-canonical-request.txt")
    );
    assert_eq!(v["signature"], suite("get-vanilla", "query-signature.txt"));
    assert!(v["authorization"].is_null());
    assert_eq!(header_names(&v), ["Host"]);
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with("https://example.amazonaws.com/?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    assert!(url.ends_with(&format!(
        "X-Amz-Signature={}",
        suite("get-vanilla", "query-signature.txt")
    )));
    // --expires defaults to 3600.
    let v2 = json(
        &with(&[
            "--format",
            "json",
            "--presign",
            "https://example.amazonaws.com/",
        ]),
        CREDS,
    );
    assert_eq!(v2["signature"], v["signature"]);
}

#[test]
fn session_token_is_signed_and_sent() {
    let ctx: Value =
        serde_json::from_str(&suite("get-vanilla-with-session-token", "context.json")).unwrap();
    let token = ctx["credentials"]["token"].as_str().unwrap();
    let env = [CREDS[0], CREDS[1], ("AWS_SESSION_TOKEN", token)];
    let v = json(
        &with(&["--format", "json", "https://example.amazonaws.com/"]),
        &env,
    );
    assert_eq!(
        v["signature"],
        suite("get-vanilla-with-session-token", "header-signature.txt")
    );
    assert_eq!(
        header_names(&v),
        [
            "Host",
            "X-Amz-Date",
            "X-Amz-Security-Token",
            "Authorization"
        ]
    );
    let v = json(
        &with(&[
            "--format",
            "json",
            "--presign",
            "https://example.amazonaws.com/",
        ]),
        &env,
    );
    assert_eq!(
        v["signature"],
        suite("get-vanilla-with-session-token", "query-signature.txt")
    );
}

#[test]
fn body_content_sha256_and_caller_headers() {
    let v = json(
        &with(&[
            "--format",
            "json",
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "-H",
            "Content-Length: 13",
            "--data-binary",
            "Param1=value1",
            "--content-sha256-header",
            "https://example.amazonaws.com/",
        ]),
        CREDS,
    );
    let case = "post-x-www-form-urlencoded";
    assert_eq!(
        v["canonical_request"],
        suite(case, "header-canonical-request.txt")
    );
    assert_eq!(v["signature"], suite(case, "header-signature.txt"));
    assert_eq!(
        header_names(&v),
        [
            "Content-Type",
            "Content-Length",
            "Host",
            "X-Amz-Date",
            "X-Amz-Content-Sha256",
            "Authorization"
        ]
    );
}

#[test]
fn http_format_is_the_request_to_send() {
    let dir = std::env::temp_dir().join(format!("sigv4-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    std::fs::write(&file, "{\"a\":\n1}\n").unwrap();
    let at_file = format!("@{}", file.display());
    let args: Vec<&str> = BASE
        .iter()
        .copied()
        .chain(["-d", at_file.as_str(), "https://h.example:8443/p?q=1#frag"])
        .collect();
    let out = sigv4(&args, CREDS, b"");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "POST /p?q=1 HTTP/1.1", "a body makes it a POST");
    assert_eq!(
        lines[1], "Content-Type: application/json",
        "a JSON body without a type gets one"
    );
    assert_eq!(
        lines[2], "Host: h.example:8443",
        "a non-default port is kept"
    );
    assert!(lines[3].starts_with("X-Amz-Date: "));
    assert!(
        lines[4].starts_with("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/")
    );
    assert!(text.ends_with('\n') && !text.contains('\r'));
    // -d @file drops line breaks, as curl does: verify against that body.
    let out = sigv4(
        &[
            "verify",
            "--now",
            "20150830T123600Z",
            "--data-binary",
            "{\"a\":1}",
        ],
        CREDS,
        text.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // -X wins; the default port is dropped.
    let out = sigv4(&with(&["-X", "PUT", "https://h.example:443/"]), CREDS, b"");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("PUT / HTTP/1.1\nHost: h.example\n"));
}

#[test]
fn s3_presigns_an_unsigned_payload_without_normalising() {
    let v = json(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--date",
            "20150830T123600Z",
            "--presign",
            "--format",
            "json",
            "https://bucket.s3.amazonaws.com/a//b/../c%20d",
        ],
        CREDS,
    );
    let creq = v["canonical_request"].as_str().unwrap();
    assert_eq!(creq.lines().nth(1), Some("/a//b/../c%20d"));
    assert_eq!(creq.lines().last(), Some("UNSIGNED-PAYLOAD"));
}

fn assert_input_error(args: &[&str], env: &[(&str, &str)], one_line: bool) {
    let out = sigv4(args, env, b"");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.trim().is_empty(), "{args:?}: no message");
    if one_line {
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains(SECRET));
    }
}

#[test]
fn bad_input_exits_2_with_one_line_and_no_stdout() {
    let url = "https://example.amazonaws.com/";
    for extra in [
        vec!["ftp://example.com/"],
        vec!["https://exa mple.com/"],
        vec!["-H", "NoColon", url],
        vec!["-H", ": novalue", url],
        vec!["--data-binary", "@/nonexistent/file", url],
        vec!["-d", "@/nonexistent/file", url],
        vec!["--presign", "--expires", "0", url],
        vec!["--presign", "--expires", "604801", url],
        vec!["--presign", "--expires", "soon", url],
        vec!["-X", "G ET", url],
    ] {
        let args: Vec<&str> = BASE.iter().copied().chain(extra).collect();
        assert_input_error(&args, CREDS, true);
    }
    assert_input_error(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "s",
            "--date",
            "2015-08-30",
            url,
        ],
        CREDS,
        true,
    );
    assert_input_error(
        &["sign", "--region", "", "--service", "s", url],
        CREDS,
        true,
    );
    assert_input_error(
        &["sign", "--region", "us-east-1", "--service", "", url],
        CREDS,
        true,
    );
    assert_input_error(
        &["sign", "--region", "us east", "--service", "s", url],
        CREDS,
        true,
    );
    assert_input_error(&["sign", "--service", "s", url], CREDS, true);
    assert_input_error(&with(&[url]), &[], true);
    assert_input_error(&with(&[url]), &[("AWS_ACCESS_KEY_ID", AKID)], true);
    // The argument parser's own usage errors: exit 2, a few lines.
    assert_input_error(&["sign", "--region", "us-east-1", url], CREDS, false);
    assert_input_error(&with(&["--expires", "60", url]), CREDS, false);
    assert_input_error(&with(&["-d", "a", "--data-binary", "b", url]), CREDS, false);
}

#[test]
fn region_can_come_from_the_environment() {
    let env = [CREDS[0], CREDS[1], ("AWS_REGION", "us-east-1")];
    let v = json(
        &[
            "sign",
            "--service",
            "service",
            "--date",
            "20150830T123600Z",
            "--format",
            "json",
            "https://example.amazonaws.com/",
        ],
        &env,
    );
    assert_eq!(v["signature"], suite("get-vanilla", "header-signature.txt"));
}

#[test]
fn verify_exit_statuses() {
    let signed = sigv4(
        &with(&["--data-binary", "body", "https://example.amazonaws.com/x"]),
        CREDS,
        b"",
    );
    assert!(signed.status.success());
    let req = signed.stdout;
    let run = |args: &[&str], stdin: &[u8]| sigv4(args, CREDS, stdin);
    let ok = run(
        &[
            "verify",
            "--now",
            "20150830T123600Z",
            "--data-binary",
            "body",
        ],
        &req,
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let summary: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(summary["scope"], "20150830/us-east-1/service/aws4_request");

    let invalid = |args: &[&str], stdin: &[u8]| {
        let out = run(args, stdin);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1);
        err
    };
    assert!(
        invalid(
            &[
                "verify",
                "--now",
                "20150830T123600Z",
                "--data-binary",
                "bodY"
            ],
            &req
        )
        .contains("mismatch")
    );
    assert!(
        invalid(
            &[
                "verify",
                "--now",
                "20150830T124101Z",
                "--data-binary",
                "body"
            ],
            &req
        )
        .contains("expired")
    );
    assert!(
        invalid(
            &[
                "verify",
                "--now",
                "20150830T124101Z",
                "--max-skew",
                "600",
                "--data-binary",
                "x"
            ],
            &req
        )
        .contains("mismatch")
    );
    let tampered = String::from_utf8(req.clone())
        .unwrap()
        .replace("POST /x", "POST /y");
    invalid(
        &[
            "verify",
            "--now",
            "20150830T123600Z",
            "--data-binary",
            "body",
        ],
        tampered.as_bytes(),
    );
    let out = sigv4(
        &[
            "verify",
            "--now",
            "20150830T123600Z",
            "--data-binary",
            "body",
        ],
        &[("AWS_ACCESS_KEY_ID", "OTHER"), CREDS[1]],
        &req,
    );
    assert_eq!(out.status.code(), Some(1));

    let unusable = |args: &[&str], stdin: &[u8], env: &[(&str, &str)]| {
        let out = sigv4(args, env, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    };
    unusable(&["verify"], b"not a request", CREDS);
    unusable(&["verify"], b"GET / HTTP/1.1\nno colon here\n", CREDS);
    unusable(&["verify"], b"GET / HTTP/1.1\n", CREDS);
    unusable(&["verify", "--now", "yesterday"], &req, CREDS);
    unusable(&["verify", "--data-binary", "@/nonexistent"], &req, CREDS);
    unusable(&["verify", "--now", "20150830T123600Z"], &req, &[]);
}

/// The reproduction of the security report: a body changed under a signed
/// `x-amz-content-sha256` is refused (it was accepted before).
#[test]
fn verify_refuses_a_changed_body_under_a_signed_hash() {
    let signed = sigv4(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "es",
            "--content-sha256-header",
            "-d",
            "hello",
            "https://h.example/p",
        ],
        CREDS,
        b"",
    );
    assert!(signed.status.success());
    let changed = sigv4(&["verify", "--data-binary", "HELLO"], CREDS, &signed.stdout);
    assert_eq!(changed.status.code(), Some(1));
    assert!(changed.stdout.is_empty());
    assert_eq!(
        String::from_utf8(changed.stderr).unwrap(),
        "sigv4: payload hash mismatch: the body is not the one that was signed\n"
    );
    let same = sigv4(&["verify", "--data-binary", "hello"], CREDS, &signed.stdout);
    assert_eq!(same.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["unsigned_payload"], false);
}

#[test]
fn verify_refuses_an_unsigned_payload_unless_allowed() {
    let signed = sigv4(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "es",
            "--content-sha256-header",
            "--unsigned-payload",
            "-d",
            "hello",
            "https://h.example/p",
        ],
        CREDS,
        b"",
    );
    assert!(signed.status.success());
    let refused = sigv4(
        &["verify", "--data-binary", "anything"],
        CREDS,
        &signed.stdout,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty());
    let err = String::from_utf8(refused.stderr).unwrap();
    assert!(err.starts_with("sigv4: unsigned payload refused"), "{err}");
    let allowed = sigv4(
        &[
            "verify",
            "--allow-unsigned-payload",
            "--data-binary",
            "anything",
        ],
        CREDS,
        &signed.stdout,
    );
    assert_eq!(allowed.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert_eq!(v["unsigned_payload"], true);
}

fn suite_v4a(case: &str, file: &str) -> String {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sigv4-core/testdata/aws-signing-test-suite/v4a")
        .join(case)
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn sigv4a_json_matches_the_official_suite() {
    // Without --region-set the set is the region.
    let v = json(
        &with(&[
            "--sigv4a",
            "--format",
            "json",
            "https://example.amazonaws.com/",
        ]),
        CREDS,
    );
    assert_eq!(
        v["canonical_request"],
        suite_v4a("get-vanilla", "header-canonical-request.txt")
    );
    assert_eq!(
        v["string_to_sign"],
        suite_v4a("get-vanilla", "header-string-to-sign.txt")
    );
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "authorization",
            "canonical_request",
            "headers",
            "signature",
            "string_to_sign",
            "url"
        ]
    );
    assert!(
        v["authorization"]
            .as_str()
            .unwrap()
            .starts_with("AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=30")
    );
    let presigned = json(
        &with(&[
            "--sigv4a",
            "--presign",
            "--format",
            "json",
            "https://example.amazonaws.com/",
        ]),
        CREDS,
    );
    assert_eq!(
        presigned["canonical_request"],
        suite_v4a("get-vanilla", "query-canonical-request.txt")
    );
    assert_eq!(
        presigned["string_to_sign"],
        suite_v4a("get-vanilla", "query-string-to-sign.txt")
    );
    // --region-set belongs to --sigv4a.
    let out = sigv4(
        &with(&["--region-set", "*", "https://example.amazonaws.com/"]),
        CREDS,
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn sigv4a_requests_verify_with_the_secret_or_a_public_key() {
    let dir = std::env::temp_dir().join(format!("sigv4a-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("public.pem");
    std::fs::write(&pem, test_support::sigv4a_public_key_pem(AKID, SECRET)).unwrap();
    let other_pem = dir.join("other.pem");
    std::fs::write(
        &other_pem,
        test_support::sigv4a_public_key_pem(AKID, "another secret"),
    )
    .unwrap();
    let pem = pem.to_str().unwrap();
    let other_pem = other_pem.to_str().unwrap();
    let now = "20150830T123700Z";

    for presign in [false, true] {
        let mut args = with(&["--sigv4a", "--region-set", "us-east-1,us-west-2"]);
        if presign {
            args.push("--presign");
        }
        args.extend([
            "--data-binary",
            "body",
            "https://example.amazonaws.com/x?a=1",
        ]);
        let signed = sigv4(&args, CREDS, b"");
        assert!(
            signed.status.success(),
            "{}",
            String::from_utf8_lossy(&signed.stderr)
        );
        let text = String::from_utf8(signed.stdout.clone()).unwrap();
        if presign {
            assert!(
                text.contains("X-Amz-Region-Set=us-east-1%2Cus-west-2"),
                "{text}"
            );
        } else {
            assert!(
                text.contains("X-Amz-Region-Set: us-east-1,us-west-2"),
                "{text}"
            );
        }
        let verify = |extra: &[&str], env: &[(&str, &str)], body: &str| {
            let mut a = vec!["verify", "--now", now, "--data-binary", body];
            a.extend(extra);
            sigv4(&a, env, &signed.stdout)
        };
        for (how, out) in [
            ("secret", verify(&[], CREDS, "body")),
            ("public key", verify(&["--public-key", pem], &[], "body")),
        ] {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{how} (presign {presign}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(summary["algorithm"], "AWS4-ECDSA-P256-SHA256");
            assert_eq!(summary["region_set"], "us-east-1,us-west-2");
            assert_eq!(summary["scope"], "20150830/service/aws4_request");
            assert_eq!(summary["presigned"], presign);
        }
        // Another key, another body, another secret: exit 1, one line.
        let wrong_secret = [
            ("AWS_ACCESS_KEY_ID", AKID),
            ("AWS_SECRET_ACCESS_KEY", "another secret"),
        ];
        for out in [
            verify(&["--public-key", other_pem], &[], "body"),
            verify(&["--public-key", pem], &[], "BODY"),
            verify(&[], &wrong_secret, "body"),
        ] {
            assert_eq!(out.status.code(), Some(1), "presign {presign}");
            assert!(out.stdout.is_empty());
            assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
        }
    }
    // A public key cannot check an HMAC signature; a bad PEM is unusable.
    let hmac = sigv4(&with(&["https://example.amazonaws.com/"]), CREDS, b"");
    let out = sigv4(
        &["verify", "--now", now, "--public-key", pem],
        &[],
        &hmac.stdout,
    );
    assert_eq!(out.status.code(), Some(1));
    let out = sigv4(
        &["verify", "--now", now, "--public-key", "/nonexistent.pem"],
        &[],
        &hmac.stdout,
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

const S3_DOC_CREDS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
];

/// `sign --chunk-size` args for the S3 documentation's chunked upload.
fn s3_doc_args<'a>(file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "sign",
        "--region",
        "us-east-1",
        "--service",
        "s3",
        "--date",
        "20130524T000000Z",
        "-X",
        "PUT",
        "-H",
        "x-amz-storage-class: REDUCED_REDUNDANCY",
        "-H",
        "Content-Type:",
        "--data-binary",
        file,
    ];
    a.extend(extra);
    a.push("https://s3.amazonaws.com/examplebucket/chunkObject.txt");
    a
}

fn split_at_blank_line(out: &[u8]) -> (&[u8], &[u8]) {
    let i = out.windows(2).position(|w| w == b"\n\n").unwrap();
    (&out[..i + 1], &out[i + 2..])
}

#[test]
fn streaming_upload_is_the_s3_documentation_example_and_verifies() {
    let dir = std::env::temp_dir().join(format!("sigv4-chunked-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a.bin");
    std::fs::write(&file, vec![b'a'; 66_560]).unwrap();
    let at_file = format!("@{}", file.display());

    let out = sigv4(
        &s3_doc_args(&at_file, &["--chunk-size", "65536"]),
        S3_DOC_CREDS,
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (head, body) = split_at_blank_line(&out.stdout);
    let head = String::from_utf8(head.to_vec()).unwrap();
    assert!(head.contains("content-length: 66824\n"), "{head}");
    assert!(head.contains("x-amz-decoded-content-length: 66560\n"));
    assert!(head.contains("content-encoding: aws-chunked\n"));
    assert!(head.contains("x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\n"));
    assert!(
        head.contains(
            "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9\n"
        ),
        "{head}"
    );
    // The body exactly as the documentation has it.
    let mut want = Vec::new();
    want.extend(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    want.extend(vec![b'a'; 65_536]);
    want.extend(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    want.extend(vec![b'a'; 1_024]);
    want.extend(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    assert!(
        body == want,
        "the aws-chunked body differs from the documentation's"
    );

    let verify = |stdin: &[u8], extra: &[&str], env: &[(&str, &str)]| {
        let mut a = vec!["verify", "--now", "20130524T000100Z"];
        a.extend(extra);
        sigv4(&a, env, stdin)
    };
    let ok = verify(&out.stdout, &[], S3_DOC_CREDS);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let summary: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(summary["decoded_content_length"], 66_560);

    // One byte of the second chunk changed: refused, exit 1, one line.
    let mut tampered = out.stdout.clone();
    let n = tampered.len();
    tampered[n - 200] = b'b';
    let bad = verify(&tampered, &[], S3_DOC_CREDS);
    assert_eq!(bad.status.code(), Some(1));
    assert!(bad.stdout.is_empty());
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(err.contains("chunk 1 signature mismatch"), "{err}");
    assert_eq!(err.lines().count(), 1);
    // Truncated.
    let cut = verify(&out.stdout[..out.stdout.len() - 30], &[], S3_DOC_CREDS);
    assert_eq!(cut.status.code(), Some(1));
    // A body on stdin and --data-binary too: unusable input.
    let both = verify(&out.stdout, &["--data-binary", "x"], S3_DOC_CREDS);
    assert_eq!(both.status.code(), Some(2));

    // Every trailer, signed and unsigned, SigV4 and SigV4a, round trips.
    let pem = dir.join("public.pem");
    std::fs::write(
        &pem,
        test_support::sigv4a_public_key_pem(S3_DOC_CREDS[0].1, S3_DOC_CREDS[1].1),
    )
    .unwrap();
    let pem = pem.to_str().unwrap().to_string();
    for trailer in ["crc32", "crc32c", "sha256"] {
        for extra in [
            vec!["--chunk-size", "9000", "--trailer", trailer],
            vec![
                "--chunk-size",
                "9000",
                "--trailer",
                trailer,
                "--unsigned-payload",
            ],
            vec!["--chunk-size", "9000", "--trailer", trailer, "--sigv4a"],
        ] {
            let out = sigv4(&s3_doc_args(&at_file, &extra), S3_DOC_CREDS, b"");
            assert!(
                out.status.success(),
                "{extra:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let (head, body) = split_at_blank_line(&out.stdout);
            let head = String::from_utf8_lossy(head);
            assert!(
                head.contains(&format!("x-amz-trailer: x-amz-checksum-{trailer}\n")),
                "{head}"
            );
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                len,
                body.len(),
                "{extra:?}: content-length is the wire length"
            );
            let tail = String::from_utf8_lossy(&body[body.len() - 300..]).into_owned();
            assert!(
                tail.contains(&format!("x-amz-checksum-{trailer}:")),
                "{tail}"
            );
            assert_eq!(
                tail.contains("x-amz-trailer-signature:"),
                !extra.contains(&"--unsigned-payload")
            );
            let ok = verify(&out.stdout, &[], S3_DOC_CREDS);
            assert_eq!(
                ok.status.code(),
                Some(0),
                "{extra:?}: {}",
                String::from_utf8_lossy(&ok.stderr)
            );
            if extra.contains(&"--sigv4a") {
                let ok = verify(&out.stdout, &["--public-key", &pem], &[]);
                assert_eq!(
                    ok.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&ok.stderr)
                );
                assert!(head.contains("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"));
            }
            // The checksum line changed.
            let mut bad = out.stdout.clone();
            let at = bad
                .windows(16)
                .rposition(|w| w == b"x-amz-checksum-c" || w == b"x-amz-checksum-s")
                .unwrap();
            let colon = at + bad[at..].iter().position(|&b| b == b':').unwrap();
            bad[colon + 1] = if bad[colon + 1] == b'A' { b'B' } else { b'A' };
            assert_eq!(
                verify(&bad, &[], S3_DOC_CREDS).status.code(),
                Some(1),
                "{extra:?}"
            );
        }
    }

    // Usage errors: exit 2, nothing on stdout.
    for extra in [
        vec!["--chunk-size", "100", "--unsigned-payload"],
        vec!["--trailer", "crc32"],
        vec!["--chunk-size", "0"],
        vec!["--chunk-size", "100", "--trailer", "md5"],
        vec!["--chunk-size", "100", "--presign"],
    ] {
        let out = sigv4(&s3_doc_args(&at_file, &extra), S3_DOC_CREDS, b"");
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(out.stdout.is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
