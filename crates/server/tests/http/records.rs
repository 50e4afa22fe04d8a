//! Items, parties and operations through the real server on a temporary SQLite database: an
//! operator creates an item, classifies it and saves the classification, adds a party and records
//! operations (built from the form and pasted as JSON) whose stored decision the detail page, the
//! dashboard and the API show; an auditor reads but gets 403 on every create; a member of another
//! organisation gets 404 on the pages and the API; cross-site posts are refused; bad input is 422
//! next to the field with nothing stored.

use super::*;

use vigil_domain::access::Role;
use vigil_store::Store;
use vigil_store::accounts::OrgScope;
use vigil_store::audit::AuditFilter;
use vigil_store::records::{NewClassification, NewItem, NewParty};

async fn spawn_records() -> Server {
    spawn_with_store().await
}

/// A member of organisation `org` (created when new) with `role`: their scope and a session.
async fn member(s: &Server, email: &str, org: &str, role: Role) -> (OrgScope, String) {
    let (store, e, o) = (s.store.clone(), email.to_owned(), org.to_owned());
    let scope = blocking(move || create_member(&store, &e, "", &o, role)).await;
    let r = login(s.addr, email, PW).await;
    assert_eq!(r.status, 303, "{}", r.body);
    (scope, session(&r))
}

async fn get(addr: SocketAddr, path: &str, cookie: &str) -> Reply {
    let c = format!("vigil_session={cookie}");
    request(addr, "GET", path, &[("Cookie", c.as_str())], "").await
}

fn record_actions(store: &Store, org: &str) -> Vec<String> {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .filter(|a| {
            ["item.", "party.", "operation."]
                .iter()
                .any(|p| a.starts_with(p))
        })
        .collect()
}

/// An item of `scope`'s organisation, classified as 5A001.f.2.
fn classified_item(store: &Store, scope: &OrgScope) -> String {
    let item = store
        .create_item(
            scope,
            &NewItem {
                name: "IMSI-X",
                kind: "hardware",
                description: "Portable IMSI catcher",
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
                entries: &["5A001.f.2".to_owned()],
                cyber_surveillance: false,
                law_version: "x",
            },
        )
        .unwrap();
    item.id
}

