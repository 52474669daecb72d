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

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

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

#[derive(Clone)]
struct Held {
    creds: Credentials,
    fetched_at: SystemTime,
}

impl Held {
    /// (advisory start, mandatory start), or `None` when they never expire.
    fn windows(&self) -> Option<(SystemTime, SystemTime)> {
        let expiry = self.creds.expiry()?;
        let lifetime = expiry.duration_since(self.fetched_at).unwrap_or_default();
        let advisory = ADVISORY.min(lifetime / 2);
        let mandatory = MANDATORY.min(lifetime / 4);
        Some((
            expiry.checked_sub(advisory).unwrap_or(expiry),
            expiry.checked_sub(mandatory).unwrap_or(expiry),
        ))
    }
}

#[derive(Default)]
struct State {
    held: Option<Held>,
    /// No refresh before this time (after a failure).
    backoff_until: Option<SystemTime>,
    /// The last failure when nothing was held, so that callers queued
    /// behind a failed refresh share its answer instead of retrying one by
    /// one.
    last_error: Option<(SystemTime, CredentialsError)>,
}

/// How long a failure with nothing held is shared with queued callers.
const SHARE_ERROR_FOR: Duration = Duration::from_secs(1);

/// A provider wrapped in the cache.
///
/// Cloning shares the cache.
#[derive(Clone)]
pub struct CachedProvider {
    inner: Arc<dyn ProvideCredentials>,
    state: Arc<Mutex<State>>,
    refresh: Arc<tokio::sync::Mutex<()>>,
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

enum Need {
    /// Serve the held credentials.
    Serve(Credentials),
    /// Refresh if nobody else is; serve these meanwhile.
    Advisory(Credentials),
    /// Refresh, waiting for anyone already refreshing.
    Mandatory,
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
            state: Arc::default(),
            refresh: Arc::new(tokio::sync::Mutex::new(())),
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

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn need(&self, now: SystemTime) -> Need {
        let st = self.state();
        let Some(held) = &st.held else {
            return Need::Mandatory;
        };
        let in_backoff = st.backoff_until.is_some_and(|t| now < t);
        match held.windows() {
            None => Need::Serve(held.creds.clone()),
            Some(_) if in_backoff => Need::Serve(held.creds.clone()),
            Some((advisory, _)) if now < advisory => Need::Serve(held.creds.clone()),
            Some((_, mandatory)) if now < mandatory => Need::Advisory(held.creds.clone()),
            Some(_) => Need::Mandatory,
        }
    }

    /// Runs the inner provider and updates the cache; on failure falls back
    /// to what is held.
    async fn refresh_now(&self) -> Result<Credentials, CredentialsError> {
        let result = self.inner.provide_credentials().await;
        let now = self.clock.now();
        let mut st = self.state();
        match result {
            Ok(creds) => {
                st.held = Some(Held {
                    creds: creds.clone(),
                    fetched_at: now,
                });
                st.backoff_until = None;
                st.last_error = None;
                Ok(creds)
            }
            Err(e) => match st.held.clone() {
                Some(held) => {
                    let wait = FAILED_REFRESH_BACKOFF.delay(1, &*self.jitter);
                    st.backoff_until = Some(now + wait);
                    tracing::warn!(
                        error = %e,
                        retry_in_secs = wait.as_secs(),
                        "credential refresh failed; serving the credentials held (they may be expired)"
                    );
                    Ok(held.creds)
                }
                None => {
                    st.last_error = Some((now, e.clone()));
                    Err(e)
                }
            },
        }
    }

    /// The cached credentials, refreshed as the windows say.
    pub async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        match self.need(self.clock.now()) {
            Need::Serve(c) => Ok(c),
            Need::Advisory(c) => match self.refresh.try_lock() {
                Ok(_guard) => self.refresh_now().await,
                Err(_) => Ok(c),
            },
            Need::Mandatory => {
                let asked_at = self.clock.now();
                let _guard = self.refresh.lock().await;
                // Someone may have refreshed (or failed) while we waited.
                if let Some((at, e)) = &self.state().last_error
                    && *at >= asked_at
                    && *at < asked_at + SHARE_ERROR_FOR
                {
                    return Err(e.clone());
                }
                match self.need(self.clock.now()) {
                    Need::Serve(c) => Ok(c),
                    Need::Advisory(_) | Need::Mandatory => self.refresh_now().await,
                }
            }
        }
    }
}

impl ProvideCredentials for CachedProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.credentials())
    }
}
