//! Time, randomness and waiting, injected: every part above the core that
//! reads the clock, draws a jitter or backs off takes them from here, so
//! that tests drive them and the formulas exist once.
//!
//! ```
//! use std::time::Duration;
//! use cred_providers::clock::{Backoff, Jitter, SeededJitter, Spread};
//!
//! // 2 s doubling to 128 s, no jitter: 2, 4, 8 … 128, 128.
//! let steady = Backoff::new(Duration::from_secs(2), Duration::from_secs(128), Spread::None);
//! assert_eq!(steady.delay(3, &SeededJitter::new(1)), Duration::from_secs(8));
//! assert_eq!(steady.delay(50, &SeededJitter::new(1)), Duration::from_secs(128));
//!
//! // Full jitter: anywhere up to the doubled base, capped.
//! let full = Backoff::new(Duration::from_millis(100), Duration::from_secs(5), Spread::Full);
//! let d = full.delay(4, &SeededJitter::new(7));
//! assert!(d <= Duration::from_millis(800));
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The wall-clock time (expiry, signing dates).
    fn now(&self) -> SystemTime;

    /// A monotonic instant (timeouts, how long a node is set aside). The
    /// default is [`Instant::now`]; a test clock may move it too.
    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A source of random numbers for jitter (not for anything secret).
pub trait Jitter: Send + Sync + fmt::Debug {
    /// A number drawn uniformly from `0..=max`.
    fn upto(&self, max: u64) -> u64;
}

/// Jitter from a per-thread generator seeded by the system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn upto(&self, max: u64) -> u64 {
        fastrand::u64(0..=max)
    }
}

/// Jitter from a generator with a fixed seed: the same draws on every run.
#[derive(Debug)]
pub struct SeededJitter(Mutex<fastrand::Rng>);

impl SeededJitter {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(fastrand::Rng::with_seed(seed)))
    }
}

impl Jitter for SeededJitter {
    fn upto(&self, max: u64) -> u64 {
        let mut rng = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        rng.u64(0..=max)
    }
}

/// How a backoff's delay is spread around its exponential ceiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spread {
    /// Exactly the ceiling.
    None,
    /// Anywhere from zero to the ceiling ("full jitter").
    Full,
    /// The ceiling plus up to the ceiling again (never sooner than the
    /// ceiling; for waits that must last at least so long).
    Added,
}

/// Exponential backoff: attempt `n` (1-based) waits `base · 2ⁿ⁻¹`, at most
/// `max`, spread as [`Spread`] says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first ceiling.
    pub base: Duration,
    /// The largest ceiling.
    pub max: Duration,
    /// How the delay is drawn below or above the ceiling.
    pub spread: Spread,
}

impl Backoff {
    /// A backoff from `base`, doubling up to `max`.
    pub const fn new(base: Duration, max: Duration, spread: Spread) -> Self {
        Self { base, max, spread }
    }

    /// The ceiling of attempt `attempt` (1-based; 0 counts as 1).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base
            .saturating_mul(1u32 << doublings)
            .min(self.max.max(self.base))
    }

    /// The delay before attempt `attempt`.
    pub fn delay(&self, attempt: u32, jitter: &dyn Jitter) -> Duration {
        let ceiling = self.ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        match self.spread {
            Spread::None => ceiling,
            Spread::Full => Duration::from_nanos(jitter.upto(nanos)),
            Spread::Added => ceiling.saturating_add(Duration::from_nanos(jitter.upto(nanos))),
        }
    }
}

/// The future of a [`Sleep`].
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Waits without blocking an async runtime.
pub trait Sleep: Send + Sync + fmt::Debug {
    /// Resolves after `duration`.
    fn sleep(&self, duration: Duration) -> SleepFuture;
}

/// Waits the way the caller runs: on a tokio runtime (feature `tokio`)
/// with tokio's timer, so the runtime keeps running; elsewhere (a blocking
/// caller driving the future to completion on its thread) by sleeping the
/// thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuntimeSleep;

impl Sleep for RuntimeSleep {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        #[cfg(feature = "tokio")]
        if tokio::runtime::Handle::try_current().is_ok() {
            return Box::pin(tokio::time::sleep(duration));
        }
        std::thread::sleep(duration);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_and_stop_at_the_maximum() {
        let b = Backoff::new(
            Duration::from_secs(30),
            Duration::from_secs(960),
            Spread::None,
        );
        let j = SeededJitter::new(0);
        let got: Vec<u64> = (1..=8).map(|n| b.delay(n, &j).as_secs()).collect();
        assert_eq!(got, [30, 60, 120, 240, 480, 960, 960, 960]);
        assert_eq!(b.delay(0, &j), Duration::from_secs(30));
        assert_eq!(b.delay(u32::MAX, &j), Duration::from_secs(960));
    }

    #[test]
    fn spreads_stay_in_their_ranges_and_seeds_repeat() {
        let full = Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(5),
            Spread::Full,
        );
        let added = Backoff::new(
            Duration::from_secs(60),
            Duration::from_secs(60),
            Spread::Added,
        );
        let (a, b) = (SeededJitter::new(42), SeededJitter::new(42));
        for n in 1..200 {
            let d = full.delay(n, &a);
            assert!(d <= full.ceiling(n));
            assert_eq!(d, full.delay(n, &b), "the same seed draws the same");
            let w = added.delay(1, &a);
            assert!((60..=120).contains(&w.as_secs()), "{w:?}");
            added.delay(1, &b);
        }
    }
}
