//! Transmissions (intangible exports) on both backends: each one recorded as an operation with
//! its transmission row and audit rows in one transaction; a hold for deny and hold; licence
//! draw-down of one unit per transmission until the quota is used, then a hold with the
//! licence's refusal; organisation scoping; an auditor may not record.

use super::*;

use time::macros::date;
use vigil_domain::Law;
use vigil_domain::access::Role;
use vigil_domain::icp::LicenceTermsInput;
use vigil_domain::icp::licence::QuotaInput;
use vigil_domain::law::ControlCode;
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::audit::AuditFilter;
use vigil_store::lifecycle::HoldCause;
use vigil_store::records::{NewClassification, NewItem};
use vigil_store::releases::ReleaseStatus;
use vigil_store::transmissions::{
    DrawAsk, NewTransmission, Purpose, TransmissionDecision, TransmissionError,
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

fn item(store: &Store, scope: &OrgScope) -> String {
    let item = store
        .create_item(
            scope,
            &NewItem {
                name: "SDK",
                kind: "software",
                description: "Encryption SDK",
            },
        )
        .unwrap();
    store
        .classify_item(
            scope,
            &item.id,
            &NewClassification {
                version_label: "v1",
                sheet_json: "{}",
                result_json: "{}",
                entries: &["5D002.c.1".to_owned()],
                cyber_surveillance: false,
                law_version: "x",
            },
        )
        .unwrap();
    item.id
}

fn new<'a>(
    item_id: &'a str,
    decision: TransmissionDecision,
    reasons: &'a [String],
    draw: bool,
) -> NewTransmission<'a> {
    NewTransmission {
        item_id,
        version_label: "v1",
        recipient_name: "Ana",
        recipient_org: "Acme Corp",
        country_declared: "US",
        country_seen: "US",
        destination: "US",
        purpose: Purpose::Download,
        decision,
        authorisation: "none",
        reasons,
        hold_cause: HoldCause::Decision,
        input_json: "{}",
        assessment_json: "{}",
        operation_decision: if draw {
            "licence_required"
        } else {
            "no_licence_required"
        },
        law_version: "x",
        retain_until: Some("2031-12-31"),
        draw: draw.then(|| DrawAsk {
            entries: vec![ControlCode::parse("5D002.c.1").unwrap()],
            on: date!(2026 - 06 - 01),
        }),
    }
}

