//! The caching wrapper every chain and network provider hands out.
//!
//! * **Advisory window** (up to 15 minutes before expiry; half the lifetime
//!   for short-lived credentials): the first caller to notice refreshes,
//!   every other caller keeps getting the current credentials at once.
//! * **Mandatory window** (up to 5 minutes before expiry; a quarter of the
//!   lifetime for short-lived credentials): callers wait for the refresh.
//! * **Single flight**: however many callers, one refresh runs at a time;
//!   those waiting get its result.
//! * **Static stability**: when a refresh fails but credentials are held —
//!   even expired ones — they keep being served with a warning, and the
//!   next attempt waits a jittered 60–120 s, rather than failing every
//!   request while the source is down. (AWS accepts recently expired
//!   credentials for a while during its own outages; the alternative is a
//!   hard failure for every request.)
//!
//! Credentials without an expiry are fetched once.
//!
//! **Reads** take no lock: the held credentials and the time until which
//! they may be served as they are live in one snapshot that a refresh swaps
//! atomically (`arc-swap`); a warm read loads it, compares that time with
//! the clock, and clones the credentials (one reference count). Only a
//! caller that finds the snapshot due goes on to the refresh lock, and
//! whoever takes it looks at the snapshot again first: if someone else
//! refreshed in the meantime, it serves theirs — so one window makes one
//! fetch, however the callers interleave.
//!
//! A failed refresh with credentials held logs a `tracing` warning whose
//! fields are `error` (what failed) and `retry_in_secs` (the back-off before
//! the next attempt).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;

use crate::Credentials;
use crate::clock::{Backoff, Jitter, RandomJitter, Spread};
use crate::provider::{CredentialsError, ProvideCredentials, ProvideFuture};

/// The longest advisory window.
pub const ADVISORY: Duration = Duration::from_secs(15 * 60);
/// The longest mandatory window.
pub const MANDATORY: Duration = Duration::from_secs(5 * 60);

pub use crate::clock::{Clock, SystemClock};

/// The wait after a failed refresh while credentials are held: 60 s plus
/// up to 60 s of jitter, so that a fleet does not retry in step.
pub const FAILED_REFRESH_BACKOFF: Backoff = Backoff::new(
    Duration::from_secs(60),
    Duration::from_secs(60),
    Spread::Added,
);

/// What readers see, swapped as a whole.
struct Snapshot {
    creds: Credentials,
    /// Serve as they are before this time (`None`: always; they never
    /// expire). The advisory start, or the end of a back-off after a failed
    /// refresh if that is later.
    serve_until: Option<SystemTime>,
    /// When callers stop being served the old credentials and wait for new
    /// ones (`None`: never).
    mandatory: Option<SystemTime>,
    /// No refresh before this time (after a failure).
    backoff_until: Option<SystemTime>,
}

impl Snapshot {
    fn new(creds: Credentials, fetched_at: SystemTime, backoff_until: Option<SystemTime>) -> Self {
        let windows = creds.expiry().map(|expiry| {
            let lifetime = expiry.duration_since(fetched_at).unwrap_or_default();
            let advisory = ADVISORY.min(lifetime / 2);
            let mandatory = MANDATORY.min(lifetime / 4);
            (
                expiry.checked_sub(advisory).unwrap_or(expiry),
                expiry.checked_sub(mandatory).unwrap_or(expiry),
            )
        });
        let serve_until = windows.map(|(advisory, _)| match backoff_until {
            Some(b) if b > advisory => b,
            _ => advisory,
        });
        Self {
            creds,
            serve_until,
            mandatory: windows.map(|(_, m)| m),
            backoff_until,
        }
    }

    fn fresh_at(&self, now: SystemTime) -> bool {
        self.serve_until.is_none_or(|t| now < t)
    }
}

