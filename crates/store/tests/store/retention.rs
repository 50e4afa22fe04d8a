//! Release with evidence, records and retention, product releases, on both backends: a licence
//! release draws the licence down in the same transaction and a refused draw-down writes
//! nothing; screening hits are not cleared while a party alerts; an authority's "licence
//! required" releases nothing; a record is deleted only by an officer or administrator after
//! its Art. 27 date, never while a hold is open, and a batch is all or nothing; a released record
//! is frozen; the records of a period export as a ZIP whose manifest hashes every file; a new
//! version whose answers changed is flagged and holds the operations that name it.

use super::*;

use std::io::Read as _;

use vigil_domain::access::Role;
use vigil_domain::icp::{LicenceKind, LicenceTerms, Quota, QuotaUnit};
use vigil_domain::law::{ControlCode, Law};
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::audit::AuditFilter;
use vigil_store::records::{NewClassification, NewItem, NewOperation, RecordError};
use vigil_store::releases::ReleaseStatus;
use vigil_store::retention::{DeleteError, KeepReason};
use vigil_store::review::{Evidence, ReleaseDocument, ReleaseError, ReleaseRequest};

/// An organisation with an administrator, an operator and an officer.
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
    for (who, role) in [("operator", Role::Operator), ("officer", Role::Officer)] {
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
    let officer = scopes.pop().unwrap();
    let operator = scopes.pop().unwrap();
    (admin, operator, officer)
}

/// The IMSI catcher example, two pieces.
fn imsi_operation() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/operations/imsi-catcher-to-uae-police.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["items"][0]["quantity"] = serde_json::json!({"amount": 2, "unit": "pieces"});
    v.to_string()
}

fn new_op<'a>(input: &'a str, decision: &'a str, retain: Option<&'a str>) -> NewOperation<'a> {
    NewOperation {
        reference: "EXP-2026-0107",
        input_json: input,
        assessment_json: r#"{"decision":"licence_required"}"#,
        decision,
        law_version: "test-law",
        retain_until: retain,
        party_ids: &[],
    }
}

fn terms(number: &str, destination: &str) -> LicenceTerms {
    LicenceTerms {
        kind: LicenceKind::Individual,
        number: number.to_owned(),
        authority: "BAFA".to_owned(),
        entries: vec![ControlCode::parse("5A001.f.2").unwrap()],
        destinations: vec![destination.to_owned()],
        end_users: vec!["Ministry of Interior, Criminal Investigation Department".to_owned()],
        quotas: vec![Quota {
            unit: QuotaUnit::Pieces,
            total: 10,
        }],
        valid_from: time::macros::date!(2026 - 01 - 01),
        valid_until: time::macros::date!(2027 - 12 - 31),
        large_project: false,
        conditions: String::new(),
        reporting: String::new(),
    }
}

fn actions(store: &Store, org: &str) -> Vec<String> {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .collect()
}

const ON: time::Date = time::macros::date!(2026 - 06 - 01);

