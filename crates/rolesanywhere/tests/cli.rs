//! The `rolesanywhere` binary: flags and output shapes of
//! `aws_signing_helper`, checked against the openssl-made PKI, the
//! independent CreateSession verifier, the `openssl` command (signatures,
//! certificate fields) and the rest of the product (the credential chain
//! running `credential_process`, the IMDS provider reading `serve`).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use cred_providers::{DefaultChain, ImdsProvider, MapEnv, RealFiles, provide_blocking};
use test_support::pki::{PASSWORD, pki};
use test_support::rolesanywhere::{
    ANCHOR_ARN, FakeRolesAnywhere, PROFILE_ARN, ROLE_ARN, imds_read, port_of, start_serve,
};

const BIN: &str = env!("CARGO_BIN_EXE_rolesanywhere");

thread_local! {
    static FAKE: &'static FakeRolesAnywhere =
        Box::leak(Box::new(FakeRolesAnywhere::start(&pki().path("root.pem"))));
}

fn fake() -> &'static FakeRolesAnywhere {
    FAKE.with(|f| *f)
}

fn p(name: &str) -> String {
    pki().path(name).display().to_string()
}

fn cmd() -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    c
}

fn session_args(cert: &str, key: &str) -> Vec<String> {
    let mut args = vec![
        "--certificate".to_string(),
        p(cert),
        "--private-key".into(),
        p(key),
        "--intermediates".into(),
        p("intermediate.pem"),
    ];
    args.extend(fake().session_args());
    args
}

fn run(args: &[String]) -> Output {
    cmd().args(args).output().unwrap()
}

/// An error: non-zero, one line on stderr, nothing on stdout.
fn assert_error(out: &Output, want: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout must be empty: {:?}",
        out.stdout
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(want), "{want:?} not in {stderr:?}");
    stderr
}

