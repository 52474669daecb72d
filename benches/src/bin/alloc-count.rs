//! Heap allocations per signature, ours and aws-sigv4's, counted through a
//! global allocator: `cargo run -p sigv4-benches --release --bin alloc-count`.

use core::sync::atomic::{AtomicUsize, Ordering};
use std::alloc::{GlobalAlloc, Layout, System};

use sigv4_benches as b;
use sigv4_core::{Signer, Verifier};

struct Counting;
static COUNT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn per_call(n: usize, mut f: impl FnMut()) -> f64 {
    f();
    let before = COUNT.load(Ordering::Relaxed);
    for _ in 0..n {
        f();
    }
    (COUNT.load(Ordering::Relaxed) - before) as f64 / n as f64
}

fn main() {
    let mut signer = Signer::new();
    let ours = per_call(1000, || {
        core::hint::black_box(b::ours(&mut signer));
    });
    let presign = per_call(1000, || {
        core::hint::black_box(b::ours_presign(&mut signer));
    });
    let shared_signer = sigv4_core::SharedSigner::new();
    let shared = per_call(1000, || {
        core::hint::black_box(b::ours_shared(&shared_signer));
    });
    let received = b::Received::new();
    let mut verifier = Verifier::default();
    let verify = per_call(1000, || {
        core::hint::black_box(received.verify(&mut verifier));
    });
    let identity = b::aws_identity();
    let aws = per_call(1000, || {
        core::hint::black_box(b::aws(&identity));
    });
    println!("heap allocations per call:");
    println!("  sigv4-core sign     {ours}");
    println!("  sigv4-core presign  {presign}");
    println!("  SharedSigner sign   {shared}");
    println!("  sigv4-core verify   {verify}");
    println!("  aws-sigv4 sign      {aws}");
}
