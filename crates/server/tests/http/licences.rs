//! The authorisations register through the real server on a temporary SQLite database: an
//! officer registers a licence with its document (multipart), an operation draws on it through
//! the release flow's store call, the pages, the CSV usage report, the API and the iCalendar feed
//! show it; bad terms (a negative quota, three years without the large-project flag, Art. 12(3)
//! of Regulation (EU) 2021/821) are 422 with nothing written; another organisation gets 404 and
//! an auditor 403 on every write.

use super::*;

use vigil_domain::access::Role;
use vigil_store::Store;
use vigil_store::accounts::OrgScope;
use vigil_store::audit::AuditFilter;
use vigil_store::licences::DrawDownOutcome;
use vigil_store::records::NewOperation;

const BOUNDARY: &str = "vigilLicenceBoundary";

async fn member(s: &Server, email: &str, org: &str, role: Role) -> (OrgScope, String) {
    let (store, e, o) = (s.store.clone(), email.to_owned(), org.to_owned());
    let scope = blocking(move || create_member(&store, &e, "", &o, role)).await;
    let r = login(s.addr, email, PW).await;
    assert_eq!(r.status, 303, "{}", r.body);
    (scope, session(&r))
}

fn multipart_body(fields: &[(&str, &str)], document: Option<(&str, &str)>) -> String {
    let mut out = String::new();
    for (k, v) in fields {
        out.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    if let Some((name, content)) = document {
        out.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n{content}\r\n"
        ));
    }
    out.push_str(&format!("--{BOUNDARY}--\r\n"));
    out
}

async fn post_licence(s: &Server, org: &str, cookie: &str, body: &str) -> Reply {
    let c = format!("vigil_session={cookie}");
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    request(
        s.addr,
        "POST",
        &format!("/orgs/{org}/licences"),
        &[("Cookie", c.as_str()), ("Content-Type", ct.as_str()), SAME],
        body,
    )
    .await
}

fn good_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("kind", "global"),
        ("number", "FR-GLOBAL-2026-17"),
        ("authority", "SBDU (France)"),
        ("entries", "5D002, 5A002"),
        ("destinations", "US JP"),
        ("end_users", "Acme Corp\nBeta KK"),
        ("quotas", "seats 100\neur 50000.00"),
        ("valid_from", "2026-01-01"),
        ("valid_until", "2027-12-31"),
        ("conditions", "No re-export."),
        ("reporting", "Half-yearly usage report."),
    ]
}

/// The organisation's audit rows (every write appends one).
fn rows(store: &Store, org: &str) -> usize {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .len()
}

fn operation(store: &Store, scope: &OrgScope) -> String {
    let input = serde_json::json!({
        "reference": "PO-4711", "date": "2026-06-01", "type": "electronic_transmission",
        "exporter": {"name": "Exporter SAS", "country": "FR"},
        "destination": "US",
        "items": [{"id": "I1", "kind": "software", "entries": ["5D002.c.1"],
                   "quantity": {"amount": 85, "unit": "seats"}, "value_eur": 1234.5}],
        "parties": [{"role": "end_user", "name": "Acme Corp", "country": "US"}],
    })
    .to_string();
    store
        .create_operation(
            scope,
            &NewOperation {
                reference: "PO-4711",
                input_json: &input,
                assessment_json: r#"{"decision":"licence_required"}"#,
                decision: "licence_required",
                law_version: "test-law",
                ..NewOperation::default()
            },
        )
        .unwrap()
        .id
}

/// Unfolds RFC 5545 content lines.
fn unfold(ics: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in ics.split("\r\n") {
        if let Some(rest) = l.strip_prefix(' ') {
            if let Some(last) = out.last_mut() {
                last.push_str(rest);
            }
        } else if !l.is_empty() {
            out.push(l.to_owned());
        }
    }
    out
}