/// What a caller must do.
enum Need {
    /// Serve these.
    Serve(Credentials),
    /// Refresh if nobody else is; serve these meanwhile.
    Advisory(Credentials),
    /// Refresh, waiting for anyone already refreshing.
    Mandatory,
}

/// What the cache holds and does, for dashboards and health checks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheState {
    /// Whether credentials are held.
    pub held: bool,
    /// When the held credentials expire (`None`: none held, or they never
    /// expire).
    pub expiry: Option<SystemTime>,
    /// Whether a refresh is running now.
    pub refreshing: bool,
    /// After a failed refresh: no new attempt before this time.
    pub backoff_until: Option<SystemTime>,
    /// Which provider produced the held credentials.
    pub provider: Option<&'static str>,
}

/// How long a failure with nothing held is shared with queued callers.
const SHARE_ERROR_FOR: Duration = Duration::from_secs(1);

struct Shared {
    snapshot: ArcSwapOption<Snapshot>,
    /// One refresh at a time.
    refresh: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
    /// The last failure when nothing was held, so that callers queued
    /// behind a failed refresh share its answer instead of retrying one by
    /// one.
    last_error: Mutex<Option<(SystemTime, CredentialsError)>>,
}

/// A provider wrapped in the cache.
///
/// Cloning shares the cache.
#[derive(Clone)]
pub struct CachedProvider {
    inner: Arc<dyn ProvideCredentials>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    jitter: Arc<dyn Jitter>,
}

