//! The audit trail on both backends: append and verify, concurrent appends, the triggers that
//! refuse UPDATE and DELETE, tampering detected by `verify_audit`, list imports recorded.

use super::*;

use vigil_domain::audit::{AuditEvent, AuditRecord, ChainError, GENESIS};
use vigil_store::audit::{AuditFilter, SYSTEM_ORG, append_all_in, append_in};

fn event(org: &str, n: u32) -> AuditEvent {
    AuditEvent {
        at: vigil_store::audit::now(),
        org_id: org.into(),
        actor: format!("user-{}", n % 2),
        action: if n.is_multiple_of(3) {
            "hold.released".into()
        } else {
            "operation.assessed".into()
        },
        subject: format!("operation:{n}"),
        detail: serde_json::json!({"decision": "licence_required", "n": n}),
    }
}

fn append(store: &Store, org: &str, n: u32) -> Vec<AuditRecord> {
    (0..n)
        .map(|i| store.append_audit(org, event(org, i)).unwrap())
        .collect()
}

fn verified(store: &Store, org: &str) -> Result<u64, ChainError> {
    store.verify_audit(org).unwrap()
}

fn exec(store: &Store, sql: &str) -> Result<usize, diesel::result::Error> {
    let mut c = store.conn().unwrap();
    let c: &mut DbConnection = &mut c;
    diesel::sql_query(sql).execute(c)
}

/// What someone with direct write access to the database can do: drop the triggers.
fn drop_triggers(store: &Store) {
    let sql: &[&str] = match store.backend() {
        Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        Backend::Postgres => &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "DROP TRIGGER audit_log_no_delete ON audit_log",
        ],
    };
    for s in sql {
        exec(store, s).unwrap();
    }
}

fn refused(r: Result<usize, diesel::result::Error>) {
    let e = r.expect_err("the trigger refuses it");
    assert!(e.to_string().contains("append-only"), "{e}");
}

store_test!(appends_chain_and_verify_per_organisation, |store| {
    let a = append(store, "org-a", 4);
    let b = append(store, "org-b", 2);
    assert_eq!(
        a.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(a[0].prev_hash, GENESIS);
    assert_eq!(a[3].prev_hash, a[2].hash);
    assert_eq!(b[0].seq, 1, "each organisation has its own chain");
    assert_eq!(b[0].prev_hash, GENESIS);
    assert_eq!(verified(store, "org-a"), Ok(4));
    assert_eq!(verified(store, "org-b"), Ok(2));
    assert_eq!(verified(store, "nobody"), Ok(0));
    assert_eq!(store.audit_orgs().unwrap(), vec!["org-a", "org-b"]);
    assert_eq!(vigil_domain::audit::verify(&a), Ok(4));

    // Read back exactly as sealed, and filtered.
    let all = store
        .audit_records("org-a", &AuditFilter::default())
        .unwrap();
    assert_eq!(all, a);
    let newest = store
        .audit_records(
            "org-a",
            &AuditFilter {
                newest_first: true,
                limit: Some(2),
                ..AuditFilter::default()
            },
        )
        .unwrap();
    assert_eq!(newest, vec![a[3].clone(), a[2].clone()]);
    let range = store
        .audit_records(
            "org-a",
            &AuditFilter {
                from_seq: Some(2),
                to_seq: Some(3),
                ..AuditFilter::default()
            },
        )
        .unwrap();
    assert_eq!(range, a[1..3].to_vec());
    let holds = store
        .audit_records(
            "org-a",
            &AuditFilter {
                action: Some("hold.".into()),
                ..AuditFilter::default()
            },
        )
        .unwrap();
    assert_eq!(
        holds.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 4],
        "action prefix"
    );
    let by = store
        .audit_records(
            "org-a",
            &AuditFilter {
                actor: Some("user-1".into()),
                subject: Some("operation:3".into()),
                since: Some(a[0].event.at.clone()),
                ..AuditFilter::default()
            },
        )
        .unwrap();
    assert_eq!(by, vec![a[3].clone()]);
    let none = store
        .audit_records(
            "org-a",
            &AuditFilter {
                until: Some(a[0].event.at.clone()),
                ..AuditFilter::default()
            },
        )
        .unwrap();
    assert!(none.is_empty());
});

