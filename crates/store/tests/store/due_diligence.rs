//! Art. 5 due-diligence files on both backends: answers checked against the catalogue; a
//! conclusion needs every required answer, its reasons and an officer; "aware" holds the
//! operation and drafts the notification in one transaction; a notification without an
//! authority is refused and nothing is written; the authority's "licence required" binds later
//! operations with the same item and end user (Art. 5(1)-(2) of Regulation (EU) 2021/821).

use super::*;

use std::collections::BTreeMap;

use vigil_domain::Law;
use vigil_domain::access::Role;
use vigil_domain::due_diligence::Conclusion;
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::audit::AuditFilter;
use vigil_store::due_diligence::{AuthorityAnswer, ConclusionInput, operation_subject};
use vigil_store::records::{NewOperation, NewParty, RecordError};

fn law() -> Law {
    Law::embedded().unwrap()
}

/// An organisation's operator, officer and auditor.
fn team(store: &Store, org: &str) -> (OrgScope, OrgScope, OrgScope) {
    let (u, o) = store
        .admin_create_user(
            &NewUser {
                email: &format!("admin@{org}.example"),
                display_name: "",
                password: "correct horse battery",
            },
            org,
            Role::Admin,
            "test",
        )
        .unwrap();
    let admin = store.scope(&u.id, &o.id).unwrap().unwrap();
    let mut scopes = Vec::new();
    for (who, role) in [
        ("operator", Role::Operator),
        ("officer", Role::Officer),
        ("auditor", Role::Auditor),
    ] {
        let user = store
            .add_member(
                &admin,
                &format!("{who}@{org}.example"),
                role,
                Some((who, "correct horse battery")),
            )
            .unwrap();
        scopes.push(store.scope(&user.id, &o.id).unwrap().unwrap());
    }
    let auditor = scopes.pop().unwrap();
    let officer = scopes.pop().unwrap();
    let operator = scopes.pop().unwrap();
    (operator, officer, auditor)
}

fn input(exporter_country: &str) -> String {
    serde_json::json!({
        "reference": "EXP-DD-1",
        "type": "export",
        "exporter": {"name": "Visiognomie SAS", "country": exporter_country},
        "destination": "EG",
        "items": [{"id": "VG-CROWD", "description": "Facial recognition platform", "kind": "software", "entries": [], "cyber_surveillance": true}],
        "parties": [{"role": "end_user", "name": "Directorate of Public Security", "country": "EG"}],
        "end_use": "City safety",
    })
    .to_string()
}

fn operation(
    store: &Store,
    scope: &OrgScope,
    exporter_country: &str,
    parties: &[String],
) -> String {
    let text = input(exporter_country);
    store
        .create_operation(
            scope,
            &NewOperation {
                reference: "EXP-DD-1",
                input_json: &text,
                assessment_json: r#"{"decision":"no_licence_required"}"#,
                decision: "no_licence_required",
                law_version: "test-law",
                retain_until: None,
                party_ids: parties,
            },
        )
        .unwrap()
        .id
}

