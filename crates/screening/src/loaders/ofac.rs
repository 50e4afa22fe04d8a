//! OFAC lists: the SDN / consolidated non-SDN XML (`sdnList/sdnEntry`) and the legacy SDN CSV set
//! (`sdn.csv`, `alt.csv`, `add.csv`, `sdn_comments.csv`; no header, `-0-` for empty cells).
//!
//! Entry id: `uid` (XML) or `ent_num` (CSV). XML akas keep OFAC's strong/weak grading; in the CSV
//! set weak akas only appear in the remarks (`a.k.a. 'BNC'`), from where they are read as weak.
//! Publication: `Publish_Date` (XML); the CSV set carries none.

use std::collections::HashMap;
use std::io::Read;

use super::cell;
use super::xml::{self, Element};
use crate::date::BirthDate;
use crate::entry::{EntityKind, Identifier, ListEntry, ListSource, LoadedList, NameQuality};
use crate::error::LoadError;

const FORMAT_XML: &str = "OFAC XML";
const FORMAT_CSV: &str = "OFAC SDN CSV";

/// Loads an OFAC XML file from a reader.
pub fn read_xml(r: impl Read) -> Result<LoadedList, LoadError> {
    parse_xml(&super::read_all(r, FORMAT_XML)?)
}

/// Loads an OFAC XML file (`SDN.XML` or `CONSOLIDATED.XML`) from bytes.
pub fn parse_xml(bytes: &[u8]) -> Result<LoadedList, LoadError> {
    let root = xml::parse(bytes, FORMAT_XML)?;
    if root.name != "sdnList" {
        return Err(LoadError::WrongFormat {
            format: FORMAT_XML,
            message: format!("root element is <{}>, expected <sdnList>", root.name),
        });
    }
    let mut entries = Vec::new();
    for (n, el) in root.children("sdnEntry").enumerate() {
        entries.push(xml_entry(el, n + 1)?);
    }
    let info = root
        .child("publshInformation")
        .or_else(|| root.child("publishInformation"));
    let published = info
        .and_then(|i| i.text_of("Publish_Date"))
        .map(str::to_owned);
    Ok(LoadedList::new(
        ListSource::Ofac,
        bytes,
        published.clone(),
        published,
        entries,
    ))
}

