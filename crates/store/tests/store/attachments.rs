//! Attachments on both backends: stored with their SHA-256 and size, at most 10 MiB, scoped to
//! the organisation, audited (`attachment.added`), refused to auditors.

use super::*;

use vigil_domain::access::Role;
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::attachments::{AttachmentError, MAX_ATTACHMENT_BYTES};

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

store_test!(attachments_round_trip_scoped_and_bounded, |store| {
    let a = member(store, "op@a.example", "Org A", Role::Operator);
    let aud = member(store, "aud@a.example", "Org A", Role::Auditor);
    let b = member(store, "op@b.example", "Org B", Role::Operator);
    let att = store
        .add_attachment(
            &a,
            "licence:x1",
            "C:\\scans\\lic.pdf",
            "application/pdf",
            b"abc",
        )
        .unwrap();
    assert_eq!(att.filename, "lic.pdf");
    assert_eq!(att.size, 3);
    assert_eq!(
        att.sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let (meta, data) = store.attachment(&aud, &att.id).unwrap().unwrap();
    assert_eq!((meta, data), (att.clone(), b"abc".to_vec()));
    assert!(store.attachment(&b, &att.id).unwrap().is_none());
    assert_eq!(store.attachments_of(&a, "licence:x1").unwrap(), vec![att]);
    assert!(store.attachments_of(&b, "licence:x1").unwrap().is_empty());
    assert!(matches!(
        store.add_attachment(&aud, "licence:x1", "a.pdf", "application/pdf", b"x"),
        Err(AttachmentError::Forbidden)
    ));
    let big = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
    assert!(matches!(
        store.add_attachment(&a, "licence:x1", "a.bin", "", &big),
        Err(AttachmentError::TooLarge { .. })
    ));
    let max = vec![7u8; MAX_ATTACHMENT_BYTES];
    let m = store
        .add_attachment(&a, "licence:x2", "max.bin", "", &max)
        .unwrap();
    assert_eq!(m.content_type, "application/octet-stream");
    assert_eq!(
        store.attachment(&a, &m.id).unwrap().unwrap().1.len(),
        MAX_ATTACHMENT_BYTES
    );
    assert!(matches!(
        store.add_attachment(&a, "nocolon", "a.pdf", "application/pdf", b"x"),
        Err(AttachmentError::Invalid {
            field: "subject",
            ..
        })
    ));
    let n = store
        .audit_records(a.org_id(), &vigil_store::audit::AuditFilter::default())
        .unwrap()
        .iter()
        .filter(|r| r.event.action == "attachment.added")
        .count();
    assert_eq!(n, 2);
});
