//! UN Security Council consolidated list (XML, `CONSOLIDATED_LIST`).
//!
//! Entry id: `REFERENCE_NUMBER` (e.g. `QDi.001`). Primary name: `FIRST_NAME` … `FOURTH_NAME`
//! joined. Aliases: `INDIVIDUAL_ALIAS` / `ENTITY_ALIAS` (`QUALITY` Good → strong, Low → weak,
//! f.k.a. → former) and `NAME_ORIGINAL_SCRIPT`. Publication: `dateGenerated`.

use std::io::Read;

use super::xml::{self, Element};
use crate::date::BirthDate;
use crate::entry::{EntityKind, Identifier, ListEntry, ListSource, LoadedList, NameQuality};
use crate::error::LoadError;

const FORMAT: &str = "UN consolidated XML";

/// Loads from a reader.
pub fn read(r: impl Read) -> Result<LoadedList, LoadError> {
    parse(&super::read_all(r, FORMAT)?)
}

/// Loads from bytes.
pub fn parse(bytes: &[u8]) -> Result<LoadedList, LoadError> {
    let root = xml::parse(bytes, FORMAT)?;
    if root.name != "CONSOLIDATED_LIST" {
        return Err(LoadError::WrongFormat {
            format: FORMAT,
            message: format!(
                "root element is <{}>, expected <CONSOLIDATED_LIST>",
                root.name
            ),
        });
    }
    let mut entries = Vec::new();
    for (group, tag, kind) in [
        ("INDIVIDUALS", "INDIVIDUAL", EntityKind::Person),
        ("ENTITIES", "ENTITY", EntityKind::Organisation),
    ] {
        for (n, el) in root
            .children(group)
            .flat_map(|g| g.children(tag))
            .enumerate()
        {
            entries.push(entry(el, tag, n + 1, kind)?);
        }
    }
    Ok(LoadedList::new(
        ListSource::Un,
        bytes,
        root.attr("dateGenerated").map(str::to_owned),
        None,
        entries,
    ))
}

