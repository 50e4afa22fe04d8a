//! Parties' screening, on both backends: a clearance suppresses the alert while the entry keeps
//! its content and has not expired; a changed entry makes it lapse and the hit alert again; a
//! rescreen after an import works by delta, holds the open operations of a party with a new hit,
//! and leaves other organisations alone; only a role that may decide clears.

use super::*;

use time::macros::date;
use vigil_domain::access::Role;
use vigil_screening::Index;
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::audit::AuditFilter;
use vigil_store::party_screening::{
    HitDecision, HitStatus, ListRef, NewClearance, ScreeningView, search_party,
};
use vigil_store::records::{NewOperation, NewParty, Party, RecordError};

const TODAY: time::Date = date!(2026 - 06 - 01);

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
    (scopes.pop().unwrap(), officer, auditor)
}

fn party(store: &Store, scope: &OrgScope, name: &str) -> Party {
    store
        .create_party(
            scope,
            &NewParty {
                role: "end_user",
                name,
                country: "KP",
                notes: "",
            },
        )
        .unwrap()
}

/// Screens a party in full against the served lists, as the server does on creation.
fn screen(store: &Store, scope: &OrgScope, p: &Party) -> ScreeningView {
    let served = store.load_served().unwrap();
    let lists: Vec<ListRef> = served.iter().map(|s| ListRef::of(&s.record)).collect();
    let index = Index::build(served.into_iter().map(|s| s.list));
    let found = search_party(&index, &p.name, &p.country);
    store
        .screen_party(scope, &p.id, &lists, &found, TODAY)
        .unwrap()
}

fn view(store: &Store, scope: &OrgScope, p: &Party, today: time::Date) -> ScreeningView {
    store
        .party_screening(scope, &p.id, today)
        .unwrap()
        .unwrap()
        .1
}

fn import(store: &Store, l: &LoadedList) -> i64 {
    imported(store.import_list(l, "test").unwrap()).id
}

fn csv(raw: &str, entries: Vec<ListEntry>) -> LoadedList {
    list(ListSource::Csv, raw, entries)
}

fn filler() -> Vec<ListEntry> {
    vec![
        entry(ListSource::Csv, "F1", &["Korea Mining Development Trading"]),
        entry(
            ListSource::Csv,
            "F2",
            &["Green Pine Associated Corporation"],
        ),
    ]
}

