//! Properties over generated operations (proptest): more concerns, or a party in a sanctioned
//! country, never make a decision less restrictive; every decision other than
//! `no_licence_required` cites a provision; the output always fits the contract.

use proptest::prelude::*;
use serde_json::{Value, json};
use vigil_domain::Decision;

use crate::support::{op, run};

const TYPES: &[&str] = &[
    "export",
    "temporary_export",
    "re_export",
    "electronic_transmission",
    "intra_eu_transfer",
    "brokering",
    "technical_assistance",
    "transit",
];
const DESTS: &[&str] = &[
    "US", "CN", "AE", "BR", "IN", "SG", "RU", "IR", "MM", "JP", "EG", "TR", "KZ", "SY",
];
const ENTRIES: &[&str] = &[
    "5A002.a.2",
    "5A001.f.2",
    "5A001.j",
    "5A004.a",
    "5A004.b",
    "4D004",
    "5D002.c.1",
    "5D001.e",
    "5E002.a",
    "1C350",
    "9A004",
];
const CONCERNS: &[&str] = &[
    "wmd",
    "military_embargo",
    "illegal_military_parts",
    "internal_repression",
];
const END_USERS: &[&str] = &[
    "commercial",
    "government_security",
    "military",
    "research",
    "individual",
];

fn kind_of(entry: &str) -> &'static str {
    match entry.as_bytes()[1] {
        b'D' => "software",
        b'E' => "technology",
        _ => "hardware",
    }
}

prop_compose! {
    fn operation()(
        t in prop::sample::select(TYPES),
        dest in prop::sample::select(DESTS),
        entries in prop::collection::vec(prop::sample::select(ENTRIES), 0..2),
        cyber in any::<bool>(),
        end_user in prop::sample::select(END_USERS),
        informed in prop::collection::vec(prop::sample::select(CONCERNS), 0..2),
        aware in prop::collection::vec(prop::sample::select(CONCERNS), 0..2),
        bools in prop::collection::vec(any::<bool>(), 6),
        days in 1u32..200,
    ) -> Value {
        op(|v| {
            v["type"] = json!(t);
            let dest = if t == "intra_eu_transfer" { "DE" } else { dest };
            v["destination"] = json!(dest);
            v["parties"][0]["country"] = json!(dest);
            let kind = entries.first().map_or("software", |e| kind_of(e));
            v["items"][0]["kind"] = json!(kind);
            v["items"][0]["entries"] = json!(entries);
            v["items"][0]["cyber_surveillance"] = json!(cyber);
            v["end_user_type"] = json!(end_user);
            v["facts"] = json!({
                "informed": informed, "aware": aware,
                "intra_group": bools[0], "commercial_product_development": bools[1],
                "exhibition": bools[2], "return_guaranteed": bools[3],
                "published_crypto_standards": bools[4], "holds_global_licence": bools[5],
                "return_within_days": days,
            });
        })
    }
}

fn with_concern(v: &Value, field: &str, c: &str) -> Value {
    let mut w = v.clone();
    let list = w["facts"][field].as_array_mut().expect("list");
    list.push(json!(c));
    w
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn adding_an_informed_concern_never_relaxes_the_decision(v in operation(), c in prop::sample::select(CONCERNS)) {
        let before = run(&v).decision;
        let after = run(&with_concern(&v, "informed", c)).decision;
        prop_assert!(after >= before, "{before:?} -> {after:?} adding informed {c}\n{v:#}");
    }

    #[test]
    fn adding_an_aware_concern_never_relaxes_the_decision(v in operation(), c in prop::sample::select(CONCERNS)) {
        let before = run(&v).decision;
        let after = run(&with_concern(&v, "aware", c)).decision;
        prop_assert!(after >= before, "{before:?} -> {after:?} adding aware {c}\n{v:#}");
    }

    #[test]
    fn a_party_in_a_sanctioned_country_never_relaxes_the_decision(v in operation(), country in prop::sample::select(&["RU", "BY", "IR", "SY", "MM", "VE"][..])) {
        let before = run(&v).decision;
        let mut w = v.clone();
        w["parties"].as_array_mut().expect("parties").push(json!({"role": "end_user", "name": "Added party", "country": country}));
        let after = run(&w).decision;
        prop_assert!(after >= before, "{before:?} -> {after:?} adding a party in {country}\n{v:#}");
    }

    #[test]
    fn every_decision_that_is_not_free_cites_a_provision(v in operation()) {
        let a = run(&v);
        if a.decision != Decision::NoLicenceRequired {
            prop_assert!(!a.citations.is_empty());
            for item in &a.items {
                if item.decision != Decision::NoLicenceRequired {
                    prop_assert!(!item.citations.is_empty(), "item {} has no citation", item.id);
                }
            }
        }
    }

    #[test]
    fn the_output_json_always_fits_the_contract(v in operation()) {
        let a = run(&v);
        let out = serde_json::to_value(&a).expect("serialises");
        check_contract(&out).map_err(|e| TestCaseError::fail(format!("{e}\n{out:#}")))?;
    }
}

