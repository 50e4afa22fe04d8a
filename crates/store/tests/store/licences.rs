//! The authorisations register on both backends: licences registered with their quotas and
//! document, draw-downs (arithmetic, refusals with nothing written, no double draw), organisation
//! scoping, roles (only officers and administrators register or draw, Art. 12 licences being
//! decisions), audit rows in the same transaction, and uses of Union general authorisations.

use super::*;

use serde_json::json;
use time::macros::date;
use vigil_domain::Law;
use vigil_domain::access::Role;
use vigil_domain::icp::licence::QuotaInput;
use vigil_domain::icp::{
    GeneralAuthorisationUse, LicenceTerms, LicenceTermsInput, QuotaUnit, RefusalKind,
};
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::audit::AuditFilter;
use vigil_store::licences::{DrawDownOutcome, LicenceDocument, LicenceError, draw_down_in};
use vigil_store::records::{NewOperation, OperationRecord};

fn law() -> Law {
    Law::embedded().unwrap()
}

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

fn terms(law: &Law) -> LicenceTerms {
    LicenceTermsInput {
        kind: "global".into(),
        number: "FR-G-1".into(),
        authority: "SBDU".into(),
        entries: vec!["5D002".into()],
        destinations: vec!["US".into()],
        end_users: vec!["Acme Corp".into()],
        quotas: vec![
            QuotaInput {
                unit: "seats".into(),
                total: 100.0,
            },
            QuotaInput {
                unit: "eur".into(),
                total: 1000.0,
            },
        ],
        valid_from: "2026-01-01".into(),
        valid_until: "2027-12-31".into(),
        ..LicenceTermsInput::default()
    }
    .check(law)
    .unwrap()
}

fn operation(store: &Store, scope: &OrgScope, seats: u32, eur: f64) -> OperationRecord {
    let input = json!({
        "date": "2026-03-01", "type": "export",
        "exporter": {"name": "Exporter SAS", "country": "FR"},
        "destination": "US",
        "items": [{"id": "I1", "kind": "software", "entries": ["5D002.c.1"],
                   "quantity": {"amount": seats, "unit": "seats"}, "value_eur": eur}],
        "parties": [{"role": "end_user", "name": "Acme Corp", "country": "US"}],
    })
    .to_string();
    store
        .create_operation(
            scope,
            &NewOperation {
                reference: "OP",
                input_json: &input,
                assessment_json: r#"{"decision":"licence_required"}"#,
                decision: "licence_required",
                law_version: "test-law",
                ..NewOperation::default()
            },
        )
        .unwrap()
}

fn count(store: &Store, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = store.conn().unwrap();
    let c: &mut DbConnection = &mut c;
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<N>(c)
        .unwrap()
        .n
}

