//! Dates of birth as lists give them: full dates, year only, month and year, or year ranges.

use serde::{Deserialize, Serialize};

/// A possibly partial date of birth, or a range of years.
///
/// `year_from == year_to` for a single year; `month`/`day` are only set for a single year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BirthDate {
    /// First possible year.
    pub year_from: u16,
    /// Last possible year (equal to `year_from` unless the list gives a range).
    pub year_to: u16,
    /// Month 1-12, if known.
    pub month: Option<u8>,
    /// Day 1-31, if known.
    pub day: Option<u8>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

impl BirthDate {
    /// A single year.
    pub fn year(year: u16) -> Self {
        BirthDate {
            year_from: year,
            year_to: year,
            month: None,
            day: None,
        }
    }

    /// A full or partial date; month and day of 0 mean unknown.
    pub fn ymd(year: u16, month: u8, day: u8) -> Self {
        let month = (1..=12).contains(&month).then_some(month);
        let day = (month.is_some() && (1..=31).contains(&day)).then_some(day);
        BirthDate {
            year_from: year,
            year_to: year,
            month,
            day,
        }
    }

    /// A range of years (inclusive); swapped if given backwards.
    pub fn range(from: u16, to: u16) -> Self {
        BirthDate {
            year_from: from.min(to),
            year_to: from.max(to),
            month: None,
            day: None,
        }
    }

    /// Parses the formats found in the lists: `1937-04-28`, `1937-04`, `1937`, `28/04/1937`,
    /// `00/00/1980`, `28 Apr 1937`, `Apr 1937`, `1956 to 1958`, `circa 1962`, `1937-04-28T00:00:00`.
    /// Returns `None` for anything else (the date is then ignored, never guessed).
    pub fn parse(text: &str) -> Option<BirthDate> {
        let t = text.trim().to_ascii_lowercase();
        let t = t
            .trim_start_matches("circa")
            .trim_start_matches("approximately")
            .trim();
        // ISO timestamps: keep the date part.
        let t = match (t.as_bytes().get(4), t.as_bytes().get(10), t.get(..10)) {
            (Some(b'-'), Some(b't'), Some(date)) => date,
            _ => t,
        };
        if t.is_empty() {
            return None;
        }
        if let Some((a, b)) = t.split_once(" to ").or_else(|| split_year_range(t)) {
            let (a, b) = (BirthDate::parse(a)?, BirthDate::parse(b)?);
            return Some(BirthDate::range(a.year_from, b.year_to));
        }
        if t.contains('/') {
            let parts: Vec<&str> = t.split('/').map(str::trim).collect();
            if let [d, m, y] = parts[..] {
                return Some(BirthDate::ymd(
                    year_of(y)?,
                    m.parse().ok()?,
                    d.parse().ok()?,
                ));
            }
            return None;
        }
        if t.contains('-') {
            let parts: Vec<&str> = t.split('-').map(str::trim).collect();
            return match parts[..] {
                [y, m, d] => Some(BirthDate::ymd(
                    year_of(y)?,
                    m.parse().ok()?,
                    d.parse().ok()?,
                )),
                [y, m] => Some(BirthDate::ymd(year_of(y)?, m.parse().ok()?, 0)),
                _ => None,
            };
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        match words[..] {
            [y] => Some(BirthDate::year(year_of(y)?)),
            [m, y] => Some(BirthDate::ymd(year_of(y)?, month_of(m)?, 0)),
            [d, m, y] => Some(BirthDate::ymd(year_of(y)?, month_of(m)?, d.parse().ok()?)),
            _ => None,
        }
    }

    /// How well a query date agrees with this one.
    pub fn agreement(&self, other: &BirthDate) -> DateAgreement {
        let overlap = self.year_from <= other.year_to && other.year_from <= self.year_to;
        if !overlap {
            let gap = if self.year_to < other.year_from {
                other.year_from - self.year_to
            } else {
                self.year_from - other.year_to
            };
            return if gap <= 1 {
                DateAgreement::Near
            } else {
                DateAgreement::Conflict
            };
        }
        let single = self.year_from == self.year_to && other.year_from == other.year_to;
        match (single, self.month, other.month) {
            (true, Some(m1), Some(m2)) if m1 != m2 => DateAgreement::Conflict,
            (true, Some(_), Some(_)) => match (self.day, other.day) {
                (Some(d1), Some(d2)) if d1 != d2 => DateAgreement::Conflict,
                (Some(_), Some(_)) => DateAgreement::Exact,
                _ => DateAgreement::Year,
            },
            _ => DateAgreement::Year,
        }
    }
}

impl std::fmt::Display for BirthDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.year_from != self.year_to {
            return write!(f, "{}-{}", self.year_from, self.year_to);
        }
        write!(f, "{:04}", self.year_from)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

/// Result of comparing two dates of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DateAgreement {
    /// Different by more than a year, or same year with different month/day.
    Conflict,
    /// Off by one year (a common data-entry slip); neutral.
    Near,
    /// Same year (or overlapping ranges); month/day unknown on at least one side.
    Year,
    /// Same full date.
    Exact,
}