#[tokio::test]
async fn an_operator_classifies_an_item_and_records_operations_through_the_pages() {
    let s = spawn_records().await;
    let (scope, op) = member(&s, "op@a.example", "Org A", Role::Operator).await;
    let org = scope.org_id().to_owned();
    // A new item …
    let r = post(
        s.addr,
        &format!("/orgs/{org}/items"),
        Some(&op),
        &form(&[
            ("name", "Catcher 5G"),
            ("kind", "hardware"),
            ("description", &example_description()),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let item_path = r.headers["location"].clone();
    let item_id = item_path.rsplit('/').next().unwrap().to_owned();
    let r = get(s.addr, &item_path, &op).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Catcher 5G"), "{}", r.body);
    // … classified from its product sheet on the page …
    let classify = format!("{item_path}/classify");
    let r = post(
        s.addr,
        &classify,
        Some(&op),
        &form(&[("description", &example_description()), ("facts", "")]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("5A001.f.2"), "{}", r.body);
    assert!(r.body.contains("name=\"save\""), "{}", r.body);
    // … a version label is needed to save, and unknown entries are refused; nothing is saved.
    let r = post(
        s.addr,
        &classify,
        Some(&op),
        &form(&[
            ("description", &example_description()),
            ("entries", "9Z999"),
            ("cyber_surveillance", "yes"),
            ("version_label", ""),
            ("save", "1"),
        ]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"entries-error\""), "{}", r.body);
    assert!(r.body.contains("id=\"version_label-error\""), "{}", r.body);
    assert!(
        s.store
            .classifications(&scope, &item_id)
            .unwrap()
            .is_empty()
    );
    // … then saved with the entries chosen.
    let r = post(
        s.addr,
        &classify,
        Some(&op),
        &form(&[
            ("description", &example_description()),
            ("entries", "5A001.f.2"),
            ("cyber_surveillance", "yes"),
            ("version_label", "fw 3.2"),
            ("save", "1"),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let recs = s.store.classifications(&scope, &item_id).unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].entries().unwrap(), ["5A001.f.2"]);
    assert_eq!(recs[0].cyber_surveillance, "yes");
    assert_eq!(recs[0].classified_by, scope.user_id());
    let r = get(s.addr, &item_path, &op).await;
    assert!(r.body.contains("fw 3.2"), "{}", r.body);
    // Who classified, by name (the display name defaults to the e-mail).
    assert!(r.body.contains("op@a.example"), "{}", r.body);
    // A party.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/parties"),
        Some(&op),
        &form(&[
            ("role", "end_user"),
            ("name", "Ministry of Interior"),
            ("country", "ae"),
            ("notes", "police"),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let party = s.store.parties(&scope).unwrap().remove(0);
    assert_eq!(party.country, "AE");
    // An operation built from the item and the party: assessed and recorded.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations"),
        Some(&op),
        &form(&[
            ("reference", "EXP-77"),
            ("op_type", "export"),
            ("exporter_name", "Acme SAS"),
            ("exporter_country", "FR"),
            ("destination", "AE"),
            ("item", &item_id),
            ("party_1", &party.id),
            ("end_use", "Police investigations"),
            ("end_user_type", "government_security"),
            ("operation", ""),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let op_path = r.headers["location"].clone();
    let stored = s.store.operations(&scope, false).unwrap();
    assert_eq!(stored.len(), 1);
    let assessment: serde_json::Value = serde_json::from_str(&stored[0].assessment_json).unwrap();
    assert_eq!(assessment["decision"], stored[0].decision.as_str());
    assert_eq!(stored[0].reference, "EXP-77");
    let input: serde_json::Value = serde_json::from_str(&stored[0].input_json).unwrap();
    assert_eq!(input["items"][0]["entries"][0], "5A001.f.2");
    assert_eq!(input["parties"][0]["name"], "Ministry of Interior");
    let r = get(s.addr, &op_path, &op).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("EXP-77") && r.body.contains(&stored[0].law_version));
    assert!(r.body.contains("href=\"/law/5A001") || r.body.contains("href=\"https://"));
    // An operation pasted as JSON, prohibited: on the dashboard's blocked list.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations"),
        Some(&op),
        &form(&[(
            "operation",
            &example("operations/monitoring-centre-to-iran.json"),
        )]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let blocked = s.store.operations(&scope, true).unwrap();
    assert!(
        blocked.iter().any(|o| o.reference == "EXP-2026-0133"),
        "{blocked:?}"
    );
    let r = get(s.addr, &format!("/orgs/{org}"), &op).await;
    assert!(r.body.contains("EXP-2026-0133"), "{}", r.body);
    let r = get(s.addr, &format!("/orgs/{org}/operations"), &op).await;
    assert!(r.body.contains("EXP-77") && r.body.contains("EXP-2026-0133"));
    assert_eq!(
        record_actions(&s.store, &org),
        [
            "item.created",
            "item.classified",
            "party.created",
            "party.screened",
            "operation.assessed",
            "operation.held",
            "operation.assessed",
            "operation.held"
        ]
    );
}

fn example_description() -> String {
    let v: serde_json::Value = serde_json::from_str(&example("items/imsi-catcher.json")).unwrap();
    v["description"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn bad_input_is_shown_next_to_the_field_with_422_and_nothing_is_stored() {
    let s = spawn_records().await;
    let (scope, op) = member(&s, "op@a.example", "Org A", Role::Operator).await;
    let org = scope.org_id().to_owned();
    let r = post(
        s.addr,
        &format!("/orgs/{org}/items"),
        Some(&op),
        &form(&[("name", " "), ("kind", "hardware")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"name-error\""), "{}", r.body);
    let r = post(
        s.addr,
        &format!("/orgs/{org}/items"),
        Some(&op),
        &form(&[("name", "X"), ("kind", "weapon")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"kind-error\""), "{}", r.body);
    let r = post(
        s.addr,
        &format!("/orgs/{org}/parties"),
        Some(&op),
        &form(&[("role", "end_user"), ("name", "X"), ("country", "France")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"country-error\""), "{}", r.body);
    let mut bad: serde_json::Value =
        serde_json::from_str(&example("operations/vpn-appliance-to-us.json")).unwrap();
    bad["destination"] = serde_json::json!("ZZ");
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations"),
        Some(&op),
        &form(&[("operation", &bad.to_string())]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"operation-error\""), "{}", r.body);
    assert!(r.body.contains("<code>destination</code>"), "{}", r.body);
    // Built from the form: no item chosen, then a bad destination next to its field.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations"),
        Some(&op),
        &form(&[("destination", "AE"), ("exporter_country", "FR")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"item-error\""), "{}", r.body);
    assert!(s.store.items(&scope).unwrap().is_empty());
    assert!(s.store.parties(&scope).unwrap().is_empty());
    assert!(s.store.operations(&scope, false).unwrap().is_empty());
    assert!(record_actions(&s.store, &org).is_empty());
    let item = classified_item(&s.store, &scope);
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations"),
        Some(&op),
        &form(&[
            ("item", &item),
            ("destination", "ZZ"),
            ("exporter_name", "Acme"),
            ("exporter_country", "FR"),
            ("op_type", "export"),
        ]),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"destination-error\""), "{}", r.body);
    assert!(s.store.operations(&scope, false).unwrap().is_empty());
}

#[tokio::test]
async fn an_auditor_reads_but_gets_403_on_every_create() {
    let s = spawn_records().await;
    let (op_scope, _) = member(&s, "op@a.example", "Org A", Role::Operator).await;
    let (aud_scope, aud) = member(&s, "aud@a.example", "Org A", Role::Auditor).await;
    let org = op_scope.org_id().to_owned();
    let item = classified_item(&s.store, &op_scope);
    let r = get(s.addr, &format!("/orgs/{org}/items"), &aud).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("IMSI-X"));
    assert!(!r.body.contains(&format!("action=\"/orgs/{org}/items\"")));
    assert_eq!(
        get(s.addr, &format!("/orgs/{org}/items/{item}"), &aud)
            .await
            .status,
        200
    );
    for (path, body) in [
        (
            format!("/orgs/{org}/items"),
            form(&[("name", "X"), ("kind", "hardware")]),
        ),
        (
            format!("/orgs/{org}/items/{item}/classify"),
            form(&[("description", "probe")]),
        ),
        (
            format!("/orgs/{org}/parties"),
            form(&[("role", "end_user"), ("name", "X"), ("country", "FR")]),
        ),
        (
            format!("/orgs/{org}/operations"),
            form(&[("operation", &example("operations/vpn-appliance-to-us.json"))]),
        ),
    ] {
        let r = post(s.addr, &path, Some(&aud), &body).await;
        assert_eq!(r.status, 403, "{path}");
    }
    let (_, token) = s.store.create_token(&aud_scope, "read").unwrap();
    let r = api(s.addr, "GET", "/api/v1/items", &token, "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()[0]["name"], "IMSI-X");
    for (path, body) in [
        (
            "/api/v1/items",
            r#"{"name":"X","kind":"hardware"}"#.to_owned(),
        ),
        (
            "/api/v1/parties",
            r#"{"role":"end_user","name":"X","country":"FR"}"#.to_owned(),
        ),
        (
            "/api/v1/operations",
            example("operations/vpn-appliance-to-us.json"),
        ),
        (
            &format!("/api/v1/items/{item}/classifications"),
            r#"{"version_label":"v2","entries":[],"cyber_surveillance":false}"#.to_owned(),
        ),
    ] {
        let r = api(s.addr, "POST", path, &token, &body).await;
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(r.json()["status"], 403);
    }
    assert_eq!(s.store.items(&op_scope).unwrap().len(), 1);
    assert_eq!(s.store.classifications(&op_scope, &item).unwrap().len(), 1);
    assert!(s.store.parties(&op_scope).unwrap().is_empty());
    assert!(s.store.operations(&op_scope, false).unwrap().is_empty());
}

#[tokio::test]
async fn another_organisation_gets_404_on_pages_and_api() {
    let s = spawn_records().await;
    let (a, _) = member(&s, "op@a.example", "Org A", Role::Operator).await;
    let (b, b_cookie) = member(&s, "admin@b.example", "Org B", Role::Admin).await;
    let (org_a, org_b) = (a.org_id().to_owned(), b.org_id().to_owned());
    let item = classified_item(&s.store, &a);
    s.store
        .create_party(
            &a,
            &NewParty {
                role: "consignee",
                name: "Secret Customer",
                country: "DE",
                notes: "",
            },
        )
        .unwrap();
    let (_, a_token) = s.store.create_token(&a, "a").unwrap();
    let r = api(
        s.addr,
        "POST",
        "/api/v1/operations",
        &a_token,
        &example("operations/vpn-appliance-to-us.json"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let op_id = r.json()["id"].as_str().unwrap().to_owned();
    for path in [
        format!("/orgs/{org_a}/items"),
        format!("/orgs/{org_a}/items/{item}"),
        format!("/orgs/{org_a}/parties"),
        format!("/orgs/{org_a}/operations"),
        format!("/orgs/{org_a}/operations/{op_id}"),
        format!("/orgs/{org_b}/items/{item}"),
        format!("/orgs/{org_b}/operations/{op_id}"),
    ] {
        let r = get(s.addr, &path, &b_cookie).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.body.contains("IMSI-X") && !r.body.contains("Secret Customer"));
    }
    for path in [
        format!("/orgs/{org_a}/items"),
        format!("/orgs/{org_b}/items/{item}/classify"),
        format!("/orgs/{org_a}/items/{item}/classify"),
    ] {
        let r = post(
            s.addr,
            &path,
            Some(&b_cookie),
            &form(&[("name", "X"), ("kind", "hardware"), ("description", "x")]),
        )
        .await;
        assert_eq!(r.status, 404, "{path}");
    }
    // B's own lists do not show A's records.
    for path in ["items", "parties", "operations"] {
        let r = get(s.addr, &format!("/orgs/{org_b}/{path}"), &b_cookie).await;
        assert_eq!(r.status, 200);
        assert!(!r.body.contains("IMSI-X") && !r.body.contains("Secret Customer"));
        assert!(!r.body.contains("EXP-2026-0101"));
    }
    let (_, b_token) = s.store.create_token(&b, "b").unwrap();
    for path in [
        format!("/api/v1/operations/{op_id}"),
        format!("/api/v1/items/{item}"),
    ] {
        let r = api(s.addr, "GET", &path, &b_token, "").await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.body.contains("IMSI-X"));
    }
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/items/{item}/classifications"),
        &b_token,
        r#"{"version_label":"v2","entries":[],"cyber_surveillance":false}"#,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/operations/{op_id}"),
        &b_token,
        "",
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/problem+json")
    );
    for path in ["/api/v1/items", "/api/v1/parties", "/api/v1/operations"] {
        let r = api(s.addr, "GET", path, &b_token, "").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), serde_json::json!([]), "{path}");
    }
    assert_eq!(s.store.classifications(&a, &item).unwrap().len(), 1);
}

#[tokio::test]
async fn the_api_creates_and_reads_records_with_field_paths_on_errors() {
    let s = spawn_records().await;
    let (a, _) = member(&s, "op@a.example", "Org A", Role::Operator).await;
    let (_, token) = s.store.create_token(&a, "ci").unwrap();
    let r = api(
        s.addr,
        "POST",
        "/api/v1/items",
        &token,
        r#"{"name":"VPN-GW-9000","kind":"hardware","description":"VPN gateway"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["name"], "VPN-GW-9000");
    for (body, path) in [
        (r#"{"name":"X","kind":"weapon"}"#, "kind"),
        (r#"{"kind":"hardware"}"#, "name"),
        (r#"{"name":"X","kind":"hardware","colour":"red"}"#, "colour"),
        (r#"{"name":7,"kind":"hardware"}"#, "name"),
    ] {
        let r = api(s.addr, "POST", "/api/v1/items", &token, body).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(r.json()["errors"][0]["path"], path, "{body}");
    }
    let item_id = api(s.addr, "GET", "/api/v1/items", &token, "").await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Classify the item's sheet and record the classification; bad entries name their index.
    let classify = format!("/api/v1/items/{item_id}/classifications");
    let r = api(
        s.addr,
        "POST",
        &classify,
        &token,
        r#"{"version_label":"v9","description":"Site-to-site VPN gateway appliance, IPsec with AES-256","entries":["5A002.a","9Z999"],"cyber_surveillance":false}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "entries[1]");
    let r = api(
        s.addr,
        "POST",
        &classify,
        &token,
        r#"{"version_label":"v9","entries":"5A002.a","cyber_surveillance":false}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "entries");
    let r = api(
        s.addr,
        "POST",
        &classify,
        &token,
        r#"{"version_label":"v9","description":"Site-to-site VPN gateway appliance, IPsec with AES-256","entries":["5A002.a"],"cyber_surveillance":false}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["entries"][0], "5A002.a");
    assert!(r.json()["result"]["candidates"].is_array());
    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/items/{item_id}"),
        &token,
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["classifications"][0]["version_label"], "v9");
    let r = api(
        s.addr,
        "POST",
        "/api/v1/parties",
        &token,
        r#"{"role":"end_user","name":"Northwind","country":"US"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = api(
        s.addr,
        "POST",
        "/api/v1/parties",
        &token,
        r#"{"role":"end_user","name":"Northwind","country":"USA"}"#,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["path"], "country");
    let r = api(
        s.addr,
        "POST",
        "/api/v1/operations",
        &token,
        &example("operations/vpn-appliance-to-us.json"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    assert_eq!(created["decision"], "general_authorisation");
    assert_eq!(created["status"], "decided");
    assert_eq!(created["assessment"]["authorisation"]["kind"], "EU001");
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        r.headers.get("location").map(String::as_str),
        Some(format!("/api/v1/operations/{id}").as_str())
    );
    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/operations/{id}"),
        &token,
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["assessment"], created["assessment"]);
    assert_eq!(r.json()["operation"]["reference"], "EXP-2026-0101");
    let mut bad: serde_json::Value =
        serde_json::from_str(&example("operations/vpn-appliance-to-us.json")).unwrap();
    bad["destination"] = serde_json::json!("ZZ");
    let r = api(
        s.addr,
        "POST",
        "/api/v1/operations",
        &token,
        &bad.to_string(),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["path"], "destination");
    let r = api(s.addr, "GET", "/api/v1/operations", &token, "").await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    let r = api(s.addr, "GET", "/api/v1/items", "vgl_nope", "").await;
    assert_eq!(r.status, 401);
    let r = request(s.addr, "GET", "/api/openapi.json", &[], "").await;
    let doc = r.json();
    for p in [
        "/api/v1/items",
        "/api/v1/parties",
        "/api/v1/operations",
        "/api/v1/operations/{id}",
        "/api/v1/items/{id}",
        "/api/v1/items/{id}/classifications",
    ] {
        assert!(doc["paths"][p].is_object(), "{p}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn cross_site_record_posts_are_refused() {
    let s = spawn_records().await;
    let (a, cookie) = member(&s, "op@a.example", "Org A", Role::Operator).await;
    let org = a.org_id().to_owned();
    for (path, body) in [
        (
            format!("/orgs/{org}/items"),
            form(&[("name", "X"), ("kind", "hardware")]),
        ),
        (
            format!("/orgs/{org}/parties"),
            form(&[("role", "end_user"), ("name", "X"), ("country", "FR")]),
        ),
        (
            format!("/orgs/{org}/operations"),
            form(&[("operation", &example("operations/vpn-appliance-to-us.json"))]),
        ),
    ] {
        let r = request(
            s.addr,
            "POST",
            &path,
            &[
                FORM,
                ("Sec-Fetch-Site", "cross-site"),
                ("Origin", "https://evil.example"),
                ("Cookie", &format!("vigil_session={cookie}")),
            ],
            &body,
        )
        .await;
        assert_eq!(r.status, 403, "{path}");
    }
    assert!(s.store.items(&a).unwrap().is_empty());
    assert!(s.store.parties(&a).unwrap().is_empty());
    assert!(s.store.operations(&a, false).unwrap().is_empty());
}
