//! Loader tests on the real list files.
//!
//! Expected counts were computed independently with `python3 tests/count_entries.py` (standard
//! library XML/CSV/JSON parsers, same counting rules: names trimmed with white space collapsed,
//! blanks ignored, exact duplicates within an entry counted once; aliases = names − 1).

use vigil_screening::loaders::csv::ColumnMapping;
use vigil_screening::loaders::{bis, csv, eu, ftm, ofac, uk, un};
use vigil_screening::{EntityKind, ListSource, LoadedList, NameQuality};

use crate::data;

fn counts(list: &LoadedList) -> (usize, usize) {
    (list.meta.entry_count, list.meta.alias_count)
}

#[test]
fn un_consolidated_xml_has_1003_entries_and_3118_aliases() {
    let list = un::parse(&data("sanctions/un_sc_consolidated_2026-02-27.xml")).unwrap();
    assert_eq!(counts(&list), (1003, 3118));
    assert_eq!(
        list.meta.published.as_deref(),
        Some("2026-02-27T00:00:09.554Z")
    );
    assert_eq!(list.meta.content_sha256.len(), 64);
    let people = list
        .entries
        .iter()
        .filter(|e| e.kind == EntityKind::Person)
        .count();
    assert_eq!(people, 730);
    let first = &list.entries[0];
    assert_eq!(
        (first.entry_id.as_str(), first.primary_name()),
        ("CDi.001", "ERIC BADEGE")
    );
    assert!(list.entries.iter().any(|e| {
        e.names
            .iter()
            .any(|n| n.quality == NameQuality::OriginalScript)
    }));
}

#[test]
fn eu_fsf_xml_excerpt_has_1_entry_and_2_aliases() {
    let list = eu::parse_xml(&data("sanctions/eu_fsf_xml_1_1_excerpt_2024-12-11.xml")).unwrap();
    assert_eq!(counts(&list), (1, 2));
    assert_eq!(list.meta.version.as_deref(), Some("171703"));
    let e = &list.entries[0];
    assert_eq!(
        (e.entry_id.as_str(), e.primary_name()),
        ("13", "Saddam Hussein Al-Tikriti")
    );
    assert_eq!(e.countries, vec!["IQ"]);
    assert_eq!(e.dates_of_birth.len(), 1);
    assert_eq!(e.programmes, vec!["IRQ"]);
}

#[test]
fn ofac_consolidated_xml_has_442_entries_and_1143_aliases() {
    let list = ofac::parse_xml(&data("sanctions/ofac_consolidated_nonsdn_2026-01-08.xml")).unwrap();
    // Record_Count in the file says 442 as well.
    assert_eq!(counts(&list), (442, 1143));
    assert_eq!(list.meta.published.as_deref(), Some("01/08/2026"));
    assert_eq!(
        list.entries
            .iter()
            .filter(|e| e.kind == EntityKind::Person)
            .count(),
        79
    );
    assert_eq!(list.entries[0].primary_name(), "Ismail Abdul Salah HANIYA");
}

#[test]
fn ofac_legacy_csv_set_has_8976_entries_and_14304_aliases() {
    let (sdn, alt, add, comments) = (
        data("sanctions/ofac_sdn_csv_2021-07/sdn.csv"),
        data("sanctions/ofac_sdn_csv_2021-07/alt.csv"),
        data("sanctions/ofac_sdn_csv_2021-07/add.csv"),
        data("sanctions/ofac_sdn_csv_2021-07/sdn_comments.csv"),
    );
    let list = ofac::parse_sdn_csv(ofac::SdnCsvFiles {
        sdn: &sdn,
        alt: Some(&alt),
        add: Some(&add),
        comments: Some(&comments),
    })
    .unwrap();
    // 8,977 physical rows in sdn.csv; the last is the DOS end-of-file marker 0x1A.
    assert_eq!(counts(&list), (8976, 14304));
    let kinds = |k| list.entries.iter().filter(|e| e.kind == k).count();
    assert_eq!(
        (
            kinds(EntityKind::Person),
            kinds(EntityKind::Vessel),
            kinds(EntityKind::Aircraft)
        ),
        (4620, 406, 277)
    );
    assert!(
        list.entries
            .iter()
            .filter(|e| !e.dates_of_birth.is_empty())
            .count()
            > 3000
    );
}

