//! The Art. 5 due-diligence file through the real server on a temporary SQLite database: an
//! operator fills the file, an officer concludes "aware" (the operation is held with a
//! `due_diligence` hold and a French notice is drafted for a French exporter, Art. 5(2) of
//! Regulation (EU) 2021/821), records the sending and the authority's answer "licence required",
//! and a later operation with the same item and end user comes out `licence_required` under
//! Art. 5(1) citing the answer; an auditor cannot answer (403), another organisation gets 404,
//! an unsigned conclusion is 422 with nothing written.

use super::*;

use vigil_domain::access::Role;
use vigil_store::audit::AuditFilter;

fn operation(reference: &str, end_user: &str) -> String {
    serde_json::json!({
        "reference": reference,
        "type": "export",
        "exporter": {"name": "Visiognomie SAS", "country": "FR"},
        "destination": "EG",
        "items": [{"id": "VG-CROWD", "description": "Facial recognition platform for city CCTV", "kind": "software", "entries": [], "cyber_surveillance": true}],
        "parties": [{"role": "end_user", "name": end_user, "country": "EG"}],
        "end_use": "City traffic safety",
    })
    .to_string()
}

fn answers() -> serde_json::Value {
    serde_json::json!({"answers": {
        "annex_i_entries": "none",
        "art_2_20": "met",
        "art_2_20_evidence": "Design document v3",
        "covert_features": "no",
        "marketing_covert": "no",
        "customisation": "no",
        "misuse_scenarios": "Identification of protesters",
        "all_identified": "yes",
        "screened": "yes",
        "security_links": "yes",
        "prior_misuse": "yes",
        "repression_documented": "yes",
        "destination_sources": "UN OHCHR report 2025",
        "new_measures": "no",
        "statement_obtained": "yes",
        "statement_consistent": "yes",
        "reluctance": "no",
        "unusual_route_payment": "no",
        "contract_clauses": "yes",
        "technical_limits": "no"
    }})
}

struct Team {
    operator: String,
    officer: String,
    auditor: String,
    stranger: String,
    officer_session: String,
    org: String,
}

async fn team(s: &Server) -> Team {
    let st = s.store.clone();
    let (team, officer_email) = blocking(move || {
        let operator = create_member(
            &st,
            "op@dd.example",
            "Olga Operator",
            "DD Org",
            Role::Operator,
        );
        let officer = create_member(
            &st,
            "off@dd.example",
            "Oscar Officer",
            "DD Org",
            Role::Officer,
        );
        let auditor = create_member(
            &st,
            "aud@dd.example",
            "Ada Auditor",
            "DD Org",
            Role::Auditor,
        );
        let stranger = create_member(&st, "x@other.example", "Xavier", "Other Org", Role::Admin);
        let tok = |scope| st.create_token(scope, "dd").unwrap().1;
        (
            Team {
                operator: tok(&operator),
                officer: tok(&officer),
                auditor: tok(&auditor),
                stranger: tok(&stranger),
                officer_session: String::new(),
                org: operator.org_id().to_owned(),
            },
            "off@dd.example",
        )
    })
    .await;
    let r = login(s.addr, officer_email, PW).await;
    assert_eq!(r.status, 303, "{}", r.body);
    Team {
        officer_session: session(&r),
        ..team
    }
}