#[tokio::test]
async fn an_officer_registers_a_licence_operations_draw_on_it_and_every_view_shows_it() {
    let s = spawn_with_store().await;
    let (off, cookie) = member(&s, "off@a.example", "Org A", Role::Officer).await;
    let org = off.org_id().to_owned();
    let body = multipart_body(
        &good_fields(),
        Some(("licence scan.pdf", "%PDF-1.7 licence")),
    );
    let r = post_licence(&s, &org, &cookie, &body).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.headers["location"].clone();
    let id = loc.rsplit('/').next().unwrap().to_owned();
    assert_eq!(loc, format!("/orgs/{org}/licences/{id}"));

    let p = get(s.addr, &loc, Some(&cookie)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("FR-GLOBAL-2026-17") && p.body.contains("Acme Corp"));
    assert!(p.body.contains("Art. 12(3)"));
    let doc_href = p
        .body
        .split("href=\"")
        .find(|x| x.contains("/attachments/"))
        .and_then(|x| x.split('"').next())
        .unwrap()
        .to_owned();
    let d = get(s.addr, &doc_href, Some(&cookie)).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.body, "%PDF-1.7 licence");
    assert!(
        d.headers["content-disposition"].starts_with("attachment;"),
        "{:?}",
        d.headers
    );
    assert_eq!(d.headers["content-type"], "application/pdf");

    // The release flow draws an operation on the licence.
    let (st, sc, lid) = (s.store.clone(), off.clone(), id.clone());
    let law = s.state.law.clone();
    let out = blocking(move || {
        let op = operation(&st, &sc);
        let preview = st.licence_check(&sc, &lid, &op, today(), &law).unwrap();
        assert!(matches!(preview, DrawDownOutcome::Drawn(_)), "{preview:?}");
        st.draw_down(&sc, &lid, &op, today(), &law).unwrap()
    })
    .await;
    let DrawDownOutcome::Drawn(dd) = out else {
        panic!("{out:?}")
    };
    assert!(
        dd.warnings.iter().any(|w| w.kind == "quota"),
        "85 of 100 seats"
    );

    let p = get(s.addr, &loc, Some(&cookie)).await;
    assert!(p.body.contains("PO-4711"), "draw-down history");
    assert!(p.body.contains("<meter") && p.body.contains("85 %"));
    let list = get(s.addr, &format!("/orgs/{org}/licences"), Some(&cookie)).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("FR-GLOBAL-2026-17") && list.body.contains("80 %"));
    let fr = get(s.addr, &format!("{loc}?lang=fr"), Some(&cookie)).await;
    assert!(fr.body.contains("1\u{202f}234,50 EUR"), "French numbers");

    // The CSV usage report parses: a header and one row per unit drawn.
    let csv = get(s.addr, &format!("{loc}/drawdowns.csv"), Some(&cookie)).await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{}", csv.body);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header.len(), 10);
    let mut amounts: Vec<(String, String)> = lines[1..]
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 10, "{l}");
            assert_eq!(f[0], "FR-GLOBAL-2026-17");
            assert_eq!(f[3], "PO-4711");
            (f[5].to_owned(), f[6].to_owned())
        })
        .collect();
    amounts.sort();
    assert_eq!(
        amounts,
        [
            ("eur".to_owned(), "1234.50".to_owned()),
            ("seats".to_owned(), "85".to_owned())
        ]
    );

    // The API.
    let (st, sc) = (s.store.clone(), off.clone());
    let (_, token) = blocking(move || st.create_token(&sc, "ci").unwrap()).await;
    let r = api(s.addr, "GET", "/api/v1/licences", &token, "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v[0]["terms"]["number"], "FR-GLOBAL-2026-17");
    let seats = v[0]["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["unit"] == "seats")
        .unwrap();
    assert_eq!(
        (seats["used"].as_f64(), seats["remaining"].as_f64()),
        (Some(85.0), Some(15.0))
    );
    let r = api(s.addr, "GET", &format!("/api/v1/licences/{id}"), &token, "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["drawdowns"].as_array().unwrap().len(), 2);
    let r = api(
        s.addr,
        "POST",
        "/api/v1/licences",
        &token,
        r#"{"kind":"individual","number":"FR-IND-1","authority":"SBDU","entries":["5A002.a"],"destinations":["JP"],"end_users":["Beta KK"],"quotas":[{"unit":"pieces","total":10}],"valid_from":"2026-06-01","valid_until":"2028-05-31"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // A Union general authorisation and its deadlines, on the pages and in the calendar.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/general-authorisations"),
        Some(&cookie),
        &form(&[("ugea", "EU007"), ("first_use", "2026-08-01")]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let g = get(
        s.addr,
        &format!("/orgs/{org}/general-authorisations"),
        Some(&cookie),
    )
    .await;
    assert_eq!(g.status, 200);
    assert!(
        g.body.contains("Annex II Section G Part 3(6)"),
        "{}",
        g.body
    );
    let home = get(s.addr, &format!("/orgs/{org}"), Some(&cookie)).await;
    assert!(
        home.body.contains("id=\"deadlines\"") && home.body.contains("EU007"),
        "{}",
        home.body
    );
    let r = api(s.addr, "GET", "/api/v1/calendar.ics", &token, "").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"].starts_with("text/calendar"));
    assert!(r.body.split("\r\n").all(|l| l.len() <= 75));
    let lines = unfold(&r.body);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    let events = lines.iter().filter(|l| *l == "BEGIN:VEVENT").count();
    assert_eq!(events, lines.iter().filter(|l| *l == "END:VEVENT").count());
    // EU007: register (before first use), notice 30 days before, yearly report; two expiries.
    assert_eq!(events, 5, "{lines:?}");
    assert!(
        lines.contains(&"DTSTART;VALUE=DATE:20260702".to_owned()),
        "notice of first use"
    );
    assert!(
        lines.contains(&"DTSTART;VALUE=DATE:20271231".to_owned()),
        "licence expiry"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("DESCRIPTION:") && l.contains("Annex II Section G Part 3(6)"))
    );
}

#[tokio::test]
async fn bad_terms_are_422_next_to_the_field_and_nothing_is_written() {
    let s = spawn_with_store().await;
    let (off, cookie) = member(&s, "off@a.example", "Org A", Role::Officer).await;
    let org = off.org_id().to_owned();
    let before = rows(&s.store, &org);
    let mut fields = good_fields();
    for f in &mut fields {
        if f.0 == "quotas" {
            f.1 = "seats -5";
        }
        if f.0 == "valid_until" {
            f.1 = "2028-12-31";
        }
    }
    let r = post_licence(
        &s,
        &org,
        &cookie,
        &multipart_body(&fields, Some(("l.pdf", "x"))),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"quotas-error\"") && r.body.contains("must not be negative"));
    assert!(r.body.contains("id=\"valid_until-error\"") && r.body.contains("Art. 12(3)"));
    assert!(r.body.contains("FR-GLOBAL-2026-17"), "the input is kept");
    // With the large-project flag, three years are accepted; five are not.
    fields.push(("large_project", "yes"));
    for f in &mut fields {
        if f.0 == "quotas" {
            f.1 = "seats 5";
        }
        if f.0 == "valid_until" {
            f.1 = "2031-01-01";
        }
    }
    let r = post_licence(&s, &org, &cookie, &multipart_body(&fields, None)).await;
    assert_eq!(r.status, 422, "five years");
    assert_eq!(rows(&s.store, &org), before, "nothing written");
    let (st, sc) = (s.store.clone(), off.clone());
    let (n, token) = blocking(move || {
        let n = st.licences(&sc).unwrap().len();
        (n, st.create_token(&sc, "ci").unwrap().1)
    })
    .await;
    assert_eq!(n, 0);
    let before = rows(&s.store, &org);
    let r = api(
        s.addr,
        "POST",
        "/api/v1/licences",
        &token,
        r#"{"kind":"global","number":"X-1","authority":"SBDU","entries":["5D002"],"destinations":["US"],"quotas":[{"unit":"seats","total":-1}],"valid_from":"2026-01-01","valid_until":"2029-01-01"}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let paths: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["quotas[0].total", "valid_until"]);
    let r = api(
        s.addr,
        "POST",
        "/api/v1/licences",
        &token,
        r#"{"kind":"global","bogus":1}"#,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(rows(&s.store, &org), before, "nothing written");
    // The general-authorisation form: a bad date is shown next to its field.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/general-authorisations"),
        Some(&cookie),
        &form(&[("ugea", "EU008"), ("first_use", "01/08/2026")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"first_use-error\""));
    assert_eq!(rows(&s.store, &org), before, "nothing written");
}

#[tokio::test]
async fn another_organisation_gets_404_and_an_auditor_403() {
    let s = spawn_with_store().await;
    let (off, cookie) = member(&s, "off@a.example", "Org A", Role::Officer).await;
    let (aud, aud_cookie) = member(&s, "aud@a.example", "Org A", Role::Auditor).await;
    let (b, b_cookie) = member(&s, "off@b.example", "Org B", Role::Officer).await;
    let org = off.org_id().to_owned();
    let r = post_licence(
        &s,
        &org,
        &cookie,
        &multipart_body(&good_fields(), Some(("l.pdf", "SECRET-DOC"))),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.headers["location"].clone();
    let id = loc.rsplit('/').next().unwrap().to_owned();
    let (st, sc) = (s.store.clone(), off.clone());
    let doc = blocking(move || st.licence(&sc, &id).unwrap().unwrap().document_id.unwrap()).await;
    let id = loc.rsplit('/').next().unwrap().to_owned();

    // Another organisation: 404 on A's paths, and with A's ids on its own paths.
    let b_org = b.org_id().to_owned();
    for path in [
        loc.clone(),
        format!("{loc}/drawdowns.csv"),
        format!("/orgs/{org}/attachments/{doc}"),
        format!("/orgs/{org}/licences"),
        format!("/orgs/{org}/general-authorisations"),
        format!("/orgs/{b_org}/licences/{id}"),
        format!("/orgs/{b_org}/licences/{id}/drawdowns.csv"),
        format!("/orgs/{b_org}/attachments/{doc}"),
    ] {
        let r = get(s.addr, &path, Some(&b_cookie)).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.body.contains("FR-GLOBAL-2026-17") && !r.body.contains("SECRET-DOC"));
    }
    let (st, sc) = (s.store.clone(), b.clone());
    let (_, b_token) = blocking(move || st.create_token(&sc, "b").unwrap()).await;
    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/licences/{id}"),
        &b_token,
        "",
    )
    .await;
    assert_eq!(r.status, 404);
    let r = api(s.addr, "GET", "/api/v1/licences", &b_token, "").await;
    assert_eq!(r.json(), serde_json::json!([]));
    let r = api(s.addr, "GET", "/api/v1/calendar.ics", &b_token, "").await;
    assert!(!r.body.contains("FR-GLOBAL-2026-17"));

    // An auditor reads but registers nothing.
    let r = get(s.addr, &loc, Some(&aud_cookie)).await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("enctype=\"multipart/form-data\""));
    let mut fields = good_fields();
    fields[1].1 = "AUD-1";
    let r = post_licence(&s, &org, &aud_cookie, &multipart_body(&fields, None)).await;
    assert_eq!(r.status, 403);
    let r = post(
        s.addr,
        &format!("/orgs/{org}/general-authorisations"),
        Some(&aud_cookie),
        &form(&[("ugea", "EU001"), ("first_use", "2026-08-01")]),
    )
    .await;
    assert_eq!(r.status, 403);
    let (st, sc) = (s.store.clone(), aud.clone());
    let (_, aud_token) = blocking(move || st.create_token(&sc, "aud").unwrap()).await;
    let r = api(s.addr, "POST", "/api/v1/licences", &aud_token, "{}").await;
    assert_eq!(r.status, 403);
    let r = api(s.addr, "GET", "/api/v1/licences", &aud_token, "").await;
    assert_eq!(r.status, 200);
    let (st, sc) = (s.store.clone(), off.clone());
    let n = blocking(move || st.licences(&sc).unwrap().len()).await;
    assert_eq!(n, 1);
    // Signed out: the sign-in page; no token: 401.
    let r = get(s.addr, &loc, None).await;
    assert_eq!(r.status, 303);
    let r = request(s.addr, "GET", "/api/v1/calendar.ics", &[], "").await;
    assert_eq!(r.status, 401);
}

async fn post_amendment(s: &Server, org: &str, id: &str, cookie: &str, body: &str) -> Reply {
    let c = format!("vigil_session={cookie}");
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    request(
        s.addr,
        "POST",
        &format!("/orgs/{org}/licences/{id}/amendments"),
        &[("Cookie", c.as_str()), ("Content-Type", ct.as_str()), SAME],
        body,
    )
    .await
}

/// The amendment form's fields: the terms of `good_fields` (not the kind, number or authority)
/// with a reference and date.
fn amend_fields(
    reference: &'static str,
    valid_until: &'static str,
    quotas: &'static str,
) -> Vec<(&'static str, &'static str)> {
    let mut f: Vec<(&str, &str)> = good_fields()
        .into_iter()
        .filter(|(k, _)| !["kind", "number", "authority"].contains(k))
        .map(|(k, v)| match k {
            "valid_until" => (k, valid_until),
            "quotas" => (k, quotas),
            _ => (k, v),
        })
        .collect();
    f.push(("reference", reference));
    f.push(("date", "2026-06-01"));
    f
}

async fn amendments_count(s: &Server, scope: &OrgScope, id: &str) -> usize {
    let (st, sc, id) = (s.store.clone(), scope.clone(), id.to_owned());
    blocking(move || st.licence_amendments(&sc, &id).unwrap().len()).await
}

#[tokio::test]
async fn an_officer_amends_validity_and_quota_and_draw_downs_use_the_new_terms() {
    let s = spawn_with_store().await;
    let (off, cookie) = member(&s, "off@a.example", "Org A", Role::Officer).await;
    let org = off.org_id().to_owned();
    let r = post_licence(&s, &org, &cookie, &multipart_body(&good_fields(), None)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.headers["location"].clone();
    let id = loc.rsplit('/').next().unwrap().to_owned();
    let (st, sc, lid) = (s.store.clone(), off.clone(), id.clone());
    let law = s.state.law.clone();
    let out = blocking(move || {
        let op = operation(&st, &sc);
        st.draw_down(&sc, &lid, &op, today(), &law).unwrap()
    })
    .await;
    assert!(matches!(out, DrawDownOutcome::Drawn(_)), "{out:?}");

    // The form is prefilled with the terms in force.
    let p = get(s.addr, &loc, Some(&cookie)).await;
    assert!(p.body.contains("id=\"amendments-none\""), "{}", p.body);
    assert!(p.body.contains("action=\"/orgs/") && p.body.contains("/amendments\""));
    assert!(p.body.contains("value=\"2027-12-31\""));
    assert!(p.body.contains("eur 50000.00\nseats 100"), "{}", p.body);

    // A quota below what is drawn (85 seats): 422 naming the unit, nothing written.
    let before = rows(&s.store, &org);
    let body = multipart_body(
        &amend_fields("SBDU-AM-1", "2028-01-01", "seats 80\neur 50000.00"),
        None,
    );
    let r = post_amendment(&s, &org, &id, &cookie, &body).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("the seats quota cannot be lowered to 80 seats: 85 seats are already drawn"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("SBDU-AM-1"),
        "the form keeps what was typed"
    );
    assert_eq!(rows(&s.store, &org), before);
    assert_eq!(amendments_count(&s, &off, &id).await, 0);
    // No reference: 422 next to the field.
    let body = multipart_body(
        &amend_fields("", "2028-01-01", "seats 200\neur 50000.00"),
        None,
    );
    let r = post_amendment(&s, &org, &id, &cookie, &body).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"reference-error\""), "{}", r.body);
    assert_eq!(rows(&s.store, &org), before);

    // Extend the validity (Art. 12(3): within two years) and raise the seats, with a document.
    let body = multipart_body(
        &amend_fields("SBDU-AM-1", "2028-01-01", "seats 200\neur 50000.00"),
        Some(("amendment.pdf", "%PDF-1.7 amendment")),
    );
    let r = post_amendment(&s, &org, &id, &cookie, &body).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.headers["location"], loc);
    let p = get(s.addr, &loc, Some(&cookie)).await;
    assert!(p.body.contains("id=\"amendments\""), "{}", p.body);
    assert!(p.body.contains("SBDU-AM-1"));
    assert!(
        p.body.contains("valid_until: 2027-12-31 → 2028-01-01"),
        "{}",
        p.body
    );
    assert!(p.body.contains("quotas.seats: 100 seats → 200 seats"));
    assert!(
        p.body.contains("value=\"2028-01-01\""),
        "the form shows the new terms"
    );
    let doc_href = p
        .body
        .split("<table id=\"amendments\">")
        .nth(1)
        .and_then(|t| t.split("href=\"").nth(1))
        .and_then(|x| x.split('"').next())
        .unwrap()
        .to_owned();
    let d = get(s.addr, &doc_href, Some(&cookie)).await;
    assert_eq!((d.status, d.body.as_str()), (200, "%PDF-1.7 amendment"));
    let fr = get(s.addr, &format!("{loc}?lang=fr"), Some(&cookie)).await;
    assert!(fr.body.contains("Modifier la licence"));
    let acts: Vec<String> = s
        .store
        .audit_records(&org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .collect();
    assert!(acts.contains(&"licence.amended".to_owned()), "{acts:?}");

    // Draw-down after the amendment uses the new balance: 85 more seats fit in 200 (not in 100).
    let (st, sc, lid) = (s.store.clone(), off.clone(), id.clone());
    let law = s.state.law.clone();
    let out = blocking(move || {
        let op = operation(&st, &sc);
        st.draw_down(&sc, &lid, &op, today(), &law).unwrap()
    })
    .await;
    let DrawDownOutcome::Drawn(dd) = out else {
        panic!("{out:?}")
    };
    let seats = dd
        .units
        .iter()
        .find(|u| u.unit.as_str() == "seats")
        .unwrap();
    assert_eq!((seats.total, seats.remaining), (200, 30));

    // The API: the history in the licence's JSON; amendments in JSON, 422 naming the field.
    let (st, sc) = (s.store.clone(), off.clone());
    let (_, token) = blocking(move || st.create_token(&sc, "ci").unwrap()).await;
    let path = format!("/api/v1/licences/{id}/amendments");
    let r = api(s.addr, "GET", &format!("/api/v1/licences/{id}"), &token, "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["amendments"][0]["reference"], "SBDU-AM-1");
    assert_eq!(v["amendments"][0]["changes"][0]["field"], "valid_until");
    assert_eq!(
        v["amendments"][0]["terms_before"]["valid_until"],
        "2027-12-31"
    );
    assert!(
        v["amendments"][0]["document"]
            .as_str()
            .unwrap()
            .contains("/attachments/")
    );
    let before = rows(&s.store, &org);
    let r = api(
        s.addr,
        "POST",
        &path,
        &token,
        r#"{"reference":"SBDU-AM-2","date":"2026-07-01","quotas":[{"unit":"seats","total":150},{"unit":"eur","total":50000}]}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "quotas[0].total");
    assert!(r.body.contains("170 seats are already drawn"), "{}", r.body);
    let r = api(
        s.addr,
        "POST",
        &path,
        &token,
        r#"{"reference":"SBDU-AM-2","date":"2026-07-01","valid_until":"2028-06-30"}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "valid_until");
    assert!(r.body.contains("Art. 12(3)"));
    let r = api(s.addr, "POST", &path, &token, r#"{"date":"2026-07-01"}"#).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(rows(&s.store, &org), before);
    // A large project may run four years.
    let r = api(
        s.addr,
        "POST",
        &path,
        &token,
        r#"{"reference":"SBDU-AM-2","date":"2026-07-01","valid_until":"2028-06-30","large_project":true}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["terms"]["valid_until"], "2028-06-30");
    assert_eq!(v["amendments"].as_array().unwrap().len(), 2);
    assert_eq!(rows(&s.store, &org), before + 1);
}

#[tokio::test]
async fn amendments_another_organisation_gets_404_and_an_auditor_403() {
    let s = spawn_with_store().await;
    let (off, cookie) = member(&s, "off@a.example", "Org A", Role::Officer).await;
    let (aud, aud_cookie) = member(&s, "aud@a.example", "Org A", Role::Auditor).await;
    let (b, b_cookie) = member(&s, "off@b.example", "Org B", Role::Officer).await;
    let org = off.org_id().to_owned();
    let r = post_licence(&s, &org, &cookie, &multipart_body(&good_fields(), None)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = r.headers["location"].rsplit('/').next().unwrap().to_owned();
    let body = multipart_body(
        &amend_fields("SBDU-AM-X", "2028-01-01", "seats 200\neur 50000.00"),
        None,
    );
    let json = r#"{"reference":"SBDU-AM-X","date":"2026-07-01","valid_until":"2028-01-01"}"#;
    let (st, sc) = (s.store.clone(), aud.clone());
    let (_, aud_token) = blocking(move || st.create_token(&sc, "aud").unwrap()).await;
    let before = rows(&s.store, &org);

    // Another organisation: 404 on A's path and with A's licence id on its own.
    let b_org = b.org_id().to_owned();
    for o in [&org, &b_org] {
        let r = post_amendment(&s, o, &id, &b_cookie, &body).await;
        assert_eq!(r.status, 404, "{o}: {}", r.body);
        assert!(!r.body.contains("FR-GLOBAL-2026-17"));
    }
    let (st, sc) = (s.store.clone(), b.clone());
    let (_, b_token) = blocking(move || st.create_token(&sc, "b").unwrap()).await;
    let path = format!("/api/v1/licences/{id}/amendments");
    let r = api(s.addr, "POST", &path, &b_token, json).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = api(s.addr, "POST", &path, &b_token, "not json").await;
    assert_eq!(r.status, 404, "{}", r.body);

    // An auditor: 403, and no form.
    let r = get(
        s.addr,
        &format!("/orgs/{org}/licences/{id}"),
        Some(&aud_cookie),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("/amendments\""));
    let r = post_amendment(&s, &org, &id, &aud_cookie, &body).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = api(s.addr, "POST", &path, &aud_token, json).await;
    assert_eq!(r.status, 403, "{}", r.body);

    assert_eq!(rows(&s.store, &org), before);
    assert_eq!(amendments_count(&s, &off, &id).await, 0);
    let (st, sc) = (s.store.clone(), off.clone());
    let l = blocking(move || st.licence(&sc, &id).unwrap().unwrap()).await;
    assert_eq!(l.terms.valid_until.to_string(), "2027-12-31");
}
