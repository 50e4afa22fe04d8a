//! SPDX 3 export and import, through the real server: an item classified 5D002.c.1 exported as
//! SPDX 3 JSON-LD (context, types, classification, EU specification with its EUR-Lex link,
//! exporting country), imported into another organisation as a proposal an officer accepts;
//! a bad document (unknown Annex I entry, missing assessed element, not JSON) is 422 naming the
//! element with nothing written; an auditor or operator cannot import (403); another
//! organisation's item is 404.

use vigil_domain::access::Role;
use vigil_store::Store;
use vigil_store::accounts::OrgScope;
use vigil_store::records::{NewClassification, NewItem};

use super::*;

fn classified_item(store: &Store, scope: &OrgScope) -> String {
    let item = store
        .create_item(
            scope,
            &NewItem {
                name: "CryptoGate",
                kind: "software",
                description: "VPN software with strong encryption",
            },
        )
        .unwrap();
    store
        .classify_item(
            scope,
            &item.id,
            &NewClassification {
                version_label: "2.1",
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

struct World {
    s: Server,
    item: String,
    a_org: String,
    a_token: String,
    a_session: String,
    b_officer: OrgScope,
    b_token: String,
    b_session: String,
    b_auditor_token: String,
    b_operator_token: String,
    b_operator_session: String,
}

async fn world() -> World {
    let s = spawn_with_store().await;
    let st = s.store.clone();
    blocking(move || {
        let a = create_member(
            &st,
            "olivia@a.example",
            "Olivia Officer",
            "Acme SAS",
            Role::Officer,
        );
        let item = classified_item(&st, &a);
        let (_, a_token) = st.create_token(&a, "a").unwrap();
        let a_session = st.start_session(a.user_id()).unwrap();
        let a_org = a.org_id().to_owned();
        let b = create_member(
            &st,
            "bob@b.example",
            "Bob Officer",
            "Buyer GmbH",
            Role::Officer,
        );
        let (_, b_token) = st.create_token(&b, "b").unwrap();
        let b_session = st.start_session(b.user_id()).unwrap();
        let aud = create_member(&st, "aud@b.example", "Aud", "Buyer GmbH", Role::Auditor);
        let (_, b_auditor_token) = st.create_token(&aud, "aud").unwrap();
        let op = create_member(&st, "op@b.example", "Op", "Buyer GmbH", Role::Operator);
        let (_, b_operator_token) = st.create_token(&op, "op").unwrap();
        let b_operator_session = st.start_session(op.user_id()).unwrap();
        World {
            s,
            item,
            a_org,
            a_token,
            a_session,
            b_officer: b,
            b_token,
            b_session,
            b_auditor_token,
            b_operator_token,
            b_operator_session,
        }
    })
    .await
}

async fn export(w: &World) -> Reply {
    api(
        w.s.addr,
        "GET",
        &format!("/api/v1/items/{}/spdx?country=FR", w.item),
        &w.a_token,
        "",
    )
    .await
}

fn nodes<'a>(doc: &'a serde_json::Value, t: &str) -> Vec<&'a serde_json::Value> {
    doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == t)
        .collect()
}

/// What organisation B holds: (items, imports, classification records of its items).
async fn b_counts(w: &World) -> (usize, usize, usize) {
    let (st, b) = (w.s.store.clone(), w.b_officer.clone());
    blocking(move || {
        let items = st.items(&b).unwrap();
        let recs = items
            .iter()
            .map(|i| st.classifications(&b, &i.id).unwrap().len())
            .sum();
        (items.len(), st.spdx_imports(&b).unwrap().len(), recs)
    })
    .await
}