async fn new_operation(
    s: &Server,
    token: &str,
    reference: &str,
    end_user: &str,
) -> serde_json::Value {
    let r = api(
        s.addr,
        "POST",
        "/api/v1/operations",
        token,
        &operation(reference, end_user),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

#[tokio::test]
async fn aware_holds_the_operation_and_the_answer_binds_the_same_item_and_end_user() {
    let s = spawn_with_store().await;
    let t = team(&s).await;
    let op = new_operation(
        &s,
        &t.operator,
        "EXP-DD-1",
        "Directorate of Public Security",
    )
    .await;
    let id = op["id"].as_str().unwrap().to_owned();
    let dd = format!("/api/v1/operations/{id}/due-diligence");

    // Nothing yet: the evaluation of no answers.
    let r = api(s.addr, "GET", &dd, &t.auditor, "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["file"].is_null());

    // An auditor reads, never answers; another organisation sees nothing.
    let r = api(s.addr, "PUT", &dd, &t.auditor, &answers().to_string()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    for (m, body) in [("GET", String::new()), ("PUT", answers().to_string())] {
        let r = api(s.addr, m, &dd, &t.stranger, &body).await;
        assert_eq!(r.status, 404, "{m}: {}", r.body);
    }
    // A bad answer names its question; nothing written.
    let r = api(
        s.addr,
        "PUT",
        &dd,
        &t.operator,
        r#"{"answers":{"screened":"maybe"}}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "answers.screened");

    // The operator fills the file.
    let r = api(s.addr, "PUT", &dd, &t.operator, &answers().to_string()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["file"]["status"], "open");
    assert_eq!(v["evaluation"]["risk"], "high");
    assert_eq!(v["evaluation"]["suggestion"], "aware");
    assert!(v["evaluation"]["missing"].as_array().unwrap().is_empty());

    // An operator may not sign; an unsigned conclusion is 422 and writes nothing.
    let concl = format!("{dd}/conclusion");
    let signed = r#"{"conclusion":"aware","justification":"The end user's ministry is reported to track protesters."}"#;
    let r = api(s.addr, "POST", &concl, &t.operator, signed).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = api(
        s.addr,
        "POST",
        &concl,
        &t.officer,
        r#"{"conclusion":"aware","justification":"  "}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["path"], "justification");
    let v = api(s.addr, "GET", &dd, &t.officer, "").await.json();
    assert_eq!(v["file"]["status"], "open");
    assert!(v["notifications"].as_array().unwrap().is_empty());
    assert_eq!(v["awaiting_authority"], false);

    // The officer concludes "aware": held, and a French notice for a French exporter.
    let r = api(s.addr, "POST", &concl, &t.officer, signed).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["file"]["conclusion"], "aware");
    assert_eq!(v["awaiting_authority"], true);
    let n = &v["notifications"][0];
    assert_eq!(n["language"], "fr");
    assert!(n["authority"].as_str().unwrap().starts_with("SBDU"), "{n}");
    assert!(
        n["subject"]
            .as_str()
            .unwrap()
            .contains("article 5, paragraphe 2"),
        "{n}"
    );
    assert!(n["body"].as_str().unwrap().contains("VG-CROWD"), "{n}");
    let nid = n["id"].as_str().unwrap().to_owned();
    let holds = api(
        s.addr,
        "GET",
        &format!("/api/v1/operations/{id}/holds"),
        &t.auditor,
        "",
    )
    .await;
    assert_eq!(holds.status, 200, "{}", holds.body);
    assert!(holds.body.contains("\"due_diligence\""), "{}", holds.body);
    let o = api(
        s.addr,
        "GET",
        &format!("/api/v1/operations/{id}"),
        &t.auditor,
        "",
    )
    .await
    .json();
    assert_eq!(o["status"], "blocked");

    // The pages: the file, "awaiting the authority", the notice and its text download.
    let page = get(
        s.addr,
        &format!("/orgs/{}/operations/{id}/due-diligence?lang=fr", t.org),
        Some(&t.officer_session),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"dd-awaiting\""));
    assert!(
        page.body.contains("article 5, paragraphe 2, du règlement"),
        "{}",
        page.body
    );
    assert!(page.body.contains("NON VÉRIFIÉ"));
    let txt = get(
        s.addr,
        &format!("/orgs/{}/operations/{id}/notification.txt", t.org),
        Some(&t.officer_session),
    )
    .await;
    assert_eq!(txt.status, 200);
    assert!(txt.headers["content-type"].starts_with("text/plain"));
    assert!(txt.body.contains("règlement (UE) 2021/821"));
    let pdf = get(
        s.addr,
        &format!("/orgs/{}/operations/{id}/notification.pdf", t.org),
        Some(&t.officer_session),
    )
    .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(
        pdf.body.starts_with("%PDF"),
        "{}",
        &pdf.body[..pdf.body.len().min(40)]
    );
    assert!(pdf.headers["content-disposition"].contains(".pdf"));
    let op_page = get(
        s.addr,
        &format!("/orgs/{}/operations/{id}", t.org),
        Some(&t.officer_session),
    )
    .await;
    assert!(
        op_page
            .body
            .contains(&format!("/operations/{id}/due-diligence"))
    );

    // The notification: another organisation sees nothing; an auditor records nothing.
    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/notifications/{nid}"),
        &t.stranger,
        "",
    )
    .await;
    assert_eq!(r.status, 404);
    let sent = format!("/api/v1/notifications/{nid}/sent");
    let r = api(
        s.addr,
        "POST",
        &sent,
        &t.auditor,
        r#"{"sent_on":"2026-06-02","reference":"LRAR 1A"}"#,
    )
    .await;
    assert_eq!(r.status, 403);
    let r = api(
        s.addr,
        "POST",
        &sent,
        &t.officer,
        r#"{"sent_on":"2026-06-02","reference":"LRAR 1A"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "sent");
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/notifications/{nid}/answer"),
        &t.officer,
        r#"{"answer":"licence_required","reference":"SBDU-2026-0042","date":"2026-06-20"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["answer"], "licence_required");

    // A later operation with the same item and end user needs a licence under Art. 5(1), and says
    // which answer binds it.
    let later = new_operation(
        &s,
        &t.operator,
        "EXP-DD-2",
        "directorate of public  security",
    )
    .await;
    assert_eq!(later["decision"], "licence_required", "{later}");
    assert_eq!(
        later["operation"]["facts"]["informed"],
        serde_json::json!(["internal_repression"])
    );
    let reasons = later["assessment"]["reasons"].to_string();
    assert!(reasons.contains("Art. 5(1)"), "{reasons}");
    assert!(
        reasons.contains("SBDU-2026-0042") && reasons.contains("2026-06-20"),
        "{reasons}"
    );
    let cites = later["assessment"]["citations"].to_string();
    assert!(cites.contains("Art. 5(1)"), "{cites}");
    // Its file page offers the concluded file of the same item and end user.
    let later_page = get(
        s.addr,
        &format!(
            "/orgs/{}/operations/{}/due-diligence",
            t.org,
            later["id"].as_str().unwrap()
        ),
        Some(&t.officer_session),
    )
    .await;
    assert!(
        later_page.body.contains("id=\"dd-related\""),
        "{}",
        later_page.body
    );
    // Another end user is not bound.
    let other = new_operation(&s, &t.operator, "EXP-DD-3", "Cairo Metro Company").await;
    assert!(
        !other["assessment"]["reasons"]
            .to_string()
            .contains("SBDU-2026-0042")
    );
    assert!(other["operation"]["facts"].is_null(), "{other}");

    // The letter as PDF, in French, and the dossier of the year with the notification and its
    // answer.
    let (status, headers, pdf) = super::icp::get_bytes(
        s.addr,
        &format!("/orgs/{}/operations/{id}/notification.pdf", t.org),
        &t.officer_session,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    let letter = super::icp::pdf_text(&pdf);
    assert!(letter.contains("Madame,Monsieur"), "{letter}");
    assert!(letter.contains("article5,paragraphe2"), "{letter}");
    let (status, _, pdf) = super::icp::get_bytes(
        s.addr,
        &format!("/orgs/{}/dossier.pdf?from=2026-01-01&to=2026-12-31", t.org),
        &t.officer_session,
    )
    .await;
    assert_eq!(status, 200);
    let dossier = super::icp::pdf_text(&pdf);
    assert!(dossier.contains("Art.5(2)notificationto"), "{dossier}");
    assert!(dossier.contains("SBDU-2026-0042"), "{dossier}");

    // Every step is in the audit trail.
    let (st, org) = (s.store.clone(), t.org.clone());
    let actions: Vec<String> = blocking(move || {
        st.audit_records(&org, &AuditFilter::default())
            .unwrap()
            .into_iter()
            .map(|r| r.event.action)
            .filter(|a| a.starts_with("dd.") || a.starts_with("notification."))
            .collect()
    })
    .await;
    assert_eq!(
        actions,
        [
            "dd.answered",
            "dd.concluded",
            "notification.drafted",
            "notification.sent",
            "notification.answered"
        ]
    );
}

#[tokio::test]
async fn the_page_form_shows_errors_next_to_the_fields_and_writes_nothing() {
    let s = spawn_with_store().await;
    let t = team(&s).await;
    // The item's record, so the file is linked to it (and to its releases).
    let r = api(
        s.addr,
        "POST",
        "/api/v1/items",
        &t.operator,
        r#"{"name": "VG-CROWD", "kind": "software", "description": "Facial recognition platform"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let item_id = r.json()["id"].as_str().unwrap().to_owned();
    let op = new_operation(
        &s,
        &t.operator,
        "EXP-DD-9",
        "Directorate of Public Security",
    )
    .await;
    let id = op["id"].as_str().unwrap();
    let base = format!("/orgs/{}/operations/{id}/due-diligence", t.org);
    let page = get(s.addr, &base, Some(&t.officer_session)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Accessible: every radio has its label, every step is a fieldset with a legend.
    assert!(page.body.contains("<legend>1. Item review"));
    assert!(
        page.body
            .contains("<label class=\"inline\"><input type=\"radio\" name=\"screened\"")
    );
    assert!(page.body.contains("<label for=\"q-misuse_scenarios\">"));
    // Save answers through the form.
    let mut pairs: Vec<(String, String)> = answers()["answers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    pairs.push(("screened".into(), "maybe".into()));
    let bad: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = post(s.addr, &base, Some(&t.officer_session), &form(&bad)).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"q-screened-error\""), "{}", r.body);
    pairs.pop();
    let good: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = post(s.addr, &base, Some(&t.officer_session), &form(&good)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    // An unsigned conclusion: 422, the error next to the field, nothing written.
    let r = post(
        s.addr,
        &format!("{base}/conclusion"),
        Some(&t.officer_session),
        &form(&[("conclusion", "aware"), ("justification", "")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"justification-error\""), "{}", r.body);
    let v = api(
        s.addr,
        "GET",
        &format!("/api/v1/operations/{id}/due-diligence"),
        &t.officer,
        "",
    )
    .await
    .json();
    assert_eq!(v["file"]["status"], "open");
    assert!(v["notifications"].as_array().unwrap().is_empty());
    // Signed: held, the notice shown.
    let r = post(
        s.addr,
        &format!("{base}/conclusion"),
        Some(&t.officer_session),
        &form(&[
            ("conclusion", "aware"),
            ("justification", "Reported misuse by the end user."),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = get(s.addr, &base, Some(&t.officer_session)).await;
    assert!(page.body.contains("id=\"dd-awaiting\""));
    assert!(page.body.contains("id=\"dd-notice-body\""));
    assert!(page.body.contains("id=\"dd-sent-form\""));
    // The answers are frozen: no save button, a re-run instead.
    assert!(!page.body.contains("id=\"dd-save\""));
    assert!(page.body.contains("id=\"dd-rerun-form\""));
    // A release of the item registered after the conclusion makes the file due for a re-run.
    let release_due = "<li class=\"warn\">A new release of the item — <strong>";
    assert!(!page.body.contains(release_due), "no trigger fired yet");
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/items/{item_id}/releases"),
        &t.operator,
        r#"{"version_label": "2.0", "answers": {}}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let page = get(s.addr, &base, Some(&t.officer_session)).await;
    assert!(page.body.contains(release_due), "{}", page.body);
    // The other triggers have not fired.
    assert!(!page.body.contains("<li class=\"warn\">A new end user"));
}
