//! `sigv4 eks-token` and `sigv4 verify-login`: the project's own Vault
//! payloads checked and then verified by moto's STS (which checks SigV4),
//! each refusal, and EKS tokens through a loopback STS stand-in that checks
//! the presigned URL with sigv4-core's verifier (moto does not answer
//! presigned GET requests).

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cred_providers::vault::{LoginOptions, login_payload};
use serde_json::Value;
use sigv4_core::{Payload, Request, Timestamp, Verifier};
use test_support::http::{Seen, serve_fn, text_response};
use test_support::moto::moto;
use test_support::peers::{VaultAwsAuth, VaultConfig};

const SERVER_ID: &str = "vault.example.com";

fn sigv4(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", "/nonexistent")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn user_env() -> Vec<(&'static str, String)> {
    let u = &moto().user;
    vec![
        ("AWS_ACCESS_KEY_ID", u.access_key_id().to_string()),
        ("AWS_SECRET_ACCESS_KEY", u.secret_access_key().to_string()),
    ]
}

fn env_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn ok_json(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn refused(out: &Output, code: i32, want: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(want), "{want:?} not in {err:?}");
}

/// A payload made by the library, as `sigv4 vault-login` makes it, then
/// changed by `edit` (on the decoded fields).
fn payload(at: SystemTime, server_id: Option<&str>, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut opts = LoginOptions::new("dev");
    opts.sts_endpoint = moto().url.clone();
    opts.server_id = server_id.map(str::to_string);
    let p = login_payload(&opts, &moto().user, at).unwrap();
    let mut v = serde_json::to_value(&p).unwrap();
    let mut decoded = serde_json::json!({
        "url": String::from_utf8(STANDARD.decode(v["iam_request_url"].as_str().unwrap()).unwrap()).unwrap(),
        "body": String::from_utf8(STANDARD.decode(v["iam_request_body"].as_str().unwrap()).unwrap()).unwrap(),
        "headers": serde_json::from_slice::<Value>(&STANDARD.decode(v["iam_request_headers"].as_str().unwrap()).unwrap()).unwrap(),
    });
    edit(&mut decoded);
    v["iam_request_url"] = STANDARD.encode(decoded["url"].as_str().unwrap()).into();
    v["iam_request_body"] = STANDARD.encode(decoded["body"].as_str().unwrap()).into();
    v["iam_request_headers"] = STANDARD.encode(decoded["headers"].to_string()).into();
    v.to_string().into_bytes()
}

