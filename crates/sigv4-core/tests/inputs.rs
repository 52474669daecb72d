//! The signer's input checks: each bad input is refused with the error that
//! names it, before anything is hashed, and the edge of each rule is
//! accepted.

use sigv4_core::{
    CredentialsRef, Payload, Request, RequestError, SignError, Signer, SigningParams, Timestamp,
};

const URL: &str = "https://example.amazonaws.com/path?a=1";

fn at() -> Timestamp {
    "20260101T120000Z".parse().unwrap()
}

/// Header-signs and presigns with `id`, `token`, `region` and `service`;
/// both must agree.
fn sign(
    request: &Request<'_>,
    id: &str,
    token: Option<&str>,
    region: &str,
    service: &str,
) -> Result<(), SignError> {
    let mut creds = CredentialsRef::new(id, "secret");
    if let Some(t) = token {
        creds = creds.with_session_token(t);
    }
    let params = SigningParams::new(region, service, at());
    let mut signer = Signer::new();
    let mut buf = [0u8; 1024];
    let header = signer.sign(request, &creds, &params, &mut buf).map(|_| ());
    let mut buf = [0u8; 2048];
    let query = signer
        .presign(request, &creds, &params, 300, &mut buf)
        .map(|_| ());
    assert_eq!(header, query, "header signing and presigning disagree");
    header
}

fn plain() -> Request<'static> {
    Request::new("GET", URL).unwrap()
}

#[test]
fn credential_ids_are_1_to_128_visible_characters_without_slash_or_comma() {
    let req = plain();
    let long = "A".repeat(128);
    for ok in ["AKIDEXAMPLE", "A", long.as_str(), "key-with_other.chars~!"] {
        assert_eq!(sign(&req, ok, None, "us-east-1", "es"), Ok(()), "{ok:?}");
    }
    let too_long = "A".repeat(129);
    for bad in [
        "",
        "AKID/EXAMPLE",
        "AKID,EXAMPLE",
        "AKID EXAMPLE",
        "AKID\tEXAMPLE",
        "AKIDÉ",
        "AKID\u{7f}",
        too_long.as_str(),
    ] {
        assert_eq!(
            sign(&req, bad, None, "us-east-1", "es"),
            Err(SignError::InvalidCredentialId),
            "{bad:?}"
        );
    }
}

#[test]
fn regions_and_services_are_1_to_64_name_characters() {
    let req = plain();
    let long = "a".repeat(64);
    for ok in ["us-east-1", "eu_west.2", long.as_str()] {
        assert_eq!(sign(&req, "AKID", None, ok, "es"), Ok(()), "{ok:?}");
        assert_eq!(sign(&req, "AKID", None, "us-east-1", ok), Ok(()), "{ok:?}");
    }
    let too_long = "a".repeat(65);
    for bad in [
        "",
        "us east",
        "us/east",
        "us-east-1*",
        "é",
        too_long.as_str(),
    ] {
        assert_eq!(
            sign(&req, "AKID", None, bad, "es"),
            Err(SignError::InvalidRegion),
            "{bad:?}"
        );
        assert_eq!(
            sign(&req, "AKID", None, "us-east-1", bad),
            Err(SignError::InvalidService),
            "{bad:?}"
        );
    }
}

#[test]
fn session_tokens_are_visible_ascii() {
    let req = plain();
    assert_eq!(
        sign(&req, "AKID", Some("IQoJb3JpZ2lu//+=="), "us-east-1", "es"),
        Ok(())
    );
    for bad in ["", "two words", "line\nbreak", "tab\t", "é"] {
        assert_eq!(
            sign(&req, "AKID", Some(bad), "us-east-1", "es"),
            Err(SignError::InvalidSessionToken),
            "{bad:?}"
        );
    }
}

#[test]
fn payload_hashes_are_visible_ascii_of_at_most_64_bytes() {
    let hex = "a".repeat(64);
    let ok = Request::new("PUT", URL)
        .unwrap()
        .with_payload(Payload::Precomputed(&hex));
    assert_eq!(sign(&ok, "AKID", None, "us-east-1", "s3"), Ok(()));
    let long = "a".repeat(65);
    for bad in ["", "not hex", long.as_str()] {
        let req = Request::new("PUT", URL)
            .unwrap()
            .with_payload(Payload::Precomputed(bad));
        assert_eq!(
            sign(&req, "AKID", None, "us-east-1", "s3"),
            Err(SignError::InvalidPayloadHash),
            "{bad:?}"
        );
        let headers = [("x-amz-content-sha256", bad)];
        let req = Request::new("PUT", URL).unwrap().with_headers(&headers);
        assert_eq!(
            sign(&req, "AKID", None, "us-east-1", "s3"),
            Err(SignError::InvalidPayloadHash),
            "{bad:?} in x-amz-content-sha256"
        );
    }
}

#[test]
fn headers_that_cannot_be_sent_are_refused() {
    for (name, value, want) in [
        ("bad name", "v", RequestError::InvalidHeaderName),
        ("", "v", RequestError::InvalidHeaderName),
        (
            "x-a",
            "v\r\nx-b: injected",
            RequestError::InvalidHeaderValue,
        ),
        ("x-a", "nul\0", RequestError::InvalidHeaderValue),
    ] {
        let headers = [(name, value)];
        let req = plain().with_headers(&headers);
        assert_eq!(
            sign(&req, "AKID", None, "us-east-1", "es"),
            Err(SignError::Request(want)),
            "{name:?}: {value:?}"
        );
    }
}

