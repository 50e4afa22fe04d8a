//! UK OFSI consolidated list CSV (`ConList.csv`): one row per name variant, grouped by `Group ID`.
//!
//! Entry id: `Group ID`. Primary name: the row whose `Alias Type` is "Prime Alias" (else the
//! first row); names are `Name 1` … `Name 5` then `Name 6` (the surname). The file may start with
//! a `Last Updated,dd/mm/yyyy` line, read as the publication date. Older files are Windows-1252.

use std::collections::HashMap;
use std::io::Read;

use crate::date::BirthDate;
use crate::entry::{EntityKind, Identifier, ListEntry, ListSource, LoadedList, NameQuality};
use crate::error::LoadError;

const FORMAT: &str = "UK OFSI CSV";

/// Loads from a reader.
pub fn read(r: impl Read) -> Result<LoadedList, LoadError> {
    parse(&super::read_all(r, FORMAT)?)
}

/// Loads from bytes.
pub fn parse(bytes: &[u8]) -> Result<LoadedList, LoadError> {
    let text = super::decode_text(bytes);
    let lines = super::LineIndex::new(text.as_bytes());
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let mut published = None;
    // Find the header row (after an optional "Last Updated" line).
    let headers = loop {
        let Some(rec) = records.next() else {
            return Err(LoadError::WrongFormat {
                format: FORMAT,
                message: "no header row with Group ID".into(),
            });
        };
        let rec = rec.map_err(|source| LoadError::Csv {
            format: FORMAT,
            line: 1,
            source,
        })?;
        if rec
            .iter()
            .any(|c| c.trim() == "Group ID" || c.trim() == "Unique ID")
        {
            break rec;
        }
        if rec
            .get(0)
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("last updated"))
        {
            published = rec.get(1).map(|c| c.trim().to_owned());
        }
    };
    let mut names: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
    let mut shift = false;
    let col = |names: &[String], n: &str| names.iter().position(|h| h == n);
    let mut entries: Vec<ListEntry> = Vec::new();
    let mut primaries: Vec<bool> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for rec in records {
        let rec = rec.map_err(|source| {
            let line = lines.line(source.position());
            LoadError::Csv {
                format: FORMAT,
                line,
                source,
            }
        })?;
        let line = lines.line(rec.position());
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // Some exports carry an unnamed leading index column in the header only.
        if !shift && rec.len() + 1 == names.len() && names.first().is_some_and(String::is_empty) {
            names.remove(0);
            shift = true;
        }
        let get = |n: &str| {
            col(&names, n)
                .and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let id = get("Group ID")
            .or_else(|| get("Unique ID"))
            .ok_or_else(|| LoadError::MissingField {
                format: FORMAT,
                record: format!("line {line}"),
                field: "Group ID",
            })?;
        let idx = *by_id.entry(id.to_owned()).or_insert_with(|| {
            let kind = get("Group Type").map_or(EntityKind::Unknown, EntityKind::from_label);
            entries.push(ListEntry::new(ListSource::Uk, id, kind));
            primaries.push(false);
            entries.len() - 1
        });
        let (Some(e), Some(has_primary)) = (entries.get_mut(idx), primaries.get_mut(idx)) else {
            continue;
        };
        let full: Vec<&str> = ["Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6"]
            .iter()
            .filter_map(|n| get(n))
            .collect();
        let full = full.join(" ");
        let prime = get("Alias Type").is_some_and(|t| t.eq_ignore_ascii_case("prime alias"));
        if prime && !*has_primary {
            // Move (or insert) this name to the front as the primary.
            e.names.retain(|n| n.full != full);
            e.names.insert(
                0,
                crate::ListName {
                    full: full.clone(),
                    quality: NameQuality::Primary,
                },
            );
            for n in e.names.iter_mut().skip(1) {
                n.quality = NameQuality::Alias;
            }
            *has_primary = true;
        } else {
            let quality = if e.names.is_empty() {
                NameQuality::Primary
            } else {
                NameQuality::Alias
            };
            e.push_name(&full, quality);
        }
        if let Some(d) = get("DOB")
            .and_then(BirthDate::parse)
            .filter(|d| !e.dates_of_birth.contains(d))
        {
            e.dates_of_birth.push(d);
        }
        if let Some(nat) = get("Nationality") {
            for c in split_numbered(nat) {
                e.push_country(c);
            }
        }
        if let Some(c) = get("Country") {
            e.push_country(c);
        }
        if let Some(p) = get("Passport Details") {
            let ident = Identifier {
                kind: "Passport".into(),
                value: p.to_owned(),
                country: None,
            };
            if !e.identifiers.contains(&ident) {
                e.identifiers.push(ident);
            }
        }
        if let Some(r) = get("Regime")
            && !e.programmes.iter().any(|x| x == r)
        {
            e.programmes.push(r.to_owned());
        }
    }
    if let Some(e) = entries.iter().find(|e| e.names.is_empty()) {
        return Err(LoadError::MissingField {
            format: FORMAT,
            record: format!("group {}", e.entry_id),
            field: "Name 6",
        });
    }
    Ok(LoadedList::new(
        ListSource::Uk,
        bytes,
        published,
        None,
        entries,
    ))
}

/// Splits "1) Saudi Arabia 2) Qatar" into its items (plain text is one item).
fn split_numbered(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j < b.len() && b[j] == b')' && (i == 0 || b[i - 1] == b' ') {
                out.push(s[start..i].trim());
                start = j + 1;
                i = j + 1;
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out.push(s[start..].trim());
    out.retain(|x| !x.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "Last Updated,01/02/2020\n\
Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,DOB,Nationality,Country,Passport Details,Group Type,Alias Type,Regime,Group ID\n\
TESTOV,Ivan,,,,,,00/00/1962,1) Russia 2) Cyprus,,,Individual,AKA,Russia,100\n\
TESTOFF,Ivan,,,,,,01/02/1962,,,P1,Individual,Prime Alias,Russia,100\n\
ROMASHKA,,,,,,,,,Russia,,Entity,Prime Alias,Russia,200\n";

    #[test]
    fn rows_group_by_id_with_the_prime_alias_first() {
        let list = parse(FIXTURE.as_bytes()).unwrap();
        assert_eq!(list.meta.published.as_deref(), Some("01/02/2020"));
        assert_eq!(list.meta.entry_count, 2);
        let e = &list.entries[0];
        assert_eq!(e.primary_name(), "Ivan TESTOFF");
        assert_eq!(e.names[1].full, "Ivan TESTOV");
        assert_eq!(e.countries, vec!["Russia", "Cyprus"]);
        assert_eq!(e.dates_of_birth.len(), 2);
        assert_eq!(list.entries[1].kind, EntityKind::Organisation);
    }

    #[test]
    fn missing_header_is_a_format_error() {
        assert!(matches!(
            parse(b"a,b\n1,2\n"),
            Err(LoadError::WrongFormat { .. })
        ));
    }

    #[test]
    fn numbered_lists_are_split() {
        assert_eq!(
            split_numbered("1) Saudi Arabia 2) Qatar"),
            vec!["Saudi Arabia", "Qatar"]
        );
        assert_eq!(split_numbered("Iraq"), vec!["Iraq"]);
    }
}
