//! The Art. 5 due-diligence file (`law/due-diligence.toml`, `vigil_domain::due_diligence`) and the
//! drafted notification (`vigil_domain::notification`): missing answers, red flags and risk, the
//! suggestion, the checks on a signed conclusion, re-run triggers, and the letter in the
//! authority's language.

use std::collections::BTreeMap;

use time::macros::date;
use vigil_domain::due_diligence::{
    Changes, Conclusion, FileRisk, ReuseRefusal, carry_over, check_answers, check_conclusion,
    evaluate, rerun_due, reuse_refusal,
};
use vigil_domain::notification::{NoticeInput, NoticeItem, NoticeParty, draft_notification};

use crate::support::LAW;

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Every required question answered, nothing alarming.
fn clean() -> BTreeMap<String, String> {
    answers(&[
        ("annex_i_entries", "none"),
        ("art_2_20", "met"),
        ("art_2_20_evidence", "Design document v3, section 2"),
        ("covert_features", "no"),
        ("marketing_covert", "no"),
        ("customisation", "no"),
        (
            "misuse_scenarios",
            "Tracking of staff phones beyond the lawful purpose",
        ),
        ("all_identified", "yes"),
        ("screened", "yes"),
        ("security_links", "no"),
        ("prior_misuse", "no"),
        ("repression_documented", "no"),
        (
            "destination_sources",
            "EU annual report on human rights 2025",
        ),
        ("new_measures", "no"),
        ("statement_obtained", "yes"),
        ("statement_consistent", "yes"),
        ("reluctance", "no"),
        ("unusual_route_payment", "no"),
        ("contract_clauses", "yes"),
        ("technical_limits", "yes"),
    ])
}

#[test]
fn the_catalogue_is_versioned_and_cites_the_recommendation() {
    let c = LAW
        .due_diligence()
        .expect("due-diligence.toml is in the law set");
    assert!(c.version.starts_with("dd-2024-2659"));
    assert_eq!(c.act, "2024/2659");
    assert!(
        !c.verified,
        "the Recommendation's annex was not read: UNVERIFIED"
    );
    let steps: Vec<&str> = c.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        steps,
        [
            "item_review",
            "capabilities",
            "stakeholders",
            "destination",
            "end_use",
            "mitigation"
        ]
    );
    assert_eq!(c.review_months(), Some(12));
    assert!(
        c.steps
            .iter()
            .all(|s| s.questions.iter().all(|q| !q.text_fr.is_empty()))
    );
}

#[test]
fn a_clean_file_is_low_risk_and_may_conclude_not_aware() {
    let c = LAW.due_diligence().unwrap();
    let e = evaluate(&LAW, c, &clean());
    assert!(e.missing.is_empty(), "{:?}", e.missing);
    assert!(e.red_flags.is_empty());
    assert_eq!(e.risk, FileRisk::Low);
    assert_eq!(e.suggestion, Conclusion::NotAware);
    assert!(check_conclusion(&e, Conclusion::NotAware, "No red flag; clauses signed.").is_ok());
    // Reasons are always required.
    let err = check_conclusion(&e, Conclusion::NotAware, "  ").unwrap_err();
    assert_eq!(err[0].path, "justification");
}

#[test]
fn art_5_2_a_repressive_destination_and_prior_misuse_suggest_aware() {
    let c = LAW.due_diligence().unwrap();
    let mut a = clean();
    a.insert("repression_documented".into(), "yes".into());
    a.insert("prior_misuse".into(), "yes".into());
    let e = evaluate(&LAW, c, &a);
    let codes: Vec<&str> = e.red_flags.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(
        codes,
        ["prior_misuse_reported", "destination_repression_documented"]
    );
    assert_eq!(e.risk, FileRisk::High);
    assert_eq!(e.suggestion, Conclusion::Aware);
    assert!(
        e.suggestion_reasons[0].contains("Art. 5(2)"),
        "{:?}",
        e.suggestion_reasons
    );
    // Each flag names its source, flagged when unverified.
    let misuse = &e.red_flags[0];
    assert!(misuse.source.contains("2024/2659"), "{}", misuse.source);
    assert!(misuse.source.ends_with("[UNVERIFIED]"));
    // Concluding "not aware" against it needs a real justification.
    let err = check_conclusion(&e, Conclusion::NotAware, "fine").unwrap_err();
    assert_eq!(err[0].path, "justification");
    assert!(
        check_conclusion(
            &e,
            Conclusion::Aware,
            "Reported misuse by the end user's parent ministry."
        )
        .is_ok()
    );
}

