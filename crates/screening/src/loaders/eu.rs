//! EU Financial Sanctions Files (FSF): XML 1.1 (`export/sanctionEntity`) and CSV 1.1
//! (semicolon-separated, one row per name, address, birth date, citizenship or identification).
//!
//! Entry id: the entity's `logicalId`. Primary name: the first `nameAlias`; `strong="false"`
//! aliases are weak. Publication: `generationDate`; version: `globalFileId` (XML) or
//! `fileGenerationDate` (CSV).

use std::collections::HashMap;
use std::io::Read;

use super::xml::{self, Element};
use crate::date::BirthDate;
use crate::entry::{EntityKind, Identifier, ListEntry, ListSource, LoadedList, NameQuality};
use crate::error::LoadError;

const FORMAT_XML: &str = "EU FSF XML";
const FORMAT_CSV: &str = "EU FSF CSV";

/// Loads FSF XML 1.1 from a reader.
pub fn read_xml(r: impl Read) -> Result<LoadedList, LoadError> {
    parse_xml(&super::read_all(r, FORMAT_XML)?)
}

/// Loads FSF XML 1.1 from bytes.
pub fn parse_xml(bytes: &[u8]) -> Result<LoadedList, LoadError> {
    let root = xml::parse(bytes, FORMAT_XML)?;
    if root.name != "export" {
        return Err(LoadError::WrongFormat {
            format: FORMAT_XML,
            message: format!("root element is <{}>, expected <export>", root.name),
        });
    }
    let mut entries = Vec::new();
    for (n, el) in root.children("sanctionEntity").enumerate() {
        entries.push(xml_entry(el, n + 1)?);
    }
    Ok(LoadedList::new(
        ListSource::Eu,
        bytes,
        root.attr("generationDate").map(str::to_owned),
        root.attr("globalFileId").map(str::to_owned),
        entries,
    ))
}

