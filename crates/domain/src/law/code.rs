//! Annex I control codes (`5A002.a.1`): parsing, normal form, and the "covers" relation.

use std::fmt;

/// An Annex I entry code in normal form: category digit, product-group letter (A–E) and three
/// digits, then optional sub-item segments (`.a`, `.1`, `.b` …), e.g. `5A001.f.1`.
///
/// Parsing folds case (`5a001.F` → `5A001.f`); it does not check that the entry exists — that is
/// the job of [`crate::law::Law::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlCode(String);

/// Why a string is not an Annex I code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an Annex I code (expected e.g. `5A002` or `5A001.f.1`)")]
pub struct ParseCodeError {
    /// The rejected text.
    pub input: String,
}

/// The product group of an entry: the letter after the category digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// A: systems, equipment and components.
    Equipment,
    /// B: test, inspection and production equipment.
    TestEquipment,
    /// C: materials.
    Materials,
    /// D: software.
    Software,
    /// E: technology.
    Technology,
}

impl Group {
    /// The letter used in codes.
    #[must_use]
    pub fn letter(self) -> char {
        match self {
            Group::Equipment => 'A',
            Group::TestEquipment => 'B',
            Group::Materials => 'C',
            Group::Software => 'D',
            Group::Technology => 'E',
        }
    }

    /// Parses the letter used in codes.
    #[must_use]
    pub fn from_letter(c: char) -> Option<Group> {
        match c.to_ascii_uppercase() {
            'A' => Some(Group::Equipment),
            'B' => Some(Group::TestEquipment),
            'C' => Some(Group::Materials),
            'D' => Some(Group::Software),
            'E' => Some(Group::Technology),
            _ => None,
        }
    }
}

impl ControlCode {
    /// Parses and normalises a code.
    ///
    /// # Errors
    /// [`ParseCodeError`] when the text is not of the Annex I form.
    pub fn parse(input: &str) -> Result<ControlCode, ParseCodeError> {
        let err = || ParseCodeError {
            input: input.to_owned(),
        };
        let trimmed = input.trim();
        let mut parts = trimmed.split('.');
        let head = parts.next().ok_or_else(err)?;
        let hb = head.as_bytes();
        if hb.len() != 5
            || !hb[0].is_ascii_digit()
            || Group::from_letter(char::from(hb[1])).is_none()
            || !hb[2..].iter().all(u8::is_ascii_digit)
        {
            return Err(err());
        }
        let mut out = String::with_capacity(trimmed.len());
        out.push(char::from(hb[0]));
        out.push(char::from(hb[1]).to_ascii_uppercase());
        out.push_str(&head[2..]);
        for seg in parts {
            let ok = !seg.is_empty()
                && seg.len() <= 4
                && (seg.bytes().all(|b| b.is_ascii_digit())
                    || seg.bytes().all(|b| b.is_ascii_alphabetic()));
            if !ok {
                return Err(err());
            }
            out.push('.');
            out.push_str(&seg.to_ascii_lowercase());
        }
        Ok(ControlCode(out))
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The category (0–9).
    #[must_use]
    pub fn category(&self) -> u8 {
        self.0.as_bytes()[0] - b'0'
    }

    /// The product group (A–E).
    #[must_use]
    pub fn group(&self) -> Group {
        // The constructor guarantees the second byte is one of A–E.
        Group::from_letter(char::from(self.0.as_bytes()[1])).unwrap_or(Group::Equipment)
    }

    /// The five-character entry (`5A001` for `5A001.f.1`).
    #[must_use]
    pub fn base(&self) -> &str {
        &self.0[..5]
    }

    /// The parent code (`5A001.f` for `5A001.f.1`), `None` for a five-character entry.
    #[must_use]
    pub fn parent(&self) -> Option<ControlCode> {
        self.0
            .rfind('.')
            .map(|i| ControlCode(self.0[..i].to_owned()))
    }

    /// All ancestors, nearest first.
    #[must_use]
    pub fn ancestors(&self) -> Vec<ControlCode> {
        let mut out = Vec::new();
        let mut cur = self.parent();
        while let Some(p) = cur {
            cur = p.parent();
            out.push(p);
        }
        out
    }

    /// True when `other` is this code or one of its sub-items (`5A002` covers `5A002.a.1`).
    #[must_use]
    pub fn covers(&self, other: &ControlCode) -> bool {
        other.0 == self.0
            || (other.0.len() > self.0.len()
                && other.0.starts_with(&self.0)
                && other.0.as_bytes()[self.0.len()] == b'.')
    }

    /// Category 5 Part 2 ("information security"): 5x002–5x004 entries.
    #[must_use]
    pub fn is_cat5_part2(&self) -> bool {
        self.category() == 5 && matches!(&self.0[2..5], "002" | "003" | "004")
    }
}

impl fmt::Display for ControlCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_case_of_group_and_segments() {
        let c = ControlCode::parse("5a001.F.1").unwrap();
        assert_eq!(c.as_str(), "5A001.f.1");
        assert_eq!(c.category(), 5);
        assert_eq!(c.group(), Group::Equipment);
        assert_eq!(c.base(), "5A001");
    }

    #[test]
    fn parse_rejects_malformed_codes() {
        for bad in [
            "",
            "5A01",
            "5F001",
            "XA001",
            "5A001.",
            "5A001..a",
            "5A001.a-1",
            "5A001.abcde",
        ] {
            assert!(ControlCode::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn covers_is_prefix_on_segment_boundaries() {
        let a = ControlCode::parse("5A002").unwrap();
        assert!(a.covers(&ControlCode::parse("5A002.a.1").unwrap()));
        assert!(a.covers(&a));
        assert!(ControlCode::parse("5A00").is_err());
        assert!(!a.covers(&ControlCode::parse("5A003").unwrap()));
        let f = ControlCode::parse("5A001.f").unwrap();
        assert!(!f.covers(&ControlCode::parse("5A001").unwrap()));
        assert!(
            !ControlCode::parse("4E001.c")
                .unwrap()
                .covers(&ControlCode::parse("4E001.a").unwrap())
        );
    }

    #[test]
    fn ancestors_are_nearest_first() {
        let c = ControlCode::parse("5D002.c.3.b").unwrap();
        let a: Vec<String> = c.ancestors().iter().map(ToString::to_string).collect();
        assert_eq!(a, ["5D002.c.3", "5D002.c", "5D002"]);
    }
}