#[test]
fn an_item_outside_art_2_20_is_not_suggested_aware_even_when_risky() {
    let c = LAW.due_diligence().unwrap();
    let mut a = clean();
    a.insert("art_2_20".into(), "not_met".into());
    a.insert("repression_documented".into(), "yes".into());
    a.insert("prior_misuse".into(), "yes".into());
    let e = evaluate(&LAW, c, &a);
    assert_eq!(e.risk, FileRisk::High);
    assert_eq!(e.suggestion, Conclusion::NotAware);
    assert!(e.suggestion_reasons[0].contains("Art. 2(20)"));
}

#[test]
fn missing_and_bad_answers_are_named() {
    let c = LAW.due_diligence().unwrap();
    let mut a = clean();
    a.remove("destination_sources");
    a.insert("screened".into(), " ".into());
    let e = evaluate(&LAW, c, &a);
    assert_eq!(e.missing, ["screened", "destination_sources"]);
    let err = check_conclusion(&e, Conclusion::NotAware, "ok").unwrap_err();
    let paths: Vec<&str> = err.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["answers.screened", "answers.destination_sources"]);
    let bad = answers(&[
        ("screened", "maybe"),
        ("art_2_20", "perhaps"),
        ("colour", "blue"),
    ]);
    let err = check_answers(c, &bad).unwrap_err();
    let paths: Vec<&str> = err.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["answers.art_2_20", "answers.colour", "answers.screened"]
    );
    assert!(err[0].message.contains("met, not_met, unknown"));
}

#[test]
fn a_concluded_file_goes_stale_after_12_months_or_on_a_trigger() {
    let c = LAW.due_diligence().unwrap();
    let none = Changes::default();
    assert!(rerun_due(c, date!(2026 - 01 - 31), date!(2027 - 01 - 30), &none).is_empty());
    let due = rerun_due(c, date!(2026 - 01 - 31), date!(2027 - 01 - 31), &none);
    assert_eq!(
        due.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["months_elapsed"]
    );
    let changes = Changes {
        new_end_user: true,
        new_product_release: true,
        ..Changes::default()
    };
    let due = rerun_due(c, date!(2026 - 06 - 01), date!(2026 - 07 - 01), &changes);
    assert_eq!(
        due.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["new_end_user", "new_product_release"]
    );
}

fn notice(country: &str) -> NoticeInput {
    let c = LAW.due_diligence().unwrap();
    let mut a = clean();
    a.insert("prior_misuse".into(), "yes".into());
    NoticeInput {
        exporter: "Exporter SAS".into(),
        exporter_country: country.into(),
        authority: None,
        reference: "EXP-2026-042".into(),
        operation_type: "export".into(),
        destination: "XX".into(),
        items: vec![NoticeItem {
            name: "Crowd analytics".into(),
            version: "4.2".into(),
            description: "Video analytics with face matching".into(),
            entries: vec![],
        }],
        parties: vec![NoticeParty {
            role: "end_user".into(),
            name: "Ministry of Interior".into(),
            country: "XX".into(),
        }],
        end_use: "Public safety".into(),
        findings: evaluate(&LAW, c, &a).red_flags,
        justification: "Reports of misuse against protesters in 2024.".into(),
        attachments: vec!["end-use-statement.pdf".into()],
        signer: "Claire Officer, export control officer".into(),
        date: "2026-11-25".into(),
    }
}

#[test]
fn art_5_2_the_notice_is_written_in_the_authoritys_language() {
    let fr = draft_notification(&LAW, &notice("FR")).unwrap();
    assert_eq!(fr.language, "fr");
    assert!(fr.authority.starts_with("SBDU"));
    assert!(!fr.authority_verified);
    assert!(
        fr.subject.contains("article 5, paragraphe 2"),
        "{}",
        fr.subject
    );
    assert!(fr.body.contains("EXP-2026-042"));
    assert!(fr.body.contains("non inscrit à l'annexe I"));
    assert!(fr.body.contains("prior_misuse_reported"));
    assert!(fr.body.contains("end-use-statement.pdf"));
    let de = draft_notification(&LAW, &notice("DE")).unwrap();
    assert_eq!(de.language, "de");
    assert!(de.body.contains("Artikel 5 Absatz 2"));
    let nl = draft_notification(&LAW, &notice("NL")).unwrap();
    assert_eq!(nl.language, "en");
    assert!(nl.authority.starts_with("CDIU"));
}

