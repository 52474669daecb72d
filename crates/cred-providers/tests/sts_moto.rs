//! STS against moto's server, which verifies SigV4 and enforces IAM.

use std::time::SystemTime;

use cred_providers::sts::{self, AssumeRoleParams, StsEndpoint};
use cred_providers::{BlockingTransport, Credentials};
use test_support::moto::moto;

fn endpoint() -> StsEndpoint {
    StsEndpoint::custom(moto().url.clone(), "us-east-1")
}

fn whoami(creds: &Credentials) -> Result<sts::CallerIdentity, sts::StsError> {
    let req = sts::get_caller_identity_request(&endpoint(), creds, SystemTime::now()).unwrap();
    let resp = BlockingTransport::default().send_blocking(req).unwrap();
    sts::parse_caller_identity(&resp)
}

#[test]
fn get_caller_identity_with_a_users_keys() {
    let id = whoami(&moto().user).unwrap();
    assert!(id.arn.ends_with(":user/alice"), "{id:?}");
    assert_eq!(id.account.len(), 12);
}

#[test]
fn a_wrong_secret_is_signature_does_not_match() {
    let wrong = Credentials::builder(moto().user.access_key_id(), "not-the-secret")
        .provider("test")
        .build();
    let err = whoami(&wrong).unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{err}");
}

#[test]
fn assume_role_then_call_as_the_role() {
    let params = AssumeRoleParams {
        role_arn: moto().role_arn.clone(),
        session_name: Some("ci+run=1,a.b@c-d_e".into()),
        external_id: Some("ext-1".into()),
        duration_seconds: Some(900),
    };
    let req =
        sts::assume_role_request(&endpoint(), &params, &moto().user, SystemTime::now()).unwrap();
    let resp = BlockingTransport::default().send_blocking(req).unwrap();
    let creds = sts::parse_credentials(&resp, "sts").unwrap();
    assert!(creds.session_token().is_some() && creds.expiry().is_some());
    let id = whoami(&creds).unwrap();
    assert!(id.arn.contains(":assumed-role/reader/"), "{id:?}");
}
