//! The internal compliance programme's records on both backends: validated whole (every bad field
//! named, nothing written), recorded by officers and admins only, audited (`icp.recorded`) in the
//! same transaction, read through the organisation's scope.

use super::*;

use vigil_domain::access::Role;
use vigil_store::AuditFilter;
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::icp::{IcpError, NewIcpRecord};

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

fn policy() -> NewIcpRecord<'static> {
    NewIcpRecord {
        element: "1",
        kind: "policy",
        title: "Export control commitment statement",
        person_name: "Jean Dupont",
        person_role: "CEO",
        date: "2026-01-15",
        details: "Signed by the CEO.\r\nPublished on the intranet.",
        attachment_id: "",
    }
}

fn icp_audit_rows(store: &Store, scope: &OrgScope) -> usize {
    store
        .audit_records(
            scope.org_id(),
            &AuditFilter {
                action: Some("icp.recorded".into()),
                ..AuditFilter::default()
            },
        )
        .unwrap()
        .len()
}

store_test!(icp_records_are_recorded_audited_and_scoped, |store| {
    let officer = member(store, "off@a.example", "Org A", Role::Officer);
    let auditor = member(store, "aud@a.example", "Org A", Role::Auditor);
    let other = member(store, "off@b.example", "Org B", Role::Officer);
    let rec = store.record_icp(&officer, &policy()).unwrap();
    assert_eq!(rec.element, 1);
    assert_eq!(
        rec.details,
        "Signed by the CEO.\nPublished on the intranet."
    );
    assert_eq!(rec.recorded_by, officer.user_id());
    let training = store
        .record_icp(
            &officer,
            &NewIcpRecord {
                element: "3",
                kind: "training",
                title: "Dual-use awareness 2026",
                person_name: "Sales team",
                date: "2026-03-10",
                ..NewIcpRecord::default()
            },
        )
        .unwrap();
    // Read by every member, by element.
    let all = store.icp_records(&auditor).unwrap();
    assert_eq!(all, vec![rec.clone(), training.clone()]);
    assert_eq!(
        store.icp_record(&auditor, &rec.id).unwrap(),
        Some(rec.clone())
    );
    // Another organisation sees nothing.
    assert!(store.icp_records(&other).unwrap().is_empty());
    assert!(store.icp_record(&other, &rec.id).unwrap().is_none());
    // Audited, with the chain intact.
    assert_eq!(icp_audit_rows(store, &officer), 2);
    assert!(store.verify_audit(officer.org_id()).unwrap().is_ok());
});

store_test!(icp_records_need_the_decide_right, |store| {
    let operator = member(store, "op@a.example", "Org A", Role::Operator);
    let auditor = member(store, "aud@a.example", "Org A", Role::Auditor);
    let admin = member(store, "adm@a.example", "Org A", Role::Admin);
    for scope in [&operator, &auditor] {
        assert!(matches!(
            store.record_icp(scope, &policy()),
            Err(IcpError::Forbidden)
        ));
    }
    assert!(store.icp_records(&admin).unwrap().is_empty());
    assert!(store.record_icp(&admin, &policy()).is_ok());
});

store_test!(
    bad_icp_records_name_every_field_and_write_nothing,
    |store| {
        let officer = member(store, "off@a.example", "Org A", Role::Officer);
        let long = "x".repeat(201);
        let bad = NewIcpRecord {
            element: "8",
            kind: "memo",
            title: "  ",
            person_name: &long,
            person_role: "role\u{7}",
            date: "2026-02-30",
            details: "ok",
            attachment_id: "",
        };
        let Err(IcpError::Invalid(errors)) = store.record_icp(&officer, &bad) else {
            panic!("accepted");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "element",
                "kind",
                "title",
                "person_name",
                "person_role",
                "date"
            ]
        );
        // A responsible person must be named.
        let Err(IcpError::Invalid(errors)) = store.record_icp(
            &officer,
            &NewIcpRecord {
                element: "2",
                kind: "responsible_person",
                title: "Export control officer",
                date: "2026-01-15",
                ..NewIcpRecord::default()
            },
        ) else {
            panic!("accepted");
        };
        assert_eq!(errors[0].field, "person_name");
        // An attachment of another organisation is refused like an unknown one.
        let other = member(store, "op@b.example", "Org B", Role::Operator);
        let theirs = store
            .add_attachment(
                &other,
                "icp:x",
                "policy.pdf",
                "application/pdf",
                b"%PDF-1.7",
            )
            .unwrap();
        let Err(IcpError::Invalid(errors)) = store.record_icp(
            &officer,
            &NewIcpRecord {
                attachment_id: &theirs.id,
                ..policy()
            },
        ) else {
            panic!("accepted");
        };
        assert_eq!(errors[0].field, "attachment_id");
        assert!(store.icp_records(&officer).unwrap().is_empty());
        assert_eq!(icp_audit_rows(store, &officer), 0);
        // The organisation's own document is accepted.
        let ours = store
            .add_attachment(
                &officer,
                "icp:x",
                "policy.pdf",
                "application/pdf",
                b"%PDF-1.7",
            )
            .unwrap();
        let rec = store
            .record_icp(
                &officer,
                &NewIcpRecord {
                    attachment_id: &ours.id,
                    ..policy()
                },
            )
            .unwrap();
        assert_eq!(rec.attachment_id.as_deref(), Some(ours.id.as_str()));
    }
);

