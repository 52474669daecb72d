//! The signing time: whole seconds since the Unix epoch, UTC.
//!
//! SigV4 writes time as `YYYYMMDDTHHMMSSZ` (the "amz date"). The crate has no
//! clock: callers pass the time in, which keeps signing deterministic and
//! testable.

use core::fmt;

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
///
/// The range is 1970-01-01 to 9999-12-31, what the amz-date format can show.
///
/// # Examples
///
/// ```
/// use sigv4_core::Timestamp;
/// let t: Timestamp = "20150830T123600Z".parse().unwrap();
/// assert_eq!(t.unix_seconds(), 1_440_938_160);
/// assert_eq!(t.amz_date().as_str(), "20150830T123600Z");
/// assert_eq!(t.amz_date().date(), "20150830");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// The latest second that an amz date can show: 9999-12-31T23:59:59Z.
const MAX_SECONDS: u64 = 253_402_300_799;

/// A time that can't be used for signing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not of the form `YYYYMMDDTHHMMSSZ`, or not a real date and time.
    #[error("malformed date: expected YYYYMMDDTHHMMSSZ, e.g. 20150830T123600Z")]
    Malformed,
    /// Before 1970 or after 9999.
    #[error("date out of range: must be between 1970 and 9999")]
    OutOfRange,
}

impl Timestamp {
    /// The time `secs` seconds after the Unix epoch.
    ///
    /// Fails past 9999-12-31T23:59:59Z.
    pub const fn from_unix_seconds(secs: u64) -> Result<Self, TimeError> {
        if secs > MAX_SECONDS {
            Err(TimeError::OutOfRange)
        } else {
            Ok(Self(secs))
        }
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_seconds(self) -> u64 {
        self.0
    }

    /// `self + secs`, or `None` past the representable range.
    pub const fn checked_add(self, secs: u64) -> Option<Self> {
        match self.0.checked_add(secs) {
            Some(s) if s <= MAX_SECONDS => Some(Self(s)),
            _ => None,
        }
    }

    /// The current time from the system clock.
    #[cfg(feature = "std")]
    pub fn now() -> Self {
        Self::from(std::time::SystemTime::now())
    }

    /// This time as `YYYYMMDDTHHMMSSZ`.
    pub fn amz_date(self) -> AmzDate {
        let days = self.0 / 86_400;
        // Under a day's seconds: 32-bit arithmetic from here.
        let rem = (self.0 % 86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        let [y0, y1] = two_digits(y / 100);
        let [y2, y3] = two_digits(y % 100);
        let [m0, m1] = two_digits(m);
        let [d0, d1] = two_digits(d);
        let [h0, h1] = two_digits(rem / 3600);
        let [n0, n1] = two_digits(rem % 3600 / 60);
        let [s0, s1] = two_digits(rem % 60);
        AmzDate([
            y0, y1, y2, y3, m0, m1, d0, d1, b'T', h0, h1, n0, n1, s0, s1, b'Z',
        ])
    }
}

#[cfg(feature = "std")]
impl From<std::time::SystemTime> for Timestamp {
    /// Times before the epoch become the epoch; times past 9999 saturate.
    fn from(t: std::time::SystemTime) -> Self {
        let secs = t
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self(secs.min(MAX_SECONDS))
    }
}

#[cfg(feature = "std")]
impl From<Timestamp> for std::time::SystemTime {
    fn from(t: Timestamp) -> Self {
        std::time::UNIX_EPOCH + core::time::Duration::from_secs(t.0)
    }
}

impl core::str::FromStr for Timestamp {
    type Err = TimeError;

    /// Parses `YYYYMMDDTHHMMSSZ`.
    fn from_str(s: &str) -> Result<Self, TimeError> {
        Self::parse_keeping_text(s).map(|(t, _)| t)
    }
}

impl Timestamp {
    /// Parses `YYYYMMDDTHHMMSSZ` as [`str::parse`] does, and keeps the
    /// text: the parse accepts only the form [`Self::amz_date`] writes, so
    /// the text is what it would write (a verifier need not format the
    /// date back).
    pub(crate) fn parse_keeping_text(s: &str) -> Result<(Self, AmzDate), TimeError> {
        let b: &[u8; 16] = s.as_bytes().try_into().map_err(|_| TimeError::Malformed)?;
        if b[8] != b'T' || b[15] != b'Z' {
            return Err(TimeError::Malformed);
        }
        let num = |r: core::ops::Range<usize>| -> Result<u64, TimeError> {
            let mut v = 0u64;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return Err(TimeError::Malformed);
                }
                v = v * 10 + u64::from(c - b'0');
            }
            Ok(v)
        };
        let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
        let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
        if y < 1970 {
            return Err(TimeError::OutOfRange);
        }
        if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
            return Err(TimeError::Malformed);
        }
        if h > 23 || mi > 59 || se > 59 {
            return Err(TimeError::Malformed);
        }
        let days = days_from_civil(y, mo, d);
        Ok((Self(days * 86_400 + h * 3600 + mi * 60 + se), AmzDate(*b)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.amz_date().as_str())
    }
}

/// A time rendered as `YYYYMMDDTHHMMSSZ`, on the stack.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmzDate([u8; 16]);

