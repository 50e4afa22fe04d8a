//! The records of the workspace on both backends: items and their classification records,
//! parties, operations; organisation scoping (a member of organisation B never sees or touches
//! organisation A's records), roles (an auditor reads and changes nothing), and audit rows written
//! in the same transaction as the record (a failed or rolled-back create leaves no audit row).

use super::*;

use vigil_domain::access::Role;
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::audit::AuditFilter;
use vigil_store::records::{
    NewClassification, NewItem, NewOperation, NewParty, RecordError, insert_item,
};

fn member(store: &Store, email: &str, org: &str, role: Role) -> OrgScope {
    let (u, o) = store
        .admin_create_user(
            &NewUser {
                email,
                display_name: "",
                password: "correct horse battery",
            },
            org,
            role,
            "test",
        )
        .unwrap();
    store.scope(&u.id, &o.id).unwrap().unwrap()
}

fn actions(store: &Store, org: &str) -> Vec<String> {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .filter(|a| !a.starts_with("org.") && !a.starts_with("member."))
        .collect()
}

fn probe() -> NewItem<'static> {
    NewItem {
        name: "LI probe",
        kind: "hardware",
        description: "Lawful interception probe for mobile networks",
    }
}

fn operation(reference: &'static str, decision: &str) -> NewOperation<'static> {
    NewOperation {
        reference,
        input_json: r#"{"type":"export"}"#,
        assessment_json: r#"{"decision":"x"}"#,
        decision: if decision == "prohibited" {
            "prohibited"
        } else {
            "general_authorisation"
        },
        law_version: "test-law",
        ..NewOperation::default()
    }
}

store_test!(records_are_created_read_and_audited, |store| {
    let a = member(store, "op@a.example", "Org A", Role::Operator);
    let item = store.create_item(&a, &probe()).unwrap();
    assert_eq!(store.items(&a).unwrap(), std::slice::from_ref(&item));
    assert_eq!(store.item(&a, &item.id).unwrap(), Some(item.clone()));
    let entries = vec!["5A001.f.2".to_owned(), "5A001.f.2".to_owned()];
    let rec = store
        .classify_item(
            &a,
            &item.id,
            &NewClassification {
                version_label: "v2.1",
                sheet_json: r#"{"description":"probe"}"#,
                result_json: r#"{"candidates":[]}"#,
                entries: &entries,
                cyber_surveillance: true,
                law_version: "test-law",
            },
        )
        .unwrap();
    assert_eq!(rec.entries().unwrap(), ["5A001.f.2"]);
    assert_eq!(rec.cyber_surveillance, "yes");
    assert_eq!(store.classifications(&a, &item.id).unwrap(), [rec]);
    let party = store
        .create_party(
            &a,
            &NewParty {
                role: "end_user",
                name: "Northwind",
                country: "us",
                notes: "",
            },
        )
        .unwrap();
    assert_eq!(party.country, "US");
    assert_eq!(store.parties(&a).unwrap(), std::slice::from_ref(&party));
    assert_eq!(store.party(&a, &party.id).unwrap(), Some(party));
    let ok = store
        .create_operation(&a, &operation("EXP-1", "general_authorisation"))
        .unwrap();
    let blocked = store
        .create_operation(&a, &operation("EXP-2", "prohibited"))
        .unwrap();
    assert_eq!(ok.status, "decided");
    assert_eq!(blocked.status, "blocked");
    assert_eq!(store.operations(&a, false).unwrap().len(), 2);
    assert_eq!(
        store.operations(&a, true).unwrap(),
        std::slice::from_ref(&blocked)
    );
    assert_eq!(store.operation(&a, &blocked.id).unwrap(), Some(blocked));
    assert_eq!(
        actions(store, a.org_id()),
        [
            "item.created",
            "item.classified",
            "party.created",
            "operation.assessed",
            "operation.assessed",
            "operation.held"
        ]
    );
    assert!(store.verify_audit(a.org_id()).unwrap().is_ok());
});

store_test!(organisation_b_never_sees_organisation_a_records, |store| {
    let a = member(store, "op@a.example", "Org A", Role::Operator);
    let b = member(store, "admin@b.example", "Org B", Role::Admin);
    let item = store.create_item(&a, &probe()).unwrap();
    let party = store
        .create_party(
            &a,
            &NewParty {
                role: "consignee",
                name: "Secret customer",
                country: "DE",
                notes: "",
            },
        )
        .unwrap();
    let op = store
        .create_operation(&a, &operation("EXP-1", "prohibited"))
        .unwrap();
    assert!(store.items(&b).unwrap().is_empty());
    assert_eq!(store.item(&b, &item.id).unwrap(), None);
    assert!(store.parties(&b).unwrap().is_empty());
    assert_eq!(store.party(&b, &party.id).unwrap(), None);
    assert!(store.operations(&b, false).unwrap().is_empty());
    assert!(store.operations(&b, true).unwrap().is_empty());
    assert_eq!(store.operation(&b, &op.id).unwrap(), None);
    // B cannot classify A's item either, and nothing is written to either chain.
    let before = (actions(store, a.org_id()), actions(store, b.org_id()));
    let e = store.classify_item(
        &b,
        &item.id,
        &NewClassification {
            version_label: "v1",
            sheet_json: "{}",
            result_json: "{}",
            entries: &[],
            cyber_surveillance: false,
            law_version: "x",
        },
    );
    assert!(matches!(e, Err(RecordError::NotFound)), "{e:?}");
    assert!(store.classifications(&b, &item.id).unwrap().is_empty());
    assert!(store.classifications(&a, &item.id).unwrap().is_empty());
    assert_eq!(
        (actions(store, a.org_id()), actions(store, b.org_id())),
        before
    );
});

store_test!(an_auditor_reads_but_changes_nothing, |store| {
    let op = member(store, "op@a.example", "Org A", Role::Operator);
    let aud = member(store, "aud@a.example", "Org A", Role::Auditor);
    store.create_item(&op, &probe()).unwrap();
    assert_eq!(store.items(&aud).unwrap().len(), 1);
    let e = store.create_item(&aud, &probe());
    assert!(matches!(e, Err(RecordError::Forbidden)), "{e:?}");
    let e = store.create_operation(&aud, &operation("X", "prohibited"));
    assert!(matches!(e, Err(RecordError::Forbidden)), "{e:?}");
    assert_eq!(store.items(&op).unwrap().len(), 1);
    assert_eq!(actions(store, op.org_id()), ["item.created"]);
});

store_test!(a_failed_create_writes_no_record_and_no_audit_row, |store| {
    let a = member(store, "op@a.example", "Org A", Role::Operator);
    let bad = [
        NewItem {
            name: " ",
            ..probe()
        },
        NewItem {
            kind: "weapon",
            ..probe()
        },
    ];
    for new in &bad {
        let e = store.create_item(&a, new);
        assert!(matches!(e, Err(RecordError::Invalid { .. })), "{e:?}");
    }
    let e = store.create_party(
        &a,
        &NewParty {
            role: "end_user",
            name: "X",
            country: "France",
            notes: "",
        },
    );
    assert!(
        matches!(
            e,
            Err(RecordError::Invalid {
                field: "country",
                ..
            })
        ),
        "{e:?}"
    );
    // A transaction that inserts the item and its audit row, then fails: both are rolled back.
    {
        let mut pooled = store.conn().unwrap();
        let conn: &mut DbConnection = &mut pooled;
        let r: Result<(), RecordError> = conn.transaction(|c| {
            insert_item(c, &a, &probe())?;
            Err(RecordError::NotFound)
        });
        assert!(matches!(r, Err(RecordError::NotFound)));
    }
    assert!(store.items(&a).unwrap().is_empty());
    assert!(actions(store, a.org_id()).is_empty());
    assert!(store.verify_audit(a.org_id()).unwrap().is_ok());
});

store_test!(
    a_corrupt_classification_record_is_an_error_not_no_entries,
    |store| {
        let a = member(store, "op@a.example", "Org A", Role::Operator);
        let item = store.create_item(&a, &probe()).unwrap();
        let rec = store
            .classify_item(
                &a,
                &item.id,
                &NewClassification {
                    version_label: "v1",
                    sheet_json: "{}",
                    result_json: "{}",
                    entries: &["5A001.f.2".to_owned()],
                    cyber_surveillance: true,
                    law_version: "test-law",
                },
            )
            .unwrap();
        // Someone with write access to the database damages the stored list.
        let mut c = store.conn().unwrap();
        let c: &mut DbConnection = &mut c;
        diesel::sql_query(format!(
            "UPDATE classifications SET entries_json = '5A001.f.2' WHERE id = '{}'",
            rec.id
        ))
        .execute(c)
        .unwrap();
        let read = store.classifications(&a, &item.id).unwrap();
        let e = read[0].entries().unwrap_err();
        assert_eq!(e.id, rec.id);
        assert!(e.to_string().contains("unreadable"), "{e}");
    }
);

#[test]
fn unreadable_stored_json_is_an_error_naming_the_record_not_an_empty_value() {
    let op = vigil_store::records::OperationRecord {
        id: "op-1".into(),
        org_id: "org".into(),
        reference: String::new(),
        input_json: "{\"type\": \"export\"".into(),
        assessment_json: "{}".into(),
        decision: "hold".into(),
        law_version: "x".into(),
        status: "decided".into(),
        created_by: "u".into(),
        created_at: 0,
        retain_until: None,
        frozen_at: None,
        completed_at: None,
    };
    let e = op.input().unwrap_err();
    assert_eq!(
        e.to_string(),
        "operation op-1: its stored input is unreadable"
    );
    // `{}` is JSON but not an assessment.
    assert!(op.assessment_value().is_ok());
    let e = op.assessment().unwrap_err();
    assert_eq!(
        e.to_string(),
        "operation op-1: its stored assessment is unreadable"
    );
}