#[test]
fn vault_payloads_are_checked_then_verified_by_sts() {
    let sts = moto().url.clone();
    let verify = |stdin: &[u8], extra: &[&str]| {
        let mut args = vec!["verify-login", "--sts-endpoint", sts.as_str()];
        args.extend_from_slice(extra);
        sigv4(&args, &[], stdin)
    };

    // The CLI's own payload logs in; STS says who it is.
    let env = user_env();
    let made = sigv4(
        &[
            "vault-login",
            "--role",
            "dev",
            "--server-id",
            SERVER_ID,
            "--sts-endpoint",
            &sts,
        ],
        &env_refs(&env),
        b"",
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let id = ok_json(&verify(&made.stdout, &["--server-id", SERVER_ID]));
    assert!(id["arn"].as_str().unwrap().ends_with(":user/alice"), "{id}");
    assert_eq!(id["role_arn"], Value::Null);
    assert!(id["account"].as_str().unwrap().len() == 12);
    assert!(!id["user_id"].as_str().unwrap().is_empty());

    let now = SystemTime::now();
    ok_json(&verify(
        &payload(now, Some(SERVER_ID), |_| {}),
        &["--server-id", SERVER_ID],
    ));
    // Each refusal, before STS is asked.
    refused(
        &verify(
            &payload(now, Some(SERVER_ID), |d| {
                d["body"] = "Action=AssumeRole&Version=2011-06-15".into()
            }),
            &["--server-id", SERVER_ID],
        ),
        1,
        "not a GetCallerIdentity request",
    );
    refused(
        &verify(
            &payload(now, Some(SERVER_ID), |_| {}),
            &["--server-id", "other.example.com"],
        ),
        1,
        "X-Vault-AWS-IAM-Server-ID",
    );
    refused(
        &verify(&payload(now, None, |_| {}), &["--server-id", SERVER_ID]),
        1,
        "X-Vault-AWS-IAM-Server-ID: missing",
    );
    refused(
        &verify(
            &payload(now - Duration::from_secs(3600), Some(SERVER_ID), |_| {}),
            &["--server-id", SERVER_ID],
        ),
        1,
        "outside the allowed window",
    );
    refused(
        &verify(
            &payload(now, Some(SERVER_ID), |d| {
                d["url"] = "https://evil.example.com/".into()
            }),
            &["--server-id", SERVER_ID],
        ),
        1,
        "evil.example.com, which is not an STS endpoint",
    );
    refused(
        &verify(
            &payload(now, Some(SERVER_ID), |d| {
                d["headers"]["X-Forwarded-For"] = serde_json::json!(["10.0.0.1"])
            }),
            &["--server-id", SERVER_ID],
        ),
        1,
        "X-Forwarded-For is not allowed",
    );
    // A signature STS does not accept: STS's own words.
    let forged = payload(now, Some(SERVER_ID), |d| {
        let auth = d["headers"]["Authorization"][0]
            .as_str()
            .unwrap()
            .to_string();
        let flipped = format!(
            "{}{}",
            &auth[..auth.len() - 1],
            if auth.ends_with('0') { '1' } else { '0' }
        );
        d["headers"]["Authorization"] = serde_json::json!([flipped]);
    });
    refused(&verify(&forged, &["--server-id", SERVER_ID]), 1, "STS:");
    // Not a login at all: unusable input.
    refused(&verify(b"{\"nope\": 1}", &[]), 2, "not a login");
    refused(&verify(b"hello", &[]), 2, "not a login");
}

/// A loopback STS that answers a presigned GetCallerIdentity after checking
/// it with sigv4-core's verifier, as an assumed role.
fn sts_stand_in(secret: &'static str) -> String {
    let port = serve_fn(move |req: &Seen| {
        let url = format!("https://sts.eu-west-1.amazonaws.com{}", req.target);
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let Ok(r) = Request::new(&req.method, &url) else {
            return text_response("400 Bad Request", "bad URL");
        };
        let r = r.with_headers(&headers).with_payload(Payload::Bytes(&[]));
        let now = Timestamp::from(SystemTime::now());
        match Verifier::default().verify(&r, now, |_| Some(secret)) {
            Ok(v)
                if v.presigned
                    && v.service.as_str() == "sts"
                    && req.header("x-k8s-aws-id").is_some() =>
            {
                text_response(
                    "200 OK",
                    "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/eks-admins/session-1</Arn><UserId>AROAEXAMPLE:session-1</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
                )
            }
            Ok(_) => text_response(
                "403 Forbidden",
                "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not an EKS token</Message></Error></ErrorResponse>",
            ),
            Err(e) => text_response(
                "403 Forbidden",
                &format!(
                    "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>{e}</Message></Error></ErrorResponse>"
                ),
            ),
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[test]
fn eks_tokens_are_made_as_aws_eks_get_token_makes_them_and_verified() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDEKS"),
        ("AWS_SECRET_ACCESS_KEY", "eks-secret"),
        ("AWS_REGION", "eu-west-1"),
    ];
    let before = SystemTime::now();
    let cred = ok_json(&sigv4(&["eks-token", "--cluster-name", "prod"], &env, b""));
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1beta1");
    let token = cred["status"]["token"].as_str().unwrap().to_string();
    let url = String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(token.strip_prefix("k8s-aws-v1.").unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(url.starts_with("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"), "{url}");
    assert!(
        url.contains("X-Amz-Expires=60&")
            && url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"),
        "{url}"
    );
    assert!(url.contains("%2Feu-west-1%2Fsts%2Faws4_request"), "{url}");
    assert!(!token.ends_with('='), "no padding");
    // now + 14 minutes, as %Y-%m-%dT%H:%M:%SZ.
    let exp = cred["status"]["expirationTimestamp"].as_str().unwrap();
    assert!(
        exp.len() == 20 && exp.ends_with('Z') && !exp.contains('.'),
        "{exp}"
    );
    let exp = cred_providers::time::parse_rfc3339(exp).unwrap();
    let ahead = exp.duration_since(before).unwrap().as_secs();
    assert!((14 * 60 - 1..=14 * 60 + 5).contains(&ahead), "{ahead}");
    // Without a region: the global endpoint, signed for us-east-1.
    let global = ok_json(&sigv4(
        &["eks-token", "--cluster-name", "prod"],
        &env[..2],
        b"",
    ));
    let url = String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(
                global["status"]["token"]
                    .as_str()
                    .unwrap()
                    .strip_prefix("k8s-aws-v1.")
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert!(
        url.starts_with("https://sts.amazonaws.com/?") && url.contains("%2Fus-east-1%2Fsts%2F"),
        "{url}"
    );

    // Verified: checked here, then by the stand-in (which needs the cluster
    // name back in x-k8s-aws-id for the signature to hold).
    let sts = sts_stand_in("eks-secret");
    let verify = |t: &str, cluster: &str| {
        sigv4(
            &[
                "verify-login",
                "--sts-endpoint",
                &sts,
                "--cluster-name",
                cluster,
            ],
            &[],
            t.as_bytes(),
        )
    };
    let id = ok_json(&verify(&token, "prod"));
    assert_eq!(id["role_arn"], "arn:aws:iam::123456789012:role/eks-admins");
    assert_eq!(
        id["arn"],
        "arn:aws:sts::123456789012:assumed-role/eks-admins/session-1"
    );
    // Another cluster's name: the signature does not hold.
    refused(&verify(&token, "staging"), 1, "SignatureDoesNotMatch");
    // A token for another host, or another action, never leaves.
    let evil = format!(
        "k8s-aws-v1.{}",
        URL_SAFE_NO_PAD.encode(url.replace("sts.amazonaws.com", "evil.example.com"))
    );
    refused(&verify(&evil, "prod"), 1, "not an STS endpoint");
    let other = format!(
        "k8s-aws-v1.{}",
        URL_SAFE_NO_PAD.encode(url.replace("GetCallerIdentity", "AssumeRole"))
    );
    refused(&verify(&other, "prod"), 1, "GetCallerIdentity");
    refused(&verify("k8s-aws-v1.!!!", "prod"), 2, "not a login");
    refused(
        &sigv4(&["eks-token", "--cluster-name", ""], &env, b""),
        2,
        "cluster-name",
    );
}

/// `--role-arn`: the role is assumed first (moto's STS, through the SDKs'
/// endpoint override) and the token is signed with the role's session.
#[test]
fn eks_token_with_a_role_signs_with_the_role_session() {
    let mut env = user_env();
    env.push(("AWS_ENDPOINT_URL_STS", moto().url.clone()));
    env.push(("AWS_REGION", "eu-west-1".to_string()));
    let cred = ok_json(&sigv4(
        &[
            "eks-token",
            "--cluster-name",
            "prod",
            "--role-arn",
            &moto().role_arn,
        ],
        &env_refs(&env),
        b"",
    ));
    let token = cred["status"]["token"].as_str().unwrap();
    let url = String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(token.strip_prefix("k8s-aws-v1.").unwrap())
            .unwrap(),
    )
    .unwrap();
    let user_key = moto().user.access_key_id().to_string();
    assert!(
        !url.contains(&user_key),
        "signed with the role's keys, not the user's: {url}"
    );
    assert!(
        url.contains("X-Amz-Security-Token="),
        "a role session has a token: {url}"
    );
    // STS out of reach: the role cannot be assumed; exit 1, nothing printed.
    // (moto lets anyone assume any role, so a refusal cannot be shown.)
    let mut down = user_env();
    down.push(("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9".to_string()));
    let out = sigv4(
        &[
            "eks-token",
            "--cluster-name",
            "prod",
            "--role-arn",
            &moto().role_arn,
        ],
        &env_refs(&down),
        b"",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

/// HashiCorp Vault's own AWS auth method (`scripts/peers`), configured as
/// a Vault operator would: STS and IAM at moto, a server id required, a
/// role bound to the IAM user alice.
fn real_vault() -> VaultAwsAuth {
    let account = moto().role_arn.split(':').nth(4).unwrap().to_string();
    let bound = format!("arn:aws:iam::{account}:user/alice");
    VaultAwsAuth::start(&VaultConfig {
        aws_endpoint: &moto().url,
        access_key: moto().user.access_key_id(),
        secret_key: moto().user.secret_access_key(),
        server_id: SERVER_ID,
        role: "dev",
        bound_arn: &bound,
    })
}

/// POSTs a login payload to Vault; (status, answer).
fn vault_login(vault: &VaultAwsAuth, body: &[u8]) -> (u16, Value) {
    let req = http::Request::post(format!("{}/v1/auth/aws/login", vault.url))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .unwrap();
    let resp = cred_providers::BlockingTransport::default()
        .send_blocking(req)
        .unwrap();
    (
        resp.status().as_u16(),
        serde_json::from_slice(resp.body()).unwrap(),
    )
}

/// Vault's one error message.
fn vault_error(v: &Value) -> &str {
    v["errors"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {v}"))
}

#[test]
fn vaults_own_aws_auth_method_accepts_our_logins_and_refuses_the_rest() {
    let vault = real_vault();
    let env = user_env();
    let mut env = env_refs(&env);
    env.push(("VAULT_ADDR", vault.url.as_str()));
    let sts = moto().url.clone();
    let login = |server_id: &str, env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec![
            "vault-login",
            "--role",
            "dev",
            "--sts-endpoint",
            sts.as_str(),
            "--login",
        ];
        if !server_id.is_empty() {
            args.extend(["--server-id", server_id]);
        }
        args.extend_from_slice(extra);
        sigv4(&args, env, b"")
    };

    // `sigv4 vault-login --login`: Vault has STS say who signed, matches
    // the bound principal and answers with a token for the role.
    let out = login(SERVER_ID, &env, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["auth"]["client_token"]
            .as_str()
            .unwrap()
            .starts_with("hvs.")
    );
    assert_eq!(v["auth"]["policies"], serde_json::json!(["dev"]));
    assert_eq!(v["auth"]["display_name"], "alice");
    assert_eq!(v["auth"]["metadata"]["auth_type"], "iam");

    // The library's payload, posted as it is.
    let (status, v) = vault_login(&vault, &payload(SystemTime::now(), Some(SERVER_ID), |_| {}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["auth"]["policies"], serde_json::json!(["dev"]));

    // A wrong or missing server id: Vault's 400, and the CLI shows Vault's
    // words unchanged.
    for (id, want) in [
        (
            "other.example.com",
            r#"error validating X-Vault-AWS-IAM-Server-ID header: expected "vault.example.com" but got "other.example.com""#,
        ),
        (
            "",
            r#"error validating X-Vault-AWS-IAM-Server-ID header: missing header "X-Vault-AWS-IAM-Server-ID""#,
        ),
    ] {
        let body = payload(SystemTime::now(), (!id.is_empty()).then_some(id), |_| {});
        let (status, v) = vault_login(&vault, &body);
        assert_eq!((status, vault_error(&v)), (400, want));
        let out = login(id, &env, &[]);
        refused(&out, 1, &format!("(HTTP 400): {want}"));
    }

    // A body changed after signing (still a valid GetCallerIdentity):
    // Vault forwards it, STS refuses the signature, Vault reports it.
    let body = payload(SystemTime::now(), Some(SERVER_ID), |d| {
        assert_eq!(d["body"], "Action=GetCallerIdentity&Version=2011-06-15");
        d["body"] = "Version=2011-06-15&Action=GetCallerIdentity".into();
    });
    let (status, v) = vault_login(&vault, &body);
    // Vault takes only a text/xml answer from STS; moto's refusal is not
    // one, so Vault's words are those of an unreadable answer (with AWS's
    // STS: "received error code 403 from STS").
    assert_eq!(
        (status, vault_error(&v)),
        (
            400,
            "error making upstream request: body of GetCallerIdentity is invalid"
        ),
        "{v}"
    );
    // (A date 20 minutes old is STS's to refuse; moto's STS does not check
    // it, so that refusal cannot be shown here. `sigv4 verify-login` checks
    // the date itself.)
    // A body that is not GetCallerIdentity at all never leaves Vault.
    let body = payload(SystemTime::now(), Some(SERVER_ID), |d| {
        d["body"] = "Action=GetSessionToken&Version=2011-06-15".into();
    });
    let (status, v) = vault_login(&vault, &body);
    assert_eq!(
        (status, vault_error(&v)),
        (400, "iam request body is invalid")
    );

    // A principal the role is not bound to: the role `reader`, assumed
    // from alice through a profile.
    let dir = std::env::temp_dir().join(format!("vault-reader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let u = &moto().user;
    std::fs::write(
        &config,
        format!(
            "[profile base]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n[profile reader]\nrole_arn = {}\nsource_profile = base\nregion = us-east-1\n",
            u.access_key_id(),
            u.secret_access_key(),
            moto().role_arn
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let reader_env = [
        ("AWS_CONFIG_FILE", config.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_ENDPOINT_URL_STS", sts.as_str()),
        ("VAULT_ADDR", vault.url.as_str()),
    ];
    let out = login(SERVER_ID, &reader_env, &["--profile", "reader"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("does not belong to the role") || err.contains("not authorized"),
        "{err}"
    );
    assert!(err.contains("assumed-role/reader"), "{err}");
}