/// A signer that kept the layout of good headers still refuses a bad
/// one: a name a byte away from a kept name (a space, a colon, a
/// non-ASCII byte), and a bad value behind names it knows, which it does
/// check every time.
#[test]
fn a_signer_that_knows_the_header_names_still_checks_new_ones_and_values() {
    let creds = CredentialsRef::new("AKID", "secret");
    let params = SigningParams::new("us-east-1", "es", at());
    for (name, value, want) in [
        ("x-a b", "v", RequestError::InvalidHeaderName),
        ("x-a:b", "v", RequestError::InvalidHeaderName),
        ("x-a\u{e9}", "v", RequestError::InvalidHeaderName),
        (
            "x-a-b",
            "v\r\nx-c: injected",
            RequestError::InvalidHeaderValue,
        ),
        ("x-a-b", "nul\0", RequestError::InvalidHeaderValue),
    ] {
        let mut signer = Signer::new();
        let good = [("accept", "*/*"), ("x-a-b", "v")];
        let bad = [("accept", "*/*"), (name, value)];
        for presign in [false, true] {
            let mut buf = [0u8; 1024];
            let mut sign = |headers| {
                let req = plain().with_headers(headers);
                if presign {
                    signer
                        .presign(&req, &creds, &params, 60, &mut buf)
                        .map(|_| ())
                } else {
                    signer.sign(&req, &creds, &params, &mut buf).map(|_| ())
                }
            };
            assert_eq!(sign(&good), Ok(()));
            assert_eq!(
                sign(&bad),
                Err(SignError::Request(want)),
                "{name:?}: {value:?}"
            );
            assert_eq!(sign(&good), Ok(()));
        }
    }
}

#[test]
fn presigned_lifetimes_are_1_second_to_7_days() {
    let req = plain();
    let creds = CredentialsRef::new("AKID", "secret");
    let params = SigningParams::new("us-east-1", "s3", at());
    let mut signer = Signer::new();
    let mut buf = [0u8; 1024];
    for ok in [1, 900, 604_800] {
        assert!(
            signer.presign(&req, &creds, &params, ok, &mut buf).is_ok(),
            "{ok}"
        );
    }
    for bad in [0, 604_801, u64::MAX] {
        assert_eq!(
            signer
                .presign(&req, &creds, &params, bad, &mut buf)
                .map(|_| ()),
            Err(SignError::InvalidExpires),
            "{bad}"
        );
    }
}

#[test]
fn a_short_buffer_says_how_much_is_needed() {
    let req = plain();
    let creds = CredentialsRef::new("AKID", "secret");
    let params = SigningParams::new("us-east-1", "es", at());
    let mut signer = Signer::new();
    let mut big = [0u8; 1024];
    let len = signer
        .sign(&req, &creds, &params, &mut big)
        .unwrap()
        .authorization()
        .len();
    let mut short = vec![0u8; len - 1];
    let needed = match signer.sign(&req, &creds, &params, &mut short) {
        Err(SignError::BufferTooSmall { needed }) => needed,
        other => panic!("{other:?}"),
    };
    assert!(needed >= len, "needed {needed}, the signature took {len}");
    let mut exact = vec![0u8; needed];
    assert!(signer.sign(&req, &creds, &params, &mut exact).is_ok());
}

/// An algorithm of the caller's: a fixed name and id, a fixed signature.
struct Custom {
    name: &'static str,
    id: &'static str,
}

impl sigv4_core::SignatureAlgorithm for Custom {
    fn name(&self) -> &'static str {
        self.name
    }
    fn credential_id(&self) -> &str {
        self.id
    }
    fn sign(
        &mut self,
        _: &sigv4_core::StringToSign<'_>,
        out: &mut dyn sigv4_core::Sink,
    ) -> Result<(), SignError> {
        out.put(&[0xab; 8]);
        Ok(())
    }
}

#[test]
fn a_callers_algorithm_name_and_id_are_checked_too() {
    let req = plain();
    let params = SigningParams::new("us-east-1", "rolesanywhere", at());
    let run = |name, id| {
        let mut alg = Custom { name, id };
        let mut buf = [0u8; 1024];
        sigv4_core::sign(
            &mut alg,
            &sigv4_core::SigningInput::new(&req, &params),
            &mut buf,
        )
        .map(|s| s.signature().to_string())
    };
    assert_eq!(
        run("AWS4-X509-RSA-SHA256", "12345"),
        Ok("abababababababab".to_string())
    );
    let long = "A".repeat(65);
    for bad in ["", "AWS4 X509", "AWS4-\u{e9}", long.leak() as &str] {
        assert_eq!(
            run(bad, "12345"),
            Err(SignError::InvalidAlgorithm),
            "{bad:?}"
        );
    }
    assert_eq!(
        run("AWS4-X509-RSA-SHA256", "12/45"),
        Err(SignError::InvalidCredentialId)
    );
}
