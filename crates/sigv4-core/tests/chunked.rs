//! S3 streaming uploads (aws-chunked): the S3 documentation's two signed
//! examples (seed, every chunk signature, the trailer) as known answers;
//! round trips through the encoder and the verifying decoder for every mode,
//! checksum, SigV4 and SigV4a, random sizes and random input splits; and
//! every way a body can be bad, with what the decoder released before it
//! refused.
//!
//! Expected signatures are the published ones; checksums are checked
//! against a bit-by-bit CRC written from the polynomial's definition.

use std::io::Read;

use proptest::prelude::*;
use sigv4_core::chunked::{
    ChecksumAlgorithm, ChunkError, ChunkSigner, ChunkedDecoder, ChunkedEncoder, StreamingMode,
    StreamingSeed, StreamingUpload, VerifiedBody,
};
use sigv4_core::{
    CredentialsRef, Payload, Request, SigV4aSigner, Signer, SigningParams, SigningSettings,
    Timestamp, Verifier,
};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const URL: &str = "https://s3.amazonaws.com/examplebucket/chunkObject.txt";

fn now() -> Timestamp {
    "20130524T000000Z".parse().unwrap()
}

fn params(region: &str) -> SigningParams<'_> {
    SigningParams {
        settings: SigningSettings::s3(),
        ..SigningParams::new(region, "s3", now())
    }
}

/// The request as sent: `headers`, then the signer's.
fn sent(headers: &[(&str, &str)], signed: &[(&'static str, String)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    all.extend(signed.iter().map(|(n, v)| (n.to_string(), v.clone())));
    all
}

/// The server's side: verify the request, get the seed.
fn seed_of(headers: &[(String, String)]) -> StreamingSeed {
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = Request::new("PUT", URL)
        .unwrap()
        .with_headers(&refs)
        .with_payload(Payload::Unsigned);
    let (verified, seed) = Verifier::default()
        .verify_streaming(&req, now(), |id| (id == AKID).then_some(SECRET))
        .unwrap();
    assert_eq!(verified.access_key_id.as_str(), AKID);
    seed.expect("a streaming request has a seed")
}

fn doc_data() -> Vec<u8> {
    vec![b'a'; 66_560]
}

/// The wire form from chunk signatures, as the S3 documentation shows it.
fn doc_wire(sigs: [&str; 3], trailer: Option<(&str, &str)>) -> Vec<u8> {
    let mut w = Vec::new();
    w.extend(format!("10000;chunk-signature={}\r\n", sigs[0]).bytes());
    w.extend(vec![b'a'; 65_536]);
    w.extend(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).bytes());
    w.extend(vec![b'a'; 1_024]);
    w.extend(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).bytes());
    if let Some((value, sig)) = trailer {
        w.extend(
            format!("x-amz-checksum-crc32c:{value}\r\nx-amz-trailer-signature:{sig}\r\n").bytes(),
        );
    }
    w.extend(b"\r\n");
    w
}

fn decode_all(seed: StreamingSeed, wire: &[u8], max_chunk: usize) -> Result<Vec<u8>, ChunkError> {
    let mut out = Vec::new();
    let err = VerifiedBody::new(seed, wire, max_chunk)
        .read_to_end(&mut out)
        .err();
    match err {
        None => Ok(out),
        Some(e) => Err(*e
            .into_inner()
            .and_then(|i| i.downcast::<ChunkError>().ok())
            .expect("a ChunkError inside")),
    }
}

