//! The signer's goals as paired ratios: `cargo run --release -p
//! sigv4-benches --bin paired [ROUNDS]`.
//!
//! Criterion measures each contender for seconds before the next; on a
//! shared VM the machine's speed drifts between them and a ratio of two
//! criterion rows carries that drift. Here every round times a short batch
//! of each contender back to back (in a rotating order), so each round's
//! ratios are of the same minute of the machine; the report is the median
//! and the 10th–90th percentile of the per-round ratios, and in how many
//! rounds each goal of issue 22 held. Then, likewise paired, signing from
//! two threads at once against one: a `SharedSigner` for both, and a
//! `Signer` per thread.

use core::hint::black_box;
use std::time::Instant;

use sigv4_benches::{self as b, Vary};
use sigv4_core::{SharedSigner, Signer, Verifier};

/// Signatures per contender per round: long enough for the clock, short
/// enough that a round sees one speed of the machine.
const BATCH: u32 = 2_000;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        .max(1);
    let mut signer = Signer::new();
    let mut presigner = Signer::new();
    let identity = b::aws_identity();
    let (creq, sts) = b::stages();
    let floor = b::Floor::new();
    let received = b::Received::new();
    let mut verifier = Verifier::default();

    const SIGN: usize = 0;
    const AWS: usize = 1;
    const FLOOR: usize = 2;
    const PRESIGN: usize = 3;
    const VERIFY: usize = 4;
    const BODY: usize = 5;
    const AWS_BODY: usize = 6;
    const PATH: usize = 7;
    const AWS_PATH: usize = 8;
    let names = [
        "sign",
        "aws-sigv4",
        "floor",
        "presign",
        "verify",
        "sign, body varies",
        "aws-sigv4, body varies",
        "sign, path varies",
        "aws-sigv4, path varies",
    ];
    let mut varied_signer = Signer::new();
    let mut n = 0usize;
    let mut next = || {
        n = n.wrapping_add(1);
        n
    };
    // Each contender's batch is its own monomorphic loop: no indirect
    // call per signature.
    let mut run = |i: usize| match i {
        SIGN => batch(|| b::ours(black_box(&mut signer))),
        AWS => batch(|| b::aws(black_box(&identity)).len() as u8),
        FLOOR => batch(|| floor.sha2(black_box(&creq), black_box(&sts))),
        PRESIGN => batch(|| b::ours_presign(black_box(&mut presigner))),
        VERIFY => batch(|| received.verify(black_box(&mut verifier))),
        BODY => batch(|| b::ours_varied(&mut varied_signer, next(), Vary::Body)),
        AWS_BODY => batch(|| b::aws_varied(&identity, next(), Vary::Body).len() as u8),
        PATH => batch(|| b::ours_varied(&mut varied_signer, next(), Vary::Path)),
        _ => batch(|| b::aws_varied(&identity, next(), Vary::Path).len() as u8),
    };
    // Warm up every contender (caches, the signing key, branch history).
    for i in 0..names.len() {
        run(i);
    }
    let mut ns = vec![[0f64; 9]; rounds];
    for (round, row) in ns.iter_mut().enumerate() {
        for k in 0..names.len() {
            let i = (k + round) % names.len();
            row[i] = run(i);
        }
    }

    println!("{rounds} rounds of {BATCH} per contender, interleaved");
    println!("{:<23} {:>9} {:>9} {:>9}", "", "p10", "median", "p90");
    for (i, name) in names.iter().enumerate() {
        let (lo, mid, hi) = spread(ns.iter().map(|r| r[i] / 1000.0));
        println!("{name:<23} {lo:>7.3}µs {mid:>7.3}µs {hi:>7.3}µs");
    }
    // (ratio, numerator, denominator, goal, whether the goal is a ceiling)
    let goals = [
        ("sign / floor", SIGN, FLOOR, 2.0, true),
        ("aws-sigv4 / sign", AWS, SIGN, 8.0, false),
        ("presign / sign", PRESIGN, SIGN, 1.3, true),
        ("verify / floor", VERIFY, FLOOR, 2.5, true),
        ("aws / sign, body varies", AWS_BODY, BODY, 8.0, false),
        ("aws / sign, path varies", AWS_PATH, PATH, 8.0, false),
    ];
    println!();
    println!(
        "{:<23} {:>6} {:>6} {:>6}   goal   rounds meeting it",
        "ratio", "p10", "median", "p90"
    );
    for (name, num, den, goal, ceiling) in goals {
        let ratios: Vec<f64> = ns.iter().map(|r| r[num] / r[den]).collect();
        let (lo, mid, hi) = spread(ratios.iter().copied());
        let met = ratios
            .iter()
            .filter(|&&x| if ceiling { x <= goal } else { x >= goal })
            .count();
        let op = if ceiling { "≤" } else { "≥" };
        println!(
            "{name:<23} {lo:>6.2} {mid:>6.2} {hi:>6.2}   {op} {goal:<4} {met}/{rounds} ({:.0} %)",
            met as f64 * 100.0 / rounds as f64
        );
    }

    // Scaling: per round and per way of signing, one thread's time for
    // BATCH signatures over the slowest of two threads' doing BATCH each
    // at once (1.0 = both cores fully used).
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 {
        println!();
        println!("two threads: skipped, this process may use {cores} CPU (taskset?)");
        return;
    }
    let shared = SharedSigner::new();
    let shared_sign = || b::ours_shared(&shared);
    let thread_rounds = rounds.div_ceil(4);
    let mut scaling = vec![[0f64; 2]; thread_rounds];
    for row in &mut scaling {
        let ways: [&(dyn Fn() -> u8 + Sync); 2] = [&shared_sign, &b::ours_per_thread];
        for (slot, sign) in row.iter_mut().zip(ways) {
            let one = b::on_threads(1, BATCH.into(), sign).as_secs_f64();
            let two = b::on_threads(2, BATCH.into(), sign).as_secs_f64();
            *slot = one / two;
        }
    }
    println!();
    println!(
        "{:<29} {:>6} {:>6} {:>6}  ({thread_rounds} rounds)",
        "two threads, of perfect", "p10", "median", "p90"
    );
    for (i, name) in ["SharedSigner", "a Signer per thread"].iter().enumerate() {
        let (lo, mid, hi) = spread(scaling.iter().map(|r| r[i] * 100.0));
        println!("{name:<29} {lo:>5.0}% {mid:>5.0}% {hi:>5.0}%");
    }
}

/// Nanoseconds per call of `f` over a batch of [`BATCH`] calls.
fn batch(mut f: impl FnMut() -> u8) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        black_box(f());
    }
    start.elapsed().as_nanos() as f64 / f64::from(BATCH)
}

/// The 10th percentile, median and 90th percentile.
fn spread(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.1), at(0.5), at(0.9))
}
