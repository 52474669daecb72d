//! The default chain over real files in a temporary home directory.

use std::path::PathBuf;
use std::sync::Arc;

use cred_providers::{
    BlockingTransport, CredentialsError, DefaultChain, MapEnv, Outcome, RealFiles, provide_blocking,
};
use test_support::moto::moto;

struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("cred-chain-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        Self(dir)
    }
    fn config(self, text: &str) -> Self {
        std::fs::write(self.0.join(".aws/config"), text).unwrap();
        self
    }
    fn credentials(self, text: &str) -> Self {
        std::fs::write(self.0.join(".aws/credentials"), text).unwrap();
        self
    }
    fn chain(&self, vars: &[(&str, &str)], profile: Option<&str>) -> DefaultChain {
        // Never the real metadata address: tests contact loopback only.
        let mut all = vec![
            ("HOME".to_string(), self.0.display().to_string()),
            ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        ];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        DefaultChain::new(
            Arc::new(MapEnv::new(all)),
            Arc::new(RealFiles),
            profile.map(str::to_string),
            Arc::new(BlockingTransport::default()),
        )
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CREDS: &str = "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s2\naws_session_token = t2\n";

fn id(chain: &DefaultChain) -> String {
    provide_blocking(chain).unwrap().access_key_id().to_string()
}

#[test]
fn environment_wins_then_the_profile() {
    let home = Home::new("order").credentials(CREDS);
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
    ];
    assert_eq!(id(&home.chain(&env, None)), "AKIDENV");
    assert_eq!(id(&home.chain(&[], None)), "AKIDDEFAULT");
    let c = provide_blocking(&home.chain(&[("AWS_PROFILE", "dev")], None)).unwrap();
    assert_eq!(
        (c.access_key_id(), c.session_token(), c.provider()),
        ("AKIDDEV", Some("t2"), "profile")
    );
    assert_eq!(
        id(&home.chain(&[("AWS_PROFILE", "dev")], Some("default"))),
        "AKIDDEFAULT",
        "--profile wins"
    );
}

#[test]
fn the_report_names_every_step() {
    let home = Home::new("report").credentials(CREDS);
    let (result, steps) = pollster::block_on(home.chain(&[], None).credentials_with_report());
    assert!(result.is_ok());
    assert_eq!(steps.len(), 2);
    assert!(matches!(steps[0].outcome, Outcome::NotConfigured(_)));
    assert_eq!(steps[1].outcome, Outcome::Found("AKIDDEFAULT".into()));
    assert!(
        steps[1]
            .to_string()
            .contains("profile: found credentials AKIDDEFAULT")
    );
}

#[test]
fn nothing_configured_is_not_configured() {
    let home = Home::new("none");
    let err = provide_blocking(&home.chain(&[], None)).unwrap_err();
    assert!(err.is_not_configured(), "{err}");
    assert!(
        err.to_string().contains("tried environment, profile"),
        "{err}"
    );
    // A profile with only settings passes too.
    let home = Home::new("region-only").config("[default]\nregion = eu-west-1\n");
    assert!(
        provide_blocking(&home.chain(&[], None))
            .unwrap_err()
            .is_not_configured()
    );
}

#[test]
fn broken_configuration_stops_the_chain_and_says_where() {
    let home = Home::new("broken").config("[profile a]\nregion = x\nthis line is wrong\n");
    let err = provide_blocking(&home.chain(&[("AWS_PROFILE", "a")], None)).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, CredentialsError::InvalidConfiguration { .. }),
        "{msg}"
    );
    assert!(
        msg.contains(".aws/config") && msg.contains("line 3"),
        "{msg}"
    );

    let home = Home::new("missing-source")
        .config("[profile a]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = nope\n");
    let msg = provide_blocking(&home.chain(&[], Some("a")))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`a`") && msg.contains("`nope`"), "{msg}");

    let home = Home::new("explicit-missing").credentials(CREDS);
    let err = provide_blocking(&home.chain(&[("AWS_PROFILE", "ghost")], None)).unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidConfiguration { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("`ghost`"));
}

#[test]
fn credential_process_and_sso_profiles() {
    let home = Home::new("process").config(
        "[profile p]\ncredential_process = printf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"x\"}'\n\
         [profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n",
    );
    assert_eq!(id(&home.chain(&[], Some("p"))), "AKIDPROC");
    let err = provide_blocking(&home.chain(&[], Some("sso"))).unwrap_err();
    assert!(matches!(err, CredentialsError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("`sso`"), "{err}");
}

/// Environment variables that point STS at moto and give the user's keys.
fn moto_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_STS", moto().url.clone()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

fn with_strs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, val)| (*k, val.as_str())).collect()
}

fn assumed(c: &cred_providers::Credentials) -> bool {
    c.session_token().is_some()
        && c.expiry().is_some()
        && c.access_key_id() != moto().user.access_key_id()
}

