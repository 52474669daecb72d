//! SigV4a and S3 streaming uploads, in one run beside their peers:
//!
//! * `sigv4a`: header signing with the derived key cached (ours) and
//!   aws-sigv4's (which derives it on every call), and the derivation
//!   alone in both;
//! * `aws-chunked`: encoding a 1 MiB body in 64 KiB signed chunks with a
//!   CRC-32C trailer (through the `Read` encoder, which copies each chunk
//!   in and out, and the framing alone), and decoding it with every
//!   signature and the trailer checked, beside the bulk SHA-256 rate of the
//!   same machine (the floor: each chunk's SHA-256 is the work that cannot
//!   be avoided).
//!
//! `cargo bench -p sigv4-benches --bench streaming`.

use core::hint::black_box;
use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use sigv4_benches as b;
use sigv4_core::chunked::{
    ChecksumAlgorithm, ChunkSigner, ChunkedDecoder, ChunkedEncoder, StreamingMode, StreamingUpload,
};
use sigv4_core::{Payload, Request, SigV4aKey, SigV4aSigner, Signer, SigningParams, Verifier};

fn sigv4a(c: &mut Criterion) {
    let mut g = c.benchmark_group("sigv4a");
    let mut signer = SigV4aSigner::new();
    g.bench_function("sigv4-core", |bn| {
        bn.iter(|| black_box(b::ours_v4a(black_box(&mut signer))))
    });
    let identity = b::aws_identity();
    g.bench_function("aws-sigv4", |bn| {
        bn.iter(|| black_box(b::aws_v4a(black_box(&identity))))
    });
    g.bench_function("sigv4-core-derive", |bn| {
        bn.iter(|| {
            black_box(SigV4aKey::derive(
                black_box(b::AKID),
                black_box(b::SECRET.as_bytes()),
            ))
        })
    });
    g.bench_function("aws-sigv4-derive", |bn| {
        bn.iter(|| {
            black_box(
                aws_sigv4::sign::v4a::generate_signing_key(
                    black_box(b::AKID),
                    black_box(b::SECRET),
                )
                .as_ref()[0],
            )
        })
    });
    g.finish();
}

const BODY_LEN: usize = 1 << 20;
const CHUNK: usize = 64 * 1024;
const URL: &str = "https://bucket.s3.us-east-1.amazonaws.com/object";

fn chunked(c: &mut Criterion) {
    let body: Vec<u8> = (0..BODY_LEN).map(|i| i as u8).collect();
    let mut g = c.benchmark_group("aws-chunked");
    g.throughput(Throughput::Bytes(BODY_LEN as u64));
    g.bench_function("floor-sha256", |bn| {
        bn.iter(|| black_box(Sha256::digest(black_box(&body[..]))[0]))
    });
    for (name, mode, checksum) in [
        ("none", StreamingMode::Signed, None),
        (
            "crc32",
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32),
        ),
        (
            "crc32c",
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32c),
        ),
    ] {
        let upload = StreamingUpload {
            mode,
            sigv4a: false,
            chunk_size: CHUNK,
            decoded_length: BODY_LEN as u64,
            checksum,
        };
        let creds = b::credentials();
        let params = SigningParams {
            region: "us-east-1",
            service: "s3",
            ..b::params()
        };
        let mut digits = [0u8; 40];
        let headers: Vec<(&str, &str)> =
            upload.headers(&mut digits).into_iter().flatten().collect();
        let req = Request::new("PUT", URL).unwrap().with_headers(&headers);
        let signed = Signer::new().sign_owned(&req, &creds, &params).unwrap();
        let signer =
            || ChunkSigner::hmac(&creds, &params, &signed.signature, mode, checksum).unwrap();
        let encode = || {
            let mut wire = Vec::with_capacity(BODY_LEN + 4096);
            ChunkedEncoder::new(signer(), &body[..], CHUNK, BODY_LEN as u64)
                .read_to_end(&mut wire)
                .unwrap();
            wire
        };
        let wire = encode();
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
            .verify_streaming(&req, b::params().time, |_| Some(b::SECRET))
            .unwrap();
        let seed = seed.unwrap();

        // Through the `Read` encoder, which copies each chunk in and out.
        g.bench_function(format!("encode-read/{name}"), |bn| {
            bn.iter(|| black_box(encode().len()))
        });
        // The framing alone, as a caller that writes header, chunk and CRLF
        // itself (vectored) uses it: no copy of the data.
        g.bench_function(format!("encode-framing/{name}"), |bn| {
            bn.iter(|| {
                let mut s = signer();
                let mut n = 0;
                for chunk in body.chunks(CHUNK) {
                    n += s.chunk_header(chunk).unwrap().len();
                }
                n += s.finish().unwrap().len();
                black_box(n)
            })
        });
        let mut buf = vec![0u8; CHUNK];
        g.bench_function(format!("decode-verified/{name}"), |bn| {
            bn.iter(|| {
                let mut d = ChunkedDecoder::new(seed.clone(), &mut buf[..]);
                let mut rest = &wire[..];
                let mut n = 0;
                while !rest.is_empty() {
                    let step = d.decode(rest).unwrap();
                    n += step.released.len();
                    rest = &rest[step.consumed..];
                }
                d.finish().unwrap();
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, sigv4a, chunked);
criterion_main!(benches);
