//! Event-stream message signing, differentially against `aws-sigv4`'s
//! `sign-eventstream`: random messages (headers of every type, payloads)
//! encoded by `aws-smithy-eventstream`, signed in a chain by both, must
//! give byte-identical envelopes; our verifier accepts their sequence and
//! refuses it changed, reordered, cut or continued after its end.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use proptest::prelude::*;
use sigv4_core::eventstream::{EventStreamError, EventStreamSigner, EventStreamVerifier};
use sigv4_core::{CredentialsRef, Timestamp};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SEED: &str = "e1d8e8c8815e60969f2a34765c9a15945ffc0badbaa4b7e3b163ea19131e949b";

#[derive(Debug, Clone)]
struct Event {
    headers: Vec<(String, u8, Vec<u8>)>,
    payload: Vec<u8>,
    /// Seconds after the stream's start.
    delay: u64,
}

fn event() -> impl Strategy<Value = Event> {
    (
        prop::collection::vec(
            (
                "[a-z:-]{1,12}",
                0u8..8,
                prop::collection::vec(any::<u8>(), 0..24),
            ),
            0..4,
        ),
        prop::collection::vec(any::<u8>(), 0..300),
        0u64..100_000,
    )
        .prop_map(|(headers, payload, delay)| Event {
            headers,
            payload,
            delay,
        })
}

/// The inner message, encoded by the smithy event-stream crate.
fn encode(e: &Event) -> Vec<u8> {
    let mut m = Message::new(e.payload.clone());
    for (name, kind, bytes) in &e.headers {
        let value = match kind {
            0 => HeaderValue::Bool(bytes.len() % 2 == 0),
            1 => HeaderValue::Byte(bytes.first().copied().unwrap_or(0) as i8),
            2 => HeaderValue::Int16(bytes.len() as i16),
            3 => HeaderValue::Int32(-(bytes.len() as i32)),
            4 => HeaderValue::Int64(bytes.len() as i64 * 1_000_003),
            5 => HeaderValue::ByteArray(bytes.clone().into()),
            6 => HeaderValue::String(String::from_utf8_lossy(bytes).into_owned().into()),
            _ => HeaderValue::Timestamp(aws_smithy_types::DateTime::from_secs(bytes.len() as i64)),
        };
        m = m.add_header(Header::new(name.clone(), value));
    }
    let mut out = Vec::new();
    write_message_to(&m, &mut out).unwrap();
    out
}

const START: u64 = 1_700_000_000;

/// Their signed envelopes for a stream of `inners` (then the end message).
fn theirs(inners: &[(Vec<u8>, u64)]) -> Vec<Vec<u8>> {
    let identity = AwsCredentials::new(AKID, SECRET, None, None, "test").into();
    let mut last = SEED.to_string();
    let mut out = Vec::new();
    for (i, (inner, at)) in inners.iter().enumerate() {
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("transcribe")
            .time(UNIX_EPOCH + Duration::from_secs(*at))
            .settings(())
            .build()
            .unwrap();
        let signed = if i + 1 == inners.len() && inner.is_empty() {
            aws_sigv4::event_stream::sign_empty_message(&last, &params)
        } else {
            let mut cursor = &inner[..];
            let message = aws_smithy_eventstream::frame::read_message_from(&mut cursor).unwrap();
            aws_sigv4::event_stream::sign_message(&message, &last, &params)
        }
        .unwrap();
        let (message, signature) = signed.into_parts();
        last = signature;
        let mut bytes = Vec::new();
        write_message_to(&message, &mut bytes).unwrap();
        out.push(bytes);
    }
    out
}

fn ours(inners: &[(Vec<u8>, u64)]) -> Vec<Vec<u8>> {
    let creds = CredentialsRef::new(AKID, SECRET);
    let mut signer = EventStreamSigner::new(&creds, "us-east-1", "transcribe", SEED).unwrap();
    inners
        .iter()
        .map(|(inner, at)| {
            let env = signer
                .sign(inner, Timestamp::from_unix_seconds(*at).unwrap())
                .unwrap();
            let mut frame = env.head().to_vec();
            frame.extend_from_slice(inner);
            frame.extend_from_slice(env.tail());
            frame
        })
        .collect()
}

