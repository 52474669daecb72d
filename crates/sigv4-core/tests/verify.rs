//! Verification: what is accepted, and each reason for rejection.

use sigv4_core::{
    CredentialsRef, Payload, Request, Signer, SigningParams, SigningSettings, Timestamp, Verifier,
    VerifyError, VerifySettings,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const URL: &str = "https://example.amazonaws.com/a%20b/c?x=1&y=two";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn lookup(id: &str) -> Option<&'static str> {
    (id == "AKIDEXAMPLE").then_some(SECRET)
}

/// Signs a request and returns what a server receives: method, URL,
/// headers (with the signer's), body.
fn signed(at: Timestamp, token: Option<&str>) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    let body = b"{\"k\":\"v\"}".to_vec();
    let mut creds = CredentialsRef::new("AKIDEXAMPLE", SECRET);
    if let Some(tok) = token {
        creds = creds.with_session_token(tok);
    }
    let sent = [
        ("Content-Type", "application/json"),
        ("User-Agent", "test/1"),
    ];
    let req = Request::new("POST", URL)
        .unwrap()
        .with_headers(&sent)
        .with_payload(Payload::Bytes(&body));
    let out = Signer::new()
        .sign_owned(&req, &creds, &SigningParams::new("us-east-1", "es", at))
        .unwrap();
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("User-Agent".to_string(), "test/1".to_string()),
        ("Host".to_string(), "example.amazonaws.com".to_string()),
    ];
    headers.extend(out.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
    ("POST".into(), URL.into(), headers, body)
}

fn check(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    now: Timestamp,
) -> Result<sigv4_core::Verified, VerifyError> {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = Request::new(method, url)
        .unwrap()
        .with_headers(&headers)
        .with_payload(Payload::Bytes(body));
    Verifier::default().verify(&req, now, lookup)
}

#[test]
fn accepts_a_signed_request_and_reports_the_scope() {
    let at = t("20260101T120000Z");
    let (m, u, h, b) = signed(at, Some("TOKEN"));
    let ok = check(&m, &u, &h, &b, at).unwrap();
    assert_eq!(ok.access_key_id.as_str(), "AKIDEXAMPLE");
    assert_eq!(ok.scope().to_string(), "20260101/us-east-1/es/aws4_request");
    assert!(!ok.presigned);
    // Unsigned headers may change on the way.
    let mut h2 = h.clone();
    h2[1].1 = "proxy-rewrote-it".into();
    assert!(check(&m, &u, &h2, &b, at).is_ok());
}

#[test]
fn any_change_to_a_signed_part_is_a_mismatch() {
    let at = t("20260101T120000Z");
    let (m, u, h, b) = signed(at, Some("TOKEN"));
    let mismatch = Err(VerifyError::SignatureMismatch);
    assert_eq!(check("PUT", &u, &h, &b, at).map(|_| ()), mismatch);
    assert_eq!(
        check(&m, &u.replace("a%20b", "a%20c"), &h, &b, at).map(|_| ()),
        mismatch
    );
    assert_eq!(
        check(&m, &u.replace("y=two", "y=tw0"), &h, &b, at).map(|_| ()),
        mismatch
    );
    let mut h1 = h.clone();
    h1[2].1 = "exbmple.amazonaws.com".into();
    assert_eq!(check(&m, &u, &h1, &b, at).map(|_| ()), mismatch);
    // Without a Host header, the URL's host is what was signed.
    let no_host: Vec<_> = h.iter().filter(|(n, _)| n != "Host").cloned().collect();
    assert!(check(&m, &u, &no_host, &b, at).is_ok());
    assert_eq!(
        check(&m, &u.replace("example", "exbmple"), &no_host, &b, at).map(|_| ()),
        mismatch
    );
    assert_eq!(
        check(&m, &u, &h, b"{\"k\":\"w\"}", at).map(|_| ()),
        mismatch
    );
    let mut h2 = h.clone();
    h2[0].1 = "text/plain".into();
    assert_eq!(check(&m, &u, &h2, &b, at).map(|_| ()), mismatch);
    let mut h3 = h.clone();
    let tok = h3
        .iter_mut()
        .find(|(n, _)| n == "X-Amz-Security-Token")
        .unwrap();
    tok.1 = "OTHER".into();
    assert_eq!(check(&m, &u, &h3, &b, at).map(|_| ()), mismatch);
    // Flip each hex digit of the signature.
    let auth_idx = h.iter().position(|(n, _)| n == "Authorization").unwrap();
    let auth = h[auth_idx].1.clone();
    let sig_at = auth.find("Signature=").unwrap() + 10;
    for i in sig_at..auth.len() {
        let mut bytes = auth.clone().into_bytes();
        bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        let mut h4 = h.clone();
        h4[auth_idx].1 = String::from_utf8(bytes).unwrap();
        assert_eq!(
            check(&m, &u, &h4, &b, at).map(|_| ()),
            mismatch,
            "digit {i}"
        );
    }
}

#[test]
fn clock_skew_window_is_five_minutes() {
    let at = t("20260101T120000Z");
    let (m, u, h, b) = signed(at, None);
    assert!(check(&m, &u, &h, &b, t("20260101T120500Z")).is_ok());
    assert!(check(&m, &u, &h, &b, t("20260101T115500Z")).is_ok());
    assert_eq!(
        check(&m, &u, &h, &b, t("20260101T120501Z")).unwrap_err(),
        VerifyError::Expired
    );
    assert_eq!(
        check(&m, &u, &h, &b, t("20260101T115459Z")).unwrap_err(),
        VerifyError::NotYetValid
    );
}

