//! `sigv4 credentials`, `--profile` and region resolution from the shared
//! files, as a script sees them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

struct Home(PathBuf);

impl Home {
    fn new(tag: &str, config: &str, credentials: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sigv4-cli-home-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(dir.join(".aws/config"), config).unwrap();
        std::fs::write(dir.join(".aws/credentials"), credentials).unwrap();
        Self(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sigv4(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const CONFIG: &str = "[default]\nregion = eu-west-1\n[profile dev]\nregion = ap-south-1\n\
[profile proc]\ncredential_process = printf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"ps\",\"SessionToken\":\"pt\",\"Expiration\":\"2031-02-03T04:05:06Z\"}'\n\
[profile broken]\ncredential_process = echo 'login required' >&2; exit 4\n";
const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = it's secret\n\
[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = devsecret\n";

#[test]
fn process_format_is_exactly_credential_process_json() {
    let home = Home::new("process", CONFIG, CREDENTIALS);
    let out = sigv4(&home, &["credentials"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], "AKIDDEFAULT");
    assert_eq!(v["SecretAccessKey"], "it's secret");
    assert!(
        !keys.contains(&"SessionToken")
            && !keys.contains(&"Expiration")
            && !keys.contains(&"Provider")
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let order: Vec<usize> = ["Version", "AccessKeyId", "SecretAccessKey"]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "key order: {text}");

    let out = sigv4(&home, &["credentials", "--profile", "proc"], &[]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["SessionToken"], "pt");
    assert_eq!(v["Expiration"], "2031-02-03T04:05:06Z");
}

#[test]
fn env_and_json_formats() {
    let home = Home::new("env", CONFIG, CREDENTIALS);
    let out = sigv4(&home, &["credentials", "--format", "env"], &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "export AWS_ACCESS_KEY_ID='AKIDDEFAULT'\nexport AWS_SECRET_ACCESS_KEY='it'\\''s secret'\n"
    );
    // The quoting survives a real shell.
    let script = format!("{text}printf '%s' \"$AWS_SECRET_ACCESS_KEY\"");
    let echoed = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert_eq!(echoed.stdout, b"it's secret");

    let out = sigv4(
        &home,
        &["credentials", "--format", "json", "--profile", "dev"],
        &[],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["AccessKeyId"].as_str(), v["Provider"].as_str()),
        (Some("AKIDDEV"), Some("profile"))
    );

    let out = sigv4(
        &home,
        &["credentials", "--format", "env", "--profile", "proc"],
        &[],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("export AWS_SESSION_TOKEN='pt'\n"));
    assert!(text.contains("export AWS_CREDENTIAL_EXPIRATION='2031-02-03T04:05:06Z'\n"));
}

#[test]
fn verbose_reports_each_step_on_stderr() {
    let home = Home::new("verbose", CONFIG, CREDENTIALS);
    let out = sigv4(&home, &["credentials", "-v"], &[]);
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("environment: not configured"), "{err}");
    assert!(
        err.contains("profile: found credentials AKIDDEFAULT"),
        "{err}"
    );
}

#[test]
fn failures_are_one_line_with_nothing_on_stdout() {
    let home = Home::new("fail", CONFIG, CREDENTIALS);
    for (args, needle) in [
        (vec!["credentials", "--profile", "broken"], "login required"),
        (vec!["credentials", "--profile", "ghost"], "`ghost`"),
    ] {
        let out = sigv4(&home, &args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let empty = Home::new("empty", "", "");
    let out = sigv4(&empty, &["credentials"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn sign_takes_credentials_and_region_from_the_profile() {
    let home = Home::new("sign", CONFIG, CREDENTIALS);
    let args = [
        "sign",
        "--service",
        "es",
        "--date",
        "20150830T123600Z",
        "--format",
        "json",
        "https://h.example/",
    ];
    let v: Value = serde_json::from_slice(&sigv4(&home, &args, &[]).stdout).unwrap();
    assert!(
        v["authorization"]
            .as_str()
            .unwrap()
            .contains("Credential=AKIDDEFAULT/20150830/eu-west-1/es/")
    );
    let mut with_profile = vec!["--profile", "dev"];
    with_profile.extend(args);
    let v: Value = serde_json::from_slice(&sigv4(&home, &with_profile, &[]).stdout).unwrap();
    assert!(
        v["authorization"]
            .as_str()
            .unwrap()
            .contains("Credential=AKIDDEV/20150830/ap-south-1/es/")
    );
    // AWS_REGION wins over the profile; --region over both.
    let v: Value =
        serde_json::from_slice(&sigv4(&home, &args, &[("AWS_REGION", "us-west-2")]).stdout)
            .unwrap();
    assert!(
        v["authorization"]
            .as_str()
            .unwrap()
            .contains("/us-west-2/es/")
    );
    // A credential failure keeps sign's exit status 2.
    let mut broken = vec!["--profile", "broken"];
    broken.extend(args);
    let out = sigv4(&home, &broken, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