fn verifier() -> EventStreamVerifier<'static> {
    EventStreamVerifier::new(SECRET.as_bytes(), "us-east-1", "transcribe", SEED).unwrap()
}

fn stream(events: &[Event]) -> Vec<(Vec<u8>, u64)> {
    let mut at = START;
    let mut v: Vec<(Vec<u8>, u64)> = events
        .iter()
        .map(|e| {
            at += e.delay;
            (encode(e), at)
        })
        .collect();
    v.push((Vec::new(), at + 1));
    v
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn same_envelopes_as_aws_sigv4_and_ours_verifies_theirs(
        events in prop::collection::vec(event(), 0..5),
    ) {
        let inners = stream(&events);
        let theirs = theirs(&inners);
        let ours = ours(&inners);
        prop_assert_eq!(&ours, &theirs);
        let mut v = verifier();
        for (i, frame) in theirs.iter().enumerate() {
            let m = v.verify(frame).unwrap();
            prop_assert_eq!(m.inner, &inners[i].0[..]);
            prop_assert_eq!(m.date.unix_seconds(), inners[i].1);
            prop_assert_eq!(m.index, i as u64);
        }
        prop_assert!(v.ended());
    }
}

#[test]
fn changed_reordered_and_extra_messages_are_refused() {
    let events: Vec<Event> = (0..3)
        .map(|i| Event {
            headers: vec![(":event-type".into(), 6, b"AudioEvent".to_vec())],
            payload: vec![i; 100],
            delay: 1,
        })
        .collect();
    let inners = stream(&events);
    let frames = ours(&inners);

    // A changed payload byte: the message CRC fails first; with the CRC
    // redone, the signature does.
    let mut changed = frames[1].clone();
    let n = changed.len();
    changed[n - 20] ^= 1;
    let mut v = verifier();
    v.verify(&frames[0]).unwrap();
    assert!(matches!(
        v.verify(&changed),
        Err(EventStreamError::Malformed(_))
    ));
    let crc = crc32(&changed[..n - 4]);
    changed[n - 4..].copy_from_slice(&crc.to_be_bytes());
    let mut v = verifier();
    v.verify(&frames[0]).unwrap();
    assert_eq!(
        v.verify(&changed).unwrap_err(),
        EventStreamError::SignatureMismatch { index: 1 }
    );

    // Reordered: the second message first.
    assert_eq!(
        verifier().verify(&frames[1]).unwrap_err(),
        EventStreamError::SignatureMismatch { index: 0 }
    );
    // Dropped: the third after the first.
    let mut v = verifier();
    v.verify(&frames[0]).unwrap();
    assert_eq!(
        v.verify(&frames[2]).unwrap_err(),
        EventStreamError::SignatureMismatch { index: 1 }
    );
    // Another secret.
    let mut other = EventStreamVerifier::new(b"other", "us-east-1", "transcribe", SEED).unwrap();
    assert!(matches!(
        other.verify(&frames[0]),
        Err(EventStreamError::SignatureMismatch { .. })
    ));
    // After the end.
    let mut v = verifier();
    for f in &frames {
        v.verify(f).unwrap();
    }
    assert!(v.ended());
    assert_eq!(
        v.verify(&frames[0]).unwrap_err(),
        EventStreamError::AfterEnd
    );
    // An unsigned message (the inner one on its own) and garbage.
    assert_eq!(
        verifier().verify(&inners[0].0).unwrap_err(),
        EventStreamError::NotSigned
    );
    assert!(matches!(
        verifier().verify(b"short"),
        Err(EventStreamError::Malformed(_))
    ));
    assert!(matches!(
        verifier().verify(&frames[0][..frames[0].len() - 1]),
        Err(EventStreamError::Malformed(_))
    ));
}

/// CRC-32 bit by bit, from the polynomial.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
