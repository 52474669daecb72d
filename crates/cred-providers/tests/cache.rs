//! The cache: windows, single flight, static stability — with a fake clock
//! and a scripted provider.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cred_providers::{
    CachedProvider, Clock, Credentials, CredentialsError, ProvideCredentials, ProvideFuture,
    provide_blocking,
};

#[derive(Debug)]
struct FakeClock(Mutex<SystemTime>);

impl FakeClock {
    fn at(secs: u64) -> Arc<Self> {
        Arc::new(Self(Mutex::new(UNIX_EPOCH + Duration::from_secs(secs))))
    }
    fn set(&self, secs: u64) {
        *self.0.lock().unwrap() = UNIX_EPOCH + Duration::from_secs(secs);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// Hands out credentials numbered by call, expiring `lifetime` after the
/// fake clock's now; can be told to fail or to take a while.
#[derive(Debug)]
struct Scripted {
    clock: Arc<FakeClock>,
    calls: AtomicUsize,
    lifetime: Option<u64>,
    fail: Mutex<bool>,
    delay: Duration,
}

impl Scripted {
    fn new(clock: &Arc<FakeClock>, lifetime: Option<u64>) -> Arc<Self> {
        Arc::new(Self {
            clock: clock.clone(),
            calls: AtomicUsize::new(0),
            lifetime,
            fail: Mutex::new(false),
            delay: Duration::ZERO,
        })
    }
    fn slow(clock: &Arc<FakeClock>, lifetime: u64, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            delay,
            ..Arc::into_inner(Self::new(clock, Some(lifetime))).unwrap()
        })
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl ProvideCredentials for Scripted {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            std::thread::sleep(self.delay);
            if *self.fail.lock().unwrap() {
                return Err(CredentialsError::failed("scripted", "endpoint down"));
            }
            let expiry = self
                .lifetime
                .map(|l| self.clock.now() + Duration::from_secs(l));
            Ok(Credentials::builder(format!("AKID{n}"), "secret")
                .expiry(expiry)
                .provider("scripted")
                .build())
        })
    }
}

fn key(p: &CachedProvider) -> String {
    provide_blocking(p).unwrap().access_key_id().to_string()
}

#[test]
fn serves_from_cache_until_the_advisory_window() {
    let clock = FakeClock::at(1_000_000);
    let inner = Scripted::new(&clock, Some(3600));
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    assert_eq!(key(&cache), "AKID1");
    clock.set(1_000_000 + 3600 - 16 * 60); // 16 min before expiry
    assert_eq!(key(&cache), "AKID1");
    assert_eq!(inner.calls(), 1);
    clock.set(1_000_000 + 3600 - 10 * 60); // advisory: this caller refreshes
    assert_eq!(key(&cache), "AKID2");
    assert_eq!(inner.calls(), 2);
}

#[test]
fn in_the_advisory_window_other_callers_do_not_wait() {
    let clock = FakeClock::at(1_000_000);
    let inner = Scripted::slow(&clock, 3600, Duration::from_millis(500));
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    assert_eq!(key(&cache), "AKID1");
    clock.set(1_000_000 + 3600 - 10 * 60);
    let refresher = {
        let cache = cache.clone();
        std::thread::spawn(move || key(&cache))
    };
    // Wait until the refresh is under way (the provider counts on entry).
    let deadline = Instant::now() + Duration::from_secs(10);
    while inner.calls() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(inner.calls(), 2);
    // Had this caller waited for the refresh, it would get AKID2.
    assert_eq!(
        key(&cache),
        "AKID1",
        "keeps the current credentials, without waiting"
    );
    assert_eq!(refresher.join().unwrap(), "AKID2");
}

#[test]
fn in_the_mandatory_window_one_refresh_serves_everyone() {
    let clock = FakeClock::at(1_000_000);
    let inner = Scripted::slow(&clock, 3600, Duration::from_millis(200));
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    assert_eq!(key(&cache), "AKID1");
    clock.set(1_000_000 + 3600 - 60);
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (cache, barrier) = (cache.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                key(&cache)
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "AKID2");
    }
    assert_eq!(inner.calls(), 2, "single flight");
}

#[test]
fn short_lived_credentials_get_proportional_windows() {
    let clock = FakeClock::at(1_000_000);
    let inner = Scripted::new(&clock, Some(900)); // 15 minutes
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    key(&cache);
    clock.set(1_000_000 + 900 - 8 * 60); // 8 min left: before the 7.5 min advisory window
    key(&cache);
    assert_eq!(inner.calls(), 1);
    clock.set(1_000_000 + 900 - 7 * 60);
    key(&cache);
    assert_eq!(inner.calls(), 2);
}

#[test]
fn static_stability_serves_expired_credentials_with_backoff() {
    let clock = FakeClock::at(1_000_000);
    let inner = Scripted::new(&clock, Some(3600));
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    assert_eq!(key(&cache), "AKID1");
    *inner.fail.lock().unwrap() = true;
    clock.set(1_000_000 + 7200); // long expired, source down
    assert_eq!(key(&cache), "AKID1", "served, not an error");
    assert_eq!(inner.calls(), 2);
    clock.set(1_000_000 + 7200 + 30);
    assert_eq!(key(&cache), "AKID1");
    assert_eq!(inner.calls(), 2, "no retry during the back-off");
    clock.set(1_000_000 + 7200 + 121);
    *inner.fail.lock().unwrap() = false;
    assert_eq!(key(&cache), "AKID3", "retried after the back-off");
}

#[test]
fn nothing_held_and_a_failure_is_an_error() {
    let clock = FakeClock::at(1_000_000);
    let inner = Scripted::new(&clock, Some(3600));
    *inner.fail.lock().unwrap() = true;
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    assert!(provide_blocking(&cache).is_err());
}

#[test]
fn non_expiring_credentials_are_fetched_once() {
    let clock = FakeClock::at(1_000_000);
    let inner = Scripted::new(&clock, None);
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    key(&cache);
    clock.set(9_000_000_000);
    key(&cache);
    assert_eq!(inner.calls(), 1);
}