store_test!(licences_are_registered_drawn_and_audited, |store| {
    let law = law();
    let off = member(store, "off@a.example", "Org A", Role::Officer);
    let doc = LicenceDocument {
        filename: "../licence.pdf",
        content_type: "application/pdf",
        bytes: b"%PDF-1.7 test",
    };
    let lic = store
        .register_licence(&off, &terms(&law), "test-law", Some(doc))
        .unwrap();
    assert_eq!(lic.terms, terms(&law));
    let doc_id = lic.document_id.clone().unwrap();
    let (meta, bytes) = store.attachment(&off, &doc_id).unwrap().unwrap();
    assert_eq!(
        (meta.filename.as_str(), bytes.as_slice()),
        ("licence.pdf", &b"%PDF-1.7 test"[..])
    );
    assert_eq!(meta.subject, format!("licence:{}", lic.id));
    assert_eq!(store.licences(&off).unwrap(), vec![lic.clone()]);

    let op = operation(store, &off, 30, 250.5);
    // Preview writes nothing.
    let before = count(store, "licence_drawdowns");
    let p = store
        .licence_check(&off, &lic.id, &op.id, date!(2026 - 03 - 01), &law)
        .unwrap();
    assert!(matches!(p, DrawDownOutcome::Drawn(_)), "{p:?}");
    assert_eq!(count(store, "licence_drawdowns"), before);

    let out = store
        .draw_down(&off, &lic.id, &op.id, date!(2026 - 03 - 01), &law)
        .unwrap();
    let DrawDownOutcome::Drawn(d) = out else {
        panic!("{out:?}")
    };
    assert_eq!(d.units.len(), 2);
    let l = store.licence(&off, &lic.id).unwrap().unwrap();
    let seats = l
        .quotas
        .iter()
        .find(|q| q.unit == QuotaUnit::Seats)
        .unwrap();
    assert_eq!((seats.used, seats.remaining), (30, 70));
    let eur = l.quotas.iter().find(|q| q.unit == QuotaUnit::Eur).unwrap();
    assert_eq!((eur.used, eur.remaining), (25_050, 74_950));
    assert_eq!(store.drawdowns(&off, &lic.id).unwrap().len(), 2);
    // No second draw for the same operation.
    let again = store.draw_down(&off, &lic.id, &op.id, date!(2026 - 03 - 02), &law);
    assert!(
        matches!(again, Err(LicenceError::AlreadyDrawn(_))),
        "{again:?}"
    );

    // Too many seats, and expired: refused with every reason, nothing written.
    let big = operation(store, &off, 71, 1.0);
    let audit_before = actions(store, off.org_id()).len();
    let out = store
        .draw_down(&off, &lic.id, &big.id, date!(2028 - 01 - 01), &law)
        .unwrap();
    let DrawDownOutcome::Refused(r) = out else {
        panic!("{out:?}")
    };
    let kinds: Vec<RefusalKind> = r.iter().map(|x| x.kind).collect();
    assert!(
        kinds.contains(&RefusalKind::ExceedsBalance) && kinds.contains(&RefusalKind::Expired),
        "{kinds:?}"
    );
    assert_eq!(store.drawdowns(&off, &lic.id).unwrap().len(), 2);
    assert_eq!(actions(store, off.org_id()).len(), audit_before);

    // Inside the caller's transaction.
    let op2 = operation(store, &off, 50, 0.0);
    let mut c = store.conn().unwrap();
    let c: &mut DbConnection = &mut c;
    let out = c
        .transaction(|c| draw_down_in(c, &off, &lic.id, &op2, date!(2026 - 04 - 01), &law))
        .unwrap();
    let DrawDownOutcome::Drawn(d) = out else {
        panic!("{out:?}")
    };
    assert!(
        d.warnings.iter().any(|w| w.kind == "quota"),
        "30 + 50 of 100 seats: {d:?}"
    );

    let acts = actions(store, off.org_id());
    for a in [
        "licence.registered",
        "attachment.added",
        "licence.drawn_down",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a} in {acts:?}");
    }
    store.verify_audit(off.org_id()).unwrap().unwrap();
});

store_test!(licences_are_scoped_and_need_the_decide_right, |store| {
    let law = law();
    let off = member(store, "off@a.example", "Org A", Role::Officer);
    let opr = member(store, "op@a.example", "Org A", Role::Operator);
    let aud = member(store, "aud@a.example", "Org A", Role::Auditor);
    let other = member(store, "off@b.example", "Org B", Role::Officer);
    for s in [&opr, &aud] {
        let e = store.register_licence(s, &terms(&law), "test-law", None);
        assert!(matches!(e, Err(LicenceError::Forbidden)), "{e:?}");
    }
    let lic = store
        .register_licence(&off, &terms(&law), "test-law", None)
        .unwrap();
    let dup = store.register_licence(&off, &terms(&law), "test-law", None);
    assert!(
        matches!(dup, Err(LicenceError::DuplicateNumber(_))),
        "{dup:?}"
    );
    assert_eq!(store.licences(&aud).unwrap().len(), 1, "auditors read");
    assert!(store.licence(&other, &lic.id).unwrap().is_none());
    assert!(store.licences(&other).unwrap().is_empty());
    let op = operation(store, &off, 1, 1.0);
    let e = store.draw_down(&other, &lic.id, &op.id, date!(2026 - 03 - 01), &law);
    assert!(matches!(e, Err(LicenceError::NotFound)), "{e:?}");
    let e = store.draw_down(&opr, &lic.id, &op.id, date!(2026 - 03 - 01), &law);
    assert!(matches!(e, Err(LicenceError::Forbidden)), "{e:?}");
    // Another organisation's operation on our licence: not found.
    let op_b = operation(store, &other, 1, 1.0);
    let mut c = store.conn().unwrap();
    let c: &mut DbConnection = &mut c;
    let e = draw_down_in(c, &off, &lic.id, &op_b, date!(2026 - 03 - 01), &law);
    assert!(matches!(e, Err(LicenceError::NotFound)), "{e:?}");
});

