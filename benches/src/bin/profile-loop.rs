//! Signs the benchmark request in a loop, for profilers:
//! `valgrind --tool=callgrind target/release/profile-loop 2000 [MODE]`, MODE
//! one of sign (default), presign, verify, body and path (the
//! benchmark request with the body or the path changing on every
//! signature), minimal, key, keyhit, hmacclone,
//! request, floor. `scripts/callgrind-guard` counts instructions with it.

fn mac_sign(k: &sigv4_core::SigningKey, d: &[u8]) -> u8 {
    k.sign(d)[0]
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mode = std::env::args().nth(2).unwrap_or_default();
    let mut signer = sigv4_core::Signer::new();
    let mut acc = 0u64;
    let mut serial = 0usize;
    let mut key_cache = sigv4_core::KeyCache::new();
    let received = sigv4_benches::Received::new();
    let mut verifier = sigv4_core::Verifier::default();
    let floor_key = sigv4_core::SigningKey::derive(b"secret", "20260101", "us-east-1", "es");
    let scope = sigv4_core::Scope {
        date: sigv4_benches::params().time.amz_date(),
        region: "us-east-1",
        service: "es",
    };
    for _ in 0..n {
        acc += u64::from(if mode == "presign" {
            sigv4_benches::ours_presign(&mut signer)
        } else if mode == "minimal" {
            let req = sigv4_core::Request::new("GET", "https://example.amazonaws.com/")
                .unwrap_or_else(|_| unreachable!());
            let creds = sigv4_core::CredentialsRef::new(sigv4_benches::AKID, sigv4_benches::SECRET);
            let mut buf = [0u8; 512];
            match signer.sign(&req, &creds, &sigv4_benches::params(), &mut buf) {
                Ok(o) => o.signature().as_bytes()[0],
                Err(_) => 0,
            }
        } else if mode == "key" {
            let mut cache = sigv4_core::KeyCache::new();
            let k = cache.signing_key(b"secret", &scope);
            k.sign(std::hint::black_box(&[0u8; 150]))[0]
        } else if mode == "keyhit" {
            let k = key_cache.signing_key(b"secret", &scope);
            k.sign(std::hint::black_box(&[0u8; 150]))[0]
        } else if mode == "hmacclone" {
            mac_sign(&floor_key, std::hint::black_box(&[0u8; 150]))
        } else if mode == "request" {
            core::hint::black_box(sigv4_benches::request()).host().len() as u8
        } else if mode == "body" || mode == "path" {
            let vary = if mode == "body" {
                sigv4_benches::Vary::Body
            } else {
                sigv4_benches::Vary::Path
            };
            serial += 1;
            sigv4_benches::ours_varied(&mut signer, serial, vary)
        } else if mode == "verify" {
            received.verify(&mut verifier)
        } else if mode == "floor" {
            let (c, s) = core::hint::black_box((&[1u8; 400][..], &[2u8; 150][..]));
            sigv4_benches::Floor::new().sha2(c, s)
        } else {
            sigv4_benches::ours(&mut signer)
        });
    }
    println!("{acc}");
}
