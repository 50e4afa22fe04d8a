//! The dashboard's view of the sanctions lists: for each source, the served import (its newest
//! good import) with version, import time and entries, flagged when older than
//! [`STALE_AFTER_DAYS`] days (sanctions lists change weekly or faster; screening against an old
//! list misses new designations).

use time::{Duration, OffsetDateTime};
use vigil_store::ImportRecord;

/// A served list older than this many days is flagged.
pub const STALE_AFTER_DAYS: i64 = 7;

/// A row of the dashboard's list table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFreshness {
    /// The list source (`un`, `eu`, …).
    pub source: String,
    /// Its version label.
    pub version: String,
    /// When imported (`YYYY-MM-DD HH:MM` UTC).
    pub imported_at: i64,
    /// Entries.
    pub entries: i64,
    /// Older than [`STALE_AFTER_DAYS`] days at `now`.
    pub stale: bool,
}

/// Whether an import made at `imported_at` is stale at `now`.
#[must_use]
pub fn is_stale(imported_at: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - imported_at > Duration::days(STALE_AFTER_DAYS)
}

/// The rows of the served lists at `now`.
#[must_use]
pub fn freshness(served: &[ImportRecord], now: OffsetDateTime) -> Vec<ListFreshness> {
    served
        .iter()
        .map(|r| ListFreshness {
            source: r.source.as_str().to_owned(),
            version: r.version_label(),
            imported_at: micros(r.imported_at),
            entries: i64::try_from(r.entry_count).unwrap_or(i64::MAX),
            stale: is_stale(r.imported_at, now),
        })
        .collect()
}

fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_older_than_a_week_are_stale() {
        let now = time::macros::datetime!(2026-11-25 12:00 UTC);
        assert!(!is_stale(now - Duration::days(7), now));
        assert!(is_stale(
            now - Duration::days(7) - Duration::minutes(1),
            now
        ));
        assert!(!is_stale(now, now));
    }
}
