//! `credential_process` with real commands through `sh -c`.

use std::time::Duration;

use cred_providers::{CredentialsError, ProcessProvider, provide_blocking, time};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn echo_json(json: &str) -> String {
    format!("printf '%s' '{json}'")
}

#[test]
fn full_version_1_output() {
    let cmd = echo_json(&format!(
        r#"{{"Version":1,"AccessKeyId":"ASIAX","SecretAccessKey":"{SECRET}","SessionToken":"TOK","Expiration":"2030-05-06T07:08:09Z","AccountId":"123456789012"}}"#
    ));
    let c = provide_blocking(&ProcessProvider::new(cmd)).unwrap();
    assert_eq!(c.access_key_id(), "ASIAX");
    assert_eq!(c.secret_access_key(), SECRET);
    assert_eq!(c.session_token(), Some("TOK"));
    assert_eq!(
        time::format_rfc3339(c.expiry().unwrap()),
        "2030-05-06T07:08:09Z"
    );
    assert_eq!(c.account_id(), Some("123456789012"));
    assert_eq!(c.provider(), "credential_process");
}

#[test]
fn credentials_without_expiration_are_reused() {
    let dir = std::env::temp_dir().join(format!("cp-reuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let counter = dir.join("runs");
    let _ = std::fs::remove_file(&counter);
    let cmd = format!(
        r#"echo run >> '{}'; printf '%s' '{{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}}'"#,
        counter.display()
    );
    let p = ProcessProvider::new(cmd);
    for _ in 0..3 {
        provide_blocking(&p).unwrap();
    }
    let runs = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(runs.lines().count(), 1, "ran once, reused after");

    // With an expiry it runs every time (the cache decides when).
    let _ = std::fs::remove_file(&counter);
    let cmd = format!(
        r#"echo run >> '{}'; printf '%s' '{{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2030-01-01T00:00:00Z"}}'"#,
        counter.display()
    );
    let p = ProcessProvider::new(cmd);
    provide_blocking(&p).unwrap();
    provide_blocking(&p).unwrap();
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap().lines().count(),
        2
    );
}

#[test]
fn failures_carry_stderr_and_never_stdout() {
    let err = provide_blocking(&ProcessProvider::new(
        "echo 'token expired, run login' >&2; exit 3",
    ))
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CredentialsError::Failed { .. }));
    assert!(
        msg.contains("status 3") && msg.contains("token expired, run login"),
        "{msg}"
    );

    let leaky = format!(
        "printf '%s' '{{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"{SECRET}\"'; echo oops >&2"
    );
    let msg = provide_blocking(&ProcessProvider::new(leaky))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("not credential_process JSON") && msg.contains("oops"),
        "{msg}"
    );
    assert!(!msg.contains(SECRET), "{msg}");

    for (json, what) in [
        (
            r#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"S"}"#,
            "Version 2",
        ),
        (r#"{"Version":1,"AccessKeyId":"A"}"#, "SecretAccessKey"),
        (
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"}"#,
            "Expiration",
        ),
        (
            r#"{"Version":1,"AccessKeyId":"","SecretAccessKey":"S"}"#,
            "empty",
        ),
    ] {
        let msg = provide_blocking(&ProcessProvider::new(echo_json(json)))
            .unwrap_err()
            .to_string();
        assert!(msg.contains(what), "{what}: {msg}");
    }
}

#[test]
fn a_hung_command_is_killed() {
    let p = ProcessProvider::new("sleep 30").with_timeout(Duration::from_millis(300));
    let start = std::time::Instant::now();
    let msg = provide_blocking(&p).unwrap_err().to_string();
    assert!(msg.contains("did not finish"), "{msg}");
    assert!(start.elapsed() < Duration::from_secs(10));
}
