//! The life of an operation after its assessment, on both backends: a blocking decision opens a
//! hold; only an officer other than the creator releases it, with a reason, and never a
//! prohibited operation; the last release frees and freezes the operation; party links stay in
//! the organisation; a batch is all or nothing.

use super::*;

use vigil_domain::access::Role;
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::audit::AuditFilter;
use vigil_store::lifecycle::{HoldCause, HoldRelease, open_operations_of_party_in};
use vigil_store::records::{NewOperation, NewParty, RecordError};

/// An organisation with an operator and an officer (and the officer's scope).
fn team(store: &Store, org: &str) -> (OrgScope, OrgScope) {
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
    (operator, officer)
}

fn op<'a>(decision: &'a str, parties: &'a [String]) -> NewOperation<'a> {
    NewOperation {
        reference: "EXP-7",
        input_json: r#"{"type":"export"}"#,
        assessment_json: r#"{"decision":"x"}"#,
        decision,
        law_version: "test-law",
        retain_until: Some("2031-12-31"),
        party_ids: parties,
    }
}

fn audit_actions(store: &Store, org: &str) -> Vec<String> {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .filter(|a| a.starts_with("operation."))
        .collect()
}

fn release(reason: &str) -> HoldRelease<'_> {
    HoldRelease {
        kind: "review",
        reason,
        detail: serde_json::json!({}),
    }
}

store_test!(
    a_blocking_decision_is_held_until_another_officer_releases_it,
    |store| {
        let (operator, officer) = team(store, "lc-a");
        let created = store
            .create_operation(&operator, &op("licence_required", &[]))
            .unwrap();
        assert_eq!(created.status, "blocked");
        assert_eq!(created.retain_until.as_deref(), Some("2031-12-31"));
        let holds = store.holds(&operator, &created.id).unwrap();
        assert_eq!(holds.len(), 1);
        assert_eq!(holds[0].cause, "decision");
        assert!(holds[0].is_open());

        // The operator may not decide; an empty reason is refused; nothing changes.
        assert!(matches!(
            store.release_hold(&operator, &holds[0].id, &release("ok")),
            Err(RecordError::Forbidden)
        ));
        assert!(matches!(
            store.release_hold(&officer, &holds[0].id, &release("  ")),
            Err(RecordError::Invalid {
                field: "reason",
                ..
            })
        ));
        assert!(store.holds(&officer, &created.id).unwrap()[0].is_open());
        assert_eq!(
            audit_actions(store, operator.org_id()),
            ["operation.assessed", "operation.held"]
        );

        let released = store
            .release_hold(
                &officer,
                &holds[0].id,
                &release("Licence FR-2026-0042 attached"),
            )
            .unwrap();
        assert_eq!(released.status, "released");
        assert!(released.frozen_at.is_some());
        let h = &store.holds(&officer, &created.id).unwrap()[0];
        assert_eq!(h.released_by.as_deref(), Some(officer.user_id()));
        assert_eq!(
            h.release_reason.as_deref(),
            Some("Licence FR-2026-0042 attached")
        );
        // Released once: a second release finds no open hold.
        assert!(matches!(
            store.release_hold(&officer, &holds[0].id, &release("again")),
            Err(RecordError::NotFound)
        ));
        assert_eq!(
            audit_actions(store, operator.org_id()),
            [
                "operation.assessed",
                "operation.held",
                "operation.hold_released"
            ]
        );
    }
);

store_test!(four_eyes_and_prohibited_are_refused, |store| {
    let (_operator, officer) = team(store, "lc-b");
    // The officer created it: the officer may not release it.
    let own = store.create_operation(&officer, &op("hold", &[])).unwrap();
    let hold = store.holds(&officer, &own.id).unwrap().remove(0);
    let e = store
        .release_hold(&officer, &hold.id, &release("my own"))
        .unwrap_err();
    assert!(
        matches!(&e, RecordError::Refused(why) if why.contains("four eyes")),
        "{e}"
    );

    let (operator, officer) = team(store, "lc-c");
    let banned = store
        .create_operation(&operator, &op("prohibited", &[]))
        .unwrap();
    let hold = store.holds(&operator, &banned.id).unwrap().remove(0);
    let e = store
        .release_hold(&officer, &hold.id, &release("please"))
        .unwrap_err();
    assert!(
        matches!(&e, RecordError::Refused(why) if why.contains("prohibited")),
        "{e}"
    );
    assert_eq!(
        store
            .operation(&officer, &banned.id)
            .unwrap()
            .unwrap()
            .status,
        "blocked"
    );
});

store_test!(
    party_links_stay_in_the_organisation_and_find_open_operations,
    |store| {
        let (operator_a, officer_a) = team(store, "lc-d");
        let (operator_b, _) = team(store, "lc-e");
        let party = store
            .create_party(
                &operator_a,
                &NewParty {
                    role: "end_user",
                    name: "Nordwind Telekom",
                    country: "DE",
                    notes: "",
                },
            )
            .unwrap();
        let ids = vec![party.id.clone()];
        // Organisation B cannot name A's party.
        let e = store
            .create_operation(&operator_b, &op("general_authorisation", &ids))
            .unwrap_err();
        assert!(
            matches!(
                e,
                RecordError::Invalid {
                    field: "parties",
                    ..
                }
            ),
            "{e}"
        );
        assert!(store.operations(&operator_b, false).unwrap().is_empty());

        let decided = store
            .create_operation(&operator_a, &op("general_authorisation", &ids))
            .unwrap();
        assert_eq!(decided.status, "decided");
        assert_eq!(
            store.operation_party_ids(&officer_a, &decided.id).unwrap(),
            ids
        );
        assert!(
            store
                .operation_party_ids(&operator_b, &decided.id)
                .unwrap()
                .is_empty()
        );

        let open =
            open_operations_of_party_in(&mut store.conn().unwrap(), operator_a.org_id(), &party.id)
                .unwrap();
        assert_eq!(open, std::slice::from_ref(&decided.id));

        // A screening hit holds it.
        store
            .hold_operation(
                &operator_a,
                &decided.id,
                HoldCause::Screening,
                &serde_json::json!({"entry": "EU-1"}),
            )
            .unwrap();
        assert_eq!(
            store
                .operation(&officer_a, &decided.id)
                .unwrap()
                .unwrap()
                .status,
            "blocked"
        );
        // Not in B.
        assert!(matches!(
            store.hold_operation(
                &operator_b,
                &decided.id,
                HoldCause::Screening,
                &serde_json::json!({})
            ),
            Err(RecordError::NotFound)
        ));
    }
);

store_test!(a_batch_is_written_whole_or_not_at_all, |store| {
    let (operator, _) = team(store, "lc-f");
    let mut bad = op("general_authorisation", &[]);
    bad.retain_until = Some("31/12/2031");
    let e = store
        .create_operations(&operator, &[op("general_authorisation", &[]), bad])
        .unwrap_err();
    assert!(matches!(e, RecordError::Line { index: 1, .. }), "{e}");
    assert!(store.operations(&operator, false).unwrap().is_empty());
    assert!(audit_actions(store, operator.org_id()).is_empty());
    let two = store
        .create_operations(
            &operator,
            &[
                op("general_authorisation", &[]),
                op("licence_required", &[]),
            ],
        )
        .unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(store.operations(&operator, true).unwrap().len(), 1);
});
