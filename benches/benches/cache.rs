//! The credentials cache's warm read, beside a plain `Arc` clone (the
//! floor: a read hands out credentials, which is one reference count), on
//! one thread and on two at once.
//!
//! `cargo bench -p sigv4-benches --bench cache`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use cred_providers::{CachedProvider, Credentials, ProvideCredentials, ProvideFuture};
use criterion::{Criterion, criterion_group, criterion_main};

#[derive(Debug)]
struct Fixed(Credentials);

impl ProvideCredentials for Fixed {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

fn warm_cache() -> CachedProvider {
    let creds = Credentials::builder("AKIDEXAMPLE", "secret")
        .session_token("token".to_string())
        .expiry(std::time::SystemTime::now() + Duration::from_secs(6 * 3600))
        .build();
    let cache = CachedProvider::new(Arc::new(Fixed(creds)));
    pollster::block_on(cache.credentials()).expect("fills");
    cache
}

/// A ready future's poll, without an executor's bookkeeping.
fn read(cache: &CachedProvider) -> Credentials {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(cache.credentials());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r.expect("held"),
        std::task::Poll::Pending => unreachable!("a warm read does not wait"),
    }
}

fn bench(c: &mut Criterion) {
    let cache = warm_cache();
    let plain = Arc::new(read(&cache));
    let mut g = c.benchmark_group("cache");
    g.bench_function("warm read (1 thread)", |b| {
        b.iter(|| black_box(read(&cache)))
    });
    g.bench_function("with_fresh (1 thread)", |b| {
        b.iter(|| black_box(cache.with_fresh(|c| c.access_key_id().len())))
    });
    g.bench_function("Arc clone (1 thread)", |b| {
        b.iter(|| black_box(Arc::clone(&plain)))
    });
    // Two threads reading the same cache (this machine has two cores): the
    // time per read on this thread while the other reads too.
    for (name, mode) in [
        ("warm read (2 threads)", 0),
        ("with_fresh (2 threads)", 1),
        ("Arc clone (2 threads)", 2),
    ] {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let other = {
            let (cache, plain, stop) = (cache.clone(), plain.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for _ in 0..1000 {
                        match mode {
                            0 => drop(black_box(read(&cache))),
                            1 => drop(black_box(cache.with_fresh(|c| c.access_key_id().len()))),
                            _ => drop(black_box(Arc::clone(&plain))),
                        }
                    }
                }
            })
        };
        g.bench_function(name, |b| {
            b.iter(|| match mode {
                0 => drop(black_box(read(&cache))),
                1 => drop(black_box(cache.with_fresh(|c| c.access_key_id().len()))),
                _ => drop(black_box(Arc::clone(&plain))),
            })
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        other.join().expect("reader");
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