fn entry(el: &Element, tag: &str, n: usize, kind: EntityKind) -> Result<ListEntry, LoadError> {
    let record = || {
        format!(
            "{tag} #{n} (DATAID {})",
            el.text_of("DATAID").unwrap_or("?")
        )
    };
    let id = el
        .text_of("REFERENCE_NUMBER")
        .or_else(|| el.text_of("DATAID"))
        .ok_or_else(|| LoadError::MissingField {
            format: FORMAT,
            record: record(),
            field: "REFERENCE_NUMBER",
        })?;
    let mut e = ListEntry::new(ListSource::Un, id, kind);
    let primary: Vec<&str> = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"]
        .iter()
        .filter_map(|f| el.text_of(f))
        .collect();
    e.push_name(&primary.join(" "), NameQuality::Primary);
    let alias_tag = if tag == "INDIVIDUAL" {
        "INDIVIDUAL_ALIAS"
    } else {
        "ENTITY_ALIAS"
    };
    for a in el.children(alias_tag) {
        if let Some(name) = a.text_of("ALIAS_NAME") {
            let quality = match a.text_of("QUALITY").map(str::to_ascii_lowercase).as_deref() {
                Some("good") => NameQuality::Strong,
                Some("low") => NameQuality::Weak,
                Some("f.k.a.") => NameQuality::Former,
                _ => NameQuality::Alias,
            };
            e.push_name(name, quality);
        }
    }
    if let Some(orig) = el.text_of("NAME_ORIGINAL_SCRIPT") {
        e.push_name(orig, NameQuality::OriginalScript);
    }
    if e.names.is_empty() {
        return Err(LoadError::MissingField {
            format: FORMAT,
            record: record(),
            field: "FIRST_NAME",
        });
    }
    for d in el.children("INDIVIDUAL_DATE_OF_BIRTH") {
        let date = if let Some(x) = d.text_of("DATE") {
            BirthDate::parse(x)
        } else if let Some(y) = d.text_of("YEAR") {
            BirthDate::parse(y)
        } else if let (Some(f), Some(t)) = (d.text_of("FROM_YEAR"), d.text_of("TO_YEAR")) {
            match (f.parse(), t.parse()) {
                (Ok(f), Ok(t)) => Some(BirthDate::range(f, t)),
                _ => None,
            }
        } else {
            None
        };
        if let Some(date) = date
            && !e.dates_of_birth.contains(&date)
        {
            e.dates_of_birth.push(date);
        }
    }
    if let Some(nat) = el.child("NATIONALITY") {
        for v in nat.children("VALUE") {
            e.push_country(&v.text);
        }
    }
    let address_tag = if tag == "INDIVIDUAL" {
        "INDIVIDUAL_ADDRESS"
    } else {
        "ENTITY_ADDRESS"
    };
    for a in el.children(address_tag) {
        if let Some(c) = a.text_of("COUNTRY") {
            e.push_country(c);
        }
    }
    for d in el.children("INDIVIDUAL_DOCUMENT") {
        if let Some(number) = d.text_of("NUMBER") {
            e.identifiers.push(Identifier {
                kind: d
                    .text_of("TYPE_OF_DOCUMENT")
                    .unwrap_or("document")
                    .to_owned(),
                value: number.to_owned(),
                country: d.text_of("ISSUING_COUNTRY").map(str::to_owned),
            });
        }
    }
    if let Some(p) = el.text_of("UN_LIST_TYPE") {
        e.programmes.push(p.to_owned());
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z">
 <INDIVIDUALS><INDIVIDUAL>
  <DATAID>1</DATAID><FIRST_NAME>IVAN</FIRST_NAME><SECOND_NAME>TESTOV</SECOND_NAME>
  <UN_LIST_TYPE>TST</UN_LIST_TYPE><REFERENCE_NUMBER>TSi.001</REFERENCE_NUMBER>
  <NAME_ORIGINAL_SCRIPT>Иван Тестов</NAME_ORIGINAL_SCRIPT>
  <NATIONALITY><VALUE>Russian Federation</VALUE></NATIONALITY>
  <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Ivan Testoff</ALIAS_NAME></INDIVIDUAL_ALIAS>
  <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Vanya</ALIAS_NAME></INDIVIDUAL_ALIAS>
  <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
  <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1960</FROM_YEAR><TO_YEAR>1962</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
  <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>P123</NUMBER></INDIVIDUAL_DOCUMENT>
 </INDIVIDUAL></INDIVIDUALS>
 <ENTITIES><ENTITY><DATAID>2</DATAID><FIRST_NAME>TEST &amp; CO</FIRST_NAME><REFERENCE_NUMBER>TSe.001</REFERENCE_NUMBER>
  <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>OLD TEST</ALIAS_NAME></ENTITY_ALIAS></ENTITY></ENTITIES>
</CONSOLIDATED_LIST>"#;

    #[test]
    fn fixture_entries_names_dates_and_documents_are_read() {
        let list = parse(FIXTURE.as_bytes()).unwrap();
        assert_eq!(list.meta.entry_count, 2);
        assert_eq!(list.meta.alias_count, 4);
        assert_eq!(list.meta.published.as_deref(), Some("2026-01-01T00:00:00Z"));
        let ivan = &list.entries[0];
        assert_eq!(ivan.entry_id, "TSi.001");
        assert_eq!(ivan.primary_name(), "IVAN TESTOV");
        assert_eq!(ivan.names[2].quality, NameQuality::Weak);
        assert_eq!(ivan.names[3].quality, NameQuality::OriginalScript);
        assert_eq!(ivan.dates_of_birth, vec![BirthDate::range(1960, 1962)]);
        assert_eq!(ivan.identifiers[0].value, "P123");
        assert_eq!(list.entries[1].primary_name(), "TEST & CO");
        assert_eq!(list.entries[1].names[1].quality, NameQuality::Former);
    }

    #[test]
    fn entry_without_reference_or_dataid_names_its_position() {
        let bad = "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>X</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>";
        let err = parse(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("INDIVIDUAL #1"), "{err}");
    }

    #[test]
    fn wrong_root_element_is_rejected() {
        assert!(matches!(
            parse(b"<export/>"),
            Err(LoadError::WrongFormat { .. })
        ));
    }
}
