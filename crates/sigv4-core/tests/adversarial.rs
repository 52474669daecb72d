//! The verifier as an attacker meets it: every single change to a signed
//! request, every malformed signature, every payload trick must be refused
//! with the error that names it, and nothing may panic.
//!
//! Requests are signed by the signer, then changed the way a party on the
//! path could change them, then verified as received.

use proptest::prelude::*;
use sigv4_core::{
    CanonicalError, CredentialsRef, Payload, Request, Signer, SigningParams, SigningSettings,
    Timestamp, Verified, Verifier, VerifyError, VerifySettings,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FQoGZXIvYXdzEXAMPLETOKEN";
const URL: &str = "https://search-d.eu-west-1.es.amazonaws.com/idx/_doc/1?refresh=true&routing=r1";
const BODY: &[u8] = br#"{"title":"signed"}"#;

fn at() -> Timestamp {
    "20260101T120000Z".parse().unwrap()
}

fn lookup(id: &str) -> Option<&'static str> {
    (id == AKID).then_some(SECRET)
}

/// A request as it travels: what the server receives.
#[derive(Clone, Debug)]
struct Wire {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn header_mut(&mut self, name: &str) -> &mut String {
        &mut self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("no {name} header"))
            .1
    }

    fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    fn auth_mut(&mut self) -> &mut String {
        self.header_mut("Authorization")
    }

    fn verify_with(
        &self,
        settings: VerifySettings<'_>,
        now: Timestamp,
    ) -> Result<Verified, VerifyError> {
        self.verify_payload(settings, now, Payload::Bytes(&self.body))
    }

    fn verify_payload(
        &self,
        settings: VerifySettings<'_>,
        now: Timestamp,
        payload: Payload<'_>,
    ) -> Result<Verified, VerifyError> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = Request::new(&self.method, &self.url)?
            .with_headers(&headers)
            .with_payload(payload);
        Verifier::new(settings).verify(&req, now, lookup)
    }

    fn verify(&self) -> Result<Verified, VerifyError> {
        self.verify_with(VerifySettings::default(), at())
    }
}

/// How the test request is signed.
#[derive(Clone, Copy)]
struct How {
    service: &'static str,
    content_sha256_header: bool,
    payload_unsigned: bool,
}

const PLAIN: How = How {
    service: "es",
    content_sha256_header: false,
    payload_unsigned: false,
};
const WITH_HASH_HEADER: How = How {
    service: "es",
    content_sha256_header: true,
    payload_unsigned: false,
};