#[test]
fn a_notice_without_an_authority_or_reasons_is_refused() {
    // Vigil knows no authority for Portugal: the officer must name it.
    let mut n = notice("PT");
    n.justification = " ".into();
    let e = draft_notification(&LAW, &n).unwrap_err();
    let paths: Vec<&str> = e.errors.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["authority", "justification"]);
    let mut n = notice("PT");
    n.authority = Some("Autoridade Tributária e Aduaneira".into());
    let d = draft_notification(&LAW, &n).unwrap();
    assert_eq!(d.authority, "Autoridade Tributária e Aduaneira");
    assert_eq!(d.language, "en");
    // Only an exporter of a Member State notifies under Art. 5(2).
    let e = draft_notification(&LAW, &notice("US")).unwrap_err();
    assert_eq!(e.errors[0].path, "exporter_country");
}

#[test]
fn reuse_carries_over_the_answers_still_in_the_catalogue_and_never_the_conclusion() {
    let c = LAW.due_diligence().unwrap();
    let mut source = clean();
    source.insert("retired_question".to_owned(), "yes".to_owned());
    source.insert("screened".to_owned(), "perhaps".to_owned());
    source.insert("reluctance".to_owned(), "  ".to_owned());
    let carried = carry_over(c, &source);
    // Every valid answer, trimmed; the conclusion is not an answer and is never carried.
    assert_eq!(
        carried.kept.get("art_2_20").map(String::as_str),
        Some("met")
    );
    assert!(!carried.kept.contains_key("screened"));
    assert!(!carried.kept.contains_key("reluctance"));
    assert!(!carried.kept.contains_key("retired_question"));
    assert_eq!(carried.kept.len(), clean().len() - 2);
    let dropped: Vec<&str> = carried.dropped.iter().map(|(q, _)| q.as_str()).collect();
    assert_eq!(dropped, ["retired_question", "screened"]);
    assert!(carried.dropped[0].1.contains(&c.version));
    assert!(carried.dropped[1].1.contains("yes or no"));
    // The carried answers are checked answers: the new file evaluates like any other.
    assert!(check_answers(c, &carried.kept).is_ok());
    let e = evaluate(&LAW, c, &carried.kept);
    assert_eq!(e.missing, ["screened", "reluctance"]);
}

#[test]
fn art_5_2_an_aware_file_is_not_reused_while_the_authority_has_not_answered() {
    // Open: nothing signed to start from.
    assert_eq!(
        reuse_refusal(false, None, false),
        Some(ReuseRefusal::NotConcluded)
    );
    // Not aware: reusable.
    assert_eq!(reuse_refusal(true, Some(Conclusion::NotAware), false), None);
    // Aware, notification pending: the awareness persists; not reusable.
    let r = reuse_refusal(true, Some(Conclusion::Aware), false);
    assert_eq!(r, Some(ReuseRefusal::AwaitingAuthority));
    assert!(r.unwrap().message().contains("Art. 5(2)"));
    // Aware, answered: reusable (a "licence required" answer binds the later operation anyway).
    assert_eq!(reuse_refusal(true, Some(Conclusion::Aware), true), None);
}

#[test]
fn the_triggers_fired_since_a_reused_file_was_concluded_are_listed() {
    let c = LAW.due_diligence().unwrap();
    let concluded = date!(2025 - 03 - 31);
    let ids = |today, changes: &Changes| -> Vec<String> {
        rerun_due(c, concluded, today, changes)
            .into_iter()
            .map(|t| t.id.clone())
            .collect()
    };
    assert!(ids(date!(2025 - 09 - 01), &Changes::default()).is_empty());
    let changes = Changes {
        new_product_release: true,
        ..Changes::default()
    };
    assert_eq!(
        ids(date!(2025 - 09 - 01), &changes),
        ["new_product_release"]
    );
    assert_eq!(
        ids(date!(2026 - 03 - 31), &changes),
        ["new_product_release", "months_elapsed"]
    );
}