store_test!(
    the_command_line_acts_as_a_named_member_or_the_first_admin,
    |store| {
        let admin = member(store, "adm@a.example", "Org A", Role::Admin);
        let auditor = member(store, "Aud@a.example", "Org A", Role::Auditor);
        let other = member(store, "adm@b.example", "Org B", Role::Admin);
        let org = admin.org_id();
        assert_eq!(
            store.member_scope_for_cli(org, None).unwrap(),
            Some(admin.clone())
        );
        assert_eq!(
            store
                .member_scope_for_cli(org, Some("aud@A.example"))
                .unwrap(),
            Some(auditor)
        );
        // Not a member of that organisation, or nobody.
        assert_eq!(
            store
                .member_scope_for_cli(org, Some("adm@b.example"))
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .member_scope_for_cli(org, Some("nobody@x.example"))
                .unwrap(),
            None
        );
        assert_eq!(
            store.member_scope_for_cli(other.org_id(), None).unwrap(),
            Some(other)
        );
    }
);

store_test!(
    a_record_and_its_uploaded_document_are_written_together,
    |store| {
        use vigil_store::attachments::MAX_ATTACHMENT_BYTES;
        use vigil_store::icp::IcpDocument;
        let officer = member(store, "off@doc-a.example", "Doc Org A", Role::Officer);
        let other = member(store, "off@doc-b.example", "Doc Org B", Role::Officer);
        let pdf = b"%PDF-1.7 policy".to_vec();
        let doc = IcpDocument {
            filename: "policy.pdf",
            content_type: "application/pdf",
            bytes: &pdf,
        };
        // Refused documents write nothing.
        let big = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
        let too_large = IcpDocument { bytes: &big, ..doc };
        assert!(matches!(
            store.record_icp_with_document(&officer, &policy(), Some(&too_large)),
            Err(IcpError::TooLarge { .. })
        ));
        let html = IcpDocument {
            content_type: "text/html",
            ..doc
        };
        assert!(matches!(
            store.record_icp_with_document(&officer, &policy(), Some(&html)),
            Err(IcpError::UnsupportedType { .. })
        ));
        let bad_field = NewIcpRecord {
            element: "8",
            ..policy()
        };
        assert!(matches!(
            store.record_icp_with_document(&officer, &bad_field, Some(&doc)),
            Err(IcpError::Invalid(_))
        ));
        assert!(store.icp_records(&officer).unwrap().is_empty());
        assert_eq!(icp_audit_rows(store, &officer), 0);
        // Accepted: the document is the record's, with its SHA-256, in the organisation only.
        let rec = store
            .record_icp_with_document(&officer, &policy(), Some(&doc))
            .unwrap();
        let att = rec.attachment_id.clone().unwrap();
        let (meta, bytes) = store.icp_document(&officer, &rec.id).unwrap().unwrap();
        assert_eq!(meta.id, att);
        assert_eq!(meta.subject, format!("icp:{}", rec.id));
        assert_eq!(bytes, pdf);
        assert_eq!(meta.sha256.len(), 64);
        assert!(store.icp_document(&other, &rec.id).unwrap().is_none());
        let docs = store
            .icp_documents(&officer, std::slice::from_ref(&rec))
            .unwrap();
        assert_eq!(docs[&att].filename, "policy.pdf");
        assert!(store.icp_documents(&other, &[rec]).unwrap().is_empty());
        assert_eq!(icp_audit_rows(store, &officer), 1);
    }
);
