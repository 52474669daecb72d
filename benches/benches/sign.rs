//! Signing cost, in one run: ours, aws-sigv4 1.x, and the SHA-256 floor;
//! the same request again and again, and requests whose body or path
//! changes on every signature.
//!
//! `cargo bench -p sigv4-benches`; the README reports the ratios.

use core::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sigv4_benches::{self as b, Vary};
use sigv4_core::{SharedSigner, Signer, Verifier};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sign");
    let mut signer = Signer::new();
    g.bench_function("sigv4-core", |bn| {
        bn.iter(|| black_box(b::ours(black_box(&mut signer))))
    });
    let identity = b::aws_identity();
    g.bench_function("aws-sigv4", |bn| {
        bn.iter(|| black_box(b::aws(black_box(&identity))))
    });
    // The same client's requests seldom repeat byte for byte: the body
    // changes on every signature (a signer reuses the blocks before the
    // payload hash), or the path does (it reuses none).
    for (name, vary) in [("body-varies", Vary::Body), ("path-varies", Vary::Path)] {
        let mut n = 0usize;
        g.bench_function(format!("sigv4-core/{name}"), |bn| {
            bn.iter(|| {
                n = n.wrapping_add(1);
                black_box(b::ours_varied(black_box(&mut signer), n, vary))
            })
        });
        g.bench_function(format!("aws-sigv4/{name}"), |bn| {
            bn.iter(|| {
                n = n.wrapping_add(1);
                black_box(b::aws_varied(black_box(&identity), n, vary))
            })
        });
    }
    let (creq, sts) = b::stages();
    let floor = b::Floor::new();
    g.bench_function("floor-sha2", |bn| {
        bn.iter(|| black_box(floor.sha2(black_box(&creq), black_box(&sts))))
    });
    g.bench_function("floor-ring", |bn| {
        bn.iter(|| black_box(floor.ring(black_box(&creq), black_box(&sts))))
    });
    g.bench_function("sigv4-core-presign", |bn| {
        bn.iter(|| black_box(b::ours_presign(black_box(&mut signer))))
    });
    let received = b::Received::new();
    let mut verifier = Verifier::default();
    g.bench_function("sigv4-core-verify", |bn| {
        bn.iter(|| black_box(received.verify(black_box(&mut verifier))))
    });
    g.finish();
}

/// Signing from two threads at once: one `SharedSigner` for both (its key
/// cache read without a lock) beside a `Signer` per thread (nothing
/// shared). Times are per signature per thread: equal to the one-thread
/// row means both cores are used fully.
fn threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("sign-threads");
    let shared = SharedSigner::new();
    let shared_sign = || b::ours_shared(&shared);
    for n in [1, 2] {
        g.bench_function(format!("shared-signer/{n}-threads"), |bn| {
            bn.iter_custom(|iters| b::on_threads(n, iters, &shared_sign))
        });
    }
    g.bench_function("signer-per-thread/2-threads", |bn| {
        bn.iter_custom(|iters| b::on_threads(2, iters, &b::ours_per_thread))
    });
    g.finish();
}

criterion_group!(benches, bench, threads);
criterion_main!(benches);