/// Every required answer, with a repressive destination and reported misuse.
fn aware_answers() -> BTreeMap<String, String> {
    [
        ("annex_i_entries", "none"),
        ("art_2_20", "met"),
        ("art_2_20_evidence", "Design document v3"),
        ("covert_features", "no"),
        ("marketing_covert", "no"),
        ("customisation", "no"),
        ("misuse_scenarios", "Identification of protesters"),
        ("all_identified", "yes"),
        ("screened", "yes"),
        ("security_links", "yes"),
        ("prior_misuse", "yes"),
        ("repression_documented", "yes"),
        ("destination_sources", "UN OHCHR report 2025"),
        ("new_measures", "no"),
        ("statement_obtained", "yes"),
        ("statement_consistent", "yes"),
        ("reluctance", "no"),
        ("unusual_route_payment", "no"),
        ("contract_clauses", "yes"),
        ("technical_limits", "no"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn actions(store: &Store, org: &str, prefix: &str) -> Vec<String> {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .filter(|a| a.starts_with(prefix))
        .collect()
}

fn conclusion(c: Conclusion, justification: &str) -> ConclusionInput<'_> {
    ConclusionInput {
        conclusion: c,
        justification,
        authority: None,
        today: time::macros::date!(2026 - 11 - 26),
    }
}

store_test!(answers_are_checked_against_the_catalogue, |store| {
    let law = law();
    let (operator, _, auditor) = team(store, "dd-a");
    let op = operation(store, &operator, "FR", &[]);
    let mut bad = BTreeMap::new();
    bad.insert("colour".to_owned(), "blue".to_owned());
    bad.insert("screened".to_owned(), "maybe".to_owned());
    let e = store
        .save_dd_answers(&operator, &law, &op, &bad)
        .unwrap_err();
    match e {
        RecordError::Invalid { field, reason } => {
            assert_eq!(field, "answers");
            assert!(reason.contains("answers.colour"), "{reason}");
            assert!(
                reason.contains("answers.screened: expected yes or no"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        store.dd_files(&operator, &op).unwrap().is_empty(),
        "nothing written"
    );
    assert!(actions(store, operator.org_id(), "dd.").is_empty());
    // An auditor reads, never answers.
    let e = store
        .save_dd_answers(&auditor, &law, &op, &aware_answers())
        .unwrap_err();
    assert!(matches!(e, RecordError::Forbidden), "{e:?}");

    // Good answers: saved, evaluated, each change kept, audited.
    let mut first = BTreeMap::new();
    first.insert("screened".to_owned(), "no".to_owned());
    let f = store.save_dd_answers(&operator, &law, &op, &first).unwrap();
    assert_eq!(f.status, "open");
    assert_eq!(f.item_name, "VG-CROWD");
    assert_eq!(f.end_user_name, "Directorate of Public Security");
    assert!(f.catalogue_version.starts_with("dd-2024-2659"));
    let f = store
        .save_dd_answers(&operator, &law, &op, &aware_answers())
        .unwrap();
    assert_eq!(f.answers(), aware_answers());
    let eval: serde_json::Value = serde_json::from_str(&f.evaluation_json).unwrap();
    assert_eq!(eval["risk"], "high");
    assert_eq!(eval["suggestion"], "aware");
    let history = store.dd_answer_changes(&operator, &f.id).unwrap();
    let screened: Vec<_> = history
        .iter()
        .filter(|c| c.question == "screened")
        .collect();
    assert_eq!(screened.len(), 2);
    assert_eq!(screened[1].old_value.as_deref(), Some("no"));
    assert_eq!(screened[1].new_value, "yes");
    assert_eq!(
        actions(store, operator.org_id(), "dd."),
        ["dd.answered", "dd.answered"]
    );
    // Another organisation sees nothing of it.
    let (other, _, _) = team(store, "dd-b");
    assert!(store.dd_files(&other, &op).unwrap().is_empty());
    let e = store
        .save_dd_answers(&other, &law, &op, &first)
        .unwrap_err();
    assert!(matches!(e, RecordError::NotFound), "{e:?}");
});

store_test!(a_conclusion_needs_answers_reasons_and_an_officer, |store| {
    let law = law();
    let (operator, officer, _) = team(store, "dd-c");
    let op = operation(store, &operator, "FR", &[]);
    let mut partial = aware_answers();
    partial.remove("destination_sources");
    store
        .save_dd_answers(&operator, &law, &op, &partial)
        .unwrap();
    // An operator may not sign.
    let e = store
        .conclude_dd_file(
            &operator,
            &law,
            &op,
            &conclusion(Conclusion::Aware, "Misuse reported."),
        )
        .unwrap_err();
    assert!(matches!(e, RecordError::Forbidden), "{e:?}");
    // A required answer is missing.
    let e = store
        .conclude_dd_file(
            &officer,
            &law,
            &op,
            &conclusion(Conclusion::Aware, "Misuse reported."),
        )
        .unwrap_err();
    assert!(
        matches!(&e, RecordError::Invalid { field: "answers", reason } if reason.contains("answers.destination_sources")),
        "{e:?}"
    );
    store
        .save_dd_answers(&operator, &law, &op, &aware_answers())
        .unwrap();
    // Unsigned: no reasons.
    let e = store
        .conclude_dd_file(&officer, &law, &op, &conclusion(Conclusion::Aware, "   "))
        .unwrap_err();
    assert!(
        matches!(
            e,
            RecordError::Invalid {
                field: "justification",
                ..
            }
        ),
        "{e:?}"
    );
    // "Not aware" against a high-risk file needs real reasons.
    let e = store
        .conclude_dd_file(
            &officer,
            &law,
            &op,
            &conclusion(Conclusion::NotAware, "fine"),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            RecordError::Invalid {
                field: "justification",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(actions(store, operator.org_id(), "dd.concluded").is_empty());
    assert!(
        store
            .holds(&operator, &op)
            .unwrap()
            .iter()
            .all(|h| h.cause != "due_diligence")
    );
    assert_eq!(store.dd_files(&operator, &op).unwrap()[0].status, "open");
});

store_test!(
    aware_holds_the_operation_and_drafts_the_notice_in_one_transaction,
    |store| {
        let law = law();
        let (operator, officer, _) = team(store, "dd-d");
        let op = operation(store, &operator, "FR", &[]);
        store
            .save_dd_answers(&operator, &law, &op, &aware_answers())
            .unwrap();
        let done = store
            .conclude_dd_file(
                &officer,
                &law,
                &op,
                &conclusion(
                    Conclusion::Aware,
                    "The end user's ministry is reported to track protesters.",
                ),
            )
            .unwrap();
        assert_eq!(done.file.status, "concluded");
        assert_eq!(done.file.conclusion(), Some(Conclusion::Aware));
        let hold = done.hold.unwrap();
        assert_eq!(hold.cause, "due_diligence");
        assert!(
            hold.detail.contains("awaiting the authority's answer"),
            "{}",
            hold.detail
        );
        let n = done.notification.unwrap();
        assert_eq!(
            n.language, "fr",
            "a French exporter writes to the SBDU in French"
        );
        assert!(n.authority.starts_with("SBDU"), "{}", n.authority);
        assert!(
            n.subject.contains("article 5, paragraphe 2"),
            "{}",
            n.subject
        );
        assert!(n.body.contains("VG-CROWD"));
        assert_eq!(n.status, "draft");
        let stored = store.operation(&operator, &op).unwrap().unwrap();
        assert_eq!(stored.status, "blocked");
        assert_eq!(
            store.notifications_of_operation(&operator, &op).unwrap(),
            vec![n.clone()]
        );
        assert_eq!(
            actions(store, operator.org_id(), "dd.concluded")
                .into_iter()
                .chain(actions(store, operator.org_id(), "notification."))
                .collect::<Vec<_>>(),
            ["dd.concluded", "notification.drafted"]
        );
        // Frozen: the answers can no longer change; a re-run is a new file.
        let e = store
            .save_dd_answers(&operator, &law, &op, &aware_answers())
            .unwrap_err();
        assert!(matches!(e, RecordError::Refused(_)), "{e:?}");
        let again = store.rerun_dd_file(&operator, &law, &op).unwrap();
        assert_ne!(again.id, done.file.id);
        assert_eq!(again.status, "open");
        assert_eq!(again.answers(), aware_answers());
        assert_eq!(store.dd_files(&operator, &op).unwrap().len(), 2);
    }
);

store_test!(
    a_notification_without_an_authority_is_refused_and_nothing_is_written,
    |store| {
        let law = law();
        let (operator, officer, _) = team(store, "dd-e");
        // Vigil knows no competent authority for Belgium.
        let op = operation(store, &operator, "BE", &[]);
        store
            .save_dd_answers(&operator, &law, &op, &aware_answers())
            .unwrap();
        let audit_before = store
            .audit_records(operator.org_id(), &AuditFilter::default())
            .unwrap()
            .len();
        let e = store
            .conclude_dd_file(
                &officer,
                &law,
                &op,
                &conclusion(Conclusion::Aware, "Reported misuse."),
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                RecordError::Invalid {
                    field: "authority",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(store.dd_files(&operator, &op).unwrap()[0].status, "open");
        assert!(store.holds(&operator, &op).unwrap().is_empty());
        assert!(
            store
                .notifications_of_operation(&operator, &op)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.operation(&operator, &op).unwrap().unwrap().status,
            "decided"
        );
        assert_eq!(
            store
                .audit_records(operator.org_id(), &AuditFilter::default())
                .unwrap()
                .len(),
            audit_before
        );
        // Naming the authority makes it go through (in English: none known for BE).
        let mut c = conclusion(Conclusion::Aware, "Reported misuse.");
        c.authority = Some("FPS Economy, Licensing Service");
        let done = store.conclude_dd_file(&officer, &law, &op, &c).unwrap();
        assert_eq!(done.notification.unwrap().language, "en");
    }
);

store_test!(licence_required_binds_the_same_item_and_end_user, |store| {
    let law = law();
    let (operator, officer, _) = team(store, "dd-f");
    let party = store
        .create_party(
            &operator,
            &NewParty {
                role: "end_user",
                name: "Directorate of Public Security",
                country: "EG",
                notes: "",
            },
        )
        .unwrap();
    let op = operation(store, &operator, "FR", std::slice::from_ref(&party.id));
    store
        .save_dd_answers(&operator, &law, &op, &aware_answers())
        .unwrap();
    let done = store
        .conclude_dd_file(
            &officer,
            &law,
            &op,
            &conclusion(Conclusion::Aware, "Reported misuse."),
        )
        .unwrap();
    assert_eq!(done.file.party_id.as_deref(), Some(party.id.as_str()));
    // The concluded file is found again for the same item and end user.
    let reusable = store
        .dd_files_for(&operator, "vg-crowd", "DIRECTORATE of public  security")
        .unwrap();
    assert_eq!(reusable.len(), 1);
    assert!(
        store
            .dd_files_for(&operator, "VG-CROWD", "Someone else")
            .unwrap()
            .is_empty()
    );
    let n = done.notification.unwrap();
    let answer = AuthorityAnswer {
        answer: "licence_required",
        reference: "SBDU-2026-0042",
        date: "2026-12-03",
    };
    // Sending comes first; the answer is an officer's.
    let e = store
        .record_authority_answer(&officer, &n.id, &answer)
        .unwrap_err();
    assert!(matches!(e, RecordError::Refused(_)), "{e:?}");
    let e = store
        .record_notification_sent(&operator, &n.id, "2026-11-27", "LRAR 1A-2")
        .unwrap_err();
    assert!(matches!(e, RecordError::Forbidden), "{e:?}");
    let e = store
        .record_notification_sent(&officer, &n.id, "27/11/2026", "LRAR 1A-2")
        .unwrap_err();
    assert!(
        matches!(
            e,
            RecordError::Invalid {
                field: "sent_on",
                ..
            }
        ),
        "{e:?}"
    );
    let sent = store
        .record_notification_sent(&officer, &n.id, "2026-11-27", "LRAR 1A-2")
        .unwrap();
    assert_eq!(sent.status, "sent");
    let e = store
        .record_authority_answer(
            &officer,
            &n.id,
            &AuthorityAnswer {
                answer: "maybe",
                ..answer.clone()
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            RecordError::Invalid {
                field: "answer",
                ..
            }
        ),
        "{e:?}"
    );
    let answered = store
        .record_authority_answer(&officer, &n.id, &answer)
        .unwrap();
    assert_eq!(answered.status, "answered");
    assert_eq!(answered.answer.as_deref(), Some("licence_required"));
    assert_eq!(
        actions(store, operator.org_id(), "notification."),
        [
            "notification.drafted",
            "notification.sent",
            "notification.answered"
        ]
    );
    let bindings = store.binding_answers(&operator).unwrap();
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].answer_reference, "SBDU-2026-0042");
    // The same item and end user: bound, by the party record or by name and country.
    let later: serde_json::Value = serde_json::from_str(&input("FR")).unwrap();
    assert_eq!(
        store
            .binding_answers_for(&operator, &later, std::slice::from_ref(&party.id))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .binding_answers_for(&operator, &later, &[])
            .unwrap()
            .len(),
        1
    );
    // Another end user, or another item: not bound.
    let mut other_user = later.clone();
    other_user["parties"][0]["name"] = "Ministry of Health".into();
    assert!(
        store
            .binding_answers_for(&operator, &other_user, &[])
            .unwrap()
            .is_empty()
    );
    let mut other_item = later.clone();
    other_item["items"][0]["id"] = "VG-OTHER".into();
    assert!(
        store
            .binding_answers_for(&operator, &other_item, &[])
            .unwrap()
            .is_empty()
    );
    assert_eq!(operation_subject(&later).end_users.len(), 1);
    // Another organisation is not bound by it.
    let (stranger, _, _) = team(store, "dd-g");
    assert!(
        store
            .binding_answers_for(&stranger, &later, &[])
            .unwrap()
            .is_empty()
    );
    assert!(store.notification(&stranger, &n.id).unwrap().is_none());
});

fn op_for(store: &Store, scope: &OrgScope, reference: &str, end_user: &str) -> String {
    let text = serde_json::json!({
        "reference": reference,
        "type": "export",
        "exporter": {"name": "Visiognomie SAS", "country": "FR"},
        "destination": "EG",
        "items": [{"id": "VG-CROWD", "description": "Facial recognition platform", "kind": "software", "entries": [], "cyber_surveillance": true}],
        "parties": [{"role": "end_user", "name": end_user, "country": "EG"}],
        "end_use": "City safety",
    })
    .to_string();
    store
        .create_operation(
            scope,
            &NewOperation {
                reference,
                input_json: &text,
                assessment_json: r#"{"decision":"no_licence_required"}"#,
                decision: "no_licence_required",
                law_version: "test-law",
                retain_until: None,
                party_ids: &[],
            },
        )
        .unwrap()
        .id
}

fn clean_answers() -> BTreeMap<String, String> {
    let mut a = aware_answers();
    for q in ["security_links", "prior_misuse", "repression_documented"] {
        a.insert(q.to_owned(), "no".to_owned());
    }
    a
}

// See: issue 7. Reuse keeps where each answer came from, across a chain of reuses; refusals
// write nothing.
store_test!(a_reused_file_keeps_the_origin_of_each_answer, |store| {
    let law = law();
    let today = time::macros::date!(2026 - 11 - 26);
    let (operator, officer, auditor) = team(store, "reuse");
    let (_, other_officer, _) = team(store, "reuse-other");
    let not_aware = conclusion(
        Conclusion::NotAware,
        "No human-rights signal; contract clauses in place.",
    );
    let op1 = op_for(store, &operator, "EXP-R1", "Cairo Metro Company");
    let f1 = store
        .save_dd_answers(&operator, &law, &op1, &clean_answers())
        .unwrap();
    store
        .conclude_dd_file(&officer, &law, &op1, &not_aware)
        .unwrap();

    let op2 = op_for(store, &operator, "EXP-R2", "cairo metro  company");
    let offers = store.dd_reuse_offers(&auditor, &law, &op2, today).unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].file.id, f1.id);
    assert!(offers[0].refusal.is_none());
    assert_eq!(offers[0].operation_reference, "EXP-R1");
    // Refusals: an auditor; another organisation's file; another end user's operation.
    assert!(matches!(
        store.reuse_dd_file(&auditor, &law, &op2, &f1.id, today),
        Err(RecordError::Forbidden)
    ));
    let theirs = op_for(store, &other_officer, "EXP-X", "Cairo Metro Company");
    assert!(matches!(
        store.reuse_dd_file(&other_officer, &law, &theirs, &f1.id, today),
        Err(RecordError::NotFound)
    ));
    let elsewhere = op_for(store, &operator, "EXP-R9", "Someone Else");
    assert!(
        store
            .dd_reuse_offers(&operator, &law, &elsewhere, today)
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.reuse_dd_file(&operator, &law, &elsewhere, &f1.id, today),
        Err(RecordError::Refused(_))
    ));
    assert!(store.dd_files(&operator, &elsewhere).unwrap().is_empty());
    assert!(actions(store, operator.org_id(), "dd.reused").is_empty());

    // The officer reuses it: carried over from file 1, first answered by the operator.
    let r2 = store
        .reuse_dd_file(&officer, &law, &op2, &f1.id, today)
        .unwrap();
    assert_eq!(r2.file.reused_from.as_deref(), Some(f1.id.as_str()));
    assert_eq!(r2.carried.kept, clean_answers());
    assert!(r2.carried.dropped.is_empty());
    assert!(r2.triggers.is_empty());
    let carried = store.dd_carried_answers(&officer, &r2.file.id).unwrap();
    assert_eq!(carried.len(), clean_answers().len());
    assert!(carried.iter().all(|k| k.source_file_id == f1.id
        && k.origin_file_id == f1.id
        && k.answered_by == operator.user_id()
        && k.carried_by == officer.user_id()
        && k.is_current()));
    // Changing an answer makes it the file's own.
    store
        .save_dd_answers(
            &officer,
            &law,
            &op2,
            &BTreeMap::from([("technical_limits".to_owned(), "yes".to_owned())]),
        )
        .unwrap();
    let carried = store.dd_carried_answers(&officer, &r2.file.id).unwrap();
    let changed = carried
        .iter()
        .find(|k| k.question == "technical_limits")
        .unwrap();
    assert_eq!(changed.replaced_by.as_deref(), Some(officer.user_id()));
    store
        .conclude_dd_file(&officer, &law, &op2, &not_aware)
        .unwrap();

    // A third operation from file 2: the unchanged answers keep their origin in file 1.
    let op3 = op_for(store, &operator, "EXP-R3", "Cairo Metro Company");
    let offers = store.dd_reuse_offers(&operator, &law, &op3, today).unwrap();
    assert_eq!(offers.len(), 2);
    assert_eq!(offers[0].file.id, r2.file.id, "newest conclusion first");
    let r3 = store
        .reuse_dd_file(&operator, &law, &op3, &r2.file.id, today)
        .unwrap();
    let carried = store.dd_carried_answers(&operator, &r3.file.id).unwrap();
    let screened = carried.iter().find(|k| k.question == "screened").unwrap();
    assert_eq!(screened.source_file_id, r2.file.id);
    assert_eq!(screened.origin_file_id, f1.id);
    assert_eq!(screened.answered_by, operator.user_id());
    let limits = carried
        .iter()
        .find(|k| k.question == "technical_limits")
        .unwrap();
    assert_eq!(limits.origin_file_id, r2.file.id);
    assert_eq!(limits.answered_by, officer.user_id());
    assert_eq!(
        actions(store, operator.org_id(), "dd.reused"),
        ["dd.reused", "dd.reused"]
    );
});