fn nonblank(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn alias_name(a: &Element) -> Option<String> {
    if let Some(w) = nonblank(a.attr("wholeName")) {
        return Some(w.to_owned());
    }
    let parts: Vec<&str> = ["firstName", "middleName", "lastName"]
        .iter()
        .filter_map(|k| nonblank(a.attr(k)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn xml_entry(el: &Element, n: usize) -> Result<ListEntry, LoadError> {
    let id = nonblank(el.attr("logicalId")).ok_or_else(|| LoadError::MissingField {
        format: FORMAT_XML,
        record: format!("sanctionEntity #{n}"),
        field: "logicalId",
    })?;
    let kind = el
        .child("subjectType")
        .and_then(|s| s.attr("code"))
        .map_or(EntityKind::Unknown, EntityKind::from_label);
    let mut e = ListEntry::new(ListSource::Eu, id, kind);
    for a in el.children("nameAlias") {
        if let Some(name) = alias_name(a) {
            let quality = if e.names.is_empty() {
                NameQuality::Primary
            } else if a.attr("strong") == Some("false") {
                NameQuality::Weak
            } else {
                NameQuality::Strong
            };
            e.push_name(&name, quality);
        }
    }
    if e.names.is_empty() {
        return Err(LoadError::MissingField {
            format: FORMAT_XML,
            record: format!("sanctionEntity logicalId {id}"),
            field: "nameAlias",
        });
    }
    for b in el.children("birthdate") {
        let date = nonblank(b.attr("birthdate"))
            .and_then(BirthDate::parse)
            .or_else(|| nonblank(b.attr("year")).and_then(BirthDate::parse));
        if let Some(d) = date.filter(|d| !e.dates_of_birth.contains(d)) {
            e.dates_of_birth.push(d);
        }
    }
    for tag in ["citizenship", "address"] {
        for c in el.children(tag) {
            if let Some(code) = nonblank(c.attr("countryIso2Code")).filter(|c| *c != "00") {
                e.push_country(code);
            } else if let Some(d) = nonblank(c.attr("countryDescription")) {
                e.push_country(d);
            }
        }
    }
    for i in el.children("identification") {
        if let Some(number) = nonblank(i.attr("number")) {
            e.identifiers.push(Identifier {
                kind: nonblank(i.attr("identificationTypeDescription"))
                    .or_else(|| nonblank(i.attr("identificationTypeCode")))
                    .unwrap_or("identification")
                    .to_owned(),
                value: number.to_owned(),
                country: nonblank(i.attr("countryIso2Code")).map(str::to_owned),
            });
        }
    }
    if let Some(p) = el
        .child("regulation")
        .and_then(|r| nonblank(r.attr("programme")))
    {
        e.programmes.push(p.to_owned());
    }
    Ok(e)
}

/// Loads FSF CSV 1.1 from a reader.
pub fn read_csv(r: impl Read) -> Result<LoadedList, LoadError> {
    parse_csv(&super::read_all(r, FORMAT_CSV)?)
}

/// Column names of FSF CSV 1.1 (and the 1.0 names, which some mirrors still serve).
const COL_ID: &[&str] = &["Entity_LogicalId", "Entity_logical_id"];
const COL_KIND: &[&str] = &[
    "Entity_SubjectType",
    "Subject_type",
    "Entity_SubjectType_ClassificationCode",
];
const COL_WHOLE: &[&str] = &["NameAlias_WholeName", "Naal_wholename"];
const COL_FIRST: &[&str] = &["NameAlias_FirstName", "Naal_firstname"];
const COL_MIDDLE: &[&str] = &["NameAlias_MiddleName", "Naal_middlename"];
const COL_LAST: &[&str] = &["NameAlias_LastName", "Naal_lastname"];
const COL_STRONG: &[&str] = &["NameAlias_Strong"];
const COL_BIRTH: &[&str] = &["BirthDate_BirthDate", "Birt_date"];
const COL_BIRTH_YEAR: &[&str] = &["BirthDate_Year"];
const COL_CITIZEN: &[&str] = &["Citizenship_CountryIso2Code", "Citi_country"];
const COL_ADDRESS_COUNTRY: &[&str] = &["Address_CountryIso2Code", "Addr_country"];
const COL_ID_NUMBER: &[&str] = &["Identification_Number", "Iden_number"];
const COL_ID_TYPE: &[&str] = &[
    "Identification_TypeDescription",
    "Identification_TypeCode",
    "Iden_type",
];
const COL_PROGRAMME: &[&str] = &["Entity_Regulation_Programme", "Leba_numtitle"];
const COL_GENERATED: &[&str] = &["fileGenerationDate", "file_generation_date"];

/// Loads FSF CSV 1.1 from bytes.
pub fn parse_csv(bytes: &[u8]) -> Result<LoadedList, LoadError> {
    let text = super::decode_text(bytes);
    let lines = super::LineIndex::new(text.as_bytes());
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|source| LoadError::Csv {
            format: FORMAT_CSV,
            line: 1,
            source,
        })?
        .clone();
    let col = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.iter().position(|h| h.trim() == *n))
    };
    let id_col = col(COL_ID).ok_or_else(|| LoadError::WrongFormat {
        format: FORMAT_CSV,
        message: "no Entity_LogicalId column in the header".into(),
    })?;
    let cols = [
        col(COL_KIND),
        col(COL_WHOLE),
        col(COL_FIRST),
        col(COL_MIDDLE),
        col(COL_LAST),
        col(COL_STRONG),
        col(COL_BIRTH),
        col(COL_BIRTH_YEAR),
        col(COL_CITIZEN),
        col(COL_ADDRESS_COUNTRY),
        col(COL_ID_NUMBER),
        col(COL_ID_TYPE),
        col(COL_PROGRAMME),
        col(COL_GENERATED),
    ];
    let [
        kind_c,
        whole_c,
        first_c,
        middle_c,
        last_c,
        strong_c,
        birth_c,
        year_c,
        citizen_c,
        addr_c,
        idn_c,
        idt_c,
        prog_c,
        gen_c,
    ] = cols;
    let mut order: Vec<ListEntry> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut generated = None;
    for rec in reader.records() {
        let rec = rec.map_err(|source| LoadError::Csv {
            format: FORMAT_CSV,
            line: lines.line(source.position()),
            source,
        })?;
        let line = lines.line(rec.position());
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        if generated.is_none() {
            generated = get(gen_c).map(str::to_owned);
        }
        let id = get(Some(id_col)).ok_or_else(|| LoadError::MissingField {
            format: FORMAT_CSV,
            record: format!("line {line}"),
            field: "Entity_LogicalId",
        })?;
        let idx = *by_id.entry(id.to_owned()).or_insert_with(|| {
            let kind = get(kind_c).map_or(EntityKind::Unknown, EntityKind::from_label);
            order.push(ListEntry::new(ListSource::EuCsv, id, kind));
            order.len() - 1
        });
        let Some(e) = order.get_mut(idx) else {
            continue;
        };
        let name = get(whole_c).map(str::to_owned).or_else(|| {
            let parts: Vec<&str> = [first_c, middle_c, last_c]
                .into_iter()
                .filter_map(get)
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        if let Some(name) = name {
            let quality = if e.names.is_empty() {
                NameQuality::Primary
            } else if get(strong_c).is_some_and(|s| s.eq_ignore_ascii_case("false")) {
                NameQuality::Weak
            } else {
                NameQuality::Strong
            };
            e.push_name(&name, quality);
        }
        let date = get(birth_c)
            .and_then(BirthDate::parse)
            .or_else(|| get(year_c).and_then(BirthDate::parse));
        if let Some(d) = date.filter(|d| !e.dates_of_birth.contains(d)) {
            e.dates_of_birth.push(d);
        }
        for c in [citizen_c, addr_c] {
            if let Some(code) = get(c).filter(|c| *c != "00") {
                e.push_country(code);
            }
        }
        if let Some(number) = get(idn_c) {
            let ident = Identifier {
                kind: get(idt_c).unwrap_or("identification").to_owned(),
                value: number.to_owned(),
                country: None,
            };
            if !e.identifiers.contains(&ident) {
                e.identifiers.push(ident);
            }
        }
        if let Some(p) = get(prog_c)
            && !e.programmes.iter().any(|x| x == p)
        {
            e.programmes.push(p.to_owned());
        }
    }
    if let Some(e) = order.iter().find(|e| e.names.is_empty()) {
        return Err(LoadError::MissingField {
            format: FORMAT_CSV,
            record: format!("entity {}", e.entry_id),
            field: "NameAlias_WholeName",
        });
    }
    Ok(LoadedList::new(
        ListSource::EuCsv,
        bytes,
        generated,
        None,
        order,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-made rows in the FSF CSV 1.1 column layout (a subset of its ~90 columns).
    const CSV: &str = "fileGenerationDate;Entity_LogicalId;Entity_SubjectType;Entity_Regulation_Programme;NameAlias_LastName;NameAlias_FirstName;NameAlias_MiddleName;NameAlias_WholeName;NameAlias_Strong;BirthDate_BirthDate;BirthDate_Year;Citizenship_CountryIso2Code;Identification_Number;Identification_TypeDescription\n\
28/10/2022;13;person;IRQ;Hussein Al-Tikriti;Saddam;;Saddam Hussein Al-Tikriti;true;;;;;\n\
28/10/2022;13;person;IRQ;;;;Abu Ali;true;;;;;\n\
28/10/2022;13;person;IRQ;;;;Abou Ali;false;;;;;\n\
28/10/2022;13;person;IRQ;;;;;;1937-04-28;1937;;;\n\
28/10/2022;13;person;IRQ;;;;;;;;IQ;;\n\
28/10/2022;99;enterprise;RUS;;;;Romashka OOO;true;;;;1027700000000;Registration number\n";

    #[test]
    fn csv_rows_are_grouped_per_logical_id() {
        let list = parse_csv(CSV.as_bytes()).unwrap();
        assert_eq!(list.meta.entry_count, 2);
        assert_eq!(list.meta.alias_count, 2);
        assert_eq!(list.meta.published.as_deref(), Some("28/10/2022"));
        let s = &list.entries[0];
        assert_eq!((s.entry_id.as_str(), s.kind), ("13", EntityKind::Person));
        assert_eq!(s.names[2].quality, NameQuality::Weak);
        assert_eq!(s.dates_of_birth, vec![BirthDate::ymd(1937, 4, 28)]);
        assert_eq!(s.countries, vec!["IQ"]);
        assert_eq!(list.entries[1].kind, EntityKind::Organisation);
        assert_eq!(list.entries[1].identifiers[0].value, "1027700000000");
    }

    #[test]
    fn csv_without_logical_id_column_is_rejected() {
        assert!(matches!(
            parse_csv(b"a;b\n1;2\n"),
            Err(LoadError::WrongFormat { .. })
        ));
    }

    #[test]
    fn csv_row_without_id_names_its_line() {
        let bad = "Entity_LogicalId;NameAlias_WholeName\n1;A\n;B\n";
        let err = parse_csv(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}