#[tokio::test]
async fn an_item_exports_as_spdx_3_json_ld_with_its_eu_classification() {
    let w = world().await;
    let r = export(&w).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/spdx+json");
    assert!(r.headers["content-disposition"].contains("CryptoGate.spdx.json"));
    let doc = r.json();
    assert_eq!(
        doc["@context"],
        "https://spdx.org/rdf/3.1/spdx-context.jsonld"
    );
    assert_eq!(nodes(&doc, "CreationInfo")[0]["specVersion"], "3.1");
    assert_eq!(nodes(&doc, "SpdxDocument").len(), 1);
    assert_eq!(nodes(&doc, "Organization")[0]["name"], "Acme SAS");
    let pkg = nodes(&doc, "software_Package");
    assert_eq!(pkg.len(), 1);
    assert_eq!(pkg[0]["name"], "CryptoGate");
    assert_eq!(pkg[0]["software_packageVersion"], "2.1");
    let a = nodes(&doc, "operations_ExportControlClassificationAssessment");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["operations_assessedElement"], pkg[0]["spdxId"]);
    let person = nodes(&doc, "Person");
    assert_eq!(person[0]["name"], "Olivia Officer");
    assert_eq!(a[0]["operations_assessor"], person[0]["spdxId"]);
    let c = &a[0]["operations_assessmentResult"][0];
    assert_eq!(c["type"], "operations_ExportControlClassification");
    assert_eq!(c["operations_exportClassification"], "5D002.c.1");
    assert_eq!(c["operations_exportingCountry"], "FRA");
    let spec = nodes(&doc, "Specification");
    assert_eq!(
        c["operations_exportControlSpecification"],
        spec[0]["spdxId"]
    );
    assert!(spec[0]["name"].as_str().unwrap().contains("2021/821"));
    let links = spec[0]["externalIdentifier"][0]["identifierLocator"]
        .as_array()
        .unwrap();
    assert!(
        links
            .iter()
            .any(|l| l == "https://eur-lex.europa.eu/eli/reg/2021/821/oj")
    );
    // One version, an unknown country, no country.
    let one = api(
        w.s.addr,
        "GET",
        &format!("/api/v1/items/{}/spdx?country=FR&version=9.9", w.item),
        &w.a_token,
        "",
    )
    .await;
    assert_eq!(one.status, 422);
    assert_eq!(one.json()["errors"][0]["path"], "version");
    for q in ["country=XX", "country=US", "x=1"] {
        let r = api(
            w.s.addr,
            "GET",
            &format!("/api/v1/items/{}/spdx?{q}", w.item),
            &w.a_token,
            "",
        )
        .await;
        assert_eq!(r.status, 422, "{q}: {}", r.body);
        assert_eq!(r.json()["errors"][0]["path"], "country");
    }
}