store_test!(
    general_authorisation_uses_are_recorded_and_updated,
    |store| {
        let law = law();
        let off = member(store, "off@a.example", "Org A", Role::Officer);
        let aud = member(store, "aud@a.example", "Org A", Role::Auditor);
        let mut u = GeneralAuthorisationUse {
            ugea_id: "eu007".into(),
            first_use: Some(date!(2026 - 06 - 01)),
            ..GeneralAuthorisationUse::default()
        };
        assert!(matches!(
            store.record_general_authorisation_use(&aud, &u, &law),
            Err(LicenceError::Forbidden)
        ));
        let r = store
            .record_general_authorisation_use(&off, &u, &law)
            .unwrap();
        assert_eq!(r.usage.ugea_id, "EU007");
        u.registration_ref = Some("REG-42".into());
        u.registered_on = Some(date!(2026 - 04 - 01));
        store
            .record_general_authorisation_use(&off, &u, &law)
            .unwrap();
        let all = store.general_authorisation_uses(&aud).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].usage.registration_ref.as_deref(), Some("REG-42"));
        assert_eq!(all[0].usage.registered_on, Some(date!(2026 - 04 - 01)));
        u.ugea_id = "EU999".into();
        assert!(matches!(
            store.record_general_authorisation_use(&off, &u, &law),
            Err(LicenceError::Invalid(_))
        ));
        let n = actions(store, off.org_id())
            .iter()
            .filter(|a| *a == "general_authorisation.used")
            .count();
        assert_eq!(n, 2);
    }
);

fn seats_total(store: &Store, scope: &OrgScope, id: &str) -> (i64, i64) {
    let l = store.licence(scope, id).unwrap().unwrap();
    let q = l
        .quotas
        .iter()
        .find(|q| q.unit == QuotaUnit::Seats)
        .unwrap();
    (q.total, q.remaining)
}