/// S3 documentation, "Example: PUT Object" (chunked upload, no trailer).
#[test]
fn s3_documentation_example_signed_chunks() {
    let upload = StreamingUpload {
        mode: StreamingMode::Signed,
        sigv4a: false,
        chunk_size: 65_536,
        decoded_length: 66_560,
        checksum: None,
    };
    assert_eq!(upload.encoded_length(), 66_824);
    let headers = [
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", upload.content_sha256()),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("content-length", "66824"),
    ];
    let creds = CredentialsRef::new(AKID, SECRET);
    let req = Request::new("PUT", URL).unwrap().with_headers(&headers);
    let signed = Signer::new()
        .sign_owned(&req, &creds, &params("us-east-1"))
        .unwrap();
    let auth = &signed
        .headers
        .iter()
        .find(|(n, _)| *n == "Authorization")
        .unwrap()
        .1;
    assert!(auth.contains("SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"), "{auth}");
    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    assert_eq!(signed.signature, seed);

    let published = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];
    let mut chunks = ChunkSigner::hmac(
        &creds,
        &params("us-east-1"),
        seed,
        StreamingMode::Signed,
        None,
    )
    .unwrap();
    let data = doc_data();
    let h1 = chunks.chunk_header(&data[..65_536]).unwrap().to_string();
    let h2 = chunks.chunk_header(&data[65_536..]).unwrap().to_string();
    let end = chunks.finish().unwrap().to_string();
    assert_eq!(h1, format!("10000;chunk-signature={}\r\n", published[0]));
    assert_eq!(h2, format!("400;chunk-signature={}\r\n", published[1]));
    assert_eq!(end, format!("0;chunk-signature={}\r\n\r\n", published[2]));

    // The encoder makes the same wire form, of the declared length.
    let wire = doc_wire(published, None);
    let signer = ChunkSigner::hmac(
        &creds,
        &params("us-east-1"),
        seed,
        StreamingMode::Signed,
        None,
    )
    .unwrap();
    let mut encoded = Vec::new();
    ChunkedEncoder::new(signer, &data[..], 65_536, 66_560)
        .read_to_end(&mut encoded)
        .unwrap();
    assert!(
        encoded == wire,
        "encoder output differs from the documented body"
    );
    assert_eq!(encoded.len(), 66_824);

    // A server verifies the request and its body.
    let all = sent(&headers, &signed.headers);
    assert_eq!(decode_all(seed_of(&all), &wire, 65_536).unwrap(), data);
}

/// S3 documentation, "Example: PUT Object" with a trailing CRC-32C header.
#[test]
fn s3_documentation_example_signed_trailer() {
    let upload = StreamingUpload {
        mode: StreamingMode::SignedWithTrailer,
        sigv4a: false,
        chunk_size: 65_536,
        decoded_length: 66_560,
        checksum: Some(ChecksumAlgorithm::Crc32c),
    };
    let headers = [
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", upload.content_sha256()),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("x-amz-trailer", "x-amz-checksum-crc32c"),
    ];
    let creds = CredentialsRef::new(AKID, SECRET);
    let req = Request::new("PUT", URL).unwrap().with_headers(&headers);
    let signed = Signer::new()
        .sign_owned(&req, &creds, &params("us-east-1"))
        .unwrap();
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    assert_eq!(signed.signature, seed);

    let published = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ];
    let trailer = (
        "sOO8/Q==",
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
    );
    let wire = doc_wire(published, Some(trailer));
    let signer = ChunkSigner::hmac(
        &creds,
        &params("us-east-1"),
        seed,
        StreamingMode::SignedWithTrailer,
        Some(ChecksumAlgorithm::Crc32c),
    )
    .unwrap();
    let data = doc_data();
    let mut encoded = Vec::new();
    ChunkedEncoder::new(signer, &data[..], 65_536, 66_560)
        .read_to_end(&mut encoded)
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&encoded[encoded.len() - 200..]),
        String::from_utf8_lossy(&wire[wire.len() - 200..])
    );
    assert!(
        encoded == wire,
        "encoder output differs from the documented body"
    );
    assert_eq!(encoded.len() as u64, upload.encoded_length());

    let all = sent(&headers, &signed.headers);
    let mut body = VerifiedBody::new(seed_of(&all), &wire[..], 65_536);
    let mut out = Vec::new();
    body.read_to_end(&mut out).unwrap();
    assert_eq!(out, data);
    let (alg, value) = body.decoder().trailer().unwrap();
    assert_eq!(
        (alg, value.as_str()),
        (ChecksumAlgorithm::Crc32c, "sOO8/Q==")
    );

    // The form with an empty line between the final chunk and the trailer
    // (sent by some clients) is read too.
    let mut loose = wire.clone();
    let at = find(&loose, b"x-amz-checksum-crc32c").unwrap();
    loose.splice(at..at, b"\r\n".iter().copied());
    assert_eq!(decode_all(seed_of(&all), &loose, 65_536).unwrap(), data);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// CRC-32 (reflected, `poly`) bit by bit, as the definition says.
