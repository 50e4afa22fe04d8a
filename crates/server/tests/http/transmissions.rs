//! Intangible exports through the real server: `POST /api/v1/transmissions` answers allow under
//! EU001 and EU008, deny to a sanctioned destination, hold when the declared and the seen
//! countries differ or the recipient alerts on a served list, draws downloads on a licence until
//! its quota is used and then holds with the licence's reason; bad input is 422 naming the field
//! with nothing written; another organisation is isolated and an auditor gets 403.

use vigil_domain::access::Role;
use vigil_screening::{EntityKind, ListEntry, ListSource, LoadedList, NameQuality};
use vigil_store::Store;
use vigil_store::accounts::OrgScope;
use vigil_store::records::{NewClassification, NewItem};

use super::*;

const LISTED: &str = "Tosong Technology Trading Corporation";

/// A server whose database serves a list naming [`LISTED`].
async fn server() -> Server {
    let (store, dir) = fresh_store();
    let mut e = ListEntry::new(ListSource::Csv, "W1", EntityKind::Organisation);
    e.push_name(LISTED, NameQuality::Primary);
    e.programmes.push("DPRK".into());
    let raw = "watch-1";
    store
        .import_list(
            &LoadedList::new(
                ListSource::Csv,
                raw.as_bytes(),
                None,
                Some(raw.into()),
                vec![e],
            ),
            "test",
        )
        .unwrap();
    serve(store, dir).await
}

fn item(store: &Store, scope: &OrgScope, name: &str, entries: &[&str], cs: bool) -> String {
    let item = store
        .create_item(
            scope,
            &NewItem {
                name,
                kind: "software",
                description: "Software delivered by download",
            },
        )
        .unwrap();
    let entries: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
    store
        .classify_item(
            scope,
            &item.id,
            &NewClassification {
                version_label: "v1",
                sheet_json: "{}",
                result_json: "{}",
                entries: &entries,
                cyber_surveillance: cs,
                law_version: "x",
            },
        )
        .unwrap();
    item.id
}

struct World {
    s: Server,
    officer: OrgScope,
    token: String,
    auditor_token: String,
    b_token: String,
    b_session: String,
}

async fn world() -> World {
    let s = server().await;
    let st = s.store.clone();
    let (officer, token, auditor_token, b_token) = blocking(move || {
        let officer = create_member(&st, "o@a.example", "", "A", Role::Officer);
        let auditor = create_member(&st, "au@a.example", "", "A", Role::Auditor);
        let b = create_member(&st, "o@b.example", "", "B", Role::Officer);
        item(&st, &officer, "SDK", &["5D002.c.1"], false);
        item(&st, &officer, "INTRUSION-KIT", &["4D004"], true);
        let token = st.create_token(&officer, "portal").unwrap().1;
        let auditor_token = st.create_token(&auditor, "ro").unwrap().1;
        let b_token = st.create_token(&b, "b").unwrap().1;
        (officer, token, auditor_token, b_token)
    })
    .await;
    let r = login(s.addr, "o@b.example", PW).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let b_session = session(&r);
    World {
        s,
        officer,
        token,
        auditor_token,
        b_token,
        b_session,
    }
}

fn body(item: &str, declared: &str, seen: &str, org: &str, purpose: &str) -> serde_json::Value {
    serde_json::json!({
        "item": item,
        "version": "v1",
        "recipient": {"name": "Ana Lima", "organisation": org},
        "country_declared": declared,
        "country_seen": seen,
        "purpose": purpose,
        "exporter_country": "FR",
    })
}

async fn transmit(w: &World, token: &str, b: &serde_json::Value) -> Reply {
    api(
        w.s.addr,
        "POST",
        "/api/v1/transmissions",
        token,
        &b.to_string(),
    )
    .await
}

async fn count(w: &World) -> (usize, usize) {
    let (st, sc) = (w.s.store.clone(), w.officer.clone());
    blocking(move || {
        (
            st.transmissions(&sc, 1000).unwrap().len(),
            st.operations(&sc, false).unwrap().len(),
        )
    })
    .await
}

