//! Licences (Art. 12 of Regulation (EU) 2021/821): validation of the terms (validity limits of
//! Art. 12(3)), draw-down arithmetic per unit, and refusals (scope, validity, balance); the
//! OPERATION contract's `quantity` and `value_eur`.

use std::collections::BTreeMap;

use serde_json::json;
use time::macros::date;
use vigil_domain::assess::input::{OperationInput, parse_json};
use vigil_domain::icp::licence::QuotaInput;
use vigil_domain::icp::{
    DrawRequest, LicenceTermsInput, QuotaUnit, RefusalKind, RequestLine, check_draw_down,
};
use vigil_domain::law::ControlCode;

use crate::support::{LAW, op};

fn terms_input() -> LicenceTermsInput {
    LicenceTermsInput {
        kind: "global".into(),
        number: "FR-G-2026-7".into(),
        authority: "SBDU".into(),
        entries: vec!["5A002".into(), "5D002".into()],
        destinations: vec!["US".into(), "JP".into()],
        end_users: vec!["Acme Corp".into()],
        quotas: vec![
            QuotaInput {
                unit: "seats".into(),
                total: 100.0,
            },
            QuotaInput {
                unit: "downloads".into(),
                total: 10.0,
            },
            QuotaInput {
                unit: "eur".into(),
                total: 50_000.5,
            },
        ],
        valid_from: "2026-01-01".into(),
        valid_until: "2027-12-31".into(),
        ..LicenceTermsInput::default()
    }
}

fn code(s: &str) -> ControlCode {
    ControlCode::parse(s).unwrap()
}

fn request(q: Vec<(QuotaUnit, i64)>) -> DrawRequest {
    DrawRequest {
        date: date!(2026 - 03 - 01),
        destination: "US".into(),
        end_users: vec!["ACME  corp".into()],
        lines: vec![RequestLine {
            item_id: "I1".into(),
            entries: vec![code("5D002.c.1")],
            quantities: q,
        }],
    }
}

fn fields(input: &LicenceTermsInput) -> Vec<String> {
    input
        .check(&LAW)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.path)
        .collect()
}

#[test]
fn art_12_3_validity_two_years_four_for_a_large_project() {
    let mut t = terms_input();
    t.valid_until = "2028-06-30".into();
    let errs = t.check(&LAW).unwrap_err();
    assert_eq!(errs[0].path, "valid_until");
    assert!(
        errs[0].message.contains("Art. 12(3)"),
        "{}",
        errs[0].message
    );
    t.large_project = true;
    t.valid_until = "2030-01-01".into();
    assert!(t.check(&LAW).is_ok(), "4 years with the large-project flag");
    t.valid_until = "2031-01-01".into();
    assert_eq!(
        fields(&t),
        ["valid_until"],
        "5 years is refused even for a large project"
    );
    t.valid_until = "2025-12-31".into();
    assert_eq!(fields(&t), ["valid_until"], "until before from");
}

#[test]
fn bad_terms_are_refused_with_the_field_named() {
    let mut t = terms_input();
    t.quotas[0].total = -5.0;
    t.quotas[1].total = 0.0;
    t.quotas[2].total = 1.005;
    t.entries.push("5A999".into());
    t.destinations.push("XX".into());
    t.kind = "blanket".into();
    assert_eq!(
        fields(&t),
        [
            "kind",
            "entries[2]",
            "destinations[2]",
            "quotas[0].total",
            "quotas[1].total",
            "quotas[2].total"
        ]
    );
    let mut t = terms_input();
    t.kind = "individual".into();
    t.end_users.clear();
    assert_eq!(fields(&t), ["end_users"]);
}

#[test]
fn draw_down_arithmetic_per_unit_seats_downloads_and_cents() {
    let t = terms_input().check(&LAW).unwrap();
    let eur = t.quota(QuotaUnit::Eur).unwrap();
    assert_eq!(eur.total, 5_000_050, "EUR quotas are kept in cents");
    let drawn = BTreeMap::from([(QuotaUnit::Seats, 30), (QuotaUnit::Eur, 1_000_000)]);
    let d = check_draw_down(
        &t,
        &drawn,
        &request(vec![
            (QuotaUnit::Seats, 20),
            (QuotaUnit::Downloads, 3),
            (QuotaUnit::Eur, 12_345),
        ]),
    )
    .unwrap();
    let seats = d.units.iter().find(|u| u.unit == QuotaUnit::Seats).unwrap();
    assert_eq!(
        (seats.drawn_before, seats.drawn_after, seats.remaining),
        (30, 50, 50)
    );
    let dl = d
        .units
        .iter()
        .find(|u| u.unit == QuotaUnit::Downloads)
        .unwrap();
    assert_eq!((dl.drawn_after, dl.remaining), (3, 7));
    let e = d.units.iter().find(|u| u.unit == QuotaUnit::Eur).unwrap();
    assert_eq!(e.remaining, 5_000_050 - 1_000_000 - 12_345);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // 80 % of the seats: a warning; the exact balance is still accepted.
    let d = check_draw_down(&t, &drawn, &request(vec![(QuotaUnit::Seats, 70)])).unwrap();
    assert_eq!(d.units[0].remaining, 0);
    assert!(d.warnings.iter().any(|w| w.kind == "quota"));
    // One more is refused, citing the quota.
    let r = check_draw_down(&t, &drawn, &request(vec![(QuotaUnit::Seats, 71)])).unwrap_err();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].kind, RefusalKind::ExceedsBalance);
    assert!(r[0].source.contains("quotas") && r[0].source.contains("Art. 12"));
}