/// Checks the contract's shape and vocabularies on the JSON as printed.
fn check_contract(v: &Value) -> Result<(), String> {
    let decisions = [
        "prohibited",
        "hold",
        "licence_required",
        "notify_authority",
        "general_authorisation",
        "no_licence_required",
    ];
    let kinds = [
        "EU001",
        "EU002",
        "EU003",
        "EU004",
        "EU005",
        "EU006",
        "EU007",
        "EU008",
        "individual",
        "global",
        "none",
    ];
    let s = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(format!("{k} is not a string"))
    };
    let arr = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .ok_or(format!("{k} is not an array"))
    };
    let d = s(v, "decision")?;
    if !decisions.contains(&d.as_str()) {
        return Err(format!("decision {d}"));
    }
    let auth = v.get("authorisation").ok_or("no authorisation")?;
    let k = s(auth, "kind")?;
    if !kinds.contains(&k.as_str()) {
        return Err(format!("authorisation.kind {k}"));
    }
    for c in arr(auth, "conditions")? {
        c.as_str().ok_or("condition not a string")?;
    }
    let mut most = 0;
    for item in arr(v, "items")? {
        s(&item, "id")?;
        let d = s(&item, "decision")?;
        let rank = decisions
            .iter()
            .rev()
            .position(|x| *x == d)
            .ok_or(format!("item decision {d}"))?;
        most = most.max(rank);
        let k = s(&item, "authorisation")?;
        if !kinds.contains(&k.as_str()) {
            return Err(format!("item authorisation {k}"));
        }
        for c in arr(&item, "citations")? {
            s(&c, "act")?;
            s(&c, "provision")?;
        }
    }
    if decisions.iter().rev().position(|x| *x == d) != Some(most) {
        return Err("top-level decision is not the most restrictive item decision".into());
    }
    for f in arr(v, "red_flags")? {
        s(&f, "code")?;
        s(&f, "text")?;
    }
    if !arr(v, "screening")?.is_empty() {
        return Err("screening should be empty".into());
    }
    for c in arr(v, "citations")? {
        let act = s(&c, "act")?;
        if !act.chars().any(|ch| ch.is_ascii_digit()) || !act.contains('/') {
            return Err(format!("act {act} has no number"));
        }
        let p = s(&c, "provision")?;
        if !(p.starts_with("Art. ") || p.starts_with("Annex")) {
            return Err(format!("provision {p}"));
        }
    }
    for r in arr(v, "reasons")? {
        r.as_str().ok_or("reason not a string")?;
    }
    s(v, "law_version")?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Arbitrary text never panics the input path: it is an input error or a decision.
    #[test]
    fn arbitrary_text_never_panics_assess_or_classify(s in ".{0,300}") {
        let _ = vigil_domain::assess_json(&crate::support::LAW, &s, time::macros::date!(2026 - 06 - 01));
        if let Ok(sheet) = vigil_domain::classify::parse_item_json(&s) {
            let _ = vigil_domain::classify(&crate::support::LAW, &sheet);
        }
    }

    /// Arbitrary strings in every field of a well-formed operation give an error or a decision.
    #[test]
    fn arbitrary_field_values_never_panic(country in "[A-Za-z]{0,3}", entry in "[0-9A-Za-z.]{0,12}", date in "[0-9-]{0,12}", desc in "\\PC{0,80}") {
        let v = op(|v| {
            v["destination"] = json!(country);
            v["items"][0]["entries"] = json!([entry]);
            v["date"] = json!(date);
            v["items"][0]["description"] = json!(desc.clone());
            v["end_use"] = json!(desc);
        });
        let _ = vigil_domain::assess_json(&crate::support::LAW, &v.to_string(), time::macros::date!(2026 - 06 - 01));
    }
}
