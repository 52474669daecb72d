//! `SharedSigner` from many threads at once: while the threads switch
//! between secrets and days (each switch swaps the cache's snapshot under
//! the others' feet), every signature must be the one `aws-sigv4` makes
//! for the same credentials — a key cached for one secret or day must never
//! sign for another.

use std::sync::{Arc, Barrier};
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use sigv4_core::{CredentialsRef, Payload, Request, SharedSigner, SigningParams, Timestamp};

const URL: &str = "https://search-domain.eu-west-1.es.amazonaws.com/movies/_search?size=3";
const BODY: &[u8] = br#"{"query":{"match_all":{}}}"#;
const HEADERS: [(&str, &str); 2] = [
    ("host", "search-domain.eu-west-1.es.amazonaws.com"),
    ("content-type", "application/json"),
];
const SECRETS: [&str; 3] = [
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "secret-of-another-length",
];
/// Two instants on different days.
const TIMES: [u64; 2] = [1_767_225_600, 1_767_225_600 + 86_400];

/// aws-sigv4's signature for secret `s` at time `t`.
fn theirs(s: usize, t: usize) -> String {
    let identity: Identity =
        AwsCredentials::new("AKIDEXAMPLE", SECRETS[s], None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("es")
        .time(UNIX_EPOCH + Duration::from_secs(TIMES[t]))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable =
        SignableRequest::new("POST", URL, HEADERS.into_iter(), SignableBody::Bytes(BODY)).unwrap();
    let (_, signature) = sign(signable, &params).unwrap().into_parts();
    signature
}

fn ours(signer: &SharedSigner, s: usize, t: usize) -> String {
    let req = Request::new("POST", URL)
        .unwrap()
        .with_headers(&HEADERS)
        .with_payload(Payload::Bytes(BODY));
    let creds = CredentialsRef::new("AKIDEXAMPLE", SECRETS[s]);
    let params = SigningParams::new(
        "eu-west-1",
        "es",
        Timestamp::from_unix_seconds(TIMES[t]).unwrap(),
    );
    let mut buf = [0u8; 512];
    signer
        .sign(&req, &creds, &params, &mut buf)
        .unwrap()
        .signature()
        .to_string()
}

#[test]
fn threads_switching_secrets_and_days_always_get_the_right_key() {
    let expected: Arc<Vec<Vec<String>>> = Arc::new(
        (0..SECRETS.len())
            .map(|s| (0..TIMES.len()).map(|t| theirs(s, t)).collect())
            .collect(),
    );
    // All six differ, so a key used for the wrong secret or day shows.
    let mut all: Vec<&String> = expected.iter().flatten().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 6);

    let signer = Arc::new(SharedSigner::new());
    let threads = 4;
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|n| {
            let (signer, expected, start) = (signer.clone(), expected.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..600 {
                    // Each thread walks the six combinations in its own
                    // order, staying on some for a while: hits and misses
                    // interleave across threads.
                    let k = (i / (1 + n) + n * 7) % 6;
                    let (s, t) = (k % 3, k / 3);
                    assert_eq!(
                        ours(&signer, s, t),
                        expected[s][t],
                        "thread {n}, iteration {i}: secret {s}, day {t}"
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a signing thread failed");
    }
}

#[test]
fn a_shared_signer_presigns_like_a_signer() {
    let shared = SharedSigner::new();
    let mut single = sigv4_core::Signer::new();
    let req = Request::new("GET", URL).unwrap();
    let creds = CredentialsRef::new("AKIDEXAMPLE", SECRETS[0]).with_session_token("token/+=");
    let params = SigningParams::new(
        "eu-west-1",
        "es",
        Timestamp::from_unix_seconds(TIMES[0]).unwrap(),
    );
    let (mut a, mut b) = ([0u8; 1024], [0u8; 1024]);
    let ours = shared.presign(&req, &creds, &params, 300, &mut a).unwrap();
    let reference = single.presign(&req, &creds, &params, 300, &mut b).unwrap();
    assert_eq!(ours.query(), reference.query());
}