#[test]
fn credential_process_prints_exactly_the_json() {
    for (cert, key) in [
        ("rsa.pem", "rsa.key"),
        ("p256.pem", "p256.key"),
        ("p384.pem", "p384.key"),
    ] {
        let out = run(&session_args(cert, key));
        let mut args = vec!["credential-process".to_string()];
        args.extend(session_args(cert, key));
        let out2 = run(&args);
        assert!(!out.status.success(), "a subcommand is required");
        assert!(
            out2.status.success(),
            "{}",
            String::from_utf8_lossy(&out2.stderr)
        );
        assert!(out2.stderr.is_empty());
        let text = String::from_utf8(out2.stdout).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut sorted = vec![
            "AccessKeyId",
            "Expiration",
            "SecretAccessKey",
            "SessionToken",
            "Version",
        ];
        sorted.sort();
        assert_eq!(keys, sorted, "exactly these keys");
        // In the helper's order on the wire.
        let order: Vec<usize> = [
            "\"Version\"",
            "\"AccessKeyId\"",
            "\"SecretAccessKey\"",
            "\"SessionToken\"",
            "\"Expiration\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(v["Version"], 1);
        assert!(v["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
        assert!(cred_providers::time::parse_rfc3339(v["Expiration"].as_str().unwrap()).is_some());
        // The output is what the SDKs' credential_process parser takes.
        let creds = cred_providers::process::parse_output(text.as_bytes()).unwrap();
        assert_eq!(creds.access_key_id(), v["AccessKeyId"].as_str().unwrap());
    }
}

#[test]
fn errors_are_one_line_with_nothing_on_stdout() {
    let mut base = vec!["credential-process".to_string()];
    base.extend(session_args("rsa.pem", "other.key"));
    // The library says what is wrong; the command names the flag.
    let text = assert_error(&run(&base), "does not match");
    assert!(text.contains("check that --private-key"), "{text}");
    let mut enc = vec!["credential-process".to_string()];
    enc.extend(session_args("rsa.pem", "rsa.enc.pem"));
    let text = assert_error(&run(&enc), "needs its passphrase");
    assert!(text.contains("--pkcs8-password"), "{text}");

    let mut args = vec!["credential-process".to_string()];
    args.extend(session_args("expired.pem", "expired.key"));
    assert_error(&run(&args), "expired");

    let mut args = vec!["credential-process".to_string()];
    args.extend(session_args("rsa.pem", "missing.key"));
    assert_error(&run(&args), "cannot read the private key file");

    let mut args = vec!["credential-process".to_string()];
    args.extend(session_args("rsa.pem", "rsa.key"));
    let i = args.iter().position(|a| a == ANCHOR_ARN).unwrap();
    args[i] = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/other".into();
    assert_error(
        &run(&args),
        "ResourceNotFoundException (HTTP 404): Trust anchor not found",
    );

    let mut args = vec!["credential-process".to_string()];
    args.extend(session_args("rsa.pem", "rsa.key"));
    args.extend(["--session-duration".into(), "899".into()]);
    assert_error(&run(&args), "900 to 43200");

    let mut args = vec!["credential-process".to_string()];
    args.extend(session_args("rsa.pem", "rsa.key"));
    let i = args.iter().position(|a| a == "--role-arn").unwrap();
    args.drain(i..i + 2);
    assert_error(&run(&args), "--role-arn is required");

    // Usage errors too.
    assert_error(
        &run(&["credential-process".into(), "--bogus".into()]),
        "--bogus",
    );

    // Nothing listening: a transport error.
    let mut args = vec!["credential-process".to_string()];
    args.extend(session_args("rsa.pem", "rsa.key"));
    let i = args.iter().position(|a| a == "--endpoint").unwrap();
    args[i + 1] = "http://127.0.0.1:9".into();
    assert_error(&run(&args), "cannot reach Roles Anywhere");
}

#[test]
fn other_key_store_flags_are_refused_clearly() {
    // With a key file: each flag says what it needs instead.
    for (flags, want) in [
        (
            vec!["--cert-selector", "Key=x509Subject,Value=CN=a"],
            "PKCS#11 token (--pkcs11-lib)",
        ),
        (
            vec!["--system-store-name", "MY"],
            "Windows certificate store",
        ),
        (vec!["--reuse-pin"], "PKCS#11 token (--pkcs11-lib)"),
        (vec!["--tpm-key-password", "x"], "applies to TPM keys"),
        (vec!["--no-tpm-key-password"], "applies to TPM keys"),
    ] {
        let mut args = vec!["credential-process".to_string()];
        args.extend(session_args("rsa.pem", "rsa.key"));
        args.extend(flags.iter().map(|s| s.to_string()));
        let err = assert_error(&run(&args), want);
        assert!(err.contains(flags[0]), "{err}");
        let mut args = vec![
            "sign-string".to_string(),
            "--private-key".into(),
            p("rsa.key"),
        ];
        args.extend(flags.iter().map(|s| s.to_string()));
        assert_error(&run(&args), want);
    }
}

#[test]
fn a_pkcs11_module_with_a_key_file_is_a_clear_usage_error() {
    // (Keys on tokens are tested in tests/pkcs11.rs.)
    let mut args = vec!["credential-process".to_string()];
    args.extend(session_args("rsa.pem", "rsa.key"));
    args.extend(["--pkcs11-lib".into(), "/usr/lib/opensc-pkcs11.so".into()]);
    assert_error(&run(&args), "--private-key is a pkcs11: URI");
}

#[test]
fn sign_string_signatures_verify_with_openssl() {
    let dir = pki().path("sign-string");
    std::fs::create_dir_all(&dir).unwrap();
    let message = "the string to sign\nwith a second line";
    std::fs::write(dir.join("msg"), message).unwrap();
    for name in ["rsa", "p256", "p384"] {
        // The public key, as openssl reads it from the certificate.
        let pubkey = dir.join(format!("{name}.pub"));
        let st = Command::new("openssl")
            .args([
                "x509",
                "-in",
                &p(&format!("{name}.pem")),
                "-pubkey",
                "-noout",
                "-out",
            ])
            .arg(&pubkey)
            .status()
            .unwrap();
        assert!(st.success());
        for digest in ["SHA256", "SHA384", "SHA512"] {
            let mut child = cmd()
                .args([
                    "sign-string",
                    "-",
                    "--private-key",
                    &p(&format!("{name}.key")),
                    "--digest",
                    digest,
                    "--format",
                    "bin",
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(message.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            let sig = dir.join(format!("{name}-{digest}.sig"));
            std::fs::write(&sig, &out.stdout).unwrap();
            let verify = Command::new("openssl")
                .args(["dgst", &format!("-{}", digest.to_lowercase()), "-verify"])
                .arg(&pubkey)
                .arg("-signature")
                .arg(&sig)
                .arg(dir.join("msg"))
                .output()
                .unwrap();
            assert!(
                verify.status.success(),
                "{name} {digest}: {}",
                String::from_utf8_lossy(&verify.stdout)
            );
            // The same signature in the text and json formats (RSA and
            // RFC 6979 ECDSA are deterministic).
            let text = cmd()
                .args([
                    "sign-string",
                    message,
                    "--private-key",
                    &p(&format!("{name}.key")),
                    "--digest",
                    digest,
                    "--format",
                    "text",
                ])
                .output()
                .unwrap();
            let hex: String = out.stdout.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(String::from_utf8(text.stdout).unwrap(), hex);
            let json = cmd()
                .args([
                    "sign-string",
                    message,
                    "--private-key",
                    &p(&format!("{name}.key")),
                    "--digest",
                    digest,
                ])
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8(json.stdout).unwrap(),
                format!("\"{hex}\"")
            );
        }
    }
    // A flipped byte does not verify: the check can fail.
    let sig = dir.join("rsa-SHA256.sig");
    let mut bytes = std::fs::read(&sig).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&sig, bytes).unwrap();
    let verify = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(dir.join("rsa.pub"))
        .arg("-signature")
        .arg(&sig)
        .arg(dir.join("msg"))
        .output()
        .unwrap();
    assert!(!verify.status.success());
}

fn openssl_text(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn read_certificate_data_matches_openssl() {
    for (name, family) in [("rsa", "RSA"), ("p256", "EC"), ("p384", "EC")] {
        let out = cmd()
            .args([
                "read-certificate-data",
                "--certificate",
                &p(&format!("{name}.pem")),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["keyType"], family);
        assert_eq!(
            v["supportedAlgorithms"],
            serde_json::json!([
                format!("{family}SHA256"),
                format!("{family}SHA384"),
                format!("{family}SHA512")
            ])
        );
        // certificateData: base64 of openssl's DER.
        let der = std::fs::read(pki().path(&format!("{name}.der"))).unwrap();
        use base64::Engine;
        assert_eq!(
            v["certificateData"],
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        // serialNumber: openssl prints hex; python turns it into decimal.
        let hex = openssl_text(&[
            "x509",
            "-in",
            &p(&format!("{name}.pem")),
            "-noout",
            "-serial",
        ]);
        let hex = hex.trim().trim_start_matches("serial=");
        let dec = Command::new("python3")
            .args(["-c", &format!("print(int('{hex}', 16))")])
            .output()
            .unwrap();
        assert_eq!(
            v["serialNumber"],
            String::from_utf8(dec.stdout).unwrap().trim()
        );
        // Subject, issuer and SANs as the PKI made them.
        let tags = &v["principalTags"];
        assert_eq!(tags["x509Subject/CN"], name);
        assert_eq!(tags["x509Subject/OU"], "Workloads");
        assert_eq!(tags["x509Subject/O"], "Example Corp");
        assert_eq!(tags["x509Subject/L"], "Seattle");
        assert_eq!(tags["x509Subject/ST"], "Washington");
        assert_eq!(tags["x509Subject/C"], "US");
        assert_eq!(tags["x509Issuer/CN"], "Example Issuing CA");
        assert_eq!(tags["x509Issuer/OU"], "PKI");
        assert_eq!(
            tags["x509SAN/DNS"],
            format!("{name}.workloads.example.com"),
            "first DNS name only"
        );
        assert_eq!(tags["x509SAN/URI"], format!("spiffe://example.com/{name}"));
        assert_eq!(
            v["subjectAlternativeNames"],
            serde_json::json!([
                format!("DNS:{name}.workloads.example.com"),
                format!("URI:spiffe://example.com/{name}"),
                "DNS:second.example.com"
            ])
        );
        let subject = v["subject"].as_str().unwrap();
        assert!(
            subject.contains(&format!("CN={name}")) && subject.contains("OU=Workloads"),
            "{subject}"
        );
        // Validity: the same instants openssl prints.
        let end = openssl_text(&[
            "x509",
            "-in",
            &p(&format!("{name}.pem")),
            "-noout",
            "-enddate",
        ]);
        let end = end.trim().trim_start_matches("notAfter=");
        let py = Command::new("python3")
            .args(["-c", &format!("import datetime;print(datetime.datetime.strptime('{end}','%b %d %H:%M:%S %Y %Z').strftime('%Y-%m-%dT%H:%M:%SZ'))")])
            .output()
            .unwrap();
        assert_eq!(v["notAfter"], String::from_utf8(py.stdout).unwrap().trim());
    }
    // DER input and a PKCS#12 bundle give the same data.
    let pem = cmd()
        .args(["read-certificate-data", "--certificate", &p("p256.pem")])
        .output()
        .unwrap();
    let der = cmd()
        .args(["read-certificate-data", "--certificate", &p("p256.der")])
        .output()
        .unwrap();
    let p12 = cmd()
        .args([
            "read-certificate-data",
            "--certificate",
            &p("p256.p12"),
            "--pkcs8-password",
            PASSWORD,
        ])
        .output()
        .unwrap();
    assert_eq!(pem.stdout, der.stdout);
    assert_eq!(pem.stdout, p12.stdout);
    assert_error(
        &cmd()
            .args(["read-certificate-data", "--certificate", &p("nope.pem")])
            .output()
            .unwrap(),
        "cannot read the certificate file",
    );
}

#[test]
fn key_from_stdin_and_pkcs12_with_password() {
    let mut args = vec!["credential-process".to_string()];
    args.extend(session_args("p384.pem", "p384.key"));
    let i = args.iter().position(|a| a == "--private-key").unwrap();
    args[i + 1] = "-".into();
    let key = std::fs::read(pki().path("p384.key")).unwrap();
    let mut child = cmd()
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&key).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(&[
        "credential-process".into(),
        "--certificate".into(),
        p("rsa.p12"),
        "--pkcs8-password".into(),
        PASSWORD.into(),
        "--trust-anchor-arn".into(),
        ANCHOR_ARN.into(),
        "--profile-arn".into(),
        PROFILE_ARN.into(),
        "--role-arn".into(),
        ROLE_ARN.into(),
        "--endpoint".into(),
        fake().url.clone(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_chain_runs_it_as_credential_process() {
    let dir = pki().path("chain-e2e");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let args: Vec<String> = session_args("p256.pem", "p256.key");
    std::fs::write(
        &config,
        format!(
            "[profile ra]\nregion = us-east-1\ncredential_process = {BIN} credential-process {}\n",
            args.join(" ")
        ),
    )
    .unwrap();
    let env = MapEnv::new([
        ("AWS_CONFIG_FILE", config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("none").display().to_string(),
        ),
        ("AWS_PROFILE", "ra".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]);
    let chain = DefaultChain::new(
        Arc::new(env),
        Arc::new(RealFiles),
        None,
        Arc::new(cred_providers::transport::BlockingTransport::default()),
    );
    let before = fake().requests().len();
    let creds = provide_blocking(&chain).unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert!(creds.expiry().is_some());
    assert_eq!(fake().requests().len(), before + 1);
}

#[test]
fn serve_is_read_by_the_imds_provider() {
    let mut args = vec!["serve".to_string(), "--port".into(), "0".into()];
    args.extend(session_args("rsa.pem", "rsa.trad.pem"));
    let mut serve = cmd();
    serve.args(&args).stdout(Stdio::piped());
    let (mut child, url) = start_serve(serve);
    let env = MapEnv::new([
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.as_str()),
        ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
    ]);
    let imds = ImdsProvider::new(
        Arc::new(env),
        Arc::new(RealFiles),
        None,
        Arc::new(cred_providers::BlockingTransport::default()),
    );
    let first = provide_blocking(&imds).unwrap();
    assert!(first.access_key_id().starts_with("ASIA"));
    assert!(first.session_token().is_some());
    // Served from memory: no new CreateSession per read.
    let n = fake().requests().len();
    let again = provide_blocking(&imds).unwrap();
    assert_eq!(again.access_key_id(), first.access_key_id());
    assert_eq!(fake().requests().len(), n);
    // Without a token: 401.
    let port = port_of(&url);
    let (status, _) = raw_get(port, "/latest/meta-data/iam/security-credentials/reader");
    assert_eq!(status, 401);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        child
            .stdout
            .take()
            .map(|mut s| {
                let mut v = Vec::new();
                std::io::Read::read_to_end(&mut s, &mut v).unwrap();
                v.is_empty()
            })
            .unwrap()
    );
}

fn raw_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    (status, out)
}

#[test]
fn serve_refuses_to_start_without_credentials() {
    let mut args = vec!["serve".to_string(), "--port".into(), "0".into()];
    args.extend(session_args("rogue.pem", "rogue.key"));
    assert_error(&run(&args), "AccessDeniedException");
}

#[test]
fn update_writes_the_profile_and_keeps_the_rest() {
    let dir = pki().path("update");
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join("credentials");
    let before = "# keep me\n[default]\naws_access_key_id = AKIDKEEP\naws_secret_access_key = keep\n\n[ra]\nregion = eu-west-1\naws_access_key_id = OLD\n";
    std::fs::write(&file, before).unwrap();
    let mut args = vec![
        "update".to_string(),
        "--profile".into(),
        "ra".into(),
        "--once".into(),
    ];
    args.extend(session_args("p256.pem", "p256.key"));
    let out = cmd()
        .args(&args)
        .env("AWS_SHARED_CREDENTIALS_FILE", &file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.starts_with("# keep me\n[default]\naws_access_key_id = AKIDKEEP\naws_secret_access_key = keep\n\n[ra]\nregion = eu-west-1\naws_access_key_id = ASIA"), "{after}");
    assert!(
        after.contains("\naws_secret_access_key = ") && after.contains("\naws_session_token = ")
    );
    assert!(!after.contains("OLD"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The written profile is what the profile provider reads.
    let env = MapEnv::new([
        ("AWS_SHARED_CREDENTIALS_FILE", file.display().to_string()),
        ("AWS_CONFIG_FILE", dir.join("none").display().to_string()),
        ("AWS_PROFILE", "ra".into()),
    ]);
    let provider = cred_providers::ProfileProvider::new(
        Arc::new(env),
        Arc::new(RealFiles),
        None,
        Arc::new(cred_providers::transport::BlockingTransport::default()),
    );
    let creds = provide_blocking(&provider).unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    // No temporary files left beside it.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn debug_prints_the_canonical_request_on_stderr_only() {
    let mut args = vec!["credential-process".to_string(), "--debug".into()];
    args.extend(session_args("rsa.pem", "rsa.key"));
    let out = run(&args);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("canonical request:\nPOST\n/sessions\n"),
        "{stderr}"
    );
    assert!(stderr.contains("string to sign:\nAWS4-X509-RSA-SHA256\n"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!stderr.contains(v["SecretAccessKey"].as_str().unwrap()));
}

fn akid(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["AccessKeyId"].as_str().unwrap().to_string()
}

#[test]
fn serve_refreshes_ahead_and_keeps_valid_credentials_through_failures() {
    use std::time::{Duration, Instant};
    // Credentials that live 6 seconds: refreshed at half their life.
    fake().expire_after(6);
    let mut args = vec!["serve".to_string(), "--port".into(), "0".into()];
    args.extend(session_args("p256.pem", "p256.key"));
    let mut serve = cmd();
    serve.args(&args).stdout(Stdio::null());
    let (mut child, url) = start_serve(serve);
    let port = port_of(&url);

    let (status, body) = imds_read(port);
    assert_eq!(status, 200);
    let first = akid(&body);
    std::thread::sleep(Duration::from_secs(4));
    let (status, body) = imds_read(port);
    assert_eq!(status, 200);
    let second = akid(&body);
    assert_ne!(first, second, "refreshed before expiry");

    // The endpoint refuses from now on: the last good credentials are
    // served while valid, then none (503), never expired or empty ones.
    fake().deny(true);
    let (status, body) = imds_read(port);
    assert_eq!(status, 200);
    let held = akid(&body);
    let deadline = Instant::now() + Duration::from_secs(12);
    let mut saw_503 = false;
    while Instant::now() < deadline {
        let (status, body) = imds_read(port);
        if status == 503 {
            saw_503 = true;
            break;
        }
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let exp = cred_providers::time::parse_rfc3339(v["Expiration"].as_str().unwrap()).unwrap();
        assert!(
            exp > std::time::SystemTime::now() - Duration::from_secs(1),
            "expired credentials served"
        );
        assert!(!v["SecretAccessKey"].as_str().unwrap().is_empty());
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(saw_503, "expired credentials are not served");
    assert!(!held.is_empty());

    // Back again: the retries pick up fresh credentials.
    fake().deny(false);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut back = false;
    while Instant::now() < deadline {
        if imds_read(port).0 == 200 {
            back = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(back, "serving again after the endpoint recovered");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `trust-policy`: the principal tags' values as openssl reads them from
/// the certificate, the trust anchor as source, and a document moto's IAM
/// trust-policy validator accepts.
#[test]
fn trust_policy_conditions_on_the_certificates_tags() {
    let cert = p("p256.pem");
    let out = cmd()
        .args([
            "trust-policy",
            "--certificate",
            &cert,
            "--trust-anchor-arn",
            ANCHOR_ARN,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let st = &v["Statement"][0];
    assert_eq!(st["Principal"]["Service"], "rolesanywhere.amazonaws.com");
    assert_eq!(
        st["Action"],
        serde_json::json!(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])
    );
    assert_eq!(st["Condition"]["ArnEquals"]["aws:SourceArn"], ANCHOR_ARN);
    // The subject as openssl prints it: "CN = p256" and "OU = Workloads".
    let subject = openssl_text(&[
        "x509",
        "-in",
        &cert,
        "-noout",
        "-subject",
        "-nameopt",
        "sep_multiline",
    ]);
    let value = |field: &str| {
        subject
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(&format!("{field}="))
                    .map(str::to_string)
            })
            .unwrap()
    };
    let conditions = &st["Condition"]["StringEquals"];
    assert_eq!(conditions["aws:PrincipalTag/x509Subject/CN"], value("CN"));
    assert_eq!(conditions["aws:PrincipalTag/x509Subject/OU"], value("OU"));
    assert_eq!(conditions.as_object().unwrap().len(), 2);
    let file = pki().path("trust-policy.json");
    std::fs::write(&file, &text).unwrap();
    let moto = Command::new("python3")
        .args([
            "-c",
            "import sys; from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator as V; V(open(sys.argv[1]).read()).validate()",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        moto.status.success(),
        "{}",
        String::from_utf8_lossy(&moto.stderr)
    );

    // Chosen tags: the first DNS name of the SAN, as openssl lists it.
    let out = cmd()
        .args([
            "trust-policy",
            "--certificate",
            &cert,
            "--trust-anchor-arn",
            ANCHOR_ARN,
            "--tag",
            "x509SAN/DNS",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let san = openssl_text(&["x509", "-in", &cert, "-noout", "-ext", "subjectAltName"]);
    let first_dns = san
        .split([',', '\n'])
        .find_map(|p| p.trim().strip_prefix("DNS:"))
        .unwrap();
    assert_eq!(
        v["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalTag/x509SAN/DNS"],
        first_dns
    );

    // A tag the certificate lacks, a bad anchor, an unreadable file: exit 2.
    for args in [
        vec![
            "--certificate",
            cert.as_str(),
            "--trust-anchor-arn",
            ANCHOR_ARN,
            "--tag",
            "x509Subject/Nope",
        ],
        vec![
            "--certificate",
            cert.as_str(),
            "--trust-anchor-arn",
            "arn:aws:iam::1:role/x",
        ],
        vec![
            "--certificate",
            "/nonexistent.pem",
            "--trust-anchor-arn",
            ANCHOR_ARN,
        ],
    ] {
        let out = cmd().arg("trust-policy").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_error(&out, "");
    }
}
