//! A plain CSV with a column mapping, for a firm's own watch list (or any list exported to CSV).
//!
//! The mapping is a small text, one `field = column header` per line (`#` starts a comment):
//!
//! ```text
//! name = Name                  # required
//! aliases = Alias              # optional; several aliases in one cell, split on alias_separator
//! alias_separator = ;          # default ";"
//! id = Reference               # optional; default: the line number
//! kind = Type                  # person / entity / vessel / ... (optional)
//! dob = Date of birth          # optional
//! country = Nationality        # optional; split on country_separator (default ";")
//! country_separator = ;
//! identifier = Passport        # optional
//! delimiter = ,                # default ","; "tab" for tab-separated
//! ```

use std::io::Read;

use crate::date::BirthDate;
use crate::entry::{EntityKind, Identifier, ListEntry, ListSource, LoadedList, NameQuality};
use crate::error::{LoadError, MappingError};

const FORMAT: &str = "CSV";
const KNOWN: &str = "name, aliases, alias_separator, id, kind, dob, country, country_separator, identifier, delimiter";

/// Which column holds what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    /// Column of the primary name.
    pub name: String,
    /// Column of the aliases, if any.
    pub aliases: Option<String>,
    /// Separator of several aliases in one cell.
    pub alias_separator: String,
    /// Column of the entry id; the line number is used without it.
    pub id: Option<String>,
    /// Column of the entity kind.
    pub kind: Option<String>,
    /// Column of the date of birth.
    pub dob: Option<String>,
    /// Column of the country or countries.
    pub country: Option<String>,
    /// Separator of several countries in one cell.
    pub country_separator: String,
    /// Column of an identifier.
    pub identifier: Option<String>,
    /// Field delimiter.
    pub delimiter: u8,
}

impl ColumnMapping {
    /// A mapping with only the name column.
    pub fn name_only(name: impl Into<String>) -> Self {
        ColumnMapping {
            name: name.into(),
            aliases: None,
            alias_separator: ";".into(),
            id: None,
            kind: None,
            dob: None,
            country: None,
            country_separator: ";".into(),
            identifier: None,
            delimiter: b',',
        }
    }

    /// Parses the `field = column` text described in the module docs.
    pub fn parse(text: &str) -> Result<Self, MappingError> {
        let mut m = ColumnMapping::name_only("");
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split(" #").next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((field, column)) = line.split_once('=') else {
                return Err(MappingError::Syntax {
                    line: i + 1,
                    found: raw.to_owned(),
                });
            };
            let (field, column) = (field.trim(), column.trim().to_owned());
            if column.is_empty() {
                return Err(MappingError::Syntax {
                    line: i + 1,
                    found: raw.to_owned(),
                });
            }
            match field {
                "name" => m.name = column,
                "aliases" => m.aliases = Some(column),
                "alias_separator" => m.alias_separator = column,
                "id" => m.id = Some(column),
                "kind" => m.kind = Some(column),
                "dob" => m.dob = Some(column),
                "country" => m.country = Some(column),
                "country_separator" => m.country_separator = column,
                "identifier" => m.identifier = Some(column),
                "delimiter" => {
                    m.delimiter = match column.as_str() {
                        "tab" | "\\t" => b'\t',
                        c if c.len() == 1 => c.as_bytes()[0],
                        _ => {
                            return Err(MappingError::Syntax {
                                line: i + 1,
                                found: raw.to_owned(),
                            });
                        }
                    }
                }
                other => {
                    return Err(MappingError::UnknownField {
                        line: i + 1,
                        field: other.to_owned(),
                        known: KNOWN,
                    });
                }
            }
        }
        if m.name.is_empty() {
            return Err(MappingError::NoName);
        }
        Ok(m)
    }
}

/// Loads from a reader.
pub fn read(r: impl Read, mapping: &ColumnMapping) -> Result<LoadedList, LoadError> {
    parse(&super::read_all(r, FORMAT)?, mapping)
}