impl fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedProvider")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl CachedProvider {
    /// Caches `inner` with the system clock.
    pub fn new(inner: Arc<dyn ProvideCredentials>) -> Self {
        Self::with_clock(inner, Arc::new(SystemClock))
    }

    /// Caches `inner` with another clock.
    pub fn with_clock(inner: Arc<dyn ProvideCredentials>, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            shared: Arc::new(Shared {
                snapshot: ArcSwapOption::empty(),
                refresh: tokio::sync::Mutex::new(()),
                refreshing: AtomicBool::new(false),
                last_error: Mutex::new(None),
            }),
            clock,
            jitter: Arc::new(RandomJitter),
        }
    }

    /// The same cache drawing its back-off jitter from `jitter` (e.g. a
    /// [`SeededJitter`](crate::clock::SeededJitter) in tests).
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    fn last_error(&self) -> std::sync::MutexGuard<'_, Option<(SystemTime, CredentialsError)>> {
        match self.shared.last_error.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// What a caller must do now: the snapshot is read first, then the
    /// clock.
    fn need(&self) -> Need {
        let guard = self.shared.snapshot.load();
        let Some(snap) = guard.as_deref() else {
            return Need::Mandatory;
        };
        let now = self.clock.now();
        if snap.fresh_at(now) {
            Need::Serve(snap.creds.clone())
        } else if snap.mandatory.is_some_and(|m| now < m) {
            Need::Advisory(snap.creds.clone())
        } else {
            Need::Mandatory
        }
    }

    /// Runs the inner provider and updates the cache; on failure falls back
    /// to what is held. The caller holds the refresh lock.
    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        self.shared.refreshing.store(true, Ordering::Release);
        let result = self.inner.provide_credentials().await;
        self.shared.refreshing.store(false, Ordering::Release);
        let now = self.clock.now();
        match result {
            Ok(creds) => {
                self.shared
                    .snapshot
                    .store(Some(Arc::new(Snapshot::new(creds.clone(), now, None))));
                *self.last_error() = None;
                Ok(creds)
            }
            Err(e) => match self.shared.snapshot.load_full() {
                Some(held) => {
                    let wait = FAILED_REFRESH_BACKOFF.delay(1, &*self.jitter);
                    let until = now + wait;
                    // The fetch time of the held credentials keeps their
                    // windows; only the back-off moves.
                    self.shared.snapshot.store(Some(Arc::new(Snapshot {
                        creds: held.creds.clone(),
                        serve_until: held.serve_until.map(|t| t.max(until)),
                        mandatory: held.mandatory,
                        backoff_until: Some(until),
                    })));
                    tracing::warn!(
                        error = %e,
                        retry_in_secs = wait.as_secs(),
                        "credential refresh failed; serving the credentials held (they may be expired)"
                    );
                    Ok(held.creds.clone())
                }
                None => {
                    *self.last_error() = Some((now, e.clone()));
                    Err(e)
                }
            },
        }
    }

    /// The cached credentials, refreshed as the windows say.
    pub async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        // The warm path: one atomic load, one clock read, one clone.
        if let Some(snap) = self.shared.snapshot.load().as_deref()
            && snap.fresh_at(self.clock.now())
        {
            return Ok(snap.creds.clone());
        }
        match self.need() {
            Need::Serve(c) => Ok(c),
            Need::Advisory(c) => match self.shared.refresh.try_lock() {
                Ok(_guard) => match self.need() {
                    // Refreshed by someone else between our look and the lock.
                    Need::Serve(c) => Ok(c),
                    Need::Advisory(_) | Need::Mandatory => self.fetch().await,
                },
                Err(_) => Ok(c),
            },
            Need::Mandatory => {
                let asked_at = self.clock.now();
                let _guard = self.shared.refresh.lock().await;
                // Someone may have refreshed (or failed) while we waited.
                if let Some((at, e)) = &*self.last_error()
                    && *at >= asked_at
                    && *at < asked_at + SHARE_ERROR_FOR
                {
                    return Err(e.clone());
                }
                match self.need() {
                    Need::Serve(c) => Ok(c),
                    Need::Advisory(_) | Need::Mandatory => self.fetch().await,
                }
            }
        }
    }

    /// Runs `f` on the held credentials when they may be served as they
    /// are (no refresh due), without cloning them: no lock, no shared
    /// counter touched, so readers on many threads do not slow each other.
    /// `None` when nothing fresh is held — then call
    /// [`credentials`](Self::credentials), which refreshes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use cred_providers::{CachedProvider, EnvironmentProvider, MapEnv};
    /// # let env = MapEnv::new([("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", "s")]);
    /// let cache = CachedProvider::new(Arc::new(EnvironmentProvider::new(Arc::new(env))));
    /// assert_eq!(cache.with_fresh(|c| c.access_key_id().len()), None); // nothing held yet
    /// cred_providers::provide_blocking(&cache)?;
    /// assert_eq!(cache.with_fresh(|c| c.access_key_id().len()), Some(4));
    /// # Ok::<(), cred_providers::CredentialsError>(())
    /// ```
    pub fn with_fresh<R>(&self, f: impl FnOnce(&Credentials) -> R) -> Option<R> {
        let guard = self.shared.snapshot.load();
        let snap = guard.as_deref()?;
        snap.fresh_at(self.clock.now()).then(|| f(&snap.creds))
    }

    /// Fetches new credentials now, whatever the windows say (after a
    /// rotation, or when a service refused the held ones). Waits for a
    /// refresh already running, then fetches once more.
    pub async fn refresh_now(&self) -> Result<Credentials, CredentialsError> {
        let _guard = self.shared.refresh.lock().await;
        self.fetch().await
    }

    /// Drops the held credentials: the next call fetches.
    pub fn invalidate(&self) {
        self.shared.snapshot.store(None);
    }

    /// What the cache holds and does now.
    pub fn state(&self) -> CacheState {
        let snap = self.shared.snapshot.load();
        let snap = snap.as_deref();
        CacheState {
            held: snap.is_some(),
            expiry: snap.and_then(|s| s.creds.expiry()),
            refreshing: self.shared.refreshing.load(Ordering::Acquire),
            backoff_until: snap.and_then(|s| s.backoff_until),
            provider: snap.map(|s| s.creds.provider()),
        }
    }
}

impl ProvideCredentials for CachedProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.credentials())
    }
}