store_test!(details_verify_as_stored, |store| {
    // Floats whose shortest text does not always read back to the same bits on a lax parser,
    // unicode, nesting: what is hashed is what is read back.
    let mut e = event("org-f", 1);
    e.detail = serde_json::json!({
        "score": 0.1 + 0.2,
        "tiny": 1.0e-7,
        "big": u64::MAX,
        "neg": -12.5,
        "name": "Иван « Petrov » 🚢",
        "nested": {"z": [1, 2.5, null, true], "a": {}},
    });
    let r = store.append_audit("org-f", e).unwrap();
    assert_eq!(
        store
            .audit_records("org-f", &AuditFilter::default())
            .unwrap(),
        vec![r]
    );
    assert_eq!(verified(store, "org-f"), Ok(1));
});

store_test!(an_event_of_another_organisation_is_refused, |store| {
    let e = store.append_audit("org-a", event("org-b", 1)).unwrap_err();
    assert!(matches!(e, StoreError::BadAuditEvent { .. }), "{e}");
    let e = store.append_audit("", event("", 1)).unwrap_err();
    assert!(matches!(e, StoreError::BadAuditEvent { .. }), "{e}");
    assert!(store.audit_orgs().unwrap().is_empty());
});

store_test!(an_append_rolls_back_with_its_transaction, |store| {
    append(store, "org-t", 2);
    {
        let mut c = store.conn().unwrap();
        let c: &mut DbConnection = &mut c;
        let r: Result<(), StoreError> = c.transaction(|c| {
            let rec = append_in(c, "org-t", event("org-t", 9))?;
            assert_eq!(rec.seq, 3);
            // The change it records fails: both go.
            Err(diesel::result::Error::RollbackTransaction.into())
        });
        assert!(r.is_err());
    }
    assert_eq!(verified(store, "org-t"), Ok(2));
    let again = store.append_audit("org-t", event("org-t", 3)).unwrap();
    assert_eq!(again.seq, 3);
    assert_eq!(verified(store, "org-t"), Ok(3));
});

store_test!(several_events_append_in_order_in_one_call, |store| {
    append(store, "org-m", 1);
    let recs = {
        let mut c = store.conn().unwrap();
        let c: &mut DbConnection = &mut c;
        c.transaction(|c| {
            append_all_in(
                c,
                "org-m",
                vec![event("org-m", 1), event("org-m", 2), event("org-m", 3)],
            )
        })
        .unwrap()
    };
    assert_eq!(
        recs.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(recs[1].prev_hash, recs[0].hash);
    assert_eq!(verified(store, "org-m"), Ok(4));
    // One bad event: none is written.
    let mut c = store.conn().unwrap();
    let c: &mut DbConnection = &mut c;
    let e = c
        .transaction(|c| append_all_in(c, "org-m", vec![event("org-m", 5), event("org-x", 6)]))
        .unwrap_err();
    assert!(matches!(e, StoreError::BadAuditEvent { .. }), "{e}");
    assert_eq!(verified(store, "org-m"), Ok(4));
});

store_test!(concurrent_appends_do_not_fork_the_chain, |store| {
    const THREADS: u32 = 4;
    const EACH: u32 = 15;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for i in 0..EACH {
                    store
                        .append_audit("org-c", event("org-c", t * 100 + i))
                        .unwrap();
                    // Another organisation's chain at the same time.
                    if i.is_multiple_of(5) {
                        store
                            .append_audit("org-d", event("org-d", t * 100 + i))
                            .unwrap();
                    }
                }
            });
        }
    });
    let n = u64::from(THREADS * EACH);
    assert_eq!(verified(store, "org-c"), Ok(n));
    assert_eq!(verified(store, "org-d"), Ok(u64::from(THREADS * 3)));
    let seqs: Vec<u64> = store
        .audit_records("org-c", &AuditFilter::default())
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "1..N without gaps");
});

store_test!(update_and_delete_are_refused, |store| {
    let a = append(store, "org-a", 3);
    refused(exec(store, "UPDATE audit_log SET actor = 'intruder'"));
    refused(exec(
        store,
        "UPDATE audit_log SET detail = '{}' WHERE org_id = 'org-a' AND seq = 2",
    ));
    refused(exec(store, "DELETE FROM audit_log WHERE seq = 3"));
    refused(exec(store, "DELETE FROM audit_log"));
    let replace = match store.backend() {
        // REPLACE deletes the old row without firing the DELETE trigger: refused on insert.
        Backend::Sqlite => {
            "INSERT OR REPLACE INTO audit_log \
             SELECT org_id, seq, at, 'intruder', action, subject, detail, prev_hash, hash \
             FROM audit_log WHERE seq = 2"
        }
        Backend::Postgres => {
            refused(exec(store, "TRUNCATE audit_log"));
            "INSERT INTO audit_log \
             SELECT org_id, seq, at, 'intruder', action, subject, detail, prev_hash, hash \
             FROM audit_log WHERE seq = 2 \
             ON CONFLICT (org_id, seq) DO UPDATE SET actor = excluded.actor"
        }
    };
    refused(exec(store, replace));
    assert_eq!(
        store
            .audit_records("org-a", &AuditFilter::default())
            .unwrap(),
        a,
        "nothing changed"
    );
    assert_eq!(verified(store, "org-a"), Ok(3));
});