#[tokio::test]
async fn another_organisations_item_is_not_found() {
    let w = world().await;
    let r = api(
        w.s.addr,
        "GET",
        &format!("/api/v1/items/{}/spdx?country=DE", w.item),
        &w.b_token,
        "",
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(!r.body.contains("CryptoGate"));
    let page = get(
        w.s.addr,
        &format!(
            "/orgs/{}/items/{}/spdx?country=DE",
            w.b_officer.org_id(),
            w.item
        ),
        Some(&w.b_session),
    )
    .await;
    assert_eq!(page.status, 404);
}

#[tokio::test]
async fn an_export_imports_into_another_organisation_as_a_proposal_an_officer_accepts() {
    let w = world().await;
    let doc = export(&w).await.body;
    let r = api(w.s.addr, "POST", "/api/v1/spdx", &w.b_token, &doc).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["spec_version"], "3.1");
    let a = &v["assessments"][0];
    assert_eq!(a["item"], "CryptoGate");
    assert_eq!(a["item_created"], true);
    assert_eq!(a["version"], "2.1");
    assert_eq!(a["eu_entries"], serde_json::json!(["5D002.c.1"]));
    assert_eq!(a["status"], "proposed");
    assert_eq!(a["assessor"], "Olivia Officer");
    assert_eq!(a["cyber_surveillance"], "no");
    // The item exists in B, without a classification record until an officer accepts.
    assert_eq!(b_counts(&w).await, (1, 1, 0));
    // The same document again: refused, nothing more.
    let again = api(w.s.addr, "POST", "/api/v1/spdx", &w.b_token, &doc).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(b_counts(&w).await, (1, 1, 0));
    // The page lists it; an operator may not accept it; the officer does.
    let org = w.b_officer.org_id().to_owned();
    let page = get(w.s.addr, &format!("/orgs/{org}/spdx"), Some(&w.b_session)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("5D002.c.1") && page.body.contains("Olivia Officer"));
    let id = a["id"].as_str().unwrap();
    let denied = post(
        w.s.addr,
        &format!("/orgs/{org}/spdx/{id}/accept"),
        Some(&w.b_operator_session),
        "",
    )
    .await;
    assert_eq!(denied.status, 403);
    let ok = post(
        w.s.addr,
        &format!("/orgs/{org}/spdx/{id}/accept"),
        Some(&w.b_session),
        "",
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(b_counts(&w).await, (1, 1, 1));
    let twice = post(
        w.s.addr,
        &format!("/orgs/{org}/spdx/{id}/accept"),
        Some(&w.b_session),
        "",
    )
    .await;
    assert_eq!(twice.status, 422);
    assert_eq!(b_counts(&w).await, (1, 1, 1));
    // The record carries the imported entries and its provenance; both acts are audited.
    let (st, b, item) = (
        w.s.store.clone(),
        w.b_officer.clone(),
        a["item_id"].as_str().unwrap().to_owned(),
    );
    let (rec, actions) = blocking(move || {
        let rec = st.classifications(&b, &item).unwrap().remove(0);
        let actions: Vec<String> = st
            .audit_records(b.org_id(), &vigil_store::AuditFilter::default())
            .unwrap()
            .into_iter()
            .map(|r| r.event.action)
            .collect();
        (rec, actions)
    })
    .await;
    assert_eq!(rec.entries().unwrap(), vec!["5D002.c.1".to_owned()]);
    assert_eq!(rec.version_label, "2.1");
    assert!(rec.sheet_json.contains("spdx-import"));
    for act in ["spdx.imported", "item.created", "item.classified"] {
        assert!(actions.iter().any(|a| a == act), "{act}: {actions:?}");
    }
}

#[tokio::test]
async fn a_bad_document_is_422_naming_the_element_and_nothing_is_written() {
    let w = world().await;
    let good: serde_json::Value = export(&w).await.json();
    let at = good["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .position(|n| n["type"] == "operations_ExportControlClassificationAssessment")
        .unwrap();
    let assessment_id = good["@graph"][at]["spdxId"].as_str().unwrap().to_owned();
    let mut unknown = good.clone();
    unknown["@graph"][at]["operations_assessmentResult"][0]["operations_exportClassification"] =
        serde_json::json!("5D999");
    let mut missing = good.clone();
    missing["@graph"][at]
        .as_object_mut()
        .unwrap()
        .remove("operations_assessedElement");
    for (what, body, path, text) in [
        (
            "unknown entry",
            unknown.to_string(),
            format!("@graph[{at}].operations_assessmentResult[0].operations_exportClassification"),
            "`5D999` is not an Annex I entry",
        ),
        (
            "missing assessed element",
            missing.to_string(),
            format!("@graph[{at}].operations_assessedElement"),
            "missing",
        ),
        (
            "not JSON",
            "{\"@context\": ".to_owned(),
            "$".to_owned(),
            "not JSON",
        ),
    ] {
        let r = api(w.s.addr, "POST", "/api/v1/spdx", &w.b_token, &body).await;
        assert_eq!(r.status, 422, "{what}: {}", r.body);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        let p = r.json();
        assert_eq!(p["errors"][0]["path"], path.as_str(), "{what}: {p}");
        let detail = p["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(text), "{what}: {detail}");
        if what != "not JSON" {
            assert!(detail.starts_with(&assessment_id), "{what}: {detail}");
        }
    }
    // The form says the same on the page, and keeps the document.
    let org = w.b_officer.org_id().to_owned();
    let page = post(
        w.s.addr,
        &format!("/orgs/{org}/spdx"),
        Some(&w.b_session),
        &form(&[("document", &unknown.to_string())]),
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("is not an Annex I entry"));
    assert_eq!(b_counts(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn auditors_and_operators_cannot_import() {
    let w = world().await;
    let doc = export(&w).await.body;
    for token in [&w.b_auditor_token, &w.b_operator_token] {
        let r = api(w.s.addr, "POST", "/api/v1/spdx", token, &doc).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    let org = w.b_officer.org_id().to_owned();
    let page = post(
        w.s.addr,
        &format!("/orgs/{org}/spdx"),
        Some(&w.b_operator_session),
        &form(&[("document", &doc)]),
    )
    .await;
    assert_eq!(page.status, 403);
    assert_eq!(b_counts(&w).await, (0, 0, 0));
    // Through the form, an officer imports.
    let ok = post(
        w.s.addr,
        &format!("/orgs/{org}/spdx"),
        Some(&w.b_session),
        &form(&[("document", &doc)]),
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(b_counts(&w).await, (1, 1, 0));
}

#[tokio::test]
async fn the_item_page_offers_the_download_and_the_download_is_the_document() {
    let w = world().await;
    let (session, org) = (w.a_session.clone(), w.a_org.clone());
    let page = get(
        w.s.addr,
        &format!("/orgs/{org}/items/{}", w.item),
        Some(&session),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&format!("/orgs/{org}/items/{}/spdx", w.item))
    );
    assert!(page.body.contains(&format!("/orgs/{org}/spdx")));
    let file = get(
        w.s.addr,
        &format!("/orgs/{org}/items/{}/spdx?country=FR", w.item),
        Some(&session),
    )
    .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.headers["content-type"], "application/spdx+json");
    assert!(
        file.body
            .contains("operations_ExportControlClassificationAssessment")
    );
    let no_country = get(
        w.s.addr,
        &format!("/orgs/{org}/items/{}/spdx", w.item),
        Some(&session),
    )
    .await;
    assert_eq!(no_country.status, 422);
}

#[tokio::test]
async fn proposals_are_listed_and_accepted_by_api() {
    let w = world().await;
    let doc = export(&w).await.body;
    let r = api(w.s.addr, "POST", "/api/v1/spdx", &w.b_token, &doc).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let list = api(w.s.addr, "GET", "/api/v1/spdx/proposals", &w.b_token, "").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let v = list.json();
    let p = &v[0];
    assert_eq!(p["status"], "proposed");
    assert_eq!(p["item"], "CryptoGate");
    assert_eq!(p["version"], "2.1");
    assert_eq!(p["eu_entries"], serde_json::json!(["5D002.c.1"]));
    assert_eq!(p["assessor"], "Olivia Officer");
    assert!(p["document"].as_str().unwrap().contains("CryptoGate"));
    assert!(p["imported_at"].as_str().unwrap().ends_with('Z'));
    let id = p["id"].as_str().unwrap().to_owned();
    let item = p["item_id"].as_str().unwrap().to_owned();
    let accept = format!("/api/v1/spdx/proposals/{id}/accept");
    // An operator may list but not accept; organisation A does not see B's proposal.
    let op = api(
        w.s.addr,
        "GET",
        "/api/v1/spdx/proposals",
        &w.b_operator_token,
        "",
    )
    .await;
    assert_eq!(op.status, 200);
    let denied = api(w.s.addr, "POST", &accept, &w.b_operator_token, "{}").await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let other = api(w.s.addr, "POST", &accept, &w.a_token, "{}").await;
    assert_eq!(other.status, 404, "{}", other.body);
    let unknown = api(
        w.s.addr,
        "POST",
        "/api/v1/spdx/proposals/nope/accept",
        &w.b_token,
        "{}",
    )
    .await;
    assert_eq!(unknown.status, 404);
    let a_list = api(w.s.addr, "GET", "/api/v1/spdx/proposals", &w.a_token, "").await;
    assert_eq!(a_list.json(), serde_json::json!([]));
    let bad = api(
        w.s.addr,
        "POST",
        &accept,
        &w.b_token,
        r#"{"cyber_surveillance":"maybe"}"#,
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(b_counts(&w).await, (1, 1, 0));
    // The officer accepts (the document stated the reading: no body needed).
    let ok = api(w.s.addr, "POST", &accept, &w.b_token, "").await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let rec = ok.json();
    assert_eq!(rec["entries"], serde_json::json!(["5D002.c.1"]));
    assert_eq!(rec["cyber_surveillance"], false);
    let detail = api(
        w.s.addr,
        "GET",
        &format!("/api/v1/items/{item}"),
        &w.b_token,
        "",
    )
    .await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    let d = detail.json();
    assert_eq!(d["classifications"][0]["id"], rec["id"]);
    assert_eq!(d["classifications"][0]["version_label"], "2.1");
    // Twice: 409, nothing more written.
    let twice = api(w.s.addr, "POST", &accept, &w.b_token, "{}").await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert_eq!(b_counts(&w).await, (1, 1, 1));
    let list = api(w.s.addr, "GET", "/api/v1/spdx/proposals", &w.b_token, "").await;
    assert_eq!(list.json()[0]["status"], "accepted");
}

const BOUNDARY: &str = "vigilSpdxBoundary";

async fn upload(w: &World, cookie: &str, name: &str, content: &str) -> Reply {
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"\r\n\r\n\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/spdx+json\r\n\r\n{content}\r\n--{BOUNDARY}--\r\n"
    );
    let c = format!("vigil_session={cookie}");
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let org = w.b_officer.org_id().to_owned();
    request(
        w.s.addr,
        "POST",
        &format!("/orgs/{org}/spdx"),
        &[("Cookie", &c), ("Content-Type", &ct), SAME],
        &body,
    )
    .await
}

#[tokio::test]
async fn the_page_imports_an_uploaded_file() {
    let w = world().await;
    let doc = export(&w).await.body;
    let page = get(
        w.s.addr,
        &format!("/orgs/{}/spdx", w.b_officer.org_id()),
        Some(&w.b_session),
    )
    .await;
    assert!(page.body.contains("multipart/form-data") && page.body.contains("name=\"file\""));
    // No file and nothing pasted: the error is next to the field, nothing written.
    let empty = upload(&w, &w.b_session, "", "").await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert!(empty.body.contains("id=\"file-error\""));
    // A bad file: its problems are listed.
    let bad = upload(&w, &w.b_session, "bad.json", "not json").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("spdx-problems"));
    assert_eq!(b_counts(&w).await, (0, 0, 0));
    // An operator may not upload.
    let denied = upload(&w, &w.b_operator_session, "x.spdx.json", &doc).await;
    assert_eq!(denied.status, 403);
    assert_eq!(b_counts(&w).await, (0, 0, 0));
    let ok = upload(&w, &w.b_session, "CryptoGate.spdx.json", &doc).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(b_counts(&w).await, (1, 1, 0));
    let page = get(
        w.s.addr,
        &format!("/orgs/{}/spdx", w.b_officer.org_id()),
        Some(&w.b_session),
    )
    .await;
    assert!(page.body.contains("5D002.c.1") && page.body.contains("Olivia Officer"));
}
