//! The law data: it loads, its cross-references resolve, and the loader rejects data naming an
//! act, country, fact or Annex I entry that is not defined.

use vigil_domain::Law;
use vigil_domain::law::{ControlCode, Resolution};
use vigil_domain::rules;

use crate::support::LAW;

fn code(s: &str) -> ControlCode {
    ControlCode::parse(s).unwrap()
}

/// Loads the embedded files with `extra` appended to `file`; returns the problems.
fn problems_with(file: &str, extra: &str) -> Vec<String> {
    let files: Vec<(String, String)> = Law::embedded_files()
        .iter()
        .map(|(p, t)| {
            let mut t = (*t).to_owned();
            if *p == file {
                t.push('\n');
                t.push_str(extra);
            }
            ((*p).to_owned(), t)
        })
        .collect();
    assert!(
        files.iter().any(|(p, _)| p == file),
        "no embedded file {file}"
    );
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    match Law::from_files(&refs) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    }
}

#[track_caller]
fn assert_problem(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem containing {needle:?}, got {problems:#?}"
    );
}

#[test]
fn embedded_law_loads_with_every_reference_resolved() {
    assert!(LAW.version().starts_with("annex-i-2025-2003+"));
    assert_eq!(LAW.earliest_date().to_string(), "2025-11-15");
}

#[test]
fn every_category_of_annex_i_has_entries() {
    for cat in 0..=9u8 {
        assert!(
            LAW.entries().any(|e| e.code.category() == cat),
            "category {cat} has no entry"
        );
    }
}

#[test]
fn categories_4_and_5_are_encoded_in_full_with_summaries() {
    let detailed: Vec<_> = LAW
        .entries()
        .filter(|e| matches!(e.code.category(), 4 | 5))
        .collect();
    assert!(
        detailed.len() > 150,
        "only {} entries in categories 4 and 5",
        detailed.len()
    );
    for e in detailed {
        assert!(e.detailed, "{} is not detailed", e.code);
        assert!(
            !e.summary.is_empty() || e.title.contains("Not used"),
            "{} has no summary",
            e.code
        );
    }
}

#[test]
fn the_cyber_surveillance_entries_are_defined_and_flagged() {
    for c in [
        "4A005",
        "4D004",
        "4E001.c",
        "5A001.f",
        "5A001.f.1",
        "5A001.f.2",
        "5A001.j",
        "5D001.e",
        "5A004.a",
        "5A004.b",
    ] {
        let e = LAW.entry(&code(c)).unwrap_or_else(|| panic!("{c} missing"));
        assert!(e.cyber_surveillance, "{c} not flagged");
        assert!(!e.vocabulary.is_empty(), "{c} has no trade vocabulary");
    }
    assert!(
        !LAW.entry(&code("5A002")).unwrap().cyber_surveillance,
        "plain cryptography is not cyber-surveillance"
    );
}

#[test]
fn any_annex_i_number_resolves() {
    assert!(matches!(LAW.resolve(&code("1C350")), Resolution::Exact(_)));
    assert!(matches!(
        LAW.resolve(&code("6A003.b.4.b")),
        Resolution::Within(_)
    ));
    match LAW.resolve(&code("5A001.z")) {
        Resolution::Unknown(near) => assert!(!near.is_empty()),
        other => panic!("5A001.z should be unknown in a fully encoded category, got {other:?}"),
    }
}

