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

/// A clock that holds one chosen thread at its `n`th reading until told to
/// go on: the way to stop a caller between what it read of the cache and
/// what it does next.
#[derive(Debug)]
struct PausingClock {
    inner: Arc<FakeClock>,
    victim: Mutex<Option<(std::thread::ThreadId, usize)>>,
    reads: Mutex<usize>,
    paused: Barrier,
    resume: Barrier,
}

impl Clock for PausingClock {
    fn now(&self) -> SystemTime {
        let pause = {
            let victim = self.victim.lock().unwrap();
            match *victim {
                Some((id, n)) if id == std::thread::current().id() => {
                    let mut reads = self.reads.lock().unwrap();
                    *reads += 1;
                    *reads == n
                }
                _ => false,
            }
        };
        if pause {
            self.paused.wait();
            self.resume.wait();
        }
        self.inner.now()
    }
}

/// The losing interleaving of the advisory window, forced: caller B reads
/// the cache (due for refresh), stops; caller A refreshes and lets go of
/// the refresh lock; B goes on and takes the lock. B must see A's
/// credentials and not fetch again — one fetch for the window.
#[test]
fn a_caller_that_saw_the_window_before_a_refresh_does_not_refresh_again() {
    let fake = FakeClock::at(1_000_000);
    let clock = Arc::new(PausingClock {
        inner: fake.clone(),
        victim: Mutex::new(None),
        reads: Mutex::new(0),
        paused: Barrier::new(2),
        resume: Barrier::new(2),
    });
    let inner = Scripted::new(&fake, Some(3600));
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    assert_eq!(key(&cache), "AKID1");
    assert_eq!(
        cache.state().expiry,
        Some(UNIX_EPOCH + Duration::from_secs(1_003_600))
    );
    // In the advisory window (10 minutes before expiry).
    fake.set(1_000_000 + 3600 - 10 * 60);

    let b = {
        let (cache, clock) = (cache.clone(), clock.clone());
        std::thread::spawn(move || {
            // B's first reading is the warm path's; its second is where it
            // has read the snapshot and decides: stop there.
            *clock.victim.lock().unwrap() = Some((std::thread::current().id(), 2));
            key(&cache)
        })
    };
    clock.paused.wait();
    // A refreshes and lets go of the lock while B holds its stale view.
    assert_eq!(key(&cache), "AKID2");
    assert_eq!(inner.calls(), 2);
    assert!(!cache.state().refreshing);
    clock.resume.wait();
    assert_eq!(b.join().unwrap(), "AKID2", "B serves A's credentials");
    assert_eq!(inner.calls(), 2, "one fetch for the window");
}

#[test]
fn refresh_now_invalidate_and_state() {
    let clock = FakeClock::at(1_000_000);
    let inner = Scripted::new(&clock, Some(3600));
    let cache = CachedProvider::with_clock(inner.clone(), clock.clone());
    let empty = cache.state();
    assert!(!empty.held && empty.expiry.is_none() && empty.provider.is_none());
    assert_eq!(key(&cache), "AKID1");
    assert_eq!(cache.state().provider, Some("scripted"));
    // Forced, whatever the windows say.
    assert_eq!(
        pollster::block_on(cache.refresh_now())
            .unwrap()
            .access_key_id(),
        "AKID2"
    );
    assert_eq!(key(&cache), "AKID2");
    cache.invalidate();
    assert!(!cache.state().held);
    assert_eq!(key(&cache), "AKID3");
    // A failed refresh with credentials held: served, and the back-off shows.
    *inner.fail.lock().unwrap() = true;
    clock.set(1_000_000 + 3600 - 60);
    assert_eq!(key(&cache), "AKID3");
    let until = cache.state().backoff_until.expect("backing off");
    let wait = until.duration_since(clock.now()).unwrap().as_secs();
    assert!((60..=120).contains(&wait), "{wait}");
    assert_eq!(inner.calls(), 4);
    assert_eq!(key(&cache), "AKID3", "no attempt during the back-off");
    assert_eq!(inner.calls(), 4);
}

/// A source that takes 50 ms on the runtime's timer and counts its calls.
#[derive(Debug)]
struct Slow {
    clock: Arc<FakeClock>,
    calls: AtomicUsize,
    fail: std::sync::atomic::AtomicBool,
}

impl ProvideCredentials for Slow {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
            if self.fail.load(Ordering::SeqCst) {
                return Err(CredentialsError::failed("slow", "down"));
            }
            Ok(Credentials::builder(format!("AKID{n}"), "secret")
                .expiry(self.clock.now() + Duration::from_secs(3600))
                .provider("slow")
                .build())
        })
    }
}

/// 1,000 callers at once on a multi-threaded runtime, each calling
/// `rounds` times; every answer must be some credentials.
async fn crowd(cache: &CachedProvider, rounds: usize) {
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                for _ in 0..rounds {
                    cache.credentials().await.unwrap();
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// The stress scenarios: cold, the mandatory window, after expiry, the
/// advisory window under continuous calls, and a failed source — each one
/// upstream fetch, whatever 1,000 callers do.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_callers_make_one_fetch_per_window() {
    let t0 = 1_000_000;
    let clock = FakeClock::at(t0);
    let slow = Arc::new(Slow {
        clock: clock.clone(),
        calls: AtomicUsize::new(0),
        fail: std::sync::atomic::AtomicBool::new(false),
    });
    let cache = CachedProvider::with_clock(slow.clone(), clock.clone());
    let calls = || slow.calls.load(Ordering::SeqCst);

    crowd(&cache, 1).await;
    assert_eq!(calls(), 1, "cold");
    clock.set(t0 + 3600 - 60);
    crowd(&cache, 1).await;
    assert_eq!(calls(), 2, "mandatory window");
    clock.set(t0 + 2 * 3600 + 10);
    crowd(&cache, 1).await;
    assert_eq!(calls(), 3, "after expiry");
    // The third credentials were fetched at t0 + 7210.
    clock.set(t0 + 7210 + 3600 - 10 * 60);
    crowd(&cache, 20).await;
    assert_eq!(calls(), 4, "advisory window, continuous calls");
    slow.fail.store(true, Ordering::SeqCst);
    clock.set(t0 + 10810 + 3600 - 60);
    crowd(&cache, 5).await;
    assert_eq!(
        calls(),
        5,
        "a failed source: one attempt, then the back-off"
    );
    assert!(cache.state().backoff_until.is_some());
}