fn split_year_range(t: &str) -> Option<(&str, &str)> {
    // "1956-1958" would be ambiguous with ISO dates; only accept two 4-digit years.
    let (a, b) = t.split_once('-')?;
    (a.len() == 4 && b.len() == 4 && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()))
        .then_some((a, b))
}

fn year_of(s: &str) -> Option<u16> {
    let y: u16 = s.trim().parse().ok()?;
    (1800..=2100).contains(&y).then_some(y)
}

fn month_of(s: &str) -> Option<u8> {
    let s = s.trim().trim_end_matches('.');
    let prefix = s.get(..3)?;
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .and_then(|i| u8::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_list_date_format() {
        assert_eq!(
            BirthDate::parse("1937-04-28"),
            Some(BirthDate::ymd(1937, 4, 28))
        );
        assert_eq!(BirthDate::parse("1937"), Some(BirthDate::year(1937)));
        assert_eq!(
            BirthDate::parse("28/04/1937"),
            Some(BirthDate::ymd(1937, 4, 28))
        );
        assert_eq!(BirthDate::parse("00/00/1980"), Some(BirthDate::year(1980)));
        assert_eq!(
            BirthDate::parse("28 Apr 1937"),
            Some(BirthDate::ymd(1937, 4, 28))
        );
        assert_eq!(
            BirthDate::parse("Apr 1937"),
            Some(BirthDate::ymd(1937, 4, 0))
        );
        assert_eq!(
            BirthDate::parse("1956 to 1958"),
            Some(BirthDate::range(1956, 1958))
        );
        assert_eq!(
            BirthDate::parse("1956-1958"),
            Some(BirthDate::range(1956, 1958))
        );
        assert_eq!(BirthDate::parse("circa 1962"), Some(BirthDate::year(1962)));
        assert_eq!(
            BirthDate::parse("1937-04-28T00:00:00"),
            Some(BirthDate::ymd(1937, 4, 28))
        );
        assert_eq!(BirthDate::parse("unknown"), None);
        assert_eq!(BirthDate::parse(""), None);
    }

    #[test]
    fn agreement_grades_exact_year_near_and_conflict() {
        let d = BirthDate::ymd(1970, 5, 1);
        assert_eq!(
            d.agreement(&BirthDate::ymd(1970, 5, 1)),
            DateAgreement::Exact
        );
        assert_eq!(d.agreement(&BirthDate::year(1970)), DateAgreement::Year);
        assert_eq!(d.agreement(&BirthDate::year(1971)), DateAgreement::Near);
        assert_eq!(d.agreement(&BirthDate::year(1980)), DateAgreement::Conflict);
        assert_eq!(
            d.agreement(&BirthDate::ymd(1970, 6, 1)),
            DateAgreement::Conflict
        );
        assert_eq!(
            BirthDate::range(1960, 1969).agreement(&d),
            DateAgreement::Near
        );
        assert_eq!(
            BirthDate::range(1960, 1965).agreement(&d),
            DateAgreement::Conflict
        );
    }
}