#[test]
fn unknown_keys_and_malformed_headers_are_told_apart() {
    let at = t("20260101T120000Z");
    let (m, u, h, b) = signed(at, None);
    let auth_idx = h.iter().position(|(n, _)| n == "Authorization").unwrap();
    let with_auth = |a: String| {
        let mut h2 = h.clone();
        h2[auth_idx].1 = a;
        check(&m, &u, &h2, &b, at).map(|_| ())
    };
    let auth = h[auth_idx].1.clone();
    assert_eq!(
        with_auth(auth.replace("AKIDEXAMPLE", "AKIDOTHER")),
        Err(VerifyError::UnknownAccessKey)
    );
    assert_eq!(
        with_auth(auth.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")),
        Err(VerifyError::UnsupportedAlgorithm)
    );
    // SigV4a is verified, and its credential has no region.
    assert!(matches!(
        with_auth(auth.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
        Err(VerifyError::Malformed(m)) if m.contains("SigV4a Credential")
    ));
    for bad in [
        auth.replace("/aws4_request", "/aws5_request"),
        auth.replace("20260101/", "20260102/"),
        auth.replace("SignedHeaders=", "Signed="),
        auth.replace("content-type;host", "host;content-type"),
        auth.replace("content-type;host;", "content-type;"),
        auth.replace(", Signature=", ", Signature=zz"),
        "garbage".to_string(),
        auth.replace("Credential=AKIDEXAMPLE/", "Credential="),
    ] {
        assert!(
            matches!(with_auth(bad.clone()), Err(VerifyError::Malformed(_))),
            "{bad}"
        );
    }
    // A signed header that is missing.
    let no_ct: Vec<_> = h
        .iter()
        .filter(|(n, _)| n != "Content-Type")
        .cloned()
        .collect();
    assert!(matches!(
        check(&m, &u, &no_ct, &b, at),
        Err(VerifyError::Canonical(
            sigv4_core::CanonicalError::MissingSignedHeader(_)
        ))
    ));
    // No signature at all.
    let none: Vec<_> = h
        .iter()
        .filter(|(n, _)| n != "Authorization")
        .cloned()
        .collect();
    assert!(matches!(
        check(&m, &u, &none, &b, at),
        Err(VerifyError::Malformed(_))
    ));
}

fn presigned(
    at: Timestamp,
    expires: u64,
    settings: SigningSettings<'_>,
    payload: Payload<'_>,
) -> String {
    let req = Request::new("GET", URL).unwrap().with_payload(payload);
    let creds = CredentialsRef::new("AKIDEXAMPLE", SECRET).with_session_token("TOK/EN+=");
    let service = if settings == SigningSettings::s3() {
        "s3"
    } else {
        "execute-api"
    };
    let mut params = SigningParams::new("eu-west-1", service, at);
    params.settings = settings;
    let out = Signer::new()
        .presign_owned(&req, &creds, &params, expires)
        .unwrap();
    format!("{URL}&{}", out.query)
}

#[test]
fn presigned_urls_verify_until_they_expire() {
    let at = t("20260101T120000Z");
    let url = presigned(at, 60, SigningSettings::default(), Payload::Bytes(b""));
    let ok = check("GET", &url, &[], b"", t("20260101T120100Z")).unwrap();
    assert!(ok.presigned);
    assert_eq!(ok.region.as_str(), "eu-west-1");
    assert_eq!(
        check("GET", &url, &[], b"", t("20260101T120101Z")).unwrap_err(),
        VerifyError::Expired
    );
    assert_eq!(
        check("GET", &url, &[], b"", t("20260101T115459Z")).unwrap_err(),
        VerifyError::NotYetValid
    );
    let tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=600");
    assert_eq!(
        check("GET", &tampered, &[], b"", at).unwrap_err(),
        VerifyError::SignatureMismatch
    );
    let tampered = url.replace("x=1", "x=2");
    assert_eq!(
        check("GET", &tampered, &[], b"", at).unwrap_err(),
        VerifyError::SignatureMismatch
    );
    let no_sig = url.split("&X-Amz-Signature").next().unwrap().to_string();
    assert!(matches!(
        check("GET", &no_sig, &[], b"", at),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn s3_presigned_urls_sign_an_unsigned_payload() {
    let at = t("20260101T120000Z");
    let url = presigned(at, 600, SigningSettings::s3(), Payload::Unsigned);
    let req = Request::new("GET", &url)
        .unwrap()
        .with_payload(Payload::Bytes(b"whatever the body is"));
    let settings = VerifySettings {
        signing: SigningSettings::s3(),
        unsigned_presigned_payload: true,
        ..VerifySettings::default()
    };
    assert!(Verifier::new(settings).verify(&req, at, lookup).is_ok());
    // The default settings pick S3's rules from the scope.
    assert!(Verifier::default().verify(&req, at, lookup).is_ok());
    // Without that, the body hash is expected instead.
    let strict = VerifySettings {
        s3_rules_for_s3_scope: false,
        ..VerifySettings::default()
    };
    assert_eq!(
        Verifier::new(strict).verify(&req, at, lookup).unwrap_err(),
        VerifyError::SignatureMismatch
    );
}
