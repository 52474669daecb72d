//! The aws-chunked decoder on a body a client really signed, then changed
//! at fuzzer-chosen places and fed in fuzzer-chosen pieces: it must never
//! panic, and whenever it accepts a signed body, what it released must be
//! exactly the body that was signed (a forged byte never gets through).
#![no_main]

use std::io::Read;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigv4_core::chunked::{
    ChecksumAlgorithm, ChunkSigner, ChunkedDecoder, ChunkedEncoder, StreamingMode, StreamingUpload,
};
use sigv4_core::{CredentialsRef, Payload, Request, Signer, SigningParams, Timestamp, Verifier};

#[derive(Arbitrary, Debug)]
struct Input {
    mode: u8,
    chunk_size: u8,
    data: Vec<u8>,
    /// (position, xor) changes to the encoded body.
    changes: Vec<(u16, u8)>,
    /// Bytes inserted at the front of the encoded body, or replacing it.
    raw: Vec<u8>,
    replace: bool,
    split: u8,
}

const URL: &str = "https://bucket.s3.amazonaws.com/key";

fuzz_target!(|input: Input| {
    let (mode, checksum) = match input.mode % 4 {
        0 => (StreamingMode::Signed, None),
        1 => (
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32),
        ),
        2 => (
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Sha256),
        ),
        _ => (
            StreamingMode::UnsignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32c),
        ),
    };
    let chunk_size = usize::from(input.chunk_size.max(1));
    let upload = StreamingUpload {
        mode,
        sigv4a: false,
        chunk_size,
        decoded_length: input.data.len() as u64,
        checksum,
    };
    let creds = CredentialsRef::new("AKIDEXAMPLE", "secret");
    let time: Timestamp = "20240101T000000Z".parse().unwrap();
    let params = SigningParams::new("us-east-1", "s3", time);
    let mut digits = [0u8; 40];
    let headers: Vec<(&str, &str)> = upload.headers(&mut digits).into_iter().flatten().collect();
    let req = Request::new("PUT", URL).unwrap().with_headers(&headers);
    let signed = Signer::new().sign_owned(&req, &creds, &params).unwrap();
    let signer = ChunkSigner::hmac(&creds, &params, &signed.signature, mode, checksum).unwrap();
    let mut wire = Vec::new();
    ChunkedEncoder::new(signer, &input.data[..], chunk_size, input.data.len() as u64)
        .read_to_end(&mut wire)
        .unwrap();
    let original = wire.clone();
    if input.replace {
        wire = input.raw.clone();
    } else {
        for (pos, xor) in &input.changes {
            if !wire.is_empty() {
                let i = usize::from(*pos) % wire.len();
                wire[i] ^= xor;
            }
        }
    }

    let mut received: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    received.extend(
        signed
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone())),
    );
    let refs: Vec<(&str, &str)> = received
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = Request::new("PUT", URL)
        .unwrap()
        .with_headers(&refs)
        .with_payload(Payload::Unsigned);
    let (_, seed) = Verifier::default()
        .verify_streaming(&req, time, |_| Some("secret"))
        .unwrap();
    let mut decoder = ChunkedDecoder::new(seed.unwrap(), vec![0u8; chunk_size]);
    let mut out = Vec::new();
    let mut ok = true;
    'feed: for piece in wire.chunks(usize::from(input.split.max(1))) {
        let mut rest = piece;
        while !rest.is_empty() {
            match decoder.decode(rest) {
                Ok(step) => {
                    assert!(step.consumed <= rest.len());
                    out.extend_from_slice(step.released);
                    if step.consumed == 0 && step.released.is_empty() {
                        panic!("no progress");
                    }
                    rest = &rest[step.consumed..];
                }
                Err(_) => {
                    ok = false;
                    break 'feed;
                }
            }
        }
    }
    let ok = ok && decoder.finish().is_ok();
    // Whatever was released is a prefix of the signed body (for signed
    // modes) and, on success, all of it.
    if mode != StreamingMode::UnsignedWithTrailer {
        assert!(
            input.data.starts_with(&out),
            "released bytes that were not signed"
        );
        if ok {
            assert_eq!(
                out, input.data,
                "accepted a body that is not the one signed"
            );
        }
    } else if ok {
        // Not authenticated: only the declared length is held to.
        assert_eq!(out.len(), input.data.len());
    }
    if wire == original {
        assert!(ok, "refused the body as signed");
    }
});
