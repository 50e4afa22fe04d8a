//! French foreign-investment screening (`law/fr-fdi.toml`, `vigil_domain::fdi`): one test per
//! limb, each stating the provision it expects; every answer flags its references UNVERIFIED.

use serde_json::{Value, json};
use vigil_domain::fdi::{FdiAssessment, FdiQuestionnaire, assess_fdi};

use crate::support::LAW;

/// A US fund acquiring 30 % of a French cryptology start-up (not listed).
fn base() -> Value {
    json!({
        "target": "Chiffre SAS",
        "target_kind": "french_entity",
        "listed": false,
        "chain": [
            {"name": "Atlantic Growth Fund LP", "kind": "entity", "country": "US"},
            {"name": "Atlantic Partners LLC", "kind": "entity", "country": "US"}
        ],
        "acquires_control": false,
        "voting_rights_before": 0.0,
        "voting_rights_after": 30.0,
        "activities": ["cryptology"]
    })
}

fn run(f: impl FnOnce(&mut Value)) -> FdiAssessment {
    let mut v = base();
    f(&mut v);
    let q: FdiQuestionnaire = serde_json::from_value(v).unwrap();
    assess_fdi(&LAW, &q).unwrap()
}

fn cites(a: &FdiAssessment, provision: &str) -> bool {
    a.citations.iter().any(|c| c.contains(provision))
}

#[test]
fn r_151_2_3_a_non_eu_investor_crossing_25_percent_of_a_cryptology_company_needs_authorisation() {
    let a = run(|_| {});
    assert_eq!(a.outcome, "authorisation_required", "{a:#?}");
    assert!(cites(&a, "Art. R. 151-2, 3°"), "{:?}", a.citations);
    assert!(cites(&a, "Art. R. 151-3, I"), "{:?}", a.citations);
    assert!(cites(&a, "Art. R. 151-1"), "{:?}", a.citations);
    // The procedure: 30 days, silence = refusal; a possible 45-day second phase.
    let days: Vec<u32> = a.deadlines.iter().map(|d| d.days).collect();
    assert_eq!(days, [30, 45]);
    assert!(a.deadlines[0].record.text.contains("silence"));
    assert!(!a.consequences.is_empty());
    // Every reference rests on secondary sources and says so.
    assert!(a.citations.iter().all(|c| c.ends_with("[UNVERIFIED]")));
    assert!(a.verification.contains("secondary sources"));
}

#[test]
fn r_151_2_3_the_25_percent_limb_does_not_apply_to_an_all_eu_chain() {
    let a = run(|v| {
        v["chain"] = json!([
            {"name": "Rhein Kapital GmbH", "kind": "entity", "country": "DE"},
            {"name": "Norsk Holding AS", "kind": "entity", "country": "NO"}
        ]);
    });
    // Foreign (not French law), but EU/EEA: crossing 25 % without control is not covered.
    assert_eq!(a.outcome, "not_required", "{a:#?}");
    assert_eq!(a.foreign_members.len(), 2);
    assert!(a.deadlines.is_empty());
    // With control, it is covered whatever the nationality.
    let a = run(|v| {
        v["chain"] = json!([{"name": "Rhein Kapital GmbH", "kind": "entity", "country": "DE"}]);
        v["acquires_control"] = json!(true);
        v["voting_rights_after"] = json!(51.0);
    });
    assert_eq!(a.outcome, "authorisation_required");
    assert!(cites(&a, "Art. R. 151-2, 1°"), "{:?}", a.citations);
}

#[test]
fn r_151_1_any_foreign_member_of_the_chain_makes_the_investor_foreign() {
    // A French holding controlled by a Chinese parent.
    let a = run(|v| {
        v["chain"] = json!([
            {"name": "Holding France SAS", "kind": "entity", "country": "FR"},
            {"name": "Parent Co Ltd", "kind": "entity", "country": "CN"}
        ]);
    });
    assert_eq!(a.outcome, "authorisation_required");
    assert_eq!(a.foreign_members.len(), 1);
    assert!(a.foreign_members[0].starts_with("Parent Co Ltd"));
    // A French national living abroad is foreign too; a tax-resident one is not.
    let a = run(|v| {
        v["chain"] = json!([{"name": "Jeanne Martin", "kind": "person", "country": "FR", "french_tax_resident": false}]);
        v["acquires_control"] = json!(true);
    });
    assert!(
        a.foreign_members[0].contains("not tax-resident"),
        "{:?}",
        a.foreign_members
    );
    let a = run(|v| {
        v["chain"] = json!([{"name": "Jeanne Martin", "kind": "person", "country": "FR", "french_tax_resident": true}]);
        v["acquires_control"] = json!(true);
    });
    assert_eq!(a.outcome, "not_required");
    assert!(a.reasons[0].contains("No member of the control chain"));
}

#[test]
fn decree_2023_1293_10_percent_of_a_listed_company_is_a_notification() {
    let a = run(|v| {
        v["listed"] = json!(true);
        v["voting_rights_after"] = json!(12.0);
    });
    assert_eq!(a.outcome, "notification_required", "{a:#?}");
    assert!(cites(&a, "Décret n° 2023-1293"), "{:?}", a.citations);
    assert!(
        a.deadlines
            .iter()
            .any(|d| d.days == 10 && d.day_kind == "working")
    );
    // Not listed: 12 % crosses nothing.
    let a = run(|v| v["voting_rights_after"] = json!(12.0));
    assert_eq!(a.outcome, "not_required");
    // Already above 25 % before: crossing nothing new.
    let a = run(|v| {
        v["voting_rights_before"] = json!(26.0);
        v["voting_rights_after"] = json!(40.0);
    });
    assert_eq!(a.outcome, "not_required");
}

#[test]
fn r_151_3_no_sensitive_activity_no_authorisation() {
    let a = run(|v| v["activities"] = json!([]));
    assert_eq!(a.outcome, "not_required");
    assert!(a.reasons[0].contains("none of the target's activities"));
    let a =
        run(|v| v["activities"] = json!(["interception_equipment", "rd_critical_technologies"]));
    assert_eq!(a.outcome, "authorisation_required");
    assert_eq!(a.activities.len(), 2);
}

#[test]
fn bad_questionnaires_name_every_bad_field() {
    let mut v = base();
    v["target_kind"] = json!("subsidiary");
    v["chain"][0]["country"] = json!("XX");
    v["chain"][1]["kind"] = json!("fund");
    v["voting_rights_after"] = json!(130.0);
    v["activities"] = json!(["cryptology", "bakery"]);
    let q: FdiQuestionnaire = serde_json::from_value(v).unwrap();
    let e = assess_fdi(&LAW, &q).unwrap_err();
    let mut paths: Vec<&str> = e.errors.iter().map(|f| f.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "activities[1]",
            "chain[0].country",
            "chain[1].kind",
            "target_kind",
            "voting_rights_after"
        ],
        "{e}"
    );
    let empty = FdiQuestionnaire {
        target_kind: "french_entity".into(),
        ..FdiQuestionnaire::default()
    };
    let e = assess_fdi(&LAW, &empty).unwrap_err();
    assert_eq!(e.errors[0].path, "chain");
}
