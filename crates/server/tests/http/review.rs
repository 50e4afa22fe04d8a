//! Block → review → release through the real server: an operator records a `licence_required`
//! operation and cannot release it (four eyes); an officer previews the licence's draw-down and
//! releases it with the licence and a document (the draw-down recorded in the same
//! transaction); a release without a reason is 422 and writes nothing; a refused draw-down
//! names every reason and writes nothing; a prohibited operation can never be released;
//! another organisation gets 404; the records of a period download as a ZIP; the records past
//! their retention date are deleted from the page (after confirmation) and the API, all or none.

use super::*;

use vigil_domain::access::Role;
use vigil_domain::icp::{LicenceKind, LicenceTerms, Quota, QuotaUnit};
use vigil_domain::law::ControlCode;
use vigil_store::Store;
use vigil_store::accounts::OrgScope;
use vigil_store::audit::AuditFilter;

async fn member(s: &Server, email: &str, org: &str, role: Role) -> (OrgScope, String) {
    let (store, e, o) = (s.store.clone(), email.to_owned(), org.to_owned());
    let scope = blocking(move || create_member(&store, &e, "", &o, role)).await;
    let r = login(s.addr, email, PW).await;
    assert_eq!(r.status, 303, "{}", r.body);
    (scope, session(&r))
}

fn imsi(reference: &str) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&example("operations/imsi-catcher-to-uae-police.json")).unwrap();
    v["reference"] = serde_json::json!(reference);
    v["items"][0]["quantity"] = serde_json::json!({"amount": 2, "unit": "pieces"});
    v.to_string()
}

/// Records an operation through the form; its id.
async fn create_op(s: &Server, org: &str, cookie: &str, json: &str) -> String {
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations"),
        Some(cookie),
        &form(&[("operation", json)]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r.headers["location"].rsplit('/').next().unwrap().to_owned()
}

fn licence(number: &str, destination: &str) -> LicenceTerms {
    LicenceTerms {
        kind: LicenceKind::Individual,
        number: number.to_owned(),
        authority: "BAFA".to_owned(),
        entries: vec![ControlCode::parse("5A001.f.2").unwrap()],
        destinations: vec![destination.to_owned()],
        end_users: vec!["Ministry of Interior, Criminal Investigation Department".to_owned()],
        quotas: vec![Quota {
            unit: QuotaUnit::Pieces,
            total: 10,
        }],
        valid_from: time::macros::date!(2026 - 01 - 01),
        valid_until: time::macros::date!(2027 - 12 - 31),
        large_project: false,
        conditions: String::new(),
        reporting: String::new(),
    }
}

const BOUNDARY: &str = "vigilReviewBoundary";

/// A multipart release form, with one document when `doc` is given.
fn multipart(fields: &[(&str, &str)], doc: Option<(&str, &str)>) -> String {
    let mut b = String::new();
    for (k, v) in fields {
        b.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    if let Some((name, content)) = doc {
        b.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n{content}\r\n"
        ));
    }
    b.push_str(&format!("--{BOUNDARY}--\r\n"));
    b
}

async fn post_multipart(addr: SocketAddr, path: &str, cookie: &str, body: &str) -> Reply {
    let c = format!("vigil_session={cookie}");
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    request(
        addr,
        "POST",
        path,
        &[("Cookie", &c), ("Content-Type", &ct), SAME],
        body,
    )
    .await
}

fn actions(store: &Store, org: &str) -> Vec<String> {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .collect()
}

async fn holds(s: &Server, scope: &OrgScope, op: &str) -> Vec<vigil_store::lifecycle::Hold> {
    let (st, sc, op) = (s.store.clone(), scope.clone(), op.to_owned());
    blocking(move || st.holds(&sc, &op).unwrap()).await
}

