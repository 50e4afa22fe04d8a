//! List loaders: official file formats → [`LoadedList`](crate::LoadedList).
//!
//! Every loader parses bytes (`parse(&[u8])`) or a reader (`read(impl Read)`), never a path, and
//! either returns the whole list or a [`LoadError`] naming the failing record:
//! a failed import must change nothing.
//!
//! | module | format | entry id |
//! |---|---|---|
//! | [`un`] | UN Security Council consolidated list XML | `REFERENCE_NUMBER` (e.g. QDi.001) |
//! | [`eu`] | EU Financial Sanctions Files XML 1.1 and CSV 1.1 | `logicalId` |
//! | [`ofac`] | OFAC SDN / consolidated XML; legacy SDN CSV set | `uid` / `ent_num` |
//! | [`uk`] | UK OFSI consolidated list CSV (ConList.csv) | `Group ID` |
//! | [`bis`] | US BIS Denied Persons List (tab-separated) | row key (hash of the row) |
//! | [`ftm`] | FollowTheMoney JSON lines (OpenSanctions) | entity `id` |
//! | [`csv`] | plain CSV with a column mapping | mapped id column, or line number |

pub mod bis;
pub mod csv;
pub mod eu;
pub mod ftm;
pub mod ofac;
pub mod uk;
pub mod un;
mod xml;

use std::borrow::Cow;
use std::io::Read;

use sha2::{Digest, Sha256};

use crate::error::LoadError;

/// SHA-256 of `bytes` as lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// Reads everything from `r` (loaders need the raw bytes for the content hash anyway).
pub(crate) fn read_all(mut r: impl Read, format: &'static str) -> Result<Vec<u8>, LoadError> {
    let mut buf = Vec::new();
    r.read_to_end(&mut buf)
        .map_err(|source| LoadError::Io { format, source })?;
    Ok(buf)
}

/// Decodes list text: UTF-8 (a BOM is skipped), otherwise Windows-1252, which the older US and UK
/// CSV files use. Windows-1252 decoding cannot fail.
pub(crate) fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| cp1252(b)).collect()),
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// 1-based line numbers from byte offsets. The csv crate's own line counter does not count CRLF
/// line ends, which the OFAC files use, so lines are counted here.
pub(crate) struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &[u8]) -> Self {
        LineIndex {
            newlines: text
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// The line of a csv position (0 if unknown).
    pub(crate) fn line(&self, pos: Option<&::csv::Position>) -> u64 {
        pos.map_or(0, |p| {
            let byte = usize::try_from(p.byte()).unwrap_or(usize::MAX);
            self.newlines.partition_point(|&n| n <= byte) as u64 + 1
        })
    }
}

/// Treats the OFAC/BIS null marker `-0-` and blank cells as absent.
pub(crate) fn cell(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty() && t != "-0-").then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input_is_the_known_digest() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn windows_1252_is_decoded_when_input_is_not_utf8() {
        assert_eq!(decode_text(b"Caf\xe9 \x92s"), "Café ’s");
        assert_eq!(decode_text("Café".as_bytes()), "Café");
        assert_eq!(decode_text(b"\xEF\xBB\xBFabc"), "abc");
    }
}