fn sign(how: How) -> Wire {
    let sent = [
        ("Host", "search-d.eu-west-1.es.amazonaws.com"),
        ("Content-Type", "application/json"),
        ("X-Custom", "one"),
        ("User-Agent", "client/1.0"),
    ];
    let payload = if how.payload_unsigned {
        Payload::Unsigned
    } else {
        Payload::Bytes(BODY)
    };
    let req = Request::new("PUT", URL)
        .unwrap()
        .with_headers(&sent)
        .with_payload(payload);
    let creds = CredentialsRef::new(AKID, SECRET).with_session_token(TOKEN);
    let mut params = SigningParams::new("eu-west-1", how.service, at());
    params.settings.content_sha256_header = how.content_sha256_header;
    let out = Signer::new().sign_owned(&req, &creds, &params).unwrap();
    let mut headers: Vec<(String, String)> = sent
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    headers.extend(out.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
    Wire {
        method: "PUT".into(),
        url: URL.into(),
        headers,
        body: BODY.to_vec(),
    }
}

fn presign(expires: u64, service: &'static str) -> Wire {
    let mut req = Request::new("GET", URL).unwrap();
    let creds = CredentialsRef::new(AKID, SECRET).with_session_token(TOKEN);
    let mut params = SigningParams::new("eu-west-1", service, at());
    if service == "s3" {
        // S3 presigned URLs sign UNSIGNED-PAYLOAD.
        params.settings = SigningSettings::s3();
        req = req.with_payload(Payload::Unsigned);
    }
    let out = Signer::new()
        .presign_owned(&req, &creds, &params, expires)
        .unwrap();
    Wire {
        method: "GET".into(),
        url: format!("{URL}&{}", out.query),
        headers: vec![],
        body: vec![],
    }
}

fn err(w: &Wire) -> VerifyError {
    match w.verify() {
        Ok(v) => panic!("accepted a changed request: {w:?} -> {v:?}"),
        Err(e) => e,
    }
}

fn malformed(w: &Wire) {
    assert!(
        matches!(err(w), VerifyError::Malformed(_)),
        "{w:?}: {:?}",
        w.verify()
    );
}

#[test]
fn the_unchanged_requests_verify() {
    for how in [PLAIN, WITH_HASH_HEADER] {
        let v = sign(how).verify().unwrap();
        assert!(!v.unsigned_payload);
        assert_eq!(v.scope().to_string(), "20260101/eu-west-1/es/aws4_request");
    }
    let v = presign(300, "es").verify().unwrap();
    assert!(v.presigned && !v.unsigned_payload);
    // Headers in another order, and unsigned headers changed or added, are
    // not changes to what was signed.
    let mut w = sign(WITH_HASH_HEADER);
    w.headers.reverse();
    *w.header_mut("User-Agent") = "proxy/2".into();
    w.headers
        .push(("X-Forwarded-For".into(), "10.0.0.1".into()));
    w.verify().unwrap();
}

#[test]
fn each_signed_part_changed_alone_is_a_signature_mismatch() {
    for how in [PLAIN, WITH_HASH_HEADER] {
        let base = sign(how);
        let mut cases: Vec<(&str, Wire)> = Vec::new();
        let mut w = base.clone();
        w.method = "POST".into();
        cases.push(("method", w));
        for (what, from, to) in [
            ("path", "/idx/_doc/1", "/idx/_doc/2"),
            ("path segment", "/idx/", "/idy/"),
            ("query key", "refresh=", "refrest="),
            ("query value", "refresh=true", "refresh=fals"),
            ("second query key", "routing=", "routinh="),
            ("second query value", "routing=r1", "routing=r2"),
            ("query value dropped", "&routing=r1", ""),
            ("query added", "routing=r1", "routing=r1&extra=1"),
            ("host in URL only", "search-d.", "search-e."),
        ] {
            let mut w = base.clone();
            w.url = w.url.replacen(from, to, 1);
            if what == "host in URL only" {
                w = w.without("Host");
            }
            cases.push((what, w));
        }
        for name in ["Host", "Content-Type", "X-Custom", "X-Amz-Security-Token"] {
            let mut w = base.clone();
            w.header_mut(name).push('x');
            cases.push((name, w));
        }
        // A signed header sent twice: its values are joined and differ.
        let mut w = base.clone();
        w.headers.push(("X-Custom".into(), "two".into()));
        cases.push(("X-Custom twice", w));
        // The date header moved by a second (inside the skew window).
        let mut w = base.clone();
        *w.header_mut("X-Amz-Date") = "20260101T120001Z".into();
        cases.push(("X-Amz-Date", w));
        // The scope moved to another region or service (same date).
        for (from, to) in [("/eu-west-1/", "/eu-west-2/"), ("/es/", "/s4/")] {
            let mut w = base.clone();
            *w.auth_mut() = w.auth_mut().replace(from, to);
            cases.push(("scope", w));
        }
        if how.content_sha256_header {
            // The signed hash changed: the signature covers it.
            let mut w = base.clone();
            let h = w.header_mut("X-Amz-Content-Sha256");
            *h = format!("{}0", &h[..63]);
            cases.push(("signed hash", w));
        } else {
            let mut w = base.clone();
            w.body[3] ^= 1;
            cases.push(("body", w));
        }
        for (what, w) in &cases {
            assert_eq!(err(w), VerifyError::SignatureMismatch, "{what}: {w:?}");
        }
    }
}

#[test]
fn values_of_a_repeated_header_swapped_are_a_mismatch() {
    let sent = [("x-multi", "a"), ("x-multi", "b")];
    let req = Request::new("GET", URL).unwrap().with_headers(&sent);
    let params = SigningParams::new("eu-west-1", "es", at());
    let out = Signer::new()
        .sign_owned(&req, &CredentialsRef::new(AKID, SECRET), &params)
        .unwrap();
    let mut w = Wire {
        method: "GET".into(),
        url: URL.into(),
        headers: sent
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: vec![],
    };
    w.headers
        .extend(out.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
    w.verify().unwrap();
    w.headers.swap(0, 1);
    assert_eq!(err(&w), VerifyError::SignatureMismatch);
    // One of the two dropped.
    w.headers.remove(0);
    assert_eq!(err(&w), VerifyError::SignatureMismatch);
}

#[test]
fn a_changed_body_under_a_signed_hash_is_a_payload_hash_mismatch() {
    let base = sign(WITH_HASH_HEADER);
    for change in [
        |b: &mut Vec<u8>| b[2] ^= 0x20,
        |b: &mut Vec<u8>| b.push(b' '),
        |b: &mut Vec<u8>| b.clear(),
        |b: &mut Vec<u8>| *b = b"HELLO".to_vec(),
    ] {
        let mut w = base.clone();
        change(&mut w.body);
        let e = err(&w);
        assert_eq!(e, VerifyError::PayloadHashMismatch, "{w:?}");
        assert_eq!(
            e.to_string(),
            "payload hash mismatch: the body is not the one that was signed"
        );
    }
    // The same through a hash the server computed itself.
    let wrong = "0".repeat(64);
    assert_eq!(
        base.verify_payload(
            VerifySettings::default(),
            at(),
            Payload::Precomputed(&wrong)
        )
        .unwrap_err(),
        VerifyError::PayloadHashMismatch
    );
    let right = base.header_mut_clone("X-Amz-Content-Sha256");
    base.verify_payload(
        VerifySettings::default(),
        at(),
        Payload::Precomputed(&right),
    )
    .unwrap();
    // A server that has no body to check cannot call it verified.
    assert!(matches!(
        base.verify_payload(VerifySettings::default(), at(), Payload::Unsigned),
        Err(VerifyError::PayloadArgument(_))
    ));
    // A precomputed hash that is not one.
    for bad in [
        right.to_uppercase(),
        right[..63].to_string(),
        "UNSIGNED-PAYLOAD".into(),
    ] {
        assert!(
            matches!(
                base.verify_payload(VerifySettings::default(), at(), Payload::Precomputed(&bad)),
                Err(VerifyError::PayloadArgument(_))
            ),
            "{bad}"
        );
        let plain = sign(PLAIN);
        assert!(matches!(
            plain.verify_payload(VerifySettings::default(), at(), Payload::Precomputed(&bad)),
            Err(VerifyError::PayloadArgument(_))
        ));
    }
    // The header's value must be a hash, UNSIGNED-PAYLOAD or STREAMING-….
    for bad in [
        right.to_uppercase(),
        format!("{right}0"),
        "abc".into(),
        String::new(),
    ] {
        let mut w = base.clone();
        *w.header_mut("X-Amz-Content-Sha256") = bad.clone();
        malformed(&w);
    }
}

impl Wire {
    fn header_mut_clone(&self, name: &str) -> String {
        self.clone().header_mut(name).clone()
    }
}

#[test]
fn unsigned_and_streaming_payloads_are_refused_unless_allowed() {
    // Signed with x-amz-content-sha256: UNSIGNED-PAYLOAD.
    let w = sign(How {
        service: "es",
        content_sha256_header: true,
        payload_unsigned: true,
    });
    assert_eq!(
        w.header_mut_clone("X-Amz-Content-Sha256"),
        "UNSIGNED-PAYLOAD"
    );
    assert_eq!(err(&w), VerifyError::UnsignedPayload);
    let allow = VerifySettings {
        allow_unsigned_payload: true,
        ..VerifySettings::default()
    };
    let v = w.verify_with(allow, at()).unwrap();
    assert!(v.unsigned_payload);
    // Signed as UNSIGNED-PAYLOAD without the header: the server says so by
    // passing Payload::Unsigned, and it is refused the same way.
    let w = sign(How {
        service: "es",
        content_sha256_header: false,
        payload_unsigned: true,
    });
    assert_eq!(
        w.verify_payload(VerifySettings::default(), at(), Payload::Unsigned)
            .unwrap_err(),
        VerifyError::UnsignedPayload
    );
    assert!(
        w.verify_payload(allow, at(), Payload::Unsigned)
            .unwrap()
            .unsigned_payload
    );
    // S3 signs unsigned payloads by design: its scope allows them.
    let w = sign(How {
        service: "s3",
        content_sha256_header: true,
        payload_unsigned: true,
    });
    assert!(w.verify().unwrap().unsigned_payload);
    let strict = VerifySettings {
        s3_rules_for_s3_scope: false,
        ..VerifySettings::default()
    };
    assert_eq!(
        w.verify_with(strict, at()).unwrap_err(),
        VerifyError::UnsignedPayload
    );
    let p = presign(300, "s3");
    assert!(p.verify().unwrap().unsigned_payload);
    // A streaming marker is never taken for a hash.
    let mut w = sign(WITH_HASH_HEADER);
    *w.header_mut("X-Amz-Content-Sha256") = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into();
    assert_eq!(err(&w), VerifyError::StreamingPayload);
    assert_eq!(
        w.verify_with(allow, at()).unwrap_err(),
        VerifyError::StreamingPayload
    );
}

#[test]
fn malformed_signatures_are_refused_as_malformed() {
    let base = sign(WITH_HASH_HEADER);
    let auth = base.header_mut_clone("Authorization");
    let sig_at = auth.find("Signature=").unwrap() + "Signature=".len();
    let sig = &auth[sig_at..];
    for bad in [
        // Upper-cased or padded signature.
        auth.replace(sig, &sig.to_uppercase()),
        auth.replace(sig, &format!("{sig}0")),
        auth.replace(sig, &format!(" {sig}")),
        auth.replace(sig, &sig[..63]),
        // SignedHeaders without host, with a header twice, out of order.
        auth.replace("host;", ""),
        auth.replace("content-type;host;", "content-type;host;host;"),
        auth.replace("content-type;host;", "host;content-type;"),
        auth.replace("SignedHeaders=content-type;", "SignedHeaders=Content-Type;"),
        auth.replace("SignedHeaders=", "SignedHeaders=;"),
        // A scope for another date than X-Amz-Date, or incomplete.
        auth.replace("/20260101/", "/20260102/"),
        auth.replace("/aws4_request", ""),
        auth.replace("/es/", "//"),
        // Components repeated, missing, unknown.
        format!("{auth}, Signature={sig}"),
        auth.replace(", SignedHeaders=", ", Extra=1, SignedHeaders="),
        auth.replace("Credential=", "Credentials="),
        "AWS4-HMAC-SHA256".into(),
        String::new(),
    ] {
        let mut w = base.clone();
        *w.auth_mut() = bad.clone();
        let e = err(&w);
        assert!(matches!(e, VerifyError::Malformed(_)), "{bad}: {e:?}");
    }
    // Another algorithm.
    let mut w = base.clone();
    *w.auth_mut() = auth.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1");
    assert_eq!(err(&w), VerifyError::UnsupportedAlgorithm);
    // An unknown key.
    let mut w = base.clone();
    *w.auth_mut() = auth.replace(AKID, "AKIDOTHER");
    assert_eq!(err(&w), VerifyError::UnknownAccessKey);
    // The date header missing or malformed.
    malformed(&base.clone().without("X-Amz-Date"));
    let mut w = base.clone();
    *w.header_mut("X-Amz-Date") = "2026-01-01T12:00:00Z".into();
    malformed(&w);
    // A signed header removed on the way.
    assert!(matches!(
        err(&base.clone().without("X-Custom")),
        VerifyError::Canonical(CanonicalError::MissingSignedHeader(_))
    ));
    // The signed hash header removed: the body hash is computed instead,
    // and the list still names the header.
    assert!(matches!(
        err(&base.clone().without("X-Amz-Content-Sha256")),
        VerifyError::Canonical(CanonicalError::MissingSignedHeader(_))
    ));
    // The session token removed.
    assert!(matches!(
        err(&base.clone().without("X-Amz-Security-Token")),
        VerifyError::Canonical(CanonicalError::MissingSignedHeader(_))
    ));
}

#[test]
fn time_outside_the_window_is_refused() {
    let w = sign(PLAIN);
    let s = VerifySettings::default();
    for (now, want) in [
        ("20260101T120501Z", VerifyError::Expired),
        ("20270101T120000Z", VerifyError::Expired),
        ("20260101T115459Z", VerifyError::NotYetValid),
        ("20250101T120000Z", VerifyError::NotYetValid),
    ] {
        assert_eq!(
            w.verify_with(s, now.parse().unwrap()).unwrap_err(),
            want,
            "{now}"
        );
    }
    // A date far in the future, re-signed consistently, is still refused.
    let mut far = w.clone();
    *far.header_mut("X-Amz-Date") = "99991231T235959Z".into();
    *far.auth_mut() = far.auth_mut().replace("/20260101/", "/99991231/");
    assert_eq!(err(&far), VerifyError::NotYetValid);
}

#[test]
fn presigned_urls_are_refused_when_changed_or_malformed() {
    let base = presign(300, "es");
    base.verify().unwrap();
    let mismatch = |from: &str, to: &str| {
        let mut w = base.clone();
        w.url = w.url.replacen(from, to, 1);
        assert_eq!(err(&w), VerifyError::SignatureMismatch, "{from} -> {to}");
    };
    mismatch("X-Amz-Expires=300", "X-Amz-Expires=3000");
    mismatch("refresh=true", "refresh=false");
    mismatch("/idx/", "/idy/");
    mismatch("X-Amz-Security-Token=", "X-Amz-Security-Token=x");
    mismatch("X-Amz-Date=20260101T120000Z", "X-Amz-Date=20260101T120001Z");
    let mut w = base.clone();
    w.method = "DELETE".into();
    assert_eq!(err(&w), VerifyError::SignatureMismatch);
    // Expiry past the maximum, missing, or not a number.
    for (from, to) in [
        ("X-Amz-Expires=300", "X-Amz-Expires=604801"),
        ("X-Amz-Expires=300", "X-Amz-Expires=0"),
        ("X-Amz-Expires=300", "X-Amz-Expires=-1"),
        ("X-Amz-Expires=300&", ""),
        ("X-Amz-Expires=300", "X-Amz-Expires=300&X-Amz-Expires=300"),
        ("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-a"),
        (
            "X-Amz-SignedHeaders=host",
            "X-Amz-SignedHeaders=host%3Bhost",
        ),
    ] {
        let mut w = base.clone();
        assert!(w.url.contains(from), "{from}");
        w.url = w.url.replacen(from, to, 1);
        malformed(&w);
    }
    let sig_at = base.url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let sig = base.url[sig_at..].to_string();
    for bad in [sig.to_uppercase(), format!("{sig}0"), sig[1..].to_string()] {
        let mut w = base.clone();
        w.url = w.url.replace(&sig, &bad);
        malformed(&w);
    }
    // The longest expiry verifies until it ends.
    let week = presign(604_800, "es");
    let s = VerifySettings::default();
    week.verify_with(s, "20260108T120000Z".parse().unwrap())
        .unwrap();
    assert_eq!(
        week.verify_with(s, "20260108T120001Z".parse().unwrap())
            .unwrap_err(),
        VerifyError::Expired
    );
}

/// One change to a signed request, chosen at random.
#[derive(Clone, Debug)]
enum Change {
    Method,
    PathByte(usize),
    QueryAdd,
    QueryValue(usize),
    HeaderValue(usize),
    HeaderTwice(usize),
    BodyByte(usize, u8),
    BodyAppend(u8),
    Date,
    SignatureDigit(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::Method),
        any::<usize>().prop_map(Change::PathByte),
        Just(Change::QueryAdd),
        any::<usize>().prop_map(Change::QueryValue),
        any::<usize>().prop_map(Change::HeaderValue),
        any::<usize>().prop_map(Change::HeaderTwice),
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Change::BodyByte(i, x)),
        any::<u8>().prop_map(Change::BodyAppend),
        Just(Change::Date),
        any::<usize>().prop_map(Change::SignatureDigit),
    ]
}