fn crc_reference(poly: u32, data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The trailer value a client should send, computed here independently.
fn expected_checksum(alg: ChecksumAlgorithm, data: &[u8]) -> String {
    use sha2::Digest as _;
    match alg {
        ChecksumAlgorithm::Crc32 => b64(&crc_reference(0xEDB8_8320, data).to_be_bytes()),
        ChecksumAlgorithm::Crc32c => b64(&crc_reference(0x82F6_3B78, data).to_be_bytes()),
        ChecksumAlgorithm::Sha256 => b64(&sha2::Sha256::digest(data)),
    }
}

#[test]
fn the_reference_crc_gives_the_documented_value() {
    assert_eq!(
        expected_checksum(ChecksumAlgorithm::Crc32c, &doc_data()),
        "sOO8/Q=="
    );
    // "123456789" check values from the CRC catalogue.
    assert_eq!(crc_reference(0xEDB8_8320, b"123456789"), 0xCBF4_3926);
    assert_eq!(crc_reference(0x82F6_3B78, b"123456789"), 0xE306_9283);
}

/// One streaming upload signed by a client: the headers as sent, the
/// wire body, the upload's description.
struct Upload {
    headers: Vec<(String, String)>,
    wire: Vec<u8>,
    upload: StreamingUpload,
}

fn client_upload(data: &[u8], upload: StreamingUpload, secret: &str) -> Upload {
    let creds = CredentialsRef::new(AKID, secret);
    let mut digits = [0u8; 40];
    let headers: Vec<(&str, &str)> = upload.headers(&mut digits).into_iter().flatten().collect();
    let req = Request::new("PUT", URL).unwrap().with_headers(&headers);
    let (signed, signer);
    let mut v4a = SigV4aSigner::new();
    let region = if upload.sigv4a { "*" } else { "us-east-1" };
    let p = params(region);
    if upload.sigv4a {
        signed = v4a.sign_owned(&req, &creds, &p).unwrap();
        let key = v4a.key(&creds).unwrap();
        signer =
            ChunkSigner::sigv4a(key, &p, &signed.signature, upload.mode, upload.checksum).unwrap();
    } else {
        signed = Signer::new().sign_owned(&req, &creds, &p).unwrap();
        signer =
            ChunkSigner::hmac(&creds, &p, &signed.signature, upload.mode, upload.checksum).unwrap();
    }
    let mut wire = Vec::new();
    ChunkedEncoder::new(signer, data, upload.chunk_size, data.len() as u64)
        .read_to_end(&mut wire)
        .unwrap();
    Upload {
        headers: sent(&headers, &signed.headers),
        wire,
        upload,
    }
}

/// Decodes `wire` fed in pieces of `split` bytes straight through the push
/// decoder; returns what was released and the outcome.
fn push_decode(
    seed: StreamingSeed,
    wire: &[u8],
    split: usize,
    max_chunk: usize,
) -> (Vec<u8>, Result<(), ChunkError>) {
    let mut d = ChunkedDecoder::new(seed, vec![0u8; max_chunk]);
    let mut out = Vec::new();
    for piece in wire.chunks(split.max(1)) {
        let mut rest = piece;
        while !rest.is_empty() {
            match d.decode(rest) {
                Ok(step) => {
                    out.extend_from_slice(step.released);
                    rest = &rest[step.consumed..];
                }
                Err(e) => return (out, Err(e)),
            }
        }
    }
    let end = d.finish();
    (out, end)
}

fn modes() -> impl Strategy<Value = (StreamingMode, Option<ChecksumAlgorithm>, bool)> {
    prop_oneof![
        Just((StreamingMode::Signed, None, false)),
        Just((StreamingMode::Signed, None, true)),
        prop::sample::select(vec![
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Sha256
        ])
        .prop_flat_map(|c| prop_oneof![
            Just((StreamingMode::SignedWithTrailer, Some(c), false)),
            Just((StreamingMode::SignedWithTrailer, Some(c), true)),
            Just((StreamingMode::UnsignedWithTrailer, Some(c), false)),
        ]),
    ]
}

fn sizes() -> impl Strategy<Value = (usize, usize)> {
    (1usize..300).prop_flat_map(|chunk| {
        let len = prop_oneof![
            Just(0usize),
            Just(1usize),
            Just(chunk),
            Just(3 * chunk),
            0usize..4 * chunk + 5,
        ];
        (Just(chunk), len)
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(96),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn round_trip(
        (mode, checksum, sigv4a) in modes(),
        (chunk_size, len) in sizes(),
        fill in any::<u8>(),
        split in 1usize..700,
    ) {
        let data: Vec<u8> = (0..len).map(|i| fill.wrapping_add(i as u8)).collect();
        let upload = StreamingUpload { mode, sigv4a, chunk_size, decoded_length: len as u64, checksum };
        let u = client_upload(&data, upload, SECRET);
        prop_assert_eq!(u.wire.len() as u64, u.upload.encoded_length());
        let (out, end) = push_decode(seed_of(&u.headers), &u.wire, split, chunk_size);
        prop_assert_eq!(end, Ok(()));
        prop_assert_eq!(&out, &data);
        if let Some(alg) = checksum {
            let text = String::from_utf8_lossy(&u.wire).into_owned();
            let line = format!("{}:{}\r\n", alg.header_name(), expected_checksum(alg, &data));
            prop_assert!(text.contains(&line), "trailer {} not in the body", line);
        }
        if mode != StreamingMode::UnsignedWithTrailer {
            // SigV4a signatures are padded to a fixed length, so the
            // encoded length is known before signing.
            let want = if sigv4a { 144 } else { 64 };
            let text = String::from_utf8_lossy(&u.wire).into_owned();
            for part in text.split("chunk-signature=").skip(1) {
                let sig = part.split("\r\n").next().unwrap();
                prop_assert_eq!(sig.len(), want, "{}", sig);
            }
        }
    }
}

/// Each way a body can be bad: the error, and that the decoder released
/// only whole, verified chunks before the bad one.
#[test]
fn bad_bodies_are_refused_and_nothing_of_the_bad_chunk_is_released() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    for (mode, checksum, sigv4a) in [
        (StreamingMode::Signed, None, false),
        (
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32),
            false,
        ),
        (StreamingMode::Signed, None, true),
        (
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Sha256),
            true,
        ),
    ] {
        let upload = StreamingUpload {
            mode,
            sigv4a,
            chunk_size: 300,
            decoded_length: 1000,
            checksum,
        };
        let u = client_upload(&data, upload, SECRET);
        let seed = || seed_of(&u.headers);
        let what = format!("{mode:?} {checksum:?} sigv4a={sigv4a}");
        let check = |wire: &[u8], want: fn(&ChunkError) -> bool, released: usize, case: &str| {
            for split in [1, 7, 4096] {
                let (out, end) = push_decode(seed(), wire, split, 300);
                let err = end.expect_err(case);
                assert!(want(&err), "{what} {case}: {err:?}");
                assert_eq!(out.len(), released, "{what} {case}: released {}", out.len());
                assert_eq!(&out[..], &data[..released], "{what} {case}");
            }
        };
        // Chunk 2's data changed: chunks 0 and 1 came out, nothing of 2.
        let second = find(&u.wire, b"\r\n12c;").unwrap() + 2;
        let data2 = second + find(&u.wire[second..], b"\r\n").unwrap() + 2;
        let mut w = u.wire.clone();
        w[data2 + 10] ^= 1;
        check(
            &w,
            |e| matches!(e, ChunkError::ChunkSignatureMismatch { index: 1 }),
            300,
            "changed data",
        );
        // Chunks 1 and 2 swapped (same size, so only the signatures tell).
        let third = data2 + 300 + 2;
        let data3 = third + find(&u.wire[third..], b"\r\n").unwrap() + 2;
        let mut w = u.wire[..second].to_vec();
        w.extend(&u.wire[third..data3 + 302]);
        w.extend(&u.wire[second..data2 + 302]);
        w.extend(&u.wire[data3 + 302..]);
        assert_eq!(w.len(), u.wire.len());
        check(
            &w,
            |e| matches!(e, ChunkError::ChunkSignatureMismatch { index: 1 }),
            300,
            "reordered",
        );
        // Truncated mid chunk 1, and before the closing line.
        for cut in [u.wire.len() - 3, data2 + 50] {
            let released = if cut > data2 + 300 { 900 } else { 300 };
            let (out, end) = push_decode(seed(), &u.wire[..cut], 64, 300);
            assert_eq!(end, Err(ChunkError::Truncated), "{what} cut {cut}");
            assert_eq!(
                out.len(),
                released,
                "{what} cut {cut}: the last chunk is held"
            );
        }
        // Bytes after the end.
        let mut w = u.wire.clone();
        w.extend(b"x");
        let (out, end) = push_decode(seed(), &w, 4096, 300);
        assert_eq!(end, Err(ChunkError::TrailingData), "{what}");
        assert!(out.len() <= 1000);
        // Framing.
        let mut w = u.wire.clone();
        w[0] = b'z';
        check(
            &w,
            |e| matches!(e, ChunkError::Malformed(_)),
            0,
            "size not hex",
        );
        let mut w = u.wire.clone();
        w.splice(data2 - 2..data2, b"\n".iter().copied());
        check(&w, |e| matches!(e, ChunkError::Malformed(_)), 0, "bare LF");
        // A chunk larger than the decoder takes.
        let (out, end) = push_decode(seed(), &u.wire, 4096, 299);
        assert!(
            matches!(
                end,
                Err(ChunkError::ChunkTooLarge {
                    size: 300,
                    limit: 299
                })
            ),
            "{what}"
        );
        assert!(out.is_empty());
        // A different secret's body (signatures chain from another key).
        let other = client_upload(&data, upload, "another secret");
        let (out, end) = push_decode(seed(), &other.wire, 4096, 300);
        assert!(
            matches!(end, Err(ChunkError::ChunkSignatureMismatch { index: 0 })),
            "{what}: {end:?}"
        );
        assert!(out.is_empty());
        if checksum.is_some() {
            // The trailer's value changed: its signature fails; the last
            // chunk (held until the trailer checks out) is not released.
            let at = find(&u.wire, b"x-amz-checksum-").unwrap();
            let colon = at + find(&u.wire[at..], b":").unwrap();
            let mut w = u.wire.clone();
            w[colon + 2] = if w[colon + 2] == b'A' { b'B' } else { b'A' };
            check(
                &w,
                |e| matches!(e, ChunkError::TrailerSignatureMismatch),
                900,
                "trailer value",
            );
            // The trailer left out.
            let sig_line = find(&u.wire, b"x-amz-trailer-signature").unwrap();
            let mut w = u.wire[..at].to_vec();
            w.extend(&u.wire[sig_line..]);
            check(
                &w,
                |e| {
                    matches!(
                        e,
                        ChunkError::Trailer | ChunkError::TrailerSignatureMismatch
                    )
                },
                900,
                "no checksum line",
            );
        }
    }
}