store_test!(tampered_rows_are_named, |store| {
    for org in ["edit", "remove", "link", "garbage", "tail"] {
        append(store, org, 4);
    }
    drop_triggers(store);
    let tamper = |sql: &str| assert_eq!(exec(store, sql).unwrap(), 1, "{sql}");
    tamper(
        "UPDATE audit_log SET detail = '{\"decision\":\"no_licence_required\",\"n\":1}' \
         WHERE org_id = 'edit' AND seq = 2",
    );
    tamper("DELETE FROM audit_log WHERE org_id = 'remove' AND seq = 2");
    tamper(&format!(
        "UPDATE audit_log SET prev_hash = '{GENESIS}' WHERE org_id = 'link' AND seq = 3"
    ));
    tamper("UPDATE audit_log SET detail = 'not json' WHERE org_id = 'garbage' AND seq = 4");

    let broken = |org: &str| verified(store, org).unwrap_err();
    let e = broken("edit");
    assert_eq!(e.seq, 2, "{e}");
    assert!(e.reason.contains("edited"), "{e}");
    let e = broken("remove");
    assert_eq!(e.seq, 3, "{e}");
    assert!(e.reason.contains("removed"), "{e}");
    let e = broken("link");
    assert_eq!(e.seq, 3, "{e}");
    assert!(e.reason.contains("link"), "{e}");
    let e = broken("garbage");
    assert_eq!(e.seq, 4, "{e}");
    assert!(e.reason.contains("not JSON"), "{e}");
    assert_eq!(verified(store, "tail"), Ok(4), "other chains are untouched");
    // Listing still shows a row whose detail is not JSON any more.
    let rows = store
        .audit_records("garbage", &AuditFilter::default())
        .unwrap();
    assert_eq!(rows[3].event.detail, serde_json::json!("not json"));
});

store_test!(list_imports_are_audited, |store| {
    let r = imported(store.import_list_by(&un_v1(), "un.xml", "cli").unwrap());
    // A re-import that changes nothing records nothing.
    store.import_list_by(&un_v1(), "un.xml", "cli").unwrap();
    // A failed import leaves neither the import nor its audit row.
    let mut bad = list(
        ListSource::Un,
        "un-bad",
        vec![entry(ListSource::Un, "X", &["A B"])],
    );
    bad.meta.entry_count = 5;
    let err = store.import_list_by(&bad, "bad.xml", "cli").unwrap_err();
    let failed = store
        .record_failed_import_by(ListSource::Un, "bad.xml", None, &err.to_string(), "cli")
        .unwrap();

    let log = store
        .audit_records(SYSTEM_ORG, &AuditFilter::default())
        .unwrap();
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(log[0].event.action, "list.imported");
    assert_eq!(log[0].event.actor, "cli");
    assert_eq!(log[0].event.subject, format!("list_import:{}", r.id));
    assert_eq!(log[0].event.detail["sha256"], r.content_sha256.unwrap());
    assert_eq!(log[0].event.detail["entries"], 2);
    assert_eq!(log[1].event.action, "list.import_failed");
    assert_eq!(log[1].event.subject, format!("list_import:{}", failed.id));
    assert!(
        log[1].event.detail["error"]
            .as_str()
            .unwrap()
            .contains("rolled back")
    );
    assert_eq!(verified(store, SYSTEM_ORG), Ok(2));

    // The older entry points record too, as `system`.
    store
        .import_list(
            &list(
                ListSource::Eu,
                "eu-1",
                vec![entry(ListSource::Eu, "1", &["C D"])],
            ),
            "eu.xml",
        )
        .unwrap();
    let last = store
        .audit_records(
            SYSTEM_ORG,
            &AuditFilter {
                newest_first: true,
                limit: Some(1),
                ..AuditFilter::default()
            },
        )
        .unwrap();
    assert_eq!((last[0].seq, last[0].event.actor.as_str()), (3, "system"));
});