proptest! {
    /// Sign a random request, change one signed thing, and the verifier
    /// refuses it (without panicking); unchanged, it accepts it.
    #[test]
    fn any_single_change_is_refused(
        method in prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD"]),
        segs in prop::collection::vec("[a-z0-9_-]{1,8}", 1..4),
        query in prop::collection::vec(("[a-z]{1,6}", "[a-z0-9]{0,6}"), 0..4),
        custom in prop::collection::vec("[a-z0-9 ]{0,6}[a-z0-9]", 1..4),
        body in prop::collection::vec(any::<u8>(), 0..64),
        hash_header in any::<bool>(),
        change in change(),
    ) {
        let path = format!("/{}", segs.join("/"));
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let url = if q.is_empty() {
            format!("https://svc.example.com{path}")
        } else {
            format!("https://svc.example.com{path}?{}", q.join("&"))
        };
        let names: Vec<String> = (0..custom.len()).map(|i| format!("x-test-{i}")).collect();
        let sent: Vec<(&str, &str)> = names
            .iter()
            .map(String::as_str)
            .zip(custom.iter().map(String::as_str))
            .collect();
        let req = Request::new(method, &url).unwrap().with_headers(&sent).with_payload(Payload::Bytes(&body));
        let mut params = SigningParams::new("us-east-1", "svc", at());
        params.settings.content_sha256_header = hash_header;
        let creds = CredentialsRef::new(AKID, SECRET);
        let out = Signer::new().sign_owned(&req, &creds, &params).unwrap();
        let mut headers: Vec<(String, String)> =
            sent.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        headers.extend(out.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
        let base = Wire { method: method.into(), url: url.clone(), headers, body: body.clone() };
        prop_assert!(base.verify().is_ok());

        let mut w = base.clone();
        match change {
            Change::Method => w.method = if method == "PATCH" { "GET".into() } else { "PATCH".into() },
            Change::PathByte(i) => {
                // Change one character of a segment (never a '/').
                let bytes: Vec<usize> = path.bytes().enumerate().filter(|(_, b)| *b != b'/').map(|(i, _)| i).collect();
                let at = bytes[i % bytes.len()];
                let mut p = path.clone().into_bytes();
                p[at] = if p[at] == b'z' { b'y' } else { b'z' };
                w.url = w.url.replacen(&path, std::str::from_utf8(&p).unwrap(), 1);
            }
            Change::QueryAdd => {
                w.url.push(if q.is_empty() { '?' } else { '&' });
                w.url.push_str("injected=1");
            }
            Change::QueryValue(i) => {
                if q.is_empty() {
                    w.url.push_str("?k=v");
                } else {
                    let (k, v) = &query[i % query.len()];
                    let from = format!("{k}={v}");
                    w.url = w.url.replacen(&from, &format!("{from}Q"), 1);
                }
            }
            Change::HeaderValue(i) => {
                let n = &names[i % names.len()];
                w.header_mut(n).push('Q');
            }
            Change::HeaderTwice(i) => {
                let n = names[i % names.len()].clone();
                w.headers.push((n, "again".into()));
            }
            Change::BodyByte(i, x) => {
                if w.body.is_empty() { w.body.push(x) } else { let n = w.body.len(); w.body[i % n] ^= x }
            }
            Change::BodyAppend(x) => w.body.push(x),
            Change::Date => *w.header_mut("X-Amz-Date") = "20260101T120002Z".into(),
            Change::SignatureDigit(i) => {
                let a = w.auth_mut();
                let at = a.len() - 1 - i % 64;
                let mut b = std::mem::take(a).into_bytes();
                b[at] = if b[at] == b'0' { b'1' } else { b'0' };
                *a = String::from_utf8(b).unwrap();
            }
        }
        let result = w.verify();
        prop_assert!(result.is_err(), "{change:?} accepted");
        let e = result.unwrap_err();
        let body_changed = matches!(change, Change::BodyByte(..) | Change::BodyAppend(_));
        if body_changed && hash_header {
            prop_assert_eq!(e, VerifyError::PayloadHashMismatch);
        } else {
            prop_assert_eq!(e, VerifyError::SignatureMismatch, "{:?}", change);
        }
    }

    /// Arbitrary bytes in the signature's places never panic the verifier.
    #[test]
    fn arbitrary_signature_text_never_panics(
        auth in "\\PC{0,200}",
        date in "[0-9TZ]{0,20}",
        hash in "[0-9a-fA-Z-]{0,80}",
        query in "[A-Za-z0-9=&%-]{0,120}",
    ) {
        let url = format!("https://h.example.com/p?{query}");
        let Ok(req) = Request::new("GET", &url) else { return Ok(()) };
        let headers = [("authorization", auth.as_str()), ("x-amz-date", date.as_str()), ("x-amz-content-sha256", hash.as_str())];
        let req = req.with_headers(&headers);
        let _ = Verifier::default().verify(&req, at(), lookup);
        let req = Request::new("GET", &url).unwrap();
        let _ = Verifier::default().verify(&req, at(), lookup);
    }
}
