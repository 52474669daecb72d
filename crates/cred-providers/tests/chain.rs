//! The default chain over real files in a temporary home directory.

use std::path::PathBuf;
use std::sync::Arc;

use cred_providers::{
    CredentialsError, DefaultChain, MapEnv, Outcome, RealFiles, provide_blocking,
};

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
        let mut all = vec![("HOME".to_string(), self.0.display().to_string())];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        DefaultChain::new(
            Arc::new(MapEnv::new(all)),
            Arc::new(RealFiles),
            profile.map(str::to_string),
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

#[test]
fn credential_source_environment() {
    let home = Home::new("named")
        .config("[profile n]\ncredential_source = Environment\nrole_arn = arn:aws:iam::1:role/r\n");
    // The role itself needs STS (a later provider): the error says so, naming the role.
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_PROFILE", "n"),
    ];
    let chain = home.chain(&[("AWS_PROFILE", "n")], None);
    let err = provide_blocking(&chain).unwrap_err().to_string();
    assert!(err.contains("arn:aws:iam::1:role/r"), "{err}");
    // With environment credentials present, the environment step answers first.
    assert_eq!(id(&home.chain(&env, None)), "AKIDENV");
}