#[test]
fn expiry_and_validity() {
    let t = terms_input().check(&LAW).unwrap();
    let mut req = request(vec![(QuotaUnit::Seats, 1)]);
    req.date = date!(2027 - 12 - 01);
    let d = check_draw_down(&t, &BTreeMap::new(), &req).unwrap();
    assert!(
        d.warnings.iter().any(|w| w.kind == "expiry"),
        "30 days left"
    );
    req.date = date!(2027 - 12 - 31);
    assert!(
        check_draw_down(&t, &BTreeMap::new(), &req).is_ok(),
        "last day included"
    );
    req.date = date!(2028 - 01 - 01);
    let r = check_draw_down(&t, &BTreeMap::new(), &req).unwrap_err();
    assert_eq!(r[0].kind, RefusalKind::Expired);
    req.date = date!(2025 - 12 - 31);
    let r = check_draw_down(&t, &BTreeMap::new(), &req).unwrap_err();
    assert_eq!(r[0].kind, RefusalKind::BeforeValidity);
}

#[test]
fn scope_mismatch_lists_every_reason() {
    let t = terms_input().check(&LAW).unwrap();
    let mut req = request(vec![(QuotaUnit::Seats, 1), (QuotaUnit::Hours, 2)]);
    req.destination = "CN".into();
    req.end_users = vec!["Other Ltd".into()];
    req.lines[0].entries = vec![code("5A001.j")];
    let r = check_draw_down(&t, &BTreeMap::new(), &req).unwrap_err();
    let kinds: Vec<RefusalKind> = r.iter().map(|x| x.kind).collect();
    for k in [
        RefusalKind::EntryNotCovered,
        RefusalKind::DestinationNotCovered,
        RefusalKind::EndUserNotCovered,
        RefusalKind::UnitWithoutQuota,
    ] {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }
    assert!(r.iter().all(|x| x.source.contains("Art. 12")));
    // A sub-item is covered by its ancestor entry.
    let ok = request(vec![(QuotaUnit::Seats, 1)]);
    assert!(check_draw_down(&t, &BTreeMap::new(), &ok).is_ok());
}

#[test]
fn the_operation_contract_takes_quantity_and_value() {
    let v = op(|v| {
        v["items"][0]["entries"] = json!(["5D002.c.1"]);
        v["items"][0]["quantity"] = json!({"amount": 20, "unit": "seats"});
        v["items"][0]["value_eur"] = json!(1234.5);
        v["parties"][0]["name"] = json!("Acme Corp");
    });
    let input: OperationInput = parse_json(&v.to_string()).unwrap();
    let o = input.check(&LAW, date!(2026 - 03 - 01)).unwrap();
    let req = DrawRequest::from_operation(&o);
    assert_eq!(
        req.lines[0].quantities,
        vec![(QuotaUnit::Seats, 20), (QuotaUnit::Eur, 123_450)]
    );
    assert_eq!(req.end_users, ["Acme Corp"]);
    let t = terms_input().check(&LAW).unwrap();
    assert!(check_draw_down(&t, &BTreeMap::new(), &req).is_ok());

    let bad = op(|v| {
        v["items"][0]["quantity"] = json!({"amount": -1, "unit": "pieces"});
        v["items"][0]["value_eur"] = json!(1.234);
    });
    let input: OperationInput = parse_json(&bad.to_string()).unwrap();
    let errs = input.check(&LAW, date!(2026 - 03 - 01)).unwrap_err().errors;
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["items[0].quantity.amount", "items[0].value_eur"]);
    let unknown = op(|v| v["items"][0]["quantity"] = json!({"amount": 1, "unit": "litres"}));
    let e = parse_json::<OperationInput>(&unknown.to_string()).unwrap_err();
    assert_eq!(e.errors[0].path, "items[0].quantity.unit");
}

// Amendments (vigil_domain::icp::amendment).

use vigil_domain::icp::{DrawnSoFar, LicenceAmendmentInput, changes, check_against_drawn};

