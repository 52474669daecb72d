//! RFC 3339 times, as `credential_process`, STS and the metadata endpoints
//! write expiry times.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses an RFC 3339 time (`2026-01-01T00:00:00Z`, with fractions or an
/// offset).
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339)
        .ok()
        .map(SystemTime::from)
}

/// Formats whole seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn format_rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let whole = UNIX_EPOCH + Duration::from_secs(secs);
    OffsetDateTime::from(whole)
        .format(&Rfc3339)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse_rfc3339("2026-01-02T03:04:05Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-01-02T03:04:05Z");
        let with_offset = parse_rfc3339("2026-01-02T05:04:05+02:00").unwrap();
        assert_eq!(with_offset, t);
        let fraction = parse_rfc3339("2026-01-02T03:04:05.250Z").unwrap();
        assert_eq!(format_rfc3339(fraction), "2026-01-02T03:04:05Z");
        assert!(parse_rfc3339("2026-01-02 03:04:05").is_none());
    }
}
