//! Block → review → release through the real server: an operator records a `licence_required`
//! operation and cannot release it (four eyes); an officer previews the licence's draw-down and
//! releases it with the licence and a document (the draw-down recorded in the same
//! transaction); a release without a reason is 422 and writes nothing; a refused draw-down
//! names every reason and writes nothing; a prohibited operation can never be released;
//! another organisation gets 404; the records of a period download as a ZIP.

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