#[test]
fn unsigned_trailer_checksum_mismatch_is_caught() {
    let data = vec![7u8; 500];
    let upload = StreamingUpload {
        mode: StreamingMode::UnsignedWithTrailer,
        sigv4a: false,
        chunk_size: 200,
        decoded_length: 500,
        checksum: Some(ChecksumAlgorithm::Crc32c),
    };
    let u = client_upload(&data, upload, SECRET);
    assert!(
        u.wire.starts_with(b"c8\r\n"),
        "unsigned chunks carry no signature"
    );
    let mut w = u.wire.clone();
    let at = find(&w, b"\r\n64\r\n").unwrap() + 8;
    w[at] ^= 1; // the last chunk's data
    let (out, end) = push_decode(seed_of(&u.headers), &w, 4096, 200);
    assert_eq!(
        end,
        Err(ChunkError::ChecksumMismatch("x-amz-checksum-crc32c"))
    );
    assert_eq!(
        out.len(),
        400,
        "the last chunk is held until the checksum checks out"
    );
}

#[test]
fn the_plain_verifier_still_refuses_streaming_and_wrong_declarations_are_caught() {
    let data = vec![1u8; 10];
    let upload = StreamingUpload {
        mode: StreamingMode::Signed,
        sigv4a: false,
        chunk_size: 4,
        decoded_length: 10,
        checksum: None,
    };
    let u = client_upload(&data, upload, SECRET);
    let refs: Vec<(&str, &str)> = u
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = Request::new("PUT", URL)
        .unwrap()
        .with_headers(&refs)
        .with_payload(Payload::Unsigned);
    assert_eq!(
        Verifier::default()
            .verify(&req, now(), |_| Some(SECRET))
            .unwrap_err(),
        sigv4_core::VerifyError::StreamingPayload
    );
    // A declared length that is not the body's.
    let mut headers = u.headers.clone();
    for (n, v) in &mut headers {
        if n == "x-amz-decoded-content-length" {
            *v = "11".into();
        }
    }
    // The header is signed: changing it breaks the seed signature.
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = Request::new("PUT", URL)
        .unwrap()
        .with_headers(&refs)
        .with_payload(Payload::Unsigned);
    assert_eq!(
        Verifier::default()
            .verify_streaming(&req, now(), |_| Some(SECRET))
            .unwrap_err(),
        sigv4_core::VerifyError::SignatureMismatch
    );
    // Configuration mistakes are refused up front.
    let creds = CredentialsRef::new(AKID, SECRET);
    assert!(
        ChunkSigner::hmac(
            &creds,
            &params("us-east-1"),
            "seed",
            StreamingMode::SignedWithTrailer,
            None
        )
        .is_err()
    );
    assert!(
        ChunkSigner::hmac(
            &creds,
            &params("us-east-1"),
            "seed",
            StreamingMode::Signed,
            Some(ChecksumAlgorithm::Crc32)
        )
        .is_err()
    );
    // A body shorter or longer than declared is an encoder error.
    let signer = ChunkSigner::hmac(
        &creds,
        &params("us-east-1"),
        "seed",
        StreamingMode::Signed,
        None,
    )
    .unwrap();
    let mut sink = Vec::new();
    assert!(
        ChunkedEncoder::new(signer, &data[..], 4, 11)
            .read_to_end(&mut sink)
            .is_err()
    );
    let signer = ChunkSigner::hmac(
        &creds,
        &params("us-east-1"),
        "seed",
        StreamingMode::Signed,
        None,
    )
    .unwrap();
    assert!(
        ChunkedEncoder::new(signer, &data[..], 4, 9)
            .read_to_end(&mut sink)
            .is_err()
    );
}

