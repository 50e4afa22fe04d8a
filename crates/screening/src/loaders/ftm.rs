//! FollowTheMoney entities as JSON lines (OpenSanctions exports: `entities.ftm.json`).
//!
//! One JSON object per line: `{id, schema, properties: {name: [..], alias: [..], ...}}`. Only
//! party schemas are loaded (Person, Company, Organization, LegalEntity, PublicBody, Vessel,
//! Airplane); relations and other things (Occupancy, Ownership, Sanction, Address...) are skipped,
//! as are parties without a name. Entry id: the entity `id`.

use std::io::Read;

use serde::Deserialize;

use crate::date::BirthDate;
use crate::entry::{EntityKind, Identifier, ListEntry, ListSource, LoadedList, NameQuality};
use crate::error::LoadError;

const FORMAT: &str = "FollowTheMoney JSON lines";

#[derive(Deserialize)]
struct Entity {
    id: Option<String>,
    schema: Option<String>,
    #[serde(default)]
    properties: std::collections::HashMap<String, Vec<serde_json::Value>>,
}

/// The kind for a party schema, `None` for schemas that are not parties.
pub fn party_kind(schema: &str) -> Option<EntityKind> {
    match schema {
        "Person" => Some(EntityKind::Person),
        "Company" | "Organization" | "LegalEntity" | "PublicBody" => Some(EntityKind::Organisation),
        "Vessel" => Some(EntityKind::Vessel),
        "Airplane" => Some(EntityKind::Aircraft),
        _ => None,
    }
}

const ID_PROPS: &[&str] = &[
    "idNumber",
    "passportNumber",
    "registrationNumber",
    "taxNumber",
    "innCode",
    "ogrnCode",
    "imoNumber",
    "leiCode",
    "swiftBic",
];

/// Loads from a reader.
pub fn read(r: impl Read) -> Result<LoadedList, LoadError> {
    parse(&super::read_all(r, FORMAT)?)
}

/// Loads from bytes.
pub fn parse(bytes: &[u8]) -> Result<LoadedList, LoadError> {
    let mut entries = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = i as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entity: Entity = serde_json::from_slice(line).map_err(|source| LoadError::Json {
            format: FORMAT,
            line: line_no,
            source,
        })?;
        if let Some(e) = entry(entity, line_no)? {
            entries.push(e);
        }
    }
    Ok(LoadedList::new(ListSource::Ftm, bytes, None, None, entries))
}

fn strings<'a>(
    props: &'a std::collections::HashMap<String, Vec<serde_json::Value>>,
    key: &str,
) -> impl Iterator<Item = &'a str> {
    props
        .get(key)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
}

fn entry(entity: Entity, line: u64) -> Result<Option<ListEntry>, LoadError> {
    let schema = entity.schema.ok_or_else(|| LoadError::MissingField {
        format: FORMAT,
        record: format!("line {line}"),
        field: "schema",
    })?;
    let Some(kind) = party_kind(&schema) else {
        return Ok(None);
    };
    let id = entity
        .id
        .filter(|i| !i.trim().is_empty())
        .ok_or_else(|| LoadError::MissingField {
            format: FORMAT,
            record: format!("line {line}"),
            field: "id",
        })?;
    let p = &entity.properties;
    let mut e = ListEntry::new(ListSource::Ftm, id, kind);
    for (key, quality) in [
        ("name", NameQuality::Alias),
        ("alias", NameQuality::Strong),
        ("previousName", NameQuality::Former),
        ("weakAlias", NameQuality::Weak),
    ] {
        for n in strings(p, key) {
            let q = if e.names.is_empty() {
                NameQuality::Primary
            } else {
                quality
            };
            e.push_name(n, q);
        }
    }
    if e.names.is_empty() {
        return Ok(None);
    }
    for d in strings(p, "birthDate").filter_map(BirthDate::parse) {
        if !e.dates_of_birth.contains(&d) {
            e.dates_of_birth.push(d);
        }
    }
    for key in ["country", "nationality", "citizenship", "jurisdiction"] {
        for c in strings(p, key) {
            e.push_country(&c.to_ascii_uppercase());
        }
    }
    for key in ID_PROPS {
        for v in strings(p, key) {
            e.identifiers.push(Identifier {
                kind: (*key).to_owned(),
                value: v.to_owned(),
                country: None,
            });
        }
    }
    e.programmes
        .extend(strings(p, "programId").map(str::to_owned));
    Ok(Some(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_are_loaded_and_other_schemas_skipped() {
        let lines = concat!(
            r#"{"id":"p1","schema":"Person","properties":{"name":["Ivan Testov"],"alias":["Vanya"],"weakAlias":["V"],"birthDate":["1962-01-12"],"country":["ru"],"passportNumber":["P1"]}}"#,
            "\n",
            r#"{"id":"o1","schema":"Occupancy","properties":{"holder":["p1"]}}"#,
            "\n\n",
            r#"{"id":"c1","schema":"Company","properties":{"name":["Romashka OOO"]}}"#,
            "\n"
        );
        let list = parse(lines.as_bytes()).unwrap();
        assert_eq!(list.meta.entry_count, 2);
        let p = &list.entries[0];
        assert_eq!(
            p.names.iter().map(|n| n.quality).collect::<Vec<_>>(),
            vec![NameQuality::Primary, NameQuality::Strong, NameQuality::Weak]
        );
        assert_eq!(p.countries, vec!["RU"]);
        assert_eq!(p.dates_of_birth, vec![BirthDate::ymd(1962, 1, 12)]);
        assert_eq!(list.entries[1].kind, EntityKind::Organisation);
    }

    #[test]
    fn malformed_json_names_its_line() {
        let err = parse(b"{\"id\":\"a\",\"schema\":\"Person\"}\n{oops\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