/// Loads from bytes. Rows with an empty name cell are skipped (spreadsheets end with blank rows);
/// a missing mapped column is an error.
pub fn parse(bytes: &[u8], mapping: &ColumnMapping) -> Result<LoadedList, LoadError> {
    let text = super::decode_text(bytes);
    let lines = super::LineIndex::new(text.as_bytes());
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(mapping.delimiter)
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
    let find = |col: &Option<String>| -> Result<Option<usize>, LoadError> {
        match col {
            None => Ok(None),
            Some(c) => headers
                .iter()
                .position(|h| h.trim() == c)
                .map(Some)
                .ok_or_else(|| LoadError::WrongFormat {
                    format: FORMAT,
                    message: format!("no column {c:?} in the header"),
                }),
        }
    };
    let name_c = find(&Some(mapping.name.clone()))?;
    let [alias_c, id_c, kind_c, dob_c, country_c, ident_c] = [
        find(&mapping.aliases)?,
        find(&mapping.id)?,
        find(&mapping.kind)?,
        find(&mapping.dob)?,
        find(&mapping.country)?,
        find(&mapping.identifier)?,
    ];
    let mut entries = Vec::new();
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
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(name) = get(name_c) else { continue };
        let id = get(id_c).map_or_else(|| format!("line-{line}"), str::to_owned);
        let kind = get(kind_c).map_or(EntityKind::Unknown, EntityKind::from_label);
        let mut e = ListEntry::new(ListSource::Csv, id, kind);
        e.push_name(name, NameQuality::Primary);
        if let Some(aliases) = get(alias_c) {
            for a in aliases.split(mapping.alias_separator.as_str()) {
                e.push_name(a, NameQuality::Alias);
            }
        }
        if let Some(d) = get(dob_c).and_then(BirthDate::parse) {
            e.dates_of_birth.push(d);
        }
        if let Some(cs) = get(country_c) {
            for c in cs.split(mapping.country_separator.as_str()) {
                e.push_country(c);
            }
        }
        if let Some(v) = get(ident_c) {
            e.identifiers.push(Identifier {
                kind: "identifier".into(),
                value: v.to_owned(),
                country: None,
            });
        }
        entries.push(e);
    }
    Ok(LoadedList::new(ListSource::Csv, bytes, None, None, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_text_is_parsed_with_defaults() {
        let m = ColumnMapping::parse("# own list\nname = Full name\naliases = AKA # several\nalias_separator = |\ndelimiter = tab\n").unwrap();
        assert_eq!(m.name, "Full name");
        assert_eq!(m.aliases.as_deref(), Some("AKA"));
        assert_eq!(m.alias_separator, "|");
        assert_eq!(m.delimiter, b'\t');
        assert_eq!(m.country_separator, ";");
    }

    #[test]
    fn mapping_errors_name_the_line() {
        assert_eq!(
            ColumnMapping::parse("nom = X"),
            Err(MappingError::UnknownField {
                line: 1,
                field: "nom".into(),
                known: KNOWN
            })
        );
        assert!(matches!(
            ColumnMapping::parse("\nname"),
            Err(MappingError::Syntax { line: 2, .. })
        ));
        assert_eq!(
            ColumnMapping::parse("aliases = A"),
            Err(MappingError::NoName)
        );
    }

    #[test]
    fn rows_are_loaded_with_the_mapping() {
        let m = ColumnMapping::parse(
            "name = Name\naliases = Alias\nid = Ref\ncountry = Country\ndob = DOB",
        )
        .unwrap();
        let csv = "Ref,Name,Alias,Country,DOB\nW1,Ivan Testov,Vanya;Ivan T.,RU;CY,1962-01-12\n,,,,\nW2,Acme Ltd,,,\n";
        let list = parse(csv.as_bytes(), &m).unwrap();
        assert_eq!(list.meta.entry_count, 2);
        assert_eq!(list.meta.alias_count, 2);
        assert_eq!(list.entries[0].countries, vec!["RU", "CY"]);
        assert_eq!(list.entries[1].entry_id, "W2");
    }

    #[test]
    fn unknown_mapped_column_is_an_error() {
        let m = ColumnMapping::name_only("Nom");
        assert!(matches!(
            parse(b"Name\nX\n", &m),
            Err(LoadError::WrongFormat { .. })
        ));
    }
}