store_test!(transmissions_are_recorded_drawn_held_and_scoped, |store| {
    let law = Law::embedded().unwrap();
    let officer = member(store, "o@a.example", "A", Role::Officer);
    let auditor = member(store, "au@a.example", "A", Role::Auditor);
    let other = member(store, "o@b.example", "B", Role::Officer);
    let item_id = item(store, &officer);

    // The item version reads back, found by name (case ignored) and label.
    let v = store.item_version(&officer, "sdk", "V1").unwrap().unwrap();
    assert_eq!(v.item.id, item_id);
    assert_eq!(v.status, ReleaseStatus::Classified);
    assert!(store.item_version(&officer, "sdk", "v9").unwrap().is_none());
    assert!(store.item_version(&other, "sdk", "v1").unwrap().is_none());
    // Kept in memory, but never past a write: a re-classification shows at once.
    store
        .classify_item(
            &officer,
            &item_id,
            &NewClassification {
                version_label: "v1",
                sheet_json: "{}",
                result_json: "{}",
                entries: &["5A002.a".to_owned()],
                cyber_surveillance: false,
                law_version: "x",
            },
        )
        .unwrap();
    let again = store.item_version(&officer, "SDK", "v1").unwrap().unwrap();
    assert_eq!(
        again.basis.unwrap().entries().unwrap(),
        vec!["5A002.a".to_owned()]
    );
    store
        .classify_item(
            &officer,
            &item_id,
            &NewClassification {
                version_label: "v1",
                sheet_json: "{}",
                result_json: "{}",
                entries: &["5D002.c.1".to_owned()],
                cyber_surveillance: false,
                law_version: "x",
            },
        )
        .unwrap();

    // Allowed without a licence: a decided operation, no hold.
    let r = store
        .record_transmission(
            &officer,
            &new(&item_id, TransmissionDecision::Allow, &[], false),
        )
        .unwrap();
    assert_eq!(r.transmission.decision, "allow");
    assert_eq!(r.operation.status, "decided");
    assert!(r.hold_id.is_none());

    // A licence required and none registered: held, with the reason.
    let r = store
        .record_transmission(
            &officer,
            &new(&item_id, TransmissionDecision::Allow, &[], true),
        )
        .unwrap();
    assert_eq!(r.transmission.decision, "hold");
    assert_eq!(r.operation.status, "blocked");
    assert!(r.hold_id.is_some());
    assert!(
        r.transmission
            .reasons()
            .iter()
            .any(|x| x.contains("Art. 12")),
        "{:?}",
        r.transmission.reasons()
    );

    // A licence of 2 downloads: two draws, then a hold naming the balance.
    let terms = LicenceTermsInput {
        kind: "individual".into(),
        number: "FR-DL-1".into(),
        authority: "SBDU".into(),
        entries: vec!["5D002".into()],
        destinations: vec!["US".into()],
        end_users: vec!["Acme Corp".into()],
        quotas: vec![QuotaInput {
            unit: "downloads".into(),
            total: 2.0,
        }],
        valid_from: "2026-01-01".into(),
        valid_until: "2027-12-31".into(),
        ..LicenceTermsInput::default()
    }
    .check(&law)
    .unwrap();
    let licence = store.register_licence(&officer, &terms, "x", None).unwrap();
    for left in [1, 0] {
        let r = store
            .record_transmission(
                &officer,
                &new(&item_id, TransmissionDecision::Allow, &[], true),
            )
            .unwrap();
        assert_eq!(r.transmission.decision, "allow");
        assert_eq!(r.operation.status, "decided");
        let d = r.drawn.unwrap();
        assert_eq!((d.number.as_str(), d.remaining), ("FR-DL-1", Some(left)));
        assert_eq!(
            r.transmission.licence_id.as_deref(),
            Some(licence.id.as_str())
        );
        assert_eq!(r.transmission.authorisation, "individual licence FR-DL-1");
    }
    let r = store
        .record_transmission(
            &officer,
            &new(&item_id, TransmissionDecision::Allow, &[], true),
        )
        .unwrap();
    assert_eq!(r.transmission.decision, "hold");
    assert!(
        r.transmission
            .reasons()
            .iter()
            .any(|x| x.contains("FR-DL-1") && x.contains("remain")),
        "{:?}",
        r.transmission.reasons()
    );
    assert_eq!(store.drawdowns(&officer, &licence.id).unwrap().len(), 2);
    let l = store.licence(&officer, &licence.id).unwrap().unwrap();
    assert_eq!(l.quotas[0].remaining, 0);

    // Deny: a blocked, prohibited operation with its hold.
    let reasons = vec!["prohibited (833/2014 Art. 2)".to_owned()];
    let mut deny = new(&item_id, TransmissionDecision::Deny, &reasons, false);
    deny.operation_decision = "prohibited";
    let r = store.record_transmission(&officer, &deny).unwrap();
    assert_eq!(r.transmission.decision, "deny");
    assert_eq!(r.operation.decision, "prohibited");
    assert_eq!(store.holds(&officer, &r.operation.id).unwrap().len(), 1);

    // An auditor may not record; another organisation sees nothing and cannot name the item.
    assert!(matches!(
        store.record_transmission(
            &auditor,
            &new(&item_id, TransmissionDecision::Allow, &[], false)
        ),
        Err(TransmissionError::Forbidden)
    ));
    assert!(
        store
            .record_transmission(
                &other,
                &new(&item_id, TransmissionDecision::Allow, &[], false)
            )
            .is_err()
    );
    assert!(store.transmissions(&other, 100).unwrap().is_empty());
    assert_eq!(store.transmissions(&officer, 100).unwrap().len(), 6);
    assert_eq!(store.transmissions(&auditor, 100).unwrap().len(), 6);

    // Every write audited in the same transaction.
    let actions: Vec<String> = store
        .audit_records(officer.org_id(), &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .collect();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("transmission.recorded"), 6);
    assert_eq!(count("licence.drawn_down"), 2);
    assert_eq!(count("operation.held"), 3);
    assert_eq!(count("operation.assessed"), 6);
});
