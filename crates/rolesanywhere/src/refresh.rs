//! When `serve` and `update` fetch new credentials: ahead of expiry, and
//! again after a failure, without a busy loop.

use std::time::{Duration, SystemTime};

use cred_providers::clock::{Backoff, Spread};

/// How long before expiry credentials are refreshed.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// How long to wait before refreshing credentials that expire at
/// `expiry`: until [`REFRESH_AHEAD`] before it; inside that window, half
/// of the time left (at least a second), so short-lived credentials are
/// refreshed before they expire without a busy loop.
pub fn refresh_delay(expiry: SystemTime, now: SystemTime) -> Duration {
    if let Some(wait) = expiry
        .checked_sub(REFRESH_AHEAD)
        .and_then(|at| at.duration_since(now).ok())
        .filter(|w| !w.is_zero())
    {
        return wait;
    }
    let left = expiry.duration_since(now).unwrap_or(Duration::ZERO);
    (left / 2).max(Duration::from_secs(1))
}

/// The wait after failures in a row: 2 s doubling to 128 s.
pub const RETRY: Backoff = Backoff::new(
    Duration::from_secs(2),
    Duration::from_secs(128),
    Spread::None,
);

/// The wait before the next attempt: the refresh schedule of `expiry`
/// after a success, [`RETRY`]'s after `failures` failures in a row; `None`
/// when the credentials never expire (nothing to refresh).
pub fn next_attempt(
    expiry: Option<SystemTime>,
    failures: u32,
    now: SystemTime,
) -> Option<Duration> {
    let expiry = expiry?;
    Some(if failures == 0 {
        refresh_delay(expiry, now)
    } else {
        RETRY.ceiling(failures)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_schedule() {
        let now = SystemTime::now();
        assert_eq!(
            refresh_delay(now + Duration::from_secs(3600), now),
            Duration::from_secs(3300)
        );
        // Inside the window: half the time left, at least a second.
        assert_eq!(
            refresh_delay(now + Duration::from_secs(60), now),
            Duration::from_secs(30)
        );
        assert_eq!(refresh_delay(now, now), Duration::from_secs(1));
        assert_eq!(
            refresh_delay(now - Duration::from_secs(5), now),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn retries_back_off() {
        let now = SystemTime::now();
        let exp = Some(now + Duration::from_secs(3600));
        assert_eq!(next_attempt(exp, 0, now), Some(Duration::from_secs(3300)));
        assert_eq!(next_attempt(exp, 1, now), Some(Duration::from_secs(2)));
        assert_eq!(next_attempt(exp, 2, now), Some(Duration::from_secs(4)));
        assert_eq!(next_attempt(exp, 50, now), Some(Duration::from_secs(128)));
        assert_eq!(next_attempt(None, 0, now), None);
    }
}