#[test]
fn role_from_a_source_profile_through_sts() {
    let m = moto();
    let home = Home::new("role-source").config(&format!(
        "[profile base]\naws_access_key_id = {}\naws_secret_access_key = {}\n\
         [profile app]\nrole_arn = {}\nsource_profile = base\nrole_session_name = app-session\n\
         [profile outer]\nrole_arn = {}\nsource_profile = app\n",
        m.user.access_key_id(),
        m.user.secret_access_key(),
        m.role_arn,
        m.role_arn
    ));
    let env = moto_env();
    let c = provide_blocking(&home.chain(&with_strs(&env), Some("app"))).unwrap();
    assert!(assumed(&c), "{c:?}");
    assert_eq!(c.provider(), "assume-role");
    // Two roles deep: the second is assumed with the first one's credentials.
    let c = provide_blocking(&home.chain(&with_strs(&env), Some("outer"))).unwrap();
    assert!(assumed(&c), "{c:?}");
}

#[test]
fn credential_source_environment_assumes_the_role() {
    let m = moto();
    let home = Home::new("named").config(&format!(
        "[profile n]\ncredential_source = Environment\nrole_arn = {}\n",
        m.role_arn
    ));
    let mut env = moto_env();
    env.push(("AWS_PROFILE", "n".into()));
    // Without keys in the environment, the chain stops with the role's source failing.
    let err = provide_blocking(&home.chain(&with_strs(&env), None)).unwrap_err();
    assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
    // With them, the environment step answers first (the SDKs' order)…
    env.push(("AWS_ACCESS_KEY_ID", m.user.access_key_id().into()));
    env.push(("AWS_SECRET_ACCESS_KEY", m.user.secret_access_key().into()));
    let c = provide_blocking(&home.chain(&with_strs(&env), None)).unwrap();
    assert_eq!(c.provider(), "environment");
    // …and the profile provider on its own assumes the role with them.
    let profile = cred_providers::ProfileProvider::new(
        Arc::new(MapEnv::new(
            with_strs(&env)
                .into_iter()
                .chain([
                    ("HOME", home.0.to_str().unwrap()),
                    ("AWS_EC2_METADATA_DISABLED", "true"),
                ])
                .map(|(k, v)| (k.to_string(), v.to_string())),
        )),
        Arc::new(RealFiles),
        None,
        Arc::new(BlockingTransport::default()),
    );
    assert!(assumed(&provide_blocking(&profile).unwrap()));
}

#[test]
fn web_identity_from_a_profile_and_from_the_environment() {
    let m = moto();
    let home = Home::new("web-identity");
    let token = home.0.join("token.jwt");
    // Kubernetes-style: a trailing newline that must not be sent.
    std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln\n").unwrap();
    let home = home.config(&format!(
        "[profile pod]\nrole_arn = {}\nweb_identity_token_file = {}\n",
        m.role_arn,
        token.display()
    ));
    let env = moto_env();
    let c = provide_blocking(&home.chain(&with_strs(&env), Some("pod"))).unwrap();
    assert!(assumed(&c), "{c:?}");
    assert_eq!(c.provider(), "web-identity");

    let mut env = moto_env();
    env.push(("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()));
    env.push(("AWS_ROLE_ARN", m.role_arn.clone()));
    env.push(("AWS_ROLE_SESSION_NAME", "irsa".into()));
    let bare = Home::new("web-identity-env");
    let (result, steps) =
        pollster::block_on(bare.chain(&with_strs(&env), None).credentials_with_report());
    assert!(assumed(&result.unwrap()));
    assert_eq!(steps.last().unwrap().provider, "web-identity-env");
}

/// moto does not validate the JWT; a fake STS answers what real STS says
/// about a bad token, and the error keeps the code and message.
#[test]
fn an_invalid_identity_token_is_reported_with_its_code() {
    let body = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Couldn't retrieve verification key from your identity provider</Message></Error><RequestId>x</RequestId></ErrorResponse>"#;
    let (port, seen) = test_support::http::serve_once(
        test_support::http::ok_response("400 Bad Request", body),
        std::time::Duration::ZERO,
    );
    let home = Home::new("bad-token");
    let token = home.0.join("token");
    std::fs::write(&token, "not.a.jwt\n").unwrap();
    let env = [
        ("AWS_ENDPOINT_URL_STS", format!("http://127.0.0.1:{port}")),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/pod".to_string(),
        ),
    ];
    let err = provide_blocking(&home.chain(&with_strs(&env), None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("InvalidIdentityToken: Couldn't retrieve verification key"),
        "{err}"
    );
    assert!(err.contains("arn:aws:iam::123456789012:role/pod"), "{err}");
    let request = seen.recv().unwrap();
    assert!(
        request.contains("Action=AssumeRoleWithWebIdentity"),
        "{request}"
    );
    assert!(
        request.contains("WebIdentityToken=not.a.jwt&")
            || request.ends_with("WebIdentityToken=not.a.jwt"),
        "the token is sent without its newline: {request}"
    );
    assert!(
        !request.to_ascii_lowercase().contains("authorization:"),
        "unsigned: {request}"
    );
}