fn person_name(el: &Element) -> String {
    [el.text_of("firstName"), el.text_of("lastName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

fn xml_entry(el: &Element, n: usize) -> Result<ListEntry, LoadError> {
    let uid = el.text_of("uid").ok_or_else(|| LoadError::MissingField {
        format: FORMAT_XML,
        record: format!("sdnEntry #{n}"),
        field: "uid",
    })?;
    let kind = el
        .text_of("sdnType")
        .map_or(EntityKind::Unknown, EntityKind::from_label);
    let mut e = ListEntry::new(ListSource::Ofac, uid, kind);
    e.push_name(&person_name(el), NameQuality::Primary);
    if e.names.is_empty() {
        return Err(LoadError::MissingField {
            format: FORMAT_XML,
            record: format!("sdnEntry uid {uid}"),
            field: "lastName",
        });
    }
    for aka in el
        .child("akaList")
        .into_iter()
        .flat_map(|l| l.children("aka"))
    {
        let quality = if aka.text_of("type") == Some("f.k.a.") {
            NameQuality::Former
        } else if aka.text_of("category") == Some("weak") {
            NameQuality::Weak
        } else {
            NameQuality::Strong
        };
        e.push_name(&person_name(aka), quality);
    }
    for d in el
        .child("dateOfBirthList")
        .into_iter()
        .flat_map(|l| l.children("dateOfBirthItem"))
    {
        if let Some(date) = d.text_of("dateOfBirth").and_then(BirthDate::parse)
            && !e.dates_of_birth.contains(&date)
        {
            e.dates_of_birth.push(date);
        }
    }
    for (list, item) in [
        ("nationalityList", "nationality"),
        ("citizenshipList", "citizenship"),
    ] {
        for c in el.child(list).into_iter().flat_map(|l| l.children(item)) {
            if let Some(country) = c.text_of("country") {
                e.push_country(country);
            }
        }
    }
    for a in el
        .child("addressList")
        .into_iter()
        .flat_map(|l| l.children("address"))
    {
        if let Some(country) = a.text_of("country") {
            e.push_country(country);
        }
    }
    for id in el
        .child("idList")
        .into_iter()
        .flat_map(|l| l.children("id"))
    {
        if let Some(number) = id.text_of("idNumber") {
            e.identifiers.push(Identifier {
                kind: id.text_of("idType").unwrap_or("id").to_owned(),
                value: number.to_owned(),
                country: id.text_of("idCountry").map(str::to_owned),
            });
        }
    }
    for p in el
        .child("programList")
        .into_iter()
        .flat_map(|l| l.children("program"))
    {
        if !p.text.trim().is_empty() {
            e.programmes.push(p.text.trim().to_owned());
        }
    }
    Ok(e)
}

/// The files of the legacy OFAC CSV set. Only `sdn` is required.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdnCsvFiles<'a> {
    /// `SDN.CSV`: ent_num, name, type, program, title, call sign, vessel type, tonnage, GRT,
    /// vessel flag, vessel owner, remarks.
    pub sdn: &'a [u8],
    /// `ALT.CSV`: ent_num, alt_num, alt_type, alt_name, alt_remarks.
    pub alt: Option<&'a [u8]>,
    /// `ADD.CSV`: ent_num, add_num, address, city/state/zip, country, remarks.
    pub add: Option<&'a [u8]>,
    /// `SDN_COMMENTS.CSV`: ent_num, remarks continued.
    pub comments: Option<&'a [u8]>,
}

fn csv_records(
    bytes: &[u8],
    file: &'static str,
    min_fields: usize,
    mut f: impl FnMut(&::csv::StringRecord, u64) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let text = super::decode_text(bytes);
    let lines = super::LineIndex::new(text.as_bytes());
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for rec in reader.records() {
        let rec = rec.map_err(|source| {
            let line = lines.line(source.position());
            LoadError::Csv {
                format: FORMAT_CSV,
                line,
                source,
            }
        })?;
        let line = lines.line(rec.position());
        // The files end with a DOS end-of-file marker (0x1A) on a line of its own.
        if rec.len() == 1
            && rec
                .get(0)
                .is_some_and(|c| c.trim().trim_matches('\u{1a}').is_empty())
        {
            continue;
        }
        if rec.len() < min_fields {
            return Err(LoadError::WrongFormat {
                format: FORMAT_CSV,
                message: format!(
                    "{file} line {line}: {} fields, expected {min_fields}",
                    rec.len()
                ),
            });
        }
        f(&rec, line)?;
    }
    Ok(())
}

/// Reads weak akas (`a.k.a. 'NAME'`), dates of birth (`DOB 12 Jan 1962`), nationality and
/// passport numbers out of an OFAC remarks text.
fn apply_remarks(e: &mut ListEntry, remarks: &str) {
    let mut rest = remarks;
    while let Some(start) = rest.find("a.k.a. '") {
        rest = &rest[start + 8..];
        let Some(end) = rest.find('\'') else { break };
        e.push_name(&rest[..end], NameQuality::Weak);
        rest = &rest[end + 1..];
    }
    for part in remarks.split(';') {
        let p = part.trim().trim_end_matches('.');
        if let Some(d) = p.strip_prefix("DOB ") {
            for alt in d.split(';').flat_map(|x| x.split(", ")) {
                if let Some(date) = BirthDate::parse(alt).filter(|d| !e.dates_of_birth.contains(d))
                {
                    e.dates_of_birth.push(date);
                }
            }
        } else if let Some(c) = p
            .strip_prefix("nationality ")
            .or_else(|| p.strip_prefix("citizen "))
        {
            e.push_country(c);
        } else if let Some(pass) = p.strip_prefix("Passport ") {
            let mut words = pass.split_whitespace();
            if let Some(number) = words.next() {
                let country = pass
                    .split_once('(')
                    .and_then(|(_, c)| c.split_once(')'))
                    .map(|(c, _)| c.to_owned());
                e.identifiers.push(Identifier {
                    kind: "Passport".into(),
                    value: number.to_owned(),
                    country,
                });
            }
        }
    }
}

/// Loads the legacy OFAC CSV set.
pub fn parse_sdn_csv(files: SdnCsvFiles<'_>) -> Result<LoadedList, LoadError> {
    let mut entries: Vec<ListEntry> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut remarks: Vec<String> = Vec::new();
    csv_records(files.sdn, "sdn.csv", 12, |rec, line| {
        let id = rec
            .get(0)
            .and_then(cell)
            .ok_or_else(|| LoadError::MissingField {
                format: FORMAT_CSV,
                record: format!("sdn.csv line {line}"),
                field: "ent_num",
            })?;
        let name = rec
            .get(1)
            .and_then(cell)
            .ok_or_else(|| LoadError::MissingField {
                format: FORMAT_CSV,
                record: format!("sdn.csv line {line} (ent_num {id})"),
                field: "SDN_Name",
            })?;
        let kind = rec
            .get(2)
            .and_then(cell)
            .map_or(EntityKind::Organisation, EntityKind::from_label);
        let mut e = ListEntry::new(ListSource::OfacCsv, id, kind);
        e.push_name(name, NameQuality::Primary);
        if let Some(p) = rec.get(3).and_then(cell) {
            e.programmes.extend(
                p.split("] [")
                    .map(|x| x.trim_matches(['[', ']', ' ']).to_owned()),
            );
        }
        by_id.insert(id.to_owned(), entries.len());
        remarks.push(rec.get(11).and_then(cell).unwrap_or("").to_owned());
        entries.push(e);
        Ok(())
    })?;
    if let Some(bytes) = files.comments {
        csv_records(bytes, "sdn_comments.csv", 2, |rec, _| {
            if let (Some(&i), Some(more)) =
                (rec.get(0).and_then(|id| by_id.get(id.trim())), rec.get(1))
                && let Some(r) = remarks.get_mut(i)
            {
                r.push_str(more);
            }
            Ok(())
        })?;
    }
    if let Some(bytes) = files.alt {
        csv_records(bytes, "alt.csv", 4, |rec, line| {
            let id = rec.get(0).map(str::trim).unwrap_or("");
            let &i = by_id.get(id).ok_or_else(|| LoadError::WrongFormat {
                format: FORMAT_CSV,
                message: format!("alt.csv line {line}: ent_num {id:?} is not in sdn.csv"),
            })?;
            if let (Some(e), Some(name)) = (entries.get_mut(i), rec.get(3).and_then(cell)) {
                let quality = match rec.get(2).and_then(cell) {
                    Some("fka") => NameQuality::Former,
                    _ => NameQuality::Strong,
                };
                e.push_name(name, quality);
            }
            Ok(())
        })?;
    }
    for (e, r) in entries.iter_mut().zip(&remarks) {
        apply_remarks(e, r);
    }
    if let Some(bytes) = files.add {
        csv_records(bytes, "add.csv", 5, |rec, _| {
            let i = rec.get(0).and_then(|id| by_id.get(id.trim())).copied();
            if let (Some(e), Some(country)) = (
                i.and_then(|i| entries.get_mut(i)),
                rec.get(4).and_then(cell),
            ) {
                e.push_country(country);
            }
            Ok(())
        })?;
    }
    let mut raw = files.sdn.to_vec();
    for extra in [files.alt, files.add, files.comments].into_iter().flatten() {
        raw.extend_from_slice(extra);
    }
    Ok(LoadedList::new(
        ListSource::OfacCsv,
        &raw,
        None,
        None,
        entries,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0" standalone="yes"?>
<sdnList xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
  <publshInformation><Publish_Date>01/08/2026</Publish_Date><Record_Count>1</Record_Count></publshInformation>
  <sdnEntry><uid>1</uid><firstName>Ivan</firstName><lastName>TESTOV</lastName><sdnType>Individual</sdnType>
    <programList><program>RUSSIA-EO14024</program></programList>
    <akaList><aka><uid>2</uid><type>a.k.a.</type><category>weak</category><lastName>VANYA</lastName></aka>
             <aka><uid>3</uid><type>f.k.a.</type><category>strong</category><lastName>TESTOFF</lastName><firstName>Ivan</firstName></aka></akaList>
    <idList><id><uid>4</uid><idType>Passport</idType><idNumber>P123</idNumber><idCountry>Russia</idCountry></id></idList>
    <dateOfBirthList><dateOfBirthItem><uid>5</uid><dateOfBirth>12 Jan 1962</dateOfBirth></dateOfBirthItem></dateOfBirthList>
    <nationalityList><nationality><uid>6</uid><country>Russia</country></nationality></nationalityList>
  </sdnEntry>
</sdnList>"#;

    #[test]
    fn xml_entry_names_grades_and_details_are_read() {
        let list = parse_xml(XML.as_bytes()).unwrap();
        assert_eq!(list.meta.published.as_deref(), Some("01/08/2026"));
        let e = &list.entries[0];
        assert_eq!(e.primary_name(), "Ivan TESTOV");
        assert_eq!(e.names[1].quality, NameQuality::Weak);
        assert_eq!(e.names[2].quality, NameQuality::Former);
        assert_eq!(e.dates_of_birth, vec![BirthDate::ymd(1962, 1, 12)]);
        assert_eq!(e.countries, vec!["Russia"]);
        assert_eq!(e.identifiers[0].value, "P123");
    }

    #[test]
    fn csv_set_joins_aliases_addresses_and_remarks() {
        let sdn = b"36,\"TESTOV, Ivan\",\"individual\",\"RUSSIA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 12 Jan 1962; nationality Russia; a.k.a. 'VANYA'.\"\r\n\x1a";
        let alt = b"36,12,\"aka\",\"TESTOFF, Ivan\",-0- \r\n";
        let add = b"36,25,-0- ,\"Moscow\",\"Russia\",-0- \r\n";
        let list = parse_sdn_csv(SdnCsvFiles {
            sdn,
            alt: Some(alt),
            add: Some(add),
            comments: None,
        })
        .unwrap();
        let e = &list.entries[0];
        assert_eq!(e.entry_id, "36");
        assert_eq!(e.names.len(), 3);
        assert_eq!(e.names[2].quality, NameQuality::Weak);
        assert_eq!(e.dates_of_birth, vec![BirthDate::ymd(1962, 1, 12)]);
        assert_eq!(e.countries, vec!["Russia"]);
    }

    #[test]
    fn alias_for_unknown_entry_names_the_line() {
        let sdn = b"36,\"A\",-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
        let alt = b"36,1,\"aka\",\"B\",-0- \r\n99,2,\"aka\",\"C\",-0- \r\n";
        let err = parse_sdn_csv(SdnCsvFiles {
            sdn,
            alt: Some(alt),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("alt.csv line 2"), "{err}");
    }

    #[test]
    fn short_sdn_row_is_rejected() {
        assert!(
            parse_sdn_csv(SdnCsvFiles {
                sdn: b"1,\"A\"\n",
                ..Default::default()
            })
            .is_err()
        );
    }
}