/// An async reader that gives a few bytes at a time and is pending every
/// other poll (waking itself), as a network body is.
struct Trickle<'a> {
    data: &'a [u8],
    pending: bool,
}

impl tokio::io::AsyncRead for Trickle<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.pending = !self.pending;
        if self.pending {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        let n = self.data.len().min(buf.remaining()).min(7);
        buf.put_slice(&self.data[..n]);
        self.data = &self.data[n..];
        std::task::Poll::Ready(Ok(()))
    }
}

#[test]
fn async_encoder_and_verified_body_round_trip() {
    use sigv4_core::chunked::{AsyncChunkedEncoder, AsyncVerifiedBody};
    use tokio::io::AsyncReadExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
    for (mode, checksum, sigv4a) in [
        (StreamingMode::Signed, None, false),
        (
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Sha256),
            true,
        ),
        (
            StreamingMode::UnsignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32),
            false,
        ),
    ] {
        let upload = StreamingUpload {
            mode,
            sigv4a,
            chunk_size: 1000,
            decoded_length: 5000,
            checksum,
        };
        // The blocking encoder's output is the reference.
        let u = client_upload(&data, upload, SECRET);
        let creds = CredentialsRef::new(AKID, SECRET);
        let region = if sigv4a { "*" } else { "us-east-1" };
        let p = params(region);
        let seed_sig = u
            .headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .and_then(|(_, v)| v.split("Signature=").nth(1))
            .unwrap()
            .to_string();
        let mut v4a = SigV4aSigner::new();
        let signer = if sigv4a {
            let key = v4a.key(&creds).unwrap();
            ChunkSigner::sigv4a(key, &p, &seed_sig, mode, checksum).unwrap()
        } else {
            ChunkSigner::hmac(&creds, &p, &seed_sig, mode, checksum).unwrap()
        };
        let wire = rt.block_on(async {
            let mut wire = Vec::new();
            let source = Trickle {
                data: &data,
                pending: false,
            };
            AsyncChunkedEncoder::new(signer, source, 1000, 5000)
                .read_to_end(&mut wire)
                .await
                .unwrap();
            wire
        });
        if !sigv4a {
            assert!(
                wire == u.wire,
                "{mode:?}: async and blocking encoders differ"
            );
        }
        let decoded = rt.block_on(async {
            let mut out = Vec::new();
            let source = Trickle {
                data: &wire,
                pending: false,
            };
            AsyncVerifiedBody::new(seed_of(&u.headers), source, 1000)
                .read_to_end(&mut out)
                .await
                .map(|_| out)
        });
        assert_eq!(decoded.unwrap(), data, "{mode:?}");
        // Changed: refused, with the ChunkError inside.
        if mode != StreamingMode::UnsignedWithTrailer {
            let mut bad = wire.clone();
            let n = bad.len();
            bad[n / 2] ^= 1;
            let err = rt.block_on(async {
                let mut out = Vec::new();
                let source = Trickle {
                    data: &bad,
                    pending: false,
                };
                AsyncVerifiedBody::new(seed_of(&u.headers), source, 1000)
                    .read_to_end(&mut out)
                    .await
                    .unwrap_err()
            });
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
            assert!(
                err.get_ref()
                    .unwrap()
                    .downcast_ref::<ChunkError>()
                    .is_some(),
                "{err}"
            );
        }
    }
}