store_test!(
    amendments_replace_the_terms_with_history_and_audit,
    |store| {
        use vigil_domain::icp::LicenceAmendmentInput;
        let law = law();
        let off = member(store, "off@a.example", "Org A", Role::Officer);
        let lic = store
            .register_licence(&off, &terms(&law), "test-law", None)
            .unwrap();
        let op = operation(store, &off, 60, 0.0);
        let out = store
            .draw_down(&off, &lic.id, &op.id, date!(2026 - 03 - 01), &law)
            .unwrap();
        assert!(matches!(out, DrawDownOutcome::Drawn(_)), "{out:?}");
        let quotas = |seats: f64| {
            Some(vec![
                QuotaInput {
                    unit: "seats".into(),
                    total: seats,
                },
                QuotaInput {
                    unit: "eur".into(),
                    total: 1000.0,
                },
            ])
        };
        // Below what is drawn: refused naming the unit, nothing written.
        let audit_before = actions(store, off.org_id()).len();
        let low = LicenceAmendmentInput {
            reference: "SBDU-A-1".into(),
            date: "2026-06-01".into(),
            quotas: quotas(50.0),
            ..LicenceAmendmentInput::default()
        };
        let r = store.amend_licence(&off, &lic.id, &low, &law, None);
        let Err(LicenceError::Invalid(errs)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(errs[0].path, "quotas[0].total");
        assert!(errs[0].message.contains("seats"), "{}", errs[0].message);
        assert_eq!(count(store, "licence_amendments"), 0);
        assert_eq!(seats_total(store, &off, &lic.id), (100, 40));
        assert_eq!(actions(store, off.org_id()).len(), audit_before);

        // Extend the validity and raise the quota, with a document.
        let a = LicenceAmendmentInput {
            valid_until: Some("2028-01-01".into()),
            quotas: quotas(150.0),
            ..low
        };
        let doc = LicenceDocument {
            filename: "amendment.pdf",
            content_type: "application/pdf",
            bytes: b"%PDF-1.7 amendment",
        };
        let (l, rec) = store
            .amend_licence(&off, &lic.id, &a, &law, Some(doc))
            .unwrap();
        assert_eq!(l.terms.valid_until, date!(2028 - 01 - 01));
        assert_eq!(seats_total(store, &off, &lic.id), (150, 90));
        let fields: Vec<&str> = rec.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["valid_until", "quotas.seats"]);
        assert_eq!(rec.terms_before.valid_until, "2027-12-31");
        let doc_id = rec.document_id.clone().unwrap();
        let (meta, _) = store.attachment(&off, &doc_id).unwrap().unwrap();
        assert_eq!(meta.subject, format!("licence:{}", lic.id));
        assert_eq!(store.licence_amendments(&off, &lic.id).unwrap(), vec![rec]);
        let acts = actions(store, off.org_id());
        assert!(
            acts.ends_with(&["attachment.added".to_owned(), "licence.amended".to_owned()]),
            "{acts:?}"
        );
        let last = store
            .audit_records(off.org_id(), &AuditFilter::default())
            .unwrap()
            .into_iter()
            .find(|r| r.event.action == "licence.amended")
            .unwrap();
        assert_eq!(last.event.detail["reference"], "SBDU-A-1");
        assert_eq!(last.event.detail["changes"][0]["after"], "2028-01-01");

        // The same again changes nothing: refused.
        let r = store.amend_licence(&off, &lic.id, &a, &law, None);
        assert!(matches!(r, Err(LicenceError::Invalid(_))), "{r:?}");

        // Draw-down after the amendment uses the new terms: 90 seats left, and 2027-12-31 + 1 day is
        // still valid.
        let big = operation(store, &off, 90, 0.0);
        let out = store
            .draw_down(&off, &lic.id, &big.id, date!(2028 - 01 - 01), &law)
            .unwrap();
        assert!(matches!(out, DrawDownOutcome::Drawn(_)), "{out:?}");
        assert_eq!(seats_total(store, &off, &lic.id), (150, 0));
    }
);

store_test!(amendments_are_for_officers_of_the_organisation, |store| {
    use vigil_domain::icp::LicenceAmendmentInput;
    let law = law();
    let off = member(store, "off@a.example", "Org A", Role::Officer);
    let lic = store
        .register_licence(&off, &terms(&law), "test-law", None)
        .unwrap();
    let a = LicenceAmendmentInput {
        reference: "SBDU-A-2".into(),
        date: "2026-06-01".into(),
        conditions: Some("No re-export.".into()),
        ..LicenceAmendmentInput::default()
    };
    for role in [Role::Operator, Role::Auditor] {
        let who = member(
            store,
            &format!("{}@a.example", role.as_str()),
            "Org A",
            role,
        );
        let r = store.amend_licence(&who, &lic.id, &a, &law, None);
        assert!(matches!(r, Err(LicenceError::Forbidden)), "{r:?}");
    }
    let other = member(store, "adm@b.example", "Org B", Role::Admin);
    let r = store.amend_licence(&other, &lic.id, &a, &law, None);
    assert!(matches!(r, Err(LicenceError::NotFound)), "{r:?}");
    assert!(
        store
            .licence_amendments(&other, &lic.id)
            .unwrap()
            .is_empty()
    );
    assert_eq!(count(store, "licence_amendments"), 0);
    let (l, _) = store.amend_licence(&off, &lic.id, &a, &law, None).unwrap();
    assert_eq!(l.terms.conditions, "No re-export.");
});