fn amendment() -> LicenceAmendmentInput {
    LicenceAmendmentInput {
        reference: "SBDU-A-1".into(),
        date: "2026-06-01".into(),
        ..LicenceAmendmentInput::default()
    }
}

#[test]
fn an_amendment_extends_the_validity_and_raises_a_quota_and_says_what_changed() {
    let old = terms_input().check(&LAW).unwrap();
    let a = LicenceAmendmentInput {
        valid_until: Some("2028-01-01".into()),
        quotas: Some(vec![QuotaInput {
            unit: "seats".into(),
            total: 150.0,
        }]),
        destinations: Some(vec!["US".into(), "JP".into(), "ca".into()]),
        ..amendment()
    };
    let done = a.apply(&old, &LAW).unwrap();
    assert_eq!(done.reference, "SBDU-A-1");
    assert_eq!(done.date, date!(2026 - 06 - 01));
    assert_eq!(done.terms.valid_until, date!(2028 - 01 - 01));
    assert_eq!(done.terms.number, old.number);
    assert_eq!(done.terms.entries, old.entries);
    let fields: Vec<String> = changes(&old, &done.terms)
        .into_iter()
        .map(|c| format!("{}: {} -> {}", c.field, c.before, c.after))
        .collect();
    assert_eq!(
        fields,
        vec![
            "valid_until: 2027-12-31 -> 2028-01-01",
            "destinations: US, JP -> US, JP, CA",
            "quotas.eur: 50000.50 EUR -> ",
            "quotas.seats: 100 seats -> 150 seats",
            "quotas.downloads: 10 downloads -> ",
        ]
    );
}

#[test]
fn an_amendment_is_checked_by_the_rules_of_registration() {
    let old = terms_input().check(&LAW).unwrap();
    // Beyond two years (Art. 12(3)), no reference, no date.
    let a = LicenceAmendmentInput {
        reference: " ".into(),
        date: "June".into(),
        valid_until: Some("2028-06-01".into()),
        quotas: Some(vec![QuotaInput {
            unit: "seats".into(),
            total: -1.0,
        }]),
        ..LicenceAmendmentInput::default()
    };
    let errs = a.apply(&old, &LAW).unwrap_err();
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["reference", "date", "quotas[0].total", "valid_until"]
    );
    assert!(
        errs[3].message.contains("Art. 12(3)"),
        "{}",
        errs[3].message
    );
    // A large project may run four years.
    let a = LicenceAmendmentInput {
        valid_until: Some("2029-12-31".into()),
        large_project: Some(true),
        ..amendment()
    };
    assert!(a.apply(&old, &LAW).is_ok());
    // The kind and number are not amendable: an unknown field.
    let r: Result<LicenceAmendmentInput, _> =
        parse_json(&json!({"reference": "A", "date": "2026-06-01", "number": "X"}).to_string());
    assert!(r.is_err());
}

#[test]
fn a_quota_below_what_is_drawn_is_refused_naming_the_unit() {
    let old = terms_input().check(&LAW).unwrap();
    let drawn = DrawnSoFar {
        per_unit: BTreeMap::from([(QuotaUnit::Seats, 60), (QuotaUnit::Downloads, 2)]),
        first_day: Some(date!(2026 - 03 - 01)),
        last_day: Some(date!(2026 - 05 - 01)),
    };
    let a = LicenceAmendmentInput {
        quotas: Some(vec![
            QuotaInput {
                unit: "eur".into(),
                total: 10.0,
            },
            QuotaInput {
                unit: "seats".into(),
                total: 40.0,
            },
        ]),
        valid_until: Some("2026-04-30".into()),
        ..amendment()
    };
    let done = a.apply(&old, &LAW).unwrap();
    let errs = check_against_drawn(&a, &done.terms, &drawn).unwrap_err();
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec![
            "quotas[1].total: the seats quota cannot be lowered to 40 seats: 60 seats are already drawn on this licence",
            "quotas: the downloads quota cannot be removed: 2 downloads are already drawn on this licence",
            "valid_until: a draw-down was made on 2026-05-01: the validity cannot end before it (Art. 12(3) of Regulation (EU) 2021/821)",
        ]
    );
    // Exactly what is drawn, and narrowing the destinations, are accepted.
    let a = LicenceAmendmentInput {
        destinations: Some(vec!["JP".into()]),
        quotas: Some(vec![
            QuotaInput {
                unit: "seats".into(),
                total: 60.0,
            },
            QuotaInput {
                unit: "downloads".into(),
                total: 2.0,
            },
        ]),
        ..amendment()
    };
    let done = a.apply(&old, &LAW).unwrap();
    assert_eq!(check_against_drawn(&a, &done.terms, &drawn), Ok(()));
}
