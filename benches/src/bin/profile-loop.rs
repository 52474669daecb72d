//! Signs the benchmark request in a loop, for profilers:
//! `valgrind --tool=callgrind target/release/profile-loop 2000`.

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mode = std::env::args().nth(2).unwrap_or_default();
    let mut signer = sigv4_core::Signer::new();
    let mut acc = 0u64;
    for _ in 0..n {
        acc += u64::from(if mode == "presign" {
            sigv4_benches::ours_presign(&mut signer)
        } else if mode == "request" {
            core::hint::black_box(sigv4_benches::request()).host().len() as u8
        } else if mode == "floor" {
            let (c, s) = core::hint::black_box((&[1u8; 400][..], &[2u8; 150][..]));
            sigv4_benches::Floor::new().sha2(c, s)
        } else {
            sigv4_benches::ours(&mut signer)
        });
    }
    println!("{acc}");
}
