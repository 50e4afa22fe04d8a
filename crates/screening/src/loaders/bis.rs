//! US BIS Denied Persons List: tab-separated, quoted, with a header row (`Name`,
//! `Street_Address`, `City`, `State`, `Country`, `Postal_Code`, `Effective_Date`,
//! `Expiration_Date`, `Standard_Order`, `Last_Update`, `Action`, `FR_Citation`).
//!
//! The list has no identifiers, so the entry id is a *row key*: the first 16 hex digits of the
//! SHA-256 of the row's cells joined by tabs. Identical rows (the file has some) are one entry.
//! Publication: the latest `Last_Update`.

use std::collections::HashSet;
use std::io::Read;

use crate::entry::{EntityKind, ListEntry, ListSource, LoadedList, NameQuality};
use crate::error::LoadError;

const FORMAT: &str = "BIS Denied Persons List";

/// Loads from a reader.
pub fn read(r: impl Read) -> Result<LoadedList, LoadError> {
    parse(&super::read_all(r, FORMAT)?)
}

/// Loads from bytes.
pub fn parse(bytes: &[u8]) -> Result<LoadedList, LoadError> {
    let text = super::decode_text(bytes);
    let lines = super::LineIndex::new(text.as_bytes());
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|source| LoadError::Csv {
            format: FORMAT,
            line: 1,
            source,
        })?
        .clone();
    let col = |n: &str| headers.iter().position(|h| h.trim() == n);
    let name_c = col("Name").ok_or_else(|| LoadError::WrongFormat {
        format: FORMAT,
        message: "no Name column in the header".into(),
    })?;
    let (country_c, updated_c) = (col("Country"), col("Last_Update"));
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    let mut latest: Option<String> = None;
    for rec in reader.records() {
        let rec = rec.map_err(|source| {
            let line = lines.line(source.position());
            LoadError::Csv {
                format: FORMAT,
                line,
                source,
            }
        })?;
        let line = lines.line(rec.position());
        let name = rec
            .get(name_c)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| LoadError::MissingField {
                format: FORMAT,
                record: format!("line {line}"),
                field: "Name",
            })?;
        let joined = rec.iter().collect::<Vec<_>>().join("\t");
        let key = super::sha256_hex(joined.as_bytes())[..16].to_owned();
        if !seen.insert(key.clone()) {
            continue;
        }
        let mut e = ListEntry::new(ListSource::BisDpl, key, EntityKind::Unknown);
        e.push_name(name, NameQuality::Primary);
        if let Some(c) = country_c.and_then(|c| rec.get(c)) {
            e.push_country(c);
        }
        if let Some(u) = updated_c
            .and_then(|c| rec.get(c))
            .map(str::trim)
            .filter(|u| !u.is_empty())
            && latest.as_deref().is_none_or(|l| u > l)
        {
            latest = Some(u.to_owned());
        }
        entries.push(e);
    }
    Ok(LoadedList::new(
        ListSource::BisDpl,
        bytes,
        latest,
        None,
        entries,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "\"Name\"\t\"Street_Address\"\t\"City\"\t\"State\"\t\"Country\"\t\"Postal_Code\"\t\"Effective_Date\"\t\"Expiration_Date\"\t\"Standard_Order\"\t\"Last_Update\"\t\"Action\"\t\"FR_Citation\"\n\
\"JOHN TEST\"\t\"1 MAIN ST\"\t\"X\"\t\"\"\t\"US\"\t\"1\"\t\"01/01/2020\"\t\"01/01/2030\"\t\"Y\"\t\"2020-01-02\"\t\"ADDED\"\t\"1 F.R. 1\"\n\
\"JOHN TEST\"\t\"1 MAIN ST\"\t\"X\"\t\"\"\t\"US\"\t\"1\"\t\"01/01/2020\"\t\"01/01/2030\"\t\"Y\"\t\"2020-01-02\"\t\"ADDED\"\t\"1 F.R. 1\"\n\
\"ACME TEST\"\t\"2 MAIN ST\"\t\"Y\"\t\"\"\t\"CN\"\t\"2\"\t\"01/01/2021\"\t\"01/01/2031\"\t\"Y\"\t\"2021-03-04\"\t\"ADDED\"\t\"2 F.R. 2\"\n";

    #[test]
    fn duplicate_rows_are_one_entry_with_a_stable_row_key() {
        let list = parse(FIXTURE.as_bytes()).unwrap();
        assert_eq!(list.meta.entry_count, 2);
        assert_eq!(list.meta.published.as_deref(), Some("2021-03-04"));
        assert_eq!(list.entries[0].entry_id.len(), 16);
        assert_eq!(
            parse(FIXTURE.as_bytes()).unwrap().entries[0].entry_id,
            list.entries[0].entry_id
        );
        assert_eq!(list.entries[1].countries, vec!["CN"]);
    }

    #[test]
    fn row_without_name_names_its_line() {
        let bad = "Name\tCountry\nA\tUS\n\tUS\n";
        let err = parse(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}