#[tokio::test]
async fn an_officer_releases_with_a_licence_and_the_creator_cannot() {
    let s = spawn_with_store().await;
    let (operator, op_cookie) = member(&s, "op@rev.example", "Rev Org", Role::Operator).await;
    let (officer, off_cookie) = member(&s, "off@rev.example", "Rev Org", Role::Officer).await;
    let org = operator.org_id().to_owned();
    let id = create_op(&s, &org, &op_cookie, &imsi("REV-1")).await;
    let review = format!("/orgs/{org}/operations/{id}/review");

    // The operation page links to the review.
    let r = get(
        s.addr,
        &format!("/orgs/{org}/operations/{id}"),
        Some(&op_cookie),
    )
    .await;
    assert!(r.body.contains(&review), "{}", r.body);

    // The operator sees the hold and why they cannot release it.
    let r = get(s.addr, &review, Some(&op_cookie)).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"four-eyes\""), "{}", r.body);
    assert!(r.body.contains("four eyes"), "{}", r.body);
    assert!(
        !r.body.contains("/release\""),
        "no release form for the operator"
    );
    let hold = holds(&s, &operator, &id).await.remove(0);
    let release = format!("/orgs/{org}/operations/{id}/holds/{}/release", hold.id);
    let r = post_multipart(
        s.addr,
        &release,
        &op_cookie,
        &multipart(&[("kind", "review"), ("reason", "mine")], None),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("four eyes"), "{}", r.body);
    assert!(holds(&s, &operator, &id).await[0].is_open());

    // The officer registers the licence and previews its draw-down.
    let (st, sc) = (s.store.clone(), officer.clone());
    let lic = blocking(move || {
        st.register_licence(&sc, &licence("DE-2026-0042", "AE"), "test-law", None)
            .unwrap()
    })
    .await;
    let r = get(
        s.addr,
        &format!("{review}?licence={}&on=2026-06-01", lic.id),
        Some(&off_cookie),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"preview\""), "{}", r.body);
    assert!(
        r.body.contains("The licence covers this operation"),
        "{}",
        r.body
    );

    // Released with the licence and a document: drawn down in the same go.
    let r = post_multipart(
        s.addr,
        &release,
        &off_cookie,
        &multipart(
            &[
                ("kind", "licence"),
                ("licence", &lic.id),
                ("on", "2026-06-01"),
                ("reason", "Licence DE-2026-0042 covers the two units"),
            ],
            Some(("licence.txt", "DE-2026-0042")),
        ),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.headers["location"], review);
    let h = holds(&s, &officer, &id).await.remove(0);
    assert_eq!(h.released_by.as_deref(), Some(officer.user_id()));
    assert_eq!(h.release_kind.as_deref(), Some("licence"));
    let (st, sc, lid) = (s.store.clone(), officer.clone(), lic.id.clone());
    let drawn = blocking(move || st.drawdowns(&sc, &lid).unwrap()).await;
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0].amount, 2);
    let r = get(s.addr, &review, Some(&off_cookie)).await;
    assert!(r.body.contains("licence.txt"), "{}", r.body);
    assert!(r.body.contains("Released"), "{}", r.body);
    assert!(r.body.contains("Licence DE-2026-0042 covers the two units"));

    // The API shows the released hold with its draw-down.
    let (st, sc) = (s.store.clone(), officer.clone());
    let (_, token) = blocking(move || st.create_token(&sc, "t").unwrap()).await;
    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/operations/{id}/holds"),
        &token,
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v[0]["open"], false);
    assert_eq!(v[0]["release_detail"]["draw_down"][0]["amount"], 2);

    // Carried out, now that nothing holds it.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations/{id}/complete"),
        Some(&op_cookie),
        "",
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = get(s.addr, &review, Some(&op_cookie)).await;
    assert!(r.body.contains("id=\"completed\""), "{}", r.body);
}