#[tokio::test]
async fn transmissions_are_decided_recorded_and_listed() {
    let w = world().await;

    // EU001: a download of encryption software to the United States.
    let r = transmit(
        &w,
        &w.token,
        &body("SDK", "US", "US", "Northwind Inc", "download"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let j = r.json();
    assert_eq!(j["decision"], "allow", "{j}");
    assert_eq!(j["authorisation"]["reference"], "EU001", "{j}");
    assert_eq!(j["type"], "electronic_transmission");
    assert!(j.get("hold_id").is_none());
    let op = j["operation_id"].as_str().unwrap().to_owned();
    let r = api(
        w.s.addr,
        "GET",
        &format!("/api/v1/operations/{op}"),
        &w.token,
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("electronic_transmission"), "{}", r.body);

    // EU008: to Brazil, crypto on published standards (an operation fact of the contract).
    let mut b = body("sdk", "BR", "BR", "Rede Segura Ltda", "update");
    b["facts"] = serde_json::json!({"published_crypto_standards": true});
    b["relates_to"] = serde_json::json!(["5A002.a.2"]);
    let r = transmit(&w, &w.token, &b).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let j = r.json();
    assert_eq!(j["decision"], "allow", "{j}");
    assert_eq!(j["authorisation"]["reference"], "EU008", "{j}");

    // Deny: Russia (Regulation (EU) 833/2014 Art. 2 bans Annex I items).
    let r = transmit(
        &w,
        &w.token,
        &body("SDK", "RU", "RU", "Rostok OOO", "download"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let j = r.json();
    assert_eq!(j["decision"], "deny", "{j}");
    assert!(j["reasons"].to_string().contains("833/2014"), "{j}");
    assert!(j["hold_id"].is_string());

    // Hold: declared Canada, seen Russia... the ban wins (deny); declared US, seen Canada: hold.
    let r = transmit(
        &w,
        &w.token,
        &body("SDK", "US", "CA", "Northwind Inc", "download"),
    )
    .await;
    let j = r.json();
    assert_eq!(j["decision"], "hold", "{j}");
    assert_eq!(j["destination"], "CA");
    assert!(
        j["reasons"]
            .to_string()
            .contains("declared US but is seen in CA"),
        "{j}"
    );
    let hold_op = j["operation_id"].as_str().unwrap().to_owned();
    let r = api(
        w.s.addr,
        "GET",
        &format!("/api/v1/operations/{hold_op}/holds"),
        &w.token,
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1), "{}", r.body);

    // Hold: the recipient's organisation is on a served list.
    let r = transmit(
        &w,
        &w.token,
        &body("SDK", "US", "US", LISTED, "saas_access"),
    )
    .await;
    let j = r.json();
    assert_eq!(j["decision"], "hold", "{j}");
    assert!(j["reasons"].to_string().contains("Screening"), "{j}");
    assert!(!j["screening"].as_array().unwrap().is_empty());

    // Hold: a new release whose answers changed awaits re-classification.
    let (st, sc) = (w.s.store.clone(), w.officer.clone());
    blocking(move || {
        let item = st.find_item(&sc, "SDK").unwrap().unwrap();
        let rel = st
            .register_release(&sc, &item.id, "v2", r#"{"crypto.symmetric_key_bits": 512}"#)
            .unwrap();
        assert!(rel.flagged());
    })
    .await;
    let mut b = body("SDK", "US", "US", "Northwind Inc", "download");
    b["version"] = serde_json::json!("v2");
    let r = transmit(&w, &w.token, &b).await;
    let j = r.json();
    assert_eq!(j["decision"], "hold", "{j}");
    assert!(
        j["reasons"].to_string().contains("re-classification"),
        "{j}"
    );

    // Remote support is technical assistance (Art. 8).
    let r = transmit(
        &w,
        &w.token,
        &body("SDK", "US", "US", "Northwind Inc", "remote_support"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["type"], "technical_assistance");

    // The list and the page.
    let r = api(w.s.addr, "GET", "/api/v1/transmissions", &w.token, "").await;
    assert_eq!(r.status, 200);
    let list = r.json();
    assert_eq!(list.as_array().map(Vec::len), Some(7), "{list}");
    let r = api(
        w.s.addr,
        "GET",
        "/api/v1/transmissions",
        &w.auditor_token,
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let r = login(w.s.addr, "o@a.example", PW).await;
    let cookie = session(&r);
    let r = get(
        w.s.addr,
        &format!("/orgs/{}/transmissions", w.officer.org_id()),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Northwind Inc") && r.body.contains("EU001"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn downloads_are_drawn_on_a_licence_until_its_quota_is_used() {
    let w = world().await;
    // Without a licence: hold, a licence is required.
    let b = body("INTRUSION-KIT", "IN", "IN", "Acme Corp", "download");
    let r = transmit(&w, &w.token, &b).await;
    let j = r.json();
    assert_eq!(j["decision"], "hold", "{j}");
    assert_eq!(j["assessment_decision"], "licence_required", "{j}");
    // A licence of two downloads for Acme Corp in India.
    let (st, sc) = (w.s.store.clone(), w.officer.clone());
    let licence_id = blocking(move || {
        let law = vigil_domain::Law::embedded().unwrap();
        let terms = vigil_domain::icp::LicenceTermsInput {
            kind: "individual".into(),
            number: "FR-2026-DL".into(),
            authority: "SBDU".into(),
            entries: vec!["4D004".into()],
            destinations: vec!["IN".into()],
            end_users: vec!["Acme Corp".into()],
            quotas: vec![vigil_domain::icp::licence::QuotaInput {
                unit: "downloads".into(),
                total: 2.0,
            }],
            valid_from: "2026-01-01".into(),
            valid_until: "2027-12-31".into(),
            ..Default::default()
        }
        .check(&law)
        .unwrap();
        st.register_licence(&sc, &terms, "x", None).unwrap().id
    })
    .await;
    for left in [1, 0] {
        let r = transmit(&w, &w.token, &b).await;
        let j = r.json();
        assert_eq!(j["decision"], "allow", "{j}");
        assert_eq!(
            j["authorisation"]["reference"],
            "individual licence FR-2026-DL"
        );
        assert_eq!(j["authorisation"]["licence_id"], licence_id.as_str());
        assert_eq!(j["drawn"]["unit"], "downloads");
        assert_eq!(j["drawn"]["remaining"], left, "{j}");
    }
    let r = transmit(&w, &w.token, &b).await;
    let j = r.json();
    assert_eq!(j["decision"], "hold", "{j}");
    assert!(j["reasons"].to_string().contains("FR-2026-DL"), "{j}");
    assert!(j["reasons"].to_string().contains("remain"), "{j}");
    // Another end user is not covered either.
    let r = transmit(
        &w,
        &w.token,
        &body("INTRUSION-KIT", "IN", "IN", "Other Corp", "download"),
    )
    .await;
    assert_eq!(r.json()["decision"], "hold");
}

#[tokio::test]
async fn bad_input_is_422_naming_the_field_and_writes_nothing() {
    let w = world().await;
    let before = count(&w).await;
    for (b, field) in [
        (body("SDK", "US", "US", "X", "download"), None),
        (body("NOPE", "US", "US", "X", "download"), Some("item")),
        (
            body("SDK", "US", "ZZ", "X", "download"),
            Some("country_seen"),
        ),
        (
            body("SDK", "QQ", "US", "X", "download"),
            Some("country_declared"),
        ),
        (
            body("SDK", "US", "US", "X", "carrier_pigeon"),
            Some("purpose"),
        ),
    ] {
        let Some(field) = field else { continue };
        let r = transmit(&w, &w.token, &b).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            r.headers.get("content-type").map(String::as_str),
            Some("application/problem+json")
        );
        assert!(
            r.json()["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["path"] == field),
            "{field}: {}",
            r.body
        );
    }
    let mut b = body("SDK", "US", "US", "X", "download");
    b["version"] = serde_json::json!("v9");
    let r = transmit(&w, &w.token, &b).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["path"], "version", "{}", r.body);
    b["version"] = serde_json::json!("v1");
    b["colour"] = serde_json::json!("blue");
    let r = transmit(&w, &w.token, &b).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("colour"), "{}", r.body);
    let mut b = body("SDK", "US", "US", "X", "download");
    b["facts"] = serde_json::json!({"nope": true});
    let r = transmit(&w, &w.token, &b).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("facts"), "{}", r.body);
    assert_eq!(count(&w).await, before, "nothing written");
}

#[tokio::test]
async fn other_organisations_are_isolated_and_auditors_may_not_record() {
    let w = world().await;
    let r = transmit(
        &w,
        &w.token,
        &body("SDK", "US", "US", "Northwind Inc", "download"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // An auditor reads but may not record.
    let r = transmit(
        &w,
        &w.auditor_token,
        &body("SDK", "US", "US", "Northwind Inc", "download"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // B cannot name A's item, and sees none of A's transmissions.
    let r = transmit(
        &w,
        &w.b_token,
        &body("SDK", "US", "US", "Northwind Inc", "download"),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "item");
    let r = api(w.s.addr, "GET", "/api/v1/transmissions", &w.b_token, "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!([]));
    let r = get(
        w.s.addr,
        &format!("/orgs/{}/transmissions", w.officer.org_id()),
        Some(&w.b_session),
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(!r.body.contains("Northwind"));
    // Without a token: 401.
    let r = api(w.s.addr, "POST", "/api/v1/transmissions", "", "{}").await;
    assert_eq!(r.status, 401);
    assert_eq!(count(&w).await.0, 1);
}