#[test]
fn annex_ii_duties_carry_their_day_counts() {
    let get = |id: &str| {
        LAW.ugeas()
            .iter()
            .find(|u| u.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let notify = |id: &str| {
        get(id)
            .duties
            .iter()
            .find(|d| d.kind == "notify_first_use")
            .map(|d| (d.days, d.timing.clone()))
    };
    assert_eq!(notify("EU001"), Some((Some(30), Some("after".into()))));
    assert_eq!(notify("EU007"), Some((Some(30), Some("before".into()))));
    assert_eq!(notify("EU008"), Some((Some(10), Some("before".into()))));
    assert_eq!(get("EU004").max_return_days, Some(120));
    assert!(get("EU007").duties.iter().any(|d| d.kind == "icp"));
    assert!(get("EU007").duties.iter().any(|d| d.kind == "report"));
    assert_eq!(LAW.ugeas().len(), 8);
}

#[test]
fn country_groups_match_annex_ii() {
    let eu001 = &LAW.group("eu001").unwrap().members;
    let want = ["AU", "CA", "CH", "GB", "IS", "JP", "LI", "NO", "NZ", "US"];
    assert_eq!(eu001.iter().map(String::as_str).collect::<Vec<_>>(), want);
    assert_eq!(LAW.group("eu").unwrap().members.len(), 27);
    for c in ["RU", "BY", "CN", "IR", "SY", "KP", "AE"] {
        assert!(
            LAW.in_group("eu008_excluded", c),
            "{c} should be excluded from EU008"
        );
    }
}

#[test]
fn annex_iv_holds_the_cryptanalytic_items() {
    let (item, assumed) = LAW
        .annex_iv_for(&code("5A004.a"), &[])
        .expect("5A004.a in Annex IV");
    assert_eq!(item.part, "I");
    assert!(!assumed);
    assert!(LAW.annex_iv_for(&code("5A004.b"), &[]).is_none());
    assert!(
        LAW.in_section_i(&code("5A004.a")),
        "Annex IV items are in Section I"
    );
}

#[test]
fn every_rule_the_code_applies_is_described() {
    for id in rules::ALL {
        let r = LAW.rule(id).unwrap_or_else(|| panic!("rule {id}"));
        assert!(
            r.cite.provision.starts_with("Art. "),
            "{id}: {}",
            r.cite.provision
        );
    }
}

#[test]
fn loader_rejects_an_unknown_annex_i_entry() {
    let p = problems_with(
        "annex-iv.toml",
        "[[item]]\ncode = \"5A099\"\npart = \"I\"\nblock = \"x\"\ncite = { act = \"2021/821\", provision = \"Annex IV Part I\" }\nverified = true\n",
    );
    assert_problem(&p, "Annex I entry `5A099` is not defined");
}

#[test]
fn loader_rejects_an_unknown_country() {
    let p = problems_with(
        "countries.toml",
        "[[group]]\nid = \"test\"\ntitle = \"t\"\nmembers = [\"ZZ\"]\ncite = { act = \"2021/821\", provision = \"Art. 1\" }\nverified = true\n",
    );
    assert_problem(&p, "country `ZZ` is not defined");
}

#[test]
fn loader_rejects_an_unknown_act() {
    let p = problems_with(
        "rules.toml",
        "[[rule]]\nid = \"x\"\ntitle = \"t\"\nsummary = \"s\"\ncite = { act = \"1234/9999\", provision = \"Art. 1\" }\nverified = true\n",
    );
    assert_problem(&p, "cites act `1234/9999`");
}

#[test]
fn loader_rejects_an_unknown_fact() {
    let p = problems_with(
        "annex-i/category-4.toml",
        "[[entry]]\ncode = \"4A999\"\ntitle = \"t\"\nsummary = \"s\"\ncriteria = [{ fact = \"no_such_fact\", text = \"t\" }]\n",
    );
    assert_problem(&p, "fact `no_such_fact` is not defined");
}

#[test]
fn loader_rejects_unknown_keys() {
    let p = problems_with(
        "acts.toml",
        "[[act]]\nid = \"x/1\"\nkind = \"k\"\nshort = \"s\"\ntitle = \"t\"\nurl = \"u\"\nin_force = { from = 2020-01-01 }\nverified = true\nsurprise = 1\n",
    );
    assert_problem(&p, "surprise");
}

#[test]
fn loader_rejects_a_sub_item_without_its_parent() {
    let p = problems_with(
        "annex-i/category-4.toml",
        "[[entry]]\ncode = \"4A888.a\"\ntitle = \"t\"\nsummary = \"s\"\n",
    );
    assert_problem(&p, "parent entry `4A888` is not defined");
}