#[tokio::test]
async fn refusals_write_nothing() {
    let s = spawn_with_store().await;
    let (operator, op_cookie) = member(&s, "op@ref.example", "Ref Org", Role::Operator).await;
    let (officer, off_cookie) = member(&s, "off@ref.example", "Ref Org", Role::Officer).await;
    let org = operator.org_id().to_owned();
    let id = create_op(&s, &org, &op_cookie, &imsi("REF-1")).await;
    let hold = holds(&s, &operator, &id).await.remove(0);
    let release = format!("/orgs/{org}/operations/{id}/holds/{}/release", hold.id);
    let before = {
        let (st, o) = (s.store.clone(), org.clone());
        blocking(move || actions(&st, &o)).await
    };

    // No reason: 422 next to the field, nothing written.
    let r = post_multipart(
        s.addr,
        &release,
        &off_cookie,
        &multipart(
            &[("kind", "review"), ("reason", "  ")],
            Some(("a.txt", "x")),
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains(&format!("id=\"reason-{}-error\"", hold.id)),
        "{}",
        r.body
    );
    assert!(r.body.contains("A reason is required."));
    // An authority that requires a licence releases nothing.
    let r = post_multipart(
        s.addr,
        &release,
        &off_cookie,
        &multipart(
            &[
                ("kind", "authority_answer"),
                ("authority_reference", "BAFA-1"),
                ("authority_date", "2026-05-20"),
                ("answer", "licence_required"),
                ("reason", "BAFA answered"),
            ],
            None,
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"answer-{}-error\"", hold.id)));

    // A licence that does not cover the destination: every reason, through the API too.
    let (st, sc) = (s.store.clone(), officer.clone());
    let (lic, token) = blocking(move || {
        let lic = st
            .register_licence(&sc, &licence("SA-1", "SA"), "test-law", None)
            .unwrap();
        (lic, st.create_token(&sc, "t").unwrap().1)
    })
    .await;
    let before_licence = {
        let (st, o) = (s.store.clone(), org.clone());
        blocking(move || actions(&st, &o)).await
    };
    let r = post_multipart(
        s.addr,
        &release,
        &off_cookie,
        &multipart(
            &[
                ("kind", "licence"),
                ("licence", &lic.id),
                ("reason", "SA-1"),
            ],
            None,
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"refusals\""), "{}", r.body);
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/operations/{id}/holds/{}/release", hold.id),
        &token,
        &format!(
            r#"{{"kind":"licence","licence_id":"{}","reason":"SA-1"}}"#,
            lic.id
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert_eq!(r.json()["errors"][0]["path"], "licence_id");
    // A missing reason through the API names the field.
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/operations/{id}/holds/{}/release", hold.id),
        &token,
        r#"{"kind":"review","reason":""}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "reason");
    let after = {
        let (st, o) = (s.store.clone(), org.clone());
        blocking(move || actions(&st, &o)).await
    };
    assert_eq!(
        after.len(),
        before_licence.len(),
        "nothing written: {after:?}"
    );
    assert_eq!(
        before_licence.len(),
        before.len() + 2,
        "licence.registered, token.created"
    );
    assert!(holds(&s, &officer, &id).await[0].is_open());

    // The operator's token may not release (403), the officer's own operation is four eyes.
    let (st, sc) = (s.store.clone(), operator.clone());
    let (_, op_token) = blocking(move || st.create_token(&sc, "t").unwrap()).await;
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/operations/{id}/holds/{}/release", hold.id),
        &op_token,
        r#"{"kind":"review","reason":"mine"}"#,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let own = create_op(&s, &org, &off_cookie, &imsi("REF-OWN")).await;
    let own_hold = holds(&s, &officer, &own).await.remove(0);
    let r = post_multipart(
        s.addr,
        &format!("/orgs/{org}/operations/{own}/holds/{}/release", own_hold.id),
        &off_cookie,
        &multipart(&[("kind", "review"), ("reason", "mine")], None),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("four eyes"), "{}", r.body);
}

#[tokio::test]
async fn prohibited_is_never_released_and_other_organisations_get_404() {
    let s = spawn_with_store().await;
    let (operator, op_cookie) = member(&s, "op@pro.example", "Pro Org", Role::Operator).await;
    let (officer, off_cookie) = member(&s, "off@pro.example", "Pro Org", Role::Officer).await;
    let (_, other_cookie) = member(&s, "x@other.example", "Other Org", Role::Admin).await;
    let org = operator.org_id().to_owned();
    let id = create_op(
        &s,
        &org,
        &op_cookie,
        &example("operations/dpi-probe-to-russia.json"),
    )
    .await;
    let review = format!("/orgs/{org}/operations/{id}/review");
    let r = get(s.addr, &review, Some(&off_cookie)).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"prohibited\""), "{}", r.body);
    assert!(r.body.contains("can never be released"));
    let hold = holds(&s, &officer, &id).await.remove(0);
    let release = format!("/orgs/{org}/operations/{id}/holds/{}/release", hold.id);
    let r = post_multipart(
        s.addr,
        &release,
        &off_cookie,
        &multipart(&[("kind", "review"), ("reason", "please")], None),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("prohibited"), "{}", r.body);
    assert!(holds(&s, &officer, &id).await[0].is_open());

    // Another organisation: 404 everywhere, whatever the ids.
    for path in [review.clone(), format!("/orgs/{org}/records.zip")] {
        let r = get(s.addr, &path, Some(&other_cookie)).await;
        assert_eq!(r.status, 404, "{path}");
    }
    let r = post_multipart(
        s.addr,
        &release,
        &other_cookie,
        &multipart(&[("kind", "review"), ("reason", "x")], None),
    )
    .await;
    assert_eq!(r.status, 404);

    // The records of the period: a ZIP for the officer, 403 for the operator.
    let r = get(
        s.addr,
        &format!("/orgs/{org}/records.zip?from=2026-01-01&to=2030-12-31"),
        Some(&off_cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/zip");
    assert!(r.body.starts_with("PK"));
    let r = get(
        s.addr,
        &format!("/orgs/{org}/records.zip"),
        Some(&op_cookie),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = get(
        s.addr,
        &format!("/orgs/{org}/records.zip?from=yesterday"),
        Some(&off_cookie),
    )
    .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn an_operation_naming_a_changed_version_is_held_for_reclassification() {
    let s = spawn_with_store().await;
    let (operator, op_cookie) = member(&s, "op@rel.example", "Rel Org", Role::Operator).await;
    let org = operator.org_id().to_owned();
    let (st, sc) = (s.store.clone(), operator.clone());
    let (item, token) = blocking(move || {
        let item = st
            .create_item(
                &sc,
                &vigil_store::records::NewItem {
                    name: "CipherCore",
                    kind: "software",
                    description: "Encryption library for VPN gateways",
                },
            )
            .unwrap();
        st.classify_item(
            &sc,
            &item.id,
            &vigil_store::records::NewClassification {
                version_label: "1.0",
                sheet_json: r#"{"description":"x","facts":{"crypto.symmetric_key_bits":256}}"#,
                result_json: "{}",
                entries: &["5A002.a".to_owned()],
                cyber_surveillance: false,
                law_version: "x",
            },
        )
        .unwrap();
        (item.id, st.create_token(&sc, "t").unwrap().1)
    })
    .await;
    // A new release whose answers changed: flagged.
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/items/{item}/releases"),
        &token,
        r#"{"version_label":"2.0","answers":{"crypto.symmetric_key_bits":512}}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "reclassification_required");
    assert_eq!(r.json()["changed"][0], "crypto.symmetric_key_bits");
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/items/{item}/releases"),
        &token,
        r#"{"version_label":"2.0","answers":{}}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "version_label");
    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/items/{item}/releases"),
        &token,
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1));

    let fields = |version: &'static str| {
        form(&[
            ("reference", "REL-1"),
            ("op_type", "export"),
            ("exporter_name", "Cipher GmbH"),
            ("exporter_country", "DE"),
            ("destination", "US"),
            ("item", &item),
            ("version", version),
            ("end_use", "Corporate VPN"),
            ("end_user_type", "commercial"),
        ])
    };
    // An unknown version: 422 next to the field.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations"),
        Some(&op_cookie),
        &fields("9.9"),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"version-error\""), "{}", r.body);
    // The flagged version: recorded, and held for re-classification.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/operations"),
        Some(&op_cookie),
        &fields("2.0"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = r.headers["location"].rsplit('/').next().unwrap().to_owned();
    let hs = holds(&s, &operator, &id).await;
    assert!(
        hs.iter()
            .any(|h| h.cause == "reclassification" && h.is_open()),
        "{hs:?}"
    );
    let (st, sc, i2) = (s.store.clone(), operator.clone(), id.clone());
    let op = blocking(move || st.operation(&sc, &i2).unwrap().unwrap()).await;
    assert_eq!(op.status, "blocked");
    assert!(
        op.input_json.contains("CipherCore 2.0"),
        "{}",
        op.input_json
    );
}