fn tosong(extra_alias: Option<&str>) -> ListEntry {
    let mut names = vec!["Tosong Technology Trading Corporation"];
    names.extend(extra_alias);
    entry(ListSource::Csv, "T1", &names)
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

fn clear<'a>(reason: &'a str, expires_on: &'a str) -> NewClearance<'a> {
    NewClearance {
        decision: HitDecision::FalseMatch,
        reason,
        expires_on,
    }
}

store_test!(
    a_clearance_suppresses_the_alert_until_the_entry_changes,
    |store| {
        let (operator, officer, auditor) = team(store, "ps-a");
        let mut entries = filler();
        entries.push(tosong(None));
        import(store, &csv("l1", entries.clone()));
        let p = party(store, &operator, "Tosong Technology Trading Corporation");
        let v = screen(store, &operator, &p);
        assert_eq!(v.open_alerts(), 1, "{v:?}");
        let hit = v.hits[0].hit.clone();
        assert_eq!(hit.entry_id, "T1");
        assert_eq!(hit.entry_hash.len(), 64);
        assert_eq!(
            actions(store, operator.org_id(), "party."),
            ["party.created", "party.hit", "party.screened"]
        );

        // Who may clear, and with what.
        assert!(matches!(
            store.decide_hit(&auditor, &p.id, &hit.id, &clear("fine", ""), TODAY),
            Err(RecordError::Forbidden)
        ));
        assert!(matches!(
            store.decide_hit(&operator, &p.id, &hit.id, &clear("fine", ""), TODAY),
            Err(RecordError::Forbidden)
        ));
        assert!(matches!(
            store.decide_hit(&officer, &p.id, &hit.id, &clear("  ", ""), TODAY),
            Err(RecordError::Invalid {
                field: "reason",
                ..
            })
        ));
        assert!(matches!(
            store.decide_hit(&officer, &p.id, &hit.id, &clear("ok", "2026-13-01"), TODAY),
            Err(RecordError::Invalid {
                field: "expires_on",
                ..
            })
        ));
        assert!(matches!(
            store.decide_hit(&officer, &p.id, &hit.id, &clear("ok", "2026-05-31"), TODAY),
            Err(RecordError::Invalid {
                field: "expires_on",
                ..
            })
        ));
        assert!(actions(store, operator.org_id(), "hit.").is_empty());

        store
            .decide_hit(
                &officer,
                &p.id,
                &hit.id,
                &clear("Different company: registry extract 2026-05-30", ""),
                TODAY,
            )
            .unwrap();
        let v = view(store, &operator, &p, TODAY);
        assert_eq!(v.open_alerts(), 0);
        assert_eq!(v.hits[0].status, HitStatus::Cleared);
        assert!(!v.hits[0].alerts());

        // The same content re-imported under another file: the clearance still applies.
        let mut same = filler();
        same.push(tosong(None));
        let id = import(store, &csv("l1-again", same));
        let r = store.rescreen_after_import(id, TODAY).unwrap();
        assert_eq!((r.added, r.changed, r.removed), (0, 0, 0));
        assert_eq!(
            view(store, &operator, &p, TODAY).hits[0].status,
            HitStatus::Cleared
        );

        // The entry changes: the clearance lapses, the hit alerts again.
        let mut changed = filler();
        changed.push(tosong(Some("Tosong Trading")));
        let id = import(store, &csv("l2", changed));
        let r = store.rescreen_after_import(id, TODAY).unwrap();
        assert_eq!(
            (r.added, r.changed, r.removed, r.lapsed),
            (0, 1, 0, 1),
            "{r:?}"
        );
        let v = view(store, &operator, &p, TODAY);
        assert_eq!(v.hits.len(), 1);
        assert_eq!(v.hits[0].status, HitStatus::Open);
        assert_ne!(v.hits[0].hit.entry_hash, hit.entry_hash);
        assert!(v.hits[0].history[0].lapsed_at.is_some());
        assert_eq!(v.open_alerts(), 1);
        assert!(
            actions(store, operator.org_id(), "hit.").contains(&"hit.clearance_lapsed".to_owned())
        );
    }
);

store_test!(an_expired_clearance_no_longer_applies, |store| {
    let (operator, officer, _) = team(store, "ps-b");
    let mut entries = filler();
    entries.push(tosong(None));
    import(store, &csv("l1", entries));
    let p = party(store, &operator, "Tosong Technology Trading Corporation");
    let hit = screen(store, &operator, &p).hits[0].hit.clone();
    store
        .decide_hit(
            &officer,
            &p.id,
            &hit.id,
            &clear("Checked", "2026-06-30"),
            TODAY,
        )
        .unwrap();
    assert_eq!(
        view(store, &operator, &p, date!(2026 - 06 - 30)).hits[0].status,
        HitStatus::Cleared
    );
    let later = view(store, &operator, &p, date!(2026 - 07 - 01));
    assert_eq!(later.hits[0].status, HitStatus::Open);
    assert_eq!(later.open_alerts(), 1);

    // A confirmation keeps alerting.
    store
        .decide_hit(
            &officer,
            &p.id,
            &hit.id,
            &NewClearance {
                decision: HitDecision::ConfirmedMatch,
                reason: "Same company (address and directors)",
                expires_on: "",
            },
            TODAY,
        )
        .unwrap();
    let v = view(store, &operator, &p, TODAY);
    assert_eq!(v.hits[0].status, HitStatus::Confirmed);
    assert!(v.hits[0].alerts());
    assert_eq!(v.confirmed(), 1);
    assert_eq!(
        actions(store, operator.org_id(), "hit."),
        ["hit.cleared", "hit.confirmed"]
    );
});

store_test!(
    a_rescreen_after_an_import_works_by_delta_and_holds_operations,
    |store| {
        let (operator, _officer, _) = team(store, "ps-c");
        let (other, _, _) = team(store, "ps-d");
        let mut v1 = filler();
        v1.push(entry(
            ListSource::Csv,
            "R1",
            &["Namchongang Trading Corporation"],
        ));
        let first = import(store, &csv("v1", v1));
        let alpha = party(store, &operator, "Tosong Technology Trading Corporation");
        let beta = party(store, &operator, "Namchongang Trading Corporation");
        let theirs = party(store, &other, "Acme Widgets Limited");
        for (s, p) in [(&operator, &alpha), (&operator, &beta), (&other, &theirs)] {
            screen(store, s, p);
        }
        assert_eq!(view(store, &operator, &beta, TODAY).hits.len(), 1);
        assert!(view(store, &operator, &alpha, TODAY).hits.is_empty());
        let ids = [alpha.id.clone()];
        let op = store
            .create_operation(
                &operator,
                &NewOperation {
                    reference: "EXP-1",
                    input_json: "{}",
                    assessment_json: "{}",
                    decision: "no_licence_required",
                    law_version: "t",
                    retain_until: None,
                    party_ids: &ids,
                },
            )
            .unwrap();
        let their_ids = [theirs.id.clone()];
        let their_op = store
            .create_operation(
                &other,
                &NewOperation {
                    reference: "EXP-2",
                    input_json: "{}",
                    assessment_json: "{}",
                    decision: "no_licence_required",
                    law_version: "t",
                    retain_until: None,
                    party_ids: &their_ids,
                },
            )
            .unwrap();
        assert_eq!(op.status, "decided");
        let their_audit = store
            .audit_records(other.org_id(), &AuditFilter::default())
            .unwrap()
            .len();

        // v2: Tosong added, Namchongang removed.
        let mut v2 = filler();
        v2.push(tosong(None));
        let second = import(store, &csv("v2", v2));
        let r = store.rescreen_after_import(second, TODAY).unwrap();
        assert_eq!(r.previous_import, Some(first));
        assert_eq!((r.added, r.changed, r.removed), (1, 0, 1), "{r:?}");
        assert_eq!(
            (r.new_hits, r.dropped_hits, r.held_operations),
            (1, 1, 1),
            "{r:?}"
        );
        assert_eq!(r.parties, 3);

        let a = view(store, &operator, &alpha, TODAY);
        assert_eq!(a.hits.len(), 1);
        assert_eq!(a.hits[0].hit.entry_id, "T1");
        assert_eq!(a.hits[0].hit.import_id, second);
        assert_eq!(a.open_alerts(), 1);
        let refs = a.screening.as_ref().unwrap().list_refs();
        assert_eq!(refs[0].import, second);
        assert!(view(store, &operator, &beta, TODAY).hits.is_empty());

        let op = store.operation(&operator, &op.id).unwrap().unwrap();
        assert_eq!(op.status, "blocked");
        let holds = store.holds(&operator, &op.id).unwrap();
        assert_eq!(holds.len(), 1);
        assert_eq!(holds[0].cause, "screening");
        assert_eq!(holds[0].created_by, "system");
        let flagged = store.parties_with_new_hits(&operator, TODAY).unwrap();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].0.id, alpha.id);

        // The other organisation: its operation untouched, only the rescreen's summary row.
        let their_op = store.operation(&other, &their_op.id).unwrap().unwrap();
        assert_eq!(their_op.status, "decided");
        assert!(store.holds(&other, &their_op.id).unwrap().is_empty());
        assert!(view(store, &other, &theirs, TODAY).hits.is_empty());
        let after = store
            .audit_records(other.org_id(), &AuditFilter::default())
            .unwrap();
        assert_eq!(after.len(), their_audit + 1);
        assert_eq!(after.last().unwrap().event.action, "party.screened");
        assert!(
            store
                .parties_with_new_hits(&other, TODAY)
                .unwrap()
                .is_empty()
        );
        // Another organisation's party is not found through this one.
        assert!(
            store
                .party_screening(&other, &alpha.id, TODAY)
                .unwrap()
                .is_none()
        );

        // The same import rescreened again: no new hold.
        let r = store.rescreen_after_import(second, TODAY).unwrap();
        assert_eq!(r.held_operations, 0);
        assert_eq!(store.holds(&operator, &op.id).unwrap().len(), 1);
    }
);