impl AmzDate {
    /// The whole `YYYYMMDDTHHMMSSZ`.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, 'T' and 'Z' are ever written.
        core::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The `YYYYMMDD` part, used in the credential scope.
    pub fn date(&self) -> &str {
        self.as_str().get(..8).unwrap_or("")
    }

    /// [`Self::as_str`] as bytes, for writing into a hash or an output
    /// (without checking again that they are UTF-8).
    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// [`Self::date`] as bytes.
    pub(crate) fn date_bytes(&self) -> &[u8] {
        &self.0[..8]
    }
}

impl fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `00` to `99` (a value past 99 is taken modulo 100).
fn two_digits(v: u32) -> [u8; 2] {
    static PAIRS: [[u8; 2]; 100] = {
        let mut t = [[0; 2]; 100];
        let mut i = 0;
        while i < 100 {
            t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
            i += 1;
        }
        t
    };
    PAIRS[(v % 100) as usize]
}

fn is_leap(y: u64) -> bool {
    y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Proleptic Gregorian calendar: days since 1970-01-01 from a date, after
// Howard Hinnant's public-domain `days_from_civil`, restricted to years
// >= 1970 so that everything stays unsigned.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Year, month and day of a day count since 1970-01-01 (at most
/// 9999-12-31), by Neri and Schneider's "Euclidean affine functions"
/// (Software: Practice and Experience, 2022): the same computational
/// calendar as Hinnant's (years from March), with each division by a
/// constant turned into a multiplication and a shift, in 32 bits. It runs
/// on every signature; the tests check it against Hinnant's on every day.
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    // Days since 0000-03-01; below 2^22 for any date this crate handles.
    let n = (days + 719_468) as u32;
    let n1 = 4 * n + 3;
    let century = n1 / 146_097;
    let day_of_century = n1 % 146_097 / 4;
    let p2 = 2_939_745 * u64::from(4 * day_of_century + 3);
    let year_of_century = (p2 >> 32) as u32;
    let day_of_year = (p2 as u32) / 2_939_745 / 4;
    let n3 = 2_141 * day_of_year + 197_913;
    let (month, day) = (n3 >> 16, (n3 & 0xffff) / 2_141 + 1);
    // January and February belong to the next civil year.
    let next = day_of_year >= 306;
    (
        100 * century + year_of_century + u32::from(next),
        if next { month - 12 } else { month },
        day,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hinnant's `civil_from_days`, the reference.
    fn hinnant(days: u64) -> (u32, u32, u32) {
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + u64::from(m <= 2);
        (y as u32, m as u32, d as u32)
    }

    /// Every day from 1970-01-01 to 9999-12-31, against Hinnant's
    /// algorithm and back through `days_from_civil`.
    #[test]
    fn civil_from_days_on_every_day() {
        let last = MAX_SECONDS / 86_400;
        for days in 0..=last {
            let (y, m, d) = civil_from_days(days);
            assert_eq!((y, m, d), hinnant(days), "{days}");
            assert_eq!(
                days_from_civil(u64::from(y), u64::from(m), u64::from(d)),
                days
            );
        }
        assert_eq!(civil_from_days(last), (9999, 12, 31));
    }

    /// Every day from 1970 to 9999, at a time of day that moves with it:
    /// the text written from Hinnant's date parses, and the text kept is
    /// the text `amz_date` writes for the time parsed.
    #[test]
    fn parsed_text_is_the_formatted_text() {
        let digits = |out: &mut [u8], mut v: u32| {
            for slot in out.iter_mut().rev() {
                *slot = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        for days in 0..=MAX_SECONDS / 86_400 {
            let (y, m, d) = hinnant(days);
            let secs = (days * 7919 % 86_400) as u32;
            let mut text = *b"00000000T000000Z";
            digits(&mut text[0..4], y);
            digits(&mut text[4..6], m);
            digits(&mut text[6..8], d);
            digits(&mut text[9..11], secs / 3600);
            digits(&mut text[11..13], secs % 3600 / 60);
            digits(&mut text[13..15], secs % 60);
            let s = core::str::from_utf8(&text).unwrap();
            let (t, kept) = Timestamp::parse_keeping_text(s).unwrap();
            assert_eq!(kept.as_str(), s);
            assert_eq!(t.amz_date(), kept, "{s}");
            assert_eq!(t.unix_seconds(), days * 86_400 + u64::from(secs));
        }
        assert!(Timestamp::parse_keeping_text("20150230T000000Z").is_err());
    }

    #[test]
    fn round_trips_edges() {
        for s in [
            "19700101T000000Z",
            "20000229T235959Z",
            "21000301T000000Z",
            "99991231T235959Z",
        ] {
            let t: Timestamp = s.parse().unwrap();
            assert_eq!(t.amz_date().as_str(), s);
        }
    }

    #[test]
    fn rejects_bad_dates() {
        for s in [
            "20150230T000000Z",
            "21000229T000000Z",
            "20151301T000000Z",
            "20150830T246000Z",
            "20150830 123600Z",
            "2015083T123600Z",
            "20150830T123600",
        ] {
            assert_eq!(s.parse::<Timestamp>(), Err(TimeError::Malformed), "{s}");
        }
        assert_eq!(
            "19691231T235959Z".parse::<Timestamp>(),
            Err(TimeError::OutOfRange)
        );
        assert!(Timestamp::from_unix_seconds(MAX_SECONDS + 1).is_err());
    }
}