#[test]
fn uk_ofsi_conlist_excerpt_has_41_groups_and_9_aliases() {
    let list = uk::parse(&data("sanctions/uk_ofsi_conlist_excerpt_2020.csv")).unwrap();
    assert_eq!(counts(&list), (41, 9));
    let kim = list.entries.iter().find(|e| e.entry_id == "13562").unwrap();
    assert_eq!(kim.primary_name(), "Kim Kyong IL");
}

#[test]
fn bis_denied_persons_list_has_579_distinct_rows() {
    // 581 data rows, two of them exact duplicates.
    let list = bis::parse(&data("sanctions/us_bis_denied_persons_list_2021.txt")).unwrap();
    assert_eq!(counts(&list), (579, 0));
    assert_eq!(list.meta.source, ListSource::BisDpl);
}

#[test]
fn ftm_entities_from_the_pairs_sample_load_1243_parties_with_9517_aliases() {
    // The pairs file is a JSON array of {left, right} FollowTheMoney entities; written out as
    // JSON lines here. 2,000 entities: 1,250 of party schemas, 7 of them without a name.
    let pairs: serde_json::Value =
        serde_json::from_slice(&data("eval/opensanctions_pairs_sample_1000.json")).unwrap();
    let mut lines = Vec::new();
    for p in pairs.as_array().unwrap() {
        for side in ["left", "right"] {
            lines.extend(serde_json::to_vec(&p[side]).unwrap());
            lines.push(b'\n');
        }
    }
    let list = ftm::parse(&lines).unwrap();
    assert_eq!(counts(&list), (1243, 9517));
}

fn names_csv(file: &str) -> LoadedList {
    let mut m = ColumnMapping::name_only("Name");
    m.aliases = Some("Alias".into());
    m.alias_separator = ", ".into();
    m.country = Some("Nationality".into());
    m.country_separator = ", ".into();
    m.kind = Some("Designation".into());
    csv::parse(&data(&format!("sanctions/{file}")), &m).unwrap()
}

#[test]
fn mapped_csv_loads_the_eu_names_export_5316_entries_22610_aliases() {
    let list = names_csv("eu_fsf_names_2025.csv");
    assert_eq!(counts(&list), (5316, 22610));
    assert_eq!(
        list.entries
            .iter()
            .filter(|e| e.kind == EntityKind::Person)
            .count(),
        4110
    );
}

#[test]
fn mapped_csv_loads_the_ofac_names_export_17863_entries_18210_aliases() {
    assert_eq!(
        counts(&names_csv("ofac_sdn_names_2025.csv")),
        (17863, 18210)
    );
}

#[test]
fn mapped_csv_loads_the_uk_names_export_2523_entries_3174_aliases() {
    // 2,524 rows, one with an empty name (skipped).
    assert_eq!(
        counts(&names_csv("uk_sanctions_list_names_2025.csv")),
        (2523, 3174)
    );
}

#[test]
fn every_loader_rejects_truncated_input_with_an_error_not_a_panic() {
    let un_bytes = data("sanctions/un_sc_consolidated_2026-02-27.xml");
    assert!(un::parse(&un_bytes[..un_bytes.len() / 2]).is_err());
    let ofac_bytes = data("sanctions/ofac_consolidated_nonsdn_2026-01-08.xml");
    assert!(ofac::parse_xml(&ofac_bytes[..ofac_bytes.len() / 3]).is_err());
    assert!(eu::parse_xml(b"<export><sanctionEntity logicalId=\"1\">").is_err());
    assert!(ftm::parse(b"{\"id\":").is_err());
}

#[test]
fn content_hash_changes_with_the_content() {
    let a = bis::parse(b"Name\tCountry\nA\tUS\n").unwrap();
    let b = bis::parse(b"Name\tCountry\nB\tUS\n").unwrap();
    assert_ne!(a.meta.content_sha256, b.meta.content_sha256);
    assert_eq!(
        a.meta.content_sha256,
        bis::parse(b"Name\tCountry\nA\tUS\n")
            .unwrap()
            .meta
            .content_sha256
    );
}