store_test!(
    a_licence_release_draws_down_in_the_same_transaction,
    |store| {
        let law = Law::embedded().unwrap();
        let (_, operator, officer) = team(store, "rt-a");
        let input = imsi_operation();
        let op = store
            .create_operation(&operator, &new_op(&input, "licence_required", None))
            .unwrap();
        let hold = store.holds(&officer, &op.id).unwrap().remove(0);
        let good = store
            .register_licence(&officer, &terms("DE-2026-0042", "AE"), "test-law", None)
            .unwrap();
        let wrong = store
            .register_licence(&officer, &terms("DE-2026-0043", "SA"), "test-law", None)
            .unwrap();
        let before = actions(store, officer.org_id());

        // A licence that does not cover the destination: every reason, and nothing written (no
        // release, no draw-down, no document, no audit row).
        let e = store
            .release_with_evidence(
                &officer,
                &ReleaseRequest {
                    hold_id: &hold.id,
                    evidence: Evidence::Licence {
                        licence_id: &wrong.id,
                        on: ON,
                        law: &law,
                    },
                    reason: "Licence DE-2026-0043 attached",
                    documents: vec![ReleaseDocument {
                        filename: "licence.pdf",
                        content_type: "application/pdf",
                        bytes: b"%PDF-1.7 licence",
                    }],
                },
            )
            .unwrap_err();
        let ReleaseError::DrawDownRefused(reasons) = &e else {
            panic!("{e:?}");
        };
        assert!(
            reasons.iter().any(|r| r.message.contains("AE")),
            "{reasons:?}"
        );
        assert!(store.holds(&officer, &op.id).unwrap()[0].is_open());
        assert_eq!(
            store.operation(&officer, &op.id).unwrap().unwrap().status,
            "blocked"
        );
        assert!(store.drawdowns(&officer, &wrong.id).unwrap().is_empty());
        assert!(
            store
                .attachments_of(&officer, &format!("operation:{}", op.id))
                .unwrap()
                .is_empty()
        );
        assert_eq!(actions(store, officer.org_id()), before);

        // The operator cannot release it, whatever the licence (four eyes).
        assert!(matches!(
            store.release_with_evidence(
                &operator,
                &ReleaseRequest {
                    hold_id: &hold.id,
                    evidence: Evidence::Licence {
                        licence_id: &good.id,
                        on: ON,
                        law: &law,
                    },
                    reason: "mine",
                    documents: Vec::new(),
                },
            ),
            Err(ReleaseError::Record(RecordError::Forbidden))
        ));
        assert!(store.drawdowns(&officer, &good.id).unwrap().is_empty());

        // The covering licence: released, drawn down, the document attached, in one go.
        let done = store
            .release_with_evidence(
                &officer,
                &ReleaseRequest {
                    hold_id: &hold.id,
                    evidence: Evidence::Licence {
                        licence_id: &good.id,
                        on: ON,
                        law: &law,
                    },
                    reason: "Licence DE-2026-0042 covers it",
                    documents: vec![ReleaseDocument {
                        filename: "licence.pdf",
                        content_type: "application/pdf",
                        bytes: b"%PDF-1.7 licence",
                    }],
                },
            )
            .unwrap();
        assert_eq!(done.operation.status, "released");
        assert!(done.operation.frozen_at.is_some());
        let d = done.draw_down.unwrap();
        assert_eq!((d.units[0].amount, d.units[0].remaining), (2, 8));
        let rows = store.drawdowns(&officer, &good.id).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].operation_id, op.id);
        let h = &store.holds(&officer, &op.id).unwrap()[0];
        assert_eq!(h.release_kind.as_deref(), Some("licence"));
        let detail: serde_json::Value =
            serde_json::from_str(h.release_detail.as_deref().unwrap()).unwrap();
        assert_eq!(detail["licence"], good.id.as_str());
        assert_eq!(detail["attachments"], serde_json::json!(done.attachments));
        assert_eq!(detail["draw_down"][0]["amount"], 2);
        let after = actions(store, officer.org_id());
        assert_eq!(
            &after[before.len()..],
            [
                "attachment.added",
                "operation.hold_released",
                "licence.drawn_down"
            ]
        );
    }
);

store_test!(authority_answers_and_reasons_are_checked, |store| {
    let (_, operator, officer) = team(store, "rt-b");
    let input = imsi_operation();
    let op = store
        .create_operation(&operator, &new_op(&input, "notify_authority", None))
        .unwrap();
    let hold = store.holds(&officer, &op.id).unwrap().remove(0);
    let hid = hold.id.as_str();
    let answer = |answer: &'static str, reason: &'static str| ReleaseRequest {
        hold_id: hid,
        evidence: Evidence::AuthorityAnswer {
            reference: "BAFA-2026-77",
            date: "2026-05-20",
            answer,
        },
        reason,
        documents: Vec::new(),
    };
    for (req, field) in [
        (
            answer("licence_required", "the authority answered"),
            "answer",
        ),
        (answer("not_required", "   "), "reason"),
    ] {
        let e = store.release_with_evidence(&officer, &req).unwrap_err();
        assert!(
            matches!(&e, ReleaseError::Record(RecordError::Invalid { field: f, .. }) if *f == field),
            "{e:?}"
        );
    }
    assert!(store.holds(&officer, &op.id).unwrap()[0].is_open());
    let done = store
        .release_with_evidence(&officer, &answer("not_required", "BAFA: no licence needed"))
        .unwrap();
    assert_eq!(done.operation.status, "released");
});