// ---------------------------------------------------------------------------------------------
// Retention: deleting the records whose Art. 27 period has ended.

/// The server's day for the retention tests: records kept until 2031-12-31 may go.
fn in_2032() -> time::Date {
    time::macros::date!(2032 - 03 - 01)
}

/// A server whose today is [`in_2032`], on a fresh database.
async fn spawn_in_2032() -> Server {
    let (store, dir) = fresh_store();
    let state = vigil_server::AppState::embedded(in_2032)
        .unwrap()
        .with_store(store.clone(), false);
    let app = vigil_server::Application::bind("127.0.0.1:0".parse().unwrap(), state.clone())
        .await
        .unwrap();
    let addr = app.local_addr().unwrap();
    tokio::spawn(app.serve());
    Server {
        addr,
        state,
        store,
        _dir: dir,
    }
}

/// Records an operation in the store with its retention date; its id.
async fn kept_until(
    s: &Server,
    scope: &OrgScope,
    reference: &str,
    decision: &str,
    retain: &str,
) -> String {
    let (st, sc, r, d, k) = (
        s.store.clone(),
        scope.clone(),
        reference.to_owned(),
        decision.to_owned(),
        retain.to_owned(),
    );
    blocking(move || {
        let input = imsi(&r);
        let assessment = format!(r#"{{"decision":"{d}"}}"#);
        st.create_operation(
            &sc,
            &vigil_store::records::NewOperation {
                reference: &r,
                input_json: &input,
                assessment_json: &assessment,
                decision: &d,
                law_version: "test-law",
                retain_until: Some(&k),
                party_ids: &[],
            },
        )
        .unwrap()
        .id
    })
    .await
}

async fn exists(s: &Server, scope: &OrgScope, id: &str) -> bool {
    let (st, sc, i) = (s.store.clone(), scope.clone(), id.to_owned());
    blocking(move || st.operation(&sc, &i).unwrap().is_some()).await
}

async fn deletions(s: &Server, org: &str) -> usize {
    let (st, o) = (s.store.clone(), org.to_owned());
    blocking(move || {
        st.audit_records(&o, &AuditFilter::default())
            .unwrap()
            .iter()
            .filter(|r| r.event.action == "operation.deleted")
            .count()
    })
    .await
}

#[tokio::test]
async fn the_retention_page_deletes_after_confirmation_all_or_nothing() {
    let s = spawn_in_2032().await;
    let (operator, _) = member(&s, "op@ret.example", "Retention Org", Role::Operator).await;
    let (_, officer) = member(&s, "off@ret.example", "Retention Org", Role::Officer).await;
    let (_, auditor) = member(&s, "aud@ret.example", "Retention Org", Role::Auditor).await;
    let org = operator.org_id().to_owned();
    let old = kept_until(
        &s,
        &operator,
        "RET-OLD",
        "general_authorisation",
        "2031-12-31",
    )
    .await;
    let held = kept_until(&s, &operator, "RET-HELD", "licence_required", "2031-12-31").await;
    let soon = kept_until(
        &s,
        &operator,
        "RET-SOON",
        "general_authorisation",
        "2032-04-15",
    )
    .await;
    let far = kept_until(
        &s,
        &operator,
        "RET-FAR",
        "general_authorisation",
        "2036-12-31",
    )
    .await;

    // The records page links to it.
    let r = get(s.addr, &format!("/orgs/{org}/operations"), Some(&officer)).await;
    assert!(
        r.body.contains(&format!("/orgs/{org}/retention")),
        "{}",
        r.body
    );
    // The list: past, held and due soon; not the far one. Only the deletable is selectable.
    let r = get(s.addr, &format!("/orgs/{org}/retention"), Some(&officer)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for x in ["RET-OLD", "RET-HELD", "RET-SOON"] {
        assert!(r.body.contains(x), "{x}: {}", r.body);
    }
    assert!(!r.body.contains("RET-FAR"));
    assert!(r.body.contains(&format!("value=\"{old}\"")));
    assert!(!r.body.contains(&format!("value=\"{held}\"")));
    assert!(!r.body.contains(&format!("value=\"{soon}\"")));
    assert!(r.body.contains("a hold is still open"), "{}", r.body);
    assert!(r.body.contains("records.zip?from="));
    // In French too.
    let r = get(
        s.addr,
        &format!("/orgs/{org}/retention?lang=fr"),
        Some(&officer),
    )
    .await;
    assert!(
        r.body.contains("un blocage est encore ouvert"),
        "{}",
        r.body
    );
    // An auditor reads the list but has no form; the deletion is 403 for them.
    let r = get(s.addr, &format!("/orgs/{org}/retention"), Some(&auditor)).await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("name=\"op\""));
    let del = format!("/orgs/{org}/retention/delete");
    let r = post(
        s.addr,
        &del,
        Some(&auditor),
        &form(&[("op", &old), ("step", "confirm"), ("confirm", "DELETE")]),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(exists(&s, &operator, &old).await);

    // Nothing selected: 422.
    let r = post(s.addr, &del, Some(&officer), "").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Select at least one operation"));
    // The confirmation step: the count, the ZIP of their period, the word to type.
    let r = post(s.addr, &del, Some(&officer), &form(&[("op", &old)])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Operations to delete: 1"), "{}", r.body);
    assert!(r.body.contains("records.zip?from="));
    assert!(r.body.contains("name=\"step\" value=\"confirm\""));
    assert!(
        exists(&s, &operator, &old).await,
        "nothing deleted before confirming"
    );
    // The wrong word: 422, nothing deleted.
    let r = post(
        s.addr,
        &del,
        Some(&officer),
        &form(&[("op", &old), ("step", "confirm"), ("confirm", "delete")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(exists(&s, &operator, &old).await);
    // A selection with one kept (open hold) or not yet due: refused, all or nothing, named.
    let r = post(
        s.addr,
        &del,
        Some(&officer),
        &form(&[
            ("op", &old),
            ("op", &held),
            ("step", "confirm"),
            ("confirm", "DELETE"),
        ]),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("Nothing was deleted") && r.body.contains("RET-HELD"),
        "{}",
        r.body
    );
    let r = post(
        s.addr,
        &del,
        Some(&officer),
        &form(&[
            ("op", &old),
            ("op", &soon),
            ("step", "confirm"),
            ("confirm", "Retention Org"),
        ]),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("RET-SOON") && r.body.contains("2032"),
        "{}",
        r.body
    );
    assert!(exists(&s, &operator, &old).await, "all or nothing");
    assert_eq!(deletions(&s, &org).await, 0);
    // Confirmed with the organisation's name: deleted, audited.
    let r = post(
        s.addr,
        &del,
        Some(&officer),
        &form(&[
            ("op", &old),
            ("step", "confirm"),
            ("confirm", "Retention Org"),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.headers["location"],
        format!("/orgs/{org}/retention?deleted=1")
    );
    assert!(!exists(&s, &operator, &old).await);
    assert!(exists(&s, &operator, &held).await && exists(&s, &operator, &far).await);
    assert_eq!(deletions(&s, &org).await, 1);
    let r = get(s.addr, &r.headers["location"], Some(&officer)).await;
    assert!(r.body.contains("Operations deleted: 1"), "{}", r.body);
    assert!(!r.body.contains("RET-OLD"));
}

#[tokio::test]
async fn the_retention_api_lists_and_deletes_with_reasons() {
    let s = spawn_in_2032().await;
    let (operator, _) = member(&s, "op@reta.example", "Retention API", Role::Operator).await;
    let (officer, _) = member(&s, "off@reta.example", "Retention API", Role::Officer).await;
    let (auditor, _) = member(&s, "aud@reta.example", "Retention API", Role::Auditor).await;
    let (other, _) = member(&s, "off@retb.example", "Retention B", Role::Officer).await;
    let org = operator.org_id().to_owned();
    let old = kept_until(
        &s,
        &operator,
        "API-OLD",
        "general_authorisation",
        "2031-12-31",
    )
    .await;
    let old2 = kept_until(
        &s,
        &operator,
        "API-OLD-2",
        "no_licence_required",
        "2030-12-31",
    )
    .await;
    let held = kept_until(&s, &operator, "API-HELD", "licence_required", "2031-12-31").await;
    let soon = kept_until(
        &s,
        &operator,
        "API-SOON",
        "general_authorisation",
        "2032-04-15",
    )
    .await;
    let theirs = kept_until(
        &s,
        &other,
        "API-THEIRS",
        "general_authorisation",
        "2030-12-31",
    )
    .await;
    let token = |sc: &OrgScope| {
        let (st, sc) = (s.store.clone(), sc.clone());
        async move { blocking(move || st.create_token(&sc, "t").unwrap().1).await }
    };
    let (t_off, t_aud, t_op) = (
        token(&officer).await,
        token(&auditor).await,
        token(&operator).await,
    );

    let r = api(s.addr, "GET", "/api/v1/retention", &t_off, "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["today"], "2032-03-01");
    let ops = v["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 4, "{v}");
    let find = |id: &str| ops.iter().find(|o| o["id"] == id).unwrap().clone();
    assert_eq!(find(&old)["deletable"], true);
    assert_eq!(find(&held)["kept_because"], "open_hold");
    assert_eq!(find(&soon)["kept_because"], "retention");
    assert_eq!(find(&soon)["retain_until"], "2032-04-15");
    assert!(!r.body.contains("API-THEIRS"));
    assert_eq!(
        api(s.addr, "GET", "/api/v1/retention", &t_aud, "")
            .await
            .status,
        200
    );
    assert_eq!(
        api(s.addr, "GET", "/api/v1/retention", &t_op, "")
            .await
            .status,
        403
    );

    let body = |ids: &[&str], confirm: &str| {
        serde_json::json!({"operations": ids, "confirm": confirm}).to_string()
    };
    let del = "/api/v1/retention/delete";
    // Other roles: 403.
    for t in [&t_aud, &t_op] {
        let r = api(s.addr, "POST", del, t, &body(&[&old], "DELETE")).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    // The word, the list.
    let r = api(s.addr, "POST", del, &t_off, &body(&[&old], "yes")).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["path"], "confirm");
    let r = api(s.addr, "POST", del, &t_off, &body(&[], "DELETE")).await;
    assert_eq!(r.status, 422);
    // Before the date: refused with the date; an open hold: refused; all or nothing.
    let r = api(s.addr, "POST", del, &t_off, &body(&[&old, &soon], "DELETE")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let p = r.json();
    assert!(p["detail"].as_str().unwrap().contains("2032-04-15"), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("API-SOON"), "{p}");
    assert_eq!(p["errors"][0]["path"], "operations[1]");
    let r = api(s.addr, "POST", del, &t_off, &body(&[&held, &old], "DELETE")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap().contains("hold"));
    // Another organisation's id and an unknown one look the same, and reveal nothing.
    let a = api(
        s.addr,
        "POST",
        del,
        &t_off,
        &body(&[&old, &theirs], "DELETE"),
    )
    .await;
    let b = api(
        s.addr,
        "POST",
        del,
        &t_off,
        &body(&[&old, "nope"], "DELETE"),
    )
    .await;
    assert_eq!((a.status, b.status), (422, 422));
    assert!(!a.body.contains("API-THEIRS"));
    assert_eq!(
        a.json()["detail"].as_str().unwrap().replace(&theirs, "X"),
        b.json()["detail"].as_str().unwrap().replace("nope", "X")
    );
    assert!(exists(&s, &other, &theirs).await);
    assert!(exists(&s, &operator, &old).await, "all or nothing");
    assert_eq!(deletions(&s, &org).await, 0);
    // Deleted: both, each audited.
    let r = api(s.addr, "POST", del, &t_off, &body(&[&old, &old2], "DELETE")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["deleted"], 2);
    assert!(!exists(&s, &operator, &old).await && !exists(&s, &operator, &old2).await);
    assert_eq!(deletions(&s, &org).await, 2);
    let (st, o) = (s.store.clone(), org.clone());
    assert!(blocking(move || st.verify_audit(&o).unwrap().is_ok()).await);
}
