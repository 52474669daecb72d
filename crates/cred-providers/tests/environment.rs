//! The environment provider and the credentials type.

use std::sync::Arc;

use cred_providers::{CredentialsError, EnvironmentProvider, MapEnv, provide_blocking, time};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn provider(vars: &[(&str, &str)]) -> EnvironmentProvider {
    EnvironmentProvider::new(Arc::new(MapEnv::new(vars.iter().copied())))
}

#[test]
fn reads_every_variable() {
    let p = provider(&[
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", "TOKEN"),
        ("AWS_CREDENTIAL_EXPIRATION", "2030-01-02T03:04:05Z"),
        ("AWS_ACCOUNT_ID", "123456789012"),
    ]);
    let c = provide_blocking(&p).unwrap();
    assert_eq!(c.access_key_id(), "ASIAEXAMPLE");
    assert_eq!(c.secret_access_key(), SECRET);
    assert_eq!(c.session_token(), Some("TOKEN"));
    assert_eq!(
        time::format_rfc3339(c.expiry().unwrap()),
        "2030-01-02T03:04:05Z"
    );
    assert_eq!(c.account_id(), Some("123456789012"));
    let signing = c.signing();
    assert_eq!(signing.session_token, Some("TOKEN"));
}

#[test]
fn absent_is_not_configured_and_half_set_is_an_error() {
    assert!(
        provide_blocking(&provider(&[]))
            .unwrap_err()
            .is_not_configured()
    );
    let half = provide_blocking(&provider(&[("AWS_ACCESS_KEY_ID", "A")])).unwrap_err();
    assert!(
        matches!(half, CredentialsError::InvalidConfiguration { .. }),
        "{half}"
    );
    let empty = provide_blocking(&provider(&[
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
    ]));
    assert!(
        empty.unwrap_err().is_not_configured(),
        "empty values count as unset"
    );
    let bad_expiry = provide_blocking(&provider(&[
        ("AWS_ACCESS_KEY_ID", "A"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_CREDENTIAL_EXPIRATION", "tomorrow"),
    ]))
    .unwrap_err();
    assert!(matches!(
        bad_expiry,
        CredentialsError::InvalidConfiguration { .. }
    ));
    assert!(!bad_expiry.to_string().contains(SECRET));
}

#[test]
fn secrets_never_show_in_debug() {
    let c = provide_blocking(&provider(&[
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", "SESSIONTOKENVALUE"),
    ]))
    .unwrap();
    let shown = format!("{c:?} {:?}", c.signing());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("SESSIONTOKENVALUE"), "{shown}");
    assert!(shown.contains("AKID"));
}