store_test!(
    records_are_kept_until_their_date_and_frozen_on_release,
    |store| {
        let (admin, operator, officer) = team(store, "rt-c");
        let input = imsi_operation();
        let op = store
            .create_operation(
                &operator,
                &new_op(&input, "licence_required", Some("2031-12-31")),
            )
            .unwrap();
        // Blocked: not carried out.
        assert!(matches!(
            store.complete_operation(&operator, &op.id),
            Err(RecordError::Refused(_))
        ));
        let hold = store.holds(&officer, &op.id).unwrap().remove(0);
        store
            .release_with_evidence(
                &officer,
                &ReleaseRequest {
                    hold_id: &hold.id,
                    evidence: Evidence::Review,
                    reason: "Red flags reviewed: end user verified",
                    documents: Vec::new(),
                },
            )
            .unwrap();
        // Frozen: the input and the assessment may no longer change.
        {
            let mut c = store.conn().unwrap();
            let c: &mut DbConnection = &mut c;
            let e = diesel::sql_query("UPDATE operations SET assessment_json = '{}' WHERE id = $1")
                .bind::<Text, _>(&op.id)
                .execute(c);
            assert!(e.is_err(), "a frozen record was changed");
        }
        let done = store.complete_operation(&operator, &op.id).unwrap();
        assert!(done.completed_at.is_some());
        assert_eq!(done.input_json, input, "the record is unchanged");
        // Marking it again changes nothing.
        assert_eq!(store.complete_operation(&operator, &op.id).unwrap(), done);

        // Deletion: officers and administrators only, and only after the Art. 27 date.
        let day = time::macros::date!(2031 - 12 - 31);
        assert!(matches!(
            store.delete_operation(&operator, &op.id, day.next_day().unwrap()),
            Err(RecordError::Forbidden)
        ));
        let e = store.delete_operation(&admin, &op.id, day).unwrap_err();
        assert!(
            matches!(&e, RecordError::Refused(why) if why.contains("2031-12-31") && why.contains("Art. 27")),
            "{e}"
        );
        assert!(store.operation(&admin, &op.id).unwrap().is_some());
        let before = actions(store, admin.org_id());
        store
            .delete_operation(&admin, &op.id, day.next_day().unwrap())
            .unwrap();
        assert!(store.operation(&admin, &op.id).unwrap().is_none());
        assert!(store.holds(&admin, &op.id).unwrap().is_empty());
        let after = actions(store, admin.org_id());
        assert_eq!(
            after.len(),
            before.len() + 1,
            "the audit log keeps its rows"
        );
        assert_eq!(after.last().map(String::as_str), Some("operation.deleted"));
        assert!(store.verify_audit(admin.org_id()).unwrap().is_ok());
    }
);

