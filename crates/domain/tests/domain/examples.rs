//! Every example of `examples/` (the ones the README shows) gives the decision the README states.

use std::path::PathBuf;

use time::macros::date;
use vigil_domain::classify::parse_item_json;
use vigil_domain::{assess_json, classify};

use crate::support::LAW;

fn examples(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(dir)
}

#[test]
fn every_example_operation_gives_its_documented_decision() {
    let expected = [
        ("vpn-appliance-to-us", "general_authorisation", "EU001"),
        (
            "encryption-sdk-download-brazil",
            "general_authorisation",
            "EU008",
        ),
        (
            "crypto-source-to-india-subsidiary",
            "general_authorisation",
            "EU007",
        ),
        (
            "forensics-trade-fair-singapore",
            "general_authorisation",
            "EU004",
        ),
        (
            "imsi-catcher-to-uae-police",
            "licence_required",
            "individual",
        ),
        ("software-update-russia", "licence_required", "individual"),
        (
            "cryptanalysis-appliance-to-germany",
            "licence_required",
            "individual",
        ),
        (
            "geolocation-informed-licence",
            "licence_required",
            "individual",
        ),
        ("face-recognition-aware-notify", "notify_authority", "none"),
        ("dpi-probe-to-russia", "prohibited", "none"),
        ("monitoring-centre-to-iran", "prohibited", "none"),
        ("exploit-training-japan", "no_licence_required", "none"),
        ("accounting-saas-china", "no_licence_required", "none"),
    ];
    let dir = examples("operations");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue; // batch.csv: the CSV upload's example (crates/server/tests/http)
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let (_, decision, kind) = expected
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("example {name} has no expected decision in this test"));
        let text = std::fs::read_to_string(&path).unwrap();
        let a = assess_json(&LAW, &text, date!(2026 - 06 - 01))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(a.decision.as_str(), *decision, "{name}: {:#?}", a.reasons);
        assert_eq!(a.authorisation.kind, *kind, "{name}");
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "every expected example exists");
}

#[test]
fn every_example_item_ranks_its_entry_first() {
    let expected = [
        ("imsi-catcher", Some("5A001.f.2"), "yes"),
        ("lawful-interception-probe", Some("5A001.j"), "yes"),
        ("exploit-framework", Some("4D004"), "yes"),
        ("mobile-forensics", Some("5D002.c.3.b"), "yes"),
        ("password-recovery", Some("5D002.c.3.a"), "yes"),
        ("vpn-client", Some("5D002.c.1"), "no"),
        ("reconnaissance-faciale", None, "yes"),
        ("monitoring-centre", Some("5D001.e"), "yes"),
        ("accounting-saas", None, "no"),
        ("qos-dpi", None, "no"),
    ];
    let mut wrong = Vec::new();
    for (name, top, cyber) in expected {
        let text = std::fs::read_to_string(examples("items").join(format!("{name}.json"))).unwrap();
        let sheet = parse_item_json(&text).unwrap();
        let c = classify(&LAW, &sheet).unwrap();
        match top {
            Some(code) => assert_eq!(
                c.candidates.first().map(|c| c.entry.as_str()),
                Some(code),
                "{name}: {:#?}",
                c.candidates
            ),
            None => assert!(
                c.candidates.iter().all(|c| c.score < 0.5),
                "{name}: no strong candidate expected, got {:#?}",
                c.candidates
            ),
        }
        if c.cyber_surveillance != cyber {
            wrong.push(format!(
                "{name}: Art. 2(20) {} (expected {cyber})",
                c.cyber_surveillance
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn facts_narrow_the_classification() {
    let sheet = parse_item_json(r#"{"description": "Carrier-grade deep packet inspection probe with lawful interception", "kind": "hardware"}"#).unwrap();
    let before = classify(&LAW, &sheet).unwrap();
    assert_eq!(before.candidates[0].entry, "5A001.j");
    assert!(
        before
            .questions
            .iter()
            .any(|q| q.fact == "carrier_class_ip_network")
    );
    let sheet = parse_item_json(r#"{"description": "Carrier-grade deep packet inspection probe with lawful interception", "kind": "hardware", "facts": {"carrier_class_ip_network": false}}"#).unwrap();
    let after = classify(&LAW, &sheet).unwrap();
    assert!(after.candidates.iter().all(|c| c.entry != "5A001.j"));
    assert!(after.ruled_out.iter().any(|r| r.entry == "5A001.j"));
    assert!(
        after
            .questions
            .iter()
            .all(|q| q.fact != "carrier_class_ip_network")
    );
}

#[test]
fn classify_rejects_unknown_facts_and_wrong_types() {
    let sheet =
        parse_item_json(r#"{"description": "x", "facts": {"carrier_class_ip_netwrk": true}}"#)
            .unwrap();
    let e = classify(&LAW, &sheet).unwrap_err().to_string();
    assert!(
        e.contains("facts.carrier_class_ip_netwrk") && e.contains("carrier_class_ip_network"),
        "{e}"
    );
    let sheet =
        parse_item_json(r#"{"description": "x", "facts": {"carrier_class_ip_network": 3}}"#)
            .unwrap();
    let e = classify(&LAW, &sheet).unwrap_err().to_string();
    assert!(e.contains("expected true or false"), "{e}");
}