store_test!(
    a_batch_deletion_is_all_or_nothing_and_keeps_what_a_legal_reason_keeps,
    |store| {
        let (admin, operator, officer) = team(store, "rt-del");
        let input = imsi_operation();
        let today = time::macros::date!(2040 - 06 - 01);
        // Past its date, no hold (a general authorisation opens none).
        let old = store
            .create_operation(
                &operator,
                &new_op(&input, "general_authorisation", Some("2030-12-31")),
            )
            .unwrap();
        // Past its date, but its decision hold is open.
        let held = store
            .create_operation(
                &operator,
                &new_op(&input, "licence_required", Some("2030-12-31")),
            )
            .unwrap();
        assert!(
            store
                .holds(&officer, &held.id)
                .unwrap()
                .iter()
                .any(|h| h.is_open())
        );
        // Due within the horizon, not yet deletable.
        let soon = store
            .create_operation(
                &operator,
                &new_op(&input, "general_authorisation", Some("2040-07-15")),
            )
            .unwrap();
        // Far from its date: not listed.
        let far = store
            .create_operation(
                &operator,
                &new_op(&input, "general_authorisation", Some("2045-12-31")),
            )
            .unwrap();

        let due = store.retention_due(&officer, today, 90).unwrap();
        let ids: Vec<&str> = due.iter().map(|e| e.operation.id.as_str()).collect();
        assert!(ids.contains(&old.id.as_str()) && ids.contains(&held.id.as_str()));
        assert!(ids.contains(&soon.id.as_str()) && !ids.contains(&far.id.as_str()));
        let keep = |id: &str| {
            due.iter()
                .find(|e| e.operation.id == id)
                .unwrap()
                .keep
                .clone()
        };
        assert_eq!(keep(&old.id), None);
        assert_eq!(keep(&held.id), Some(KeepReason::OpenHold));
        assert_eq!(
            keep(&soon.id),
            Some(KeepReason::Retention(time::macros::date!(2040 - 07 - 15)))
        );
        assert!(matches!(
            store.retention_due(&operator, today, 90),
            Err(RecordError::Forbidden)
        ));

        // An operator may not delete; an empty batch is refused.
        assert!(matches!(
            store.delete_operations(&operator, std::slice::from_ref(&old.id), today),
            Err(DeleteError::Forbidden)
        ));
        assert!(matches!(
            store.delete_operations(&officer, &[], today),
            Err(DeleteError::Empty)
        ));
        // One refused: nothing deleted, the first refused named with its reason.
        let before = actions(store, admin.org_id());
        let e = store
            .delete_operations(&officer, &[old.id.clone(), held.id.clone()], today)
            .unwrap_err();
        assert!(
            matches!(&e, DeleteError::Kept { id, reason: KeepReason::OpenHold, .. } if *id == held.id),
            "{e}"
        );
        let e = store
            .delete_operations(&officer, &[old.id.clone(), soon.id.clone()], today)
            .unwrap_err();
        assert!(e.to_string().contains("2040-07-15"), "{e}");
        assert!(
            store.operation(&admin, &old.id).unwrap().is_some(),
            "all or nothing"
        );
        assert_eq!(actions(store, admin.org_id()), before);
        // The single deletion refuses an open hold too.
        let e = store.delete_operation(&admin, &held.id, today).unwrap_err();
        assert!(
            matches!(&e, RecordError::Refused(why) if why.contains("hold")),
            "{e}"
        );
        // Another organisation's id: not found, and nothing deleted.
        let (other_admin, other_operator, _) = team(store, "rt-del-b");
        let theirs = store
            .create_operation(
                &other_operator,
                &new_op(&input, "general_authorisation", Some("2030-12-31")),
            )
            .unwrap();
        assert!(matches!(
            store.delete_operations(&officer, &[old.id.clone(), theirs.id.clone()], today),
            Err(DeleteError::NotFound(id)) if id == theirs.id
        ));
        assert!(store.operation(&other_admin, &theirs.id).unwrap().is_some());

        // Past its date, no hold, but a due-diligence file on it is still open (Art. 5).
        let in_dd = store
            .create_operation(
                &operator,
                &new_op(&input, "general_authorisation", Some("2030-12-31")),
            )
            .unwrap();
        let law = Law::embedded().unwrap();
        let answers = std::collections::BTreeMap::from([("screened".to_owned(), "no".to_owned())]);
        store
            .save_dd_answers(&operator, &law, &in_dd.id, &answers)
            .unwrap();
        let e = store
            .delete_operations(&officer, std::slice::from_ref(&in_dd.id), today)
            .unwrap_err();
        assert!(
            matches!(
                &e,
                DeleteError::Kept {
                    reason: KeepReason::DueDiligenceOpen,
                    ..
                }
            ),
            "{e}"
        );
        assert!(store.operation(&admin, &in_dd.id).unwrap().is_some());
        let before = actions(store, admin.org_id());

        // All deletable: deleted, one audit row each (duplicates count once).
        let n = store
            .delete_operations(&officer, &[old.id.clone(), old.id.clone()], today)
            .unwrap();
        assert_eq!(n, 1);
        assert!(store.operation(&admin, &old.id).unwrap().is_none());
        let after = actions(store, admin.org_id());
        assert_eq!(after.len(), before.len() + 1);
        assert_eq!(after.last().map(String::as_str), Some("operation.deleted"));
        assert!(store.verify_audit(admin.org_id()).unwrap().is_ok());
    }
);

store_test!(the_records_of_a_period_export_as_a_zip, |store| {
    let (admin, operator, officer) = team(store, "rt-d");
    let input = imsi_operation();
    let blocked = store
        .create_operation(
            &operator,
            &new_op(&input, "licence_required", Some("2031-12-31")),
        )
        .unwrap();
    let free = store
        .create_operation(&operator, &new_op(&input, "general_authorisation", None))
        .unwrap();
    let hold = store.holds(&officer, &blocked.id).unwrap().remove(0);
    store
        .release_with_evidence(
            &officer,
            &ReleaseRequest {
                hold_id: &hold.id,
                evidence: Evidence::Review,
                reason: "Reviewed, \"all clear\"",
                documents: vec![ReleaseDocument {
                    filename: "../notes.txt",
                    content_type: "text/plain",
                    bytes: b"end-user statement",
                }],
            },
        )
        .unwrap();
    assert!(matches!(
        store.export_records(&operator, ON, ON, time::OffsetDateTime::now_utc()),
        Err(vigil_store::retention::ExportError::Forbidden)
    ));
    let today = time::OffsetDateTime::now_utc().date();
    let bytes = store
        .export_records(&admin, today, today, time::OffsetDateTime::now_utc())
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut files = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let name = f.name().unwrap().to_string();
        files.insert(name, data);
    }
    let names: Vec<&String> = files.keys().collect();
    for op in [&blocked, &free] {
        for part in [
            "operation.json",
            "assessment.json",
            "holds.json",
            "parties.json",
        ] {
            assert!(
                names
                    .iter()
                    .any(|n| n.contains(&op.id) && n.ends_with(part)),
                "{part} of {}: {names:?}",
                op.id
            );
        }
    }
    assert!(
        names
            .iter()
            .any(|n| n.contains(&blocked.id) && n.ends_with("_notes.txt")),
        "{names:?}"
    );
    let csv = String::from_utf8(files["operations.csv"].clone()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert_eq!(
        lines[0],
        "reference,type,destination,decision,status,created,created_by,released_by,retain_until"
    );
    assert!(
        lines.iter().any(
            |l| l.starts_with("EXP-2026-0107,export,AE,licence_required,released,")
                && l.contains("operator@rt-d.example")
                && l.contains("officer@rt-d.example")
                && l.ends_with(",2031-12-31")
        ),
        "{csv}"
    );
    let holds: serde_json::Value = serde_json::from_slice(
        files
            .iter()
            .find(|(n, _)| n.contains(&blocked.id) && n.ends_with("holds.json"))
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(holds[0]["release_reason"], "Reviewed, \"all clear\"");
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["organisation"]["name"], "rt-d");
    assert_eq!(manifest["law_versions"], serde_json::json!(["test-law"]));
    assert_eq!(manifest["period"]["from"], today.to_string());
    let hashes = manifest["sha256"].as_object().unwrap();
    assert_eq!(hashes.len(), files.len() - 1, "every file but the manifest");
    for (name, data) in &files {
        if name == "manifest.json" {
            continue;
        }
        let want: String = sha2_hex(data);
        assert_eq!(hashes[name], want.as_str(), "{name}");
    }
    // Another period: nothing but the two index files.
    let bytes = store
        .export_records(&admin, ON, ON, time::OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(
        zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .unwrap()
            .len(),
        2
    );
});

fn sha2_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

store_test!(
    a_changed_version_is_flagged_and_holds_its_operations,
    |store| {
        let (_, operator, officer) = team(store, "rt-e");
        let item = store
            .create_item(
                &operator,
                &NewItem {
                    name: "CipherCore SDK",
                    kind: "software",
                    description: "Encryption library",
                },
            )
            .unwrap();
        let classify = |label: &str| {
            store
            .classify_item(
                &officer,
                &item.id,
                &NewClassification {
                    version_label: label,
                    sheet_json: r#"{"description":"x","facts":{"crypto.symmetric_key_bits":256}}"#,
                    result_json: "{}",
                    entries: &["5A002.a".to_owned()],
                    cyber_surveillance: false,
                    law_version: "test-law",
                },
            )
            .unwrap()
        };
        // Never classified: a first version is unclassified.
        let v0 = store
            .register_release(
                &operator,
                &item.id,
                "0.9",
                r#"{"crypto.symmetric_key_bits":256}"#,
            )
            .unwrap();
        assert!(!v0.flagged());
        assert_eq!(
            store.release_status(&operator, &item.id, "0.9").unwrap(),
            ReleaseStatus::Unclassified
        );
        classify("1.0");
        // Same answers: the classification carries over.
        let same = store
            .register_release(
                &operator,
                &item.id,
                "1.1",
                r#"{"crypto.symmetric_key_bits":256}"#,
            )
            .unwrap();
        assert!(!same.flagged());
        assert_eq!(same.previous_label.as_deref(), Some("1.0"));
        assert_eq!(
            store.release_status(&operator, &item.id, "1.1").unwrap(),
            ReleaseStatus::Classified
        );
        // Changed answers: flagged.
        let changed = store
            .register_release(
                &operator,
                &item.id,
                "2.0",
                r#"{"crypto.symmetric_key_bits":512,"crypto.quantum":true}"#,
            )
            .unwrap();
        assert!(changed.flagged());
        assert_eq!(
            changed.changed(),
            ["crypto.quantum", "crypto.symmetric_key_bits"]
        );
        assert!(matches!(
            store.register_release(&operator, &item.id, "2.0", "{}"),
            Err(RecordError::Invalid {
                field: "version_label",
                ..
            })
        ));
        assert!(matches!(
            store.register_release(&operator, &item.id, "2.1", "[1]"),
            Err(RecordError::Invalid {
                field: "answers",
                ..
            })
        ));
        // An operation naming it is held for re-classification; one naming 1.1 is not.
        let input = imsi_operation();
        let held = store
            .create_operation_for_release(
                &operator,
                &new_op(&input, "general_authorisation", None),
                &item.id,
                "2.0",
            )
            .unwrap();
        assert_eq!(held.status, "blocked");
        let holds = store.holds(&operator, &held.id).unwrap();
        assert_eq!(holds.len(), 1);
        assert_eq!(holds[0].cause, "reclassification");
        assert!(holds[0].detail.contains("reclassification_required"));
        let ok = store
            .create_operation_for_release(
                &operator,
                &new_op(&input, "general_authorisation", None),
                &item.id,
                "1.1",
            )
            .unwrap();
        assert_eq!(ok.status, "decided");
        // Once classified, the version may be exported.
        classify("2.0");
        assert_eq!(
            store.release_status(&operator, &item.id, "2.0").unwrap(),
            ReleaseStatus::Classified
        );
        let rels = store.releases(&operator, &item.id).unwrap();
        assert_eq!(rels.len(), 3);
        assert!(rels.iter().all(|(r, _)| r.item_id == item.id));
        let (_, other, _) = team(store, "rt-f");
        assert!(store.releases(&other, &item.id).unwrap().is_empty());
        assert!(matches!(
            store.register_release(&other, &item.id, "3.0", "{}"),
            Err(RecordError::NotFound)
        ));
    }
);

store_test!(screening_cannot_be_cleared_while_a_party_alerts, |store| {
    use vigil_store::party_screening::{ListRef, search_party};
    let (_, operator, officer) = team(store, "rt-g");
    imported(
        store
            .import_list(
                &list(
                    ListSource::Csv,
                    "rt-g-list",
                    vec![entry(
                        ListSource::Csv,
                        "X-1",
                        &["Tosong Technology Trading Corporation"],
                    )],
                ),
                "test",
            )
            .unwrap(),
    );
    let party = store
        .create_party(
            &operator,
            &vigil_store::records::NewParty {
                role: "end_user",
                name: "Tosong Technology Trading Corporation",
                country: "KP",
                notes: "",
            },
        )
        .unwrap();
    let ids = vec![party.id.clone()];
    let input = imsi_operation();
    let mut new = new_op(&input, "general_authorisation", None);
    new.party_ids = &ids;
    let op = store.create_operation(&operator, &new).unwrap();
    let served = store.load_served().unwrap();
    let lists: Vec<ListRef> = served.iter().map(|s| ListRef::of(&s.record)).collect();
    let index = vigil_screening::Index::build(served.into_iter().map(|s| s.list));
    let found = search_party(&index, &party.name, &party.country);
    assert!(!found.is_empty());
    store
        .screen_party(&operator, &party.id, &lists, &found, ON)
        .unwrap();
    let hold = store
        .holds(&officer, &op.id)
        .unwrap()
        .into_iter()
        .find(|h| h.cause == "screening")
        .expect("the alert holds the operation");
    let e = store
        .release_with_evidence(
            &officer,
            &ReleaseRequest {
                hold_id: &hold.id,
                evidence: Evidence::ScreeningCleared { today: ON },
                reason: "not the same company",
                documents: Vec::new(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(&e, ReleaseError::Record(RecordError::Invalid { field: "kind", reason }) if reason.contains("Tosong")),
        "{e:?}"
    );
    assert!(store.hold(&officer, &hold.id).unwrap().unwrap().is_open());
});
