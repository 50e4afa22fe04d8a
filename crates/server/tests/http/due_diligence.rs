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

/// Answers of a file without a human-rights signal: "not aware" may be signed.
fn clean_answers() -> serde_json::Value {
    let mut a = answers();
    for q in ["security_links", "prior_misuse", "repression_documented"] {
        a["answers"][q] = "no".into();
    }
    a["answers"]["technical_limits"] = "yes".into();
    a
}

async fn actions_of(s: &Server, org: &str, prefix: &'static str) -> Vec<String> {
    let (st, org) = (s.store.clone(), org.to_owned());
    blocking(move || {
        st.audit_records(&org, &AuditFilter::default())
            .unwrap()
            .into_iter()
            .map(|r| r.event.action)
            .filter(|a| a.starts_with(prefix))
            .collect()
    })
    .await
}

/// See: issue 7 ("Due-diligence file per operation (and reusable per end user and item)").
#[tokio::test]
async fn issue_7_a_concluded_file_is_reused_for_the_same_item_and_end_user_and_signed_anew() {
    let s = spawn_with_store().await;
    let t = team(&s).await;
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
    let end_user = "Cairo Metro Company";

    // The first operation's file, concluded "not aware" by an officer.
    let first = new_operation(&s, &t.operator, "EXP-RE-1", end_user).await;
    let first_dd = format!(
        "/api/v1/operations/{}/due-diligence",
        first["id"].as_str().unwrap()
    );
    let r = api(
        s.addr,
        "PUT",
        &first_dd,
        &t.operator,
        &clean_answers().to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let source = r.json()["file"]["id"].as_str().unwrap().to_owned();
    let r = api(
        s.addr,
        "POST",
        &format!("{first_dd}/conclusion"),
        &t.officer,
        r#"{"conclusion":"not_aware","justification":"No human-rights signal; contract clauses and technical limits in place."}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A second operation, same item and end user: the file is offered, with no trigger fired.
    let second = new_operation(&s, &t.operator, "EXP-RE-2", "cairo  metro company").await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    let dd = format!("/api/v1/operations/{second_id}/due-diligence");
    let v = api(s.addr, "GET", &dd, &t.auditor, "").await.json();
    assert!(v["file"].is_null());
    let offer = &v["reuse_offers"][0];
    assert_eq!(offer["file_id"], source.as_str(), "{v}");
    assert_eq!(offer["conclusion"], "not_aware");
    assert_eq!(offer["reusable"], true);
    assert_eq!(offer["operation_reference"], "EXP-RE-1");
    assert_eq!(offer["triggers"], serde_json::json!([]));
    // A release of the item since the conclusion: the trigger is listed with the offer.
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/items/{item_id}/releases"),
        &t.operator,
        r#"{"version_label": "2.0", "answers": {}}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = api(s.addr, "GET", &dd, &t.auditor, "").await.json();
    assert_eq!(
        v["reuse_offers"][0]["triggers"],
        serde_json::json!(["new_product_release"])
    );

    // Refusals write nothing: an auditor (403); another organisation's operation or file (404);
    // a missing `from` (422).
    let from = serde_json::json!({ "from": source }).to_string();
    let r = api(s.addr, "POST", &dd, &t.auditor, &from).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = api(s.addr, "POST", &dd, &t.stranger, &from).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let theirs = new_operation(&s, &t.stranger, "EXP-RE-X", end_user).await;
    let r = api(
        s.addr,
        "POST",
        &format!(
            "/api/v1/operations/{}/due-diligence",
            theirs["id"].as_str().unwrap()
        ),
        &t.stranger,
        &from,
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body.contains("due-diligence file"), "{}", r.body);
    let r = api(s.addr, "POST", &dd, &t.operator, "{}").await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(api(s.addr, "GET", &dd, &t.auditor, "").await.json()["file"].is_null());
    assert!(actions_of(&s, &t.org, "dd.reused").await.is_empty());

    // The operator starts from it: every answer carried over, marked with its source.
    let r = api(s.addr, "POST", &dd, &t.operator, &from).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let file = &v["file"];
    assert_eq!(file["status"], "open");
    assert!(file["conclusion"].is_null());
    assert_eq!(file["reused_from"], source.as_str());
    let n = clean_answers()["answers"].as_object().unwrap().len();
    assert_eq!(file["answers"].as_object().unwrap().len(), n);
    let carried = file["carried_over"].as_array().unwrap();
    assert_eq!(carried.len(), n, "{file}");
    for k in carried {
        assert_eq!(k["source_file"], source.as_str());
        assert_eq!(k["origin_file"], source.as_str());
        assert!(!k["answered_by"].as_str().unwrap().is_empty());
        assert!(k["answered_at"].as_str().unwrap().starts_with("20"), "{k}");
    }
    assert!(v["evaluation"]["missing"].as_array().unwrap().is_empty());
    assert_eq!(actions_of(&s, &t.org, "dd.reused").await, ["dd.reused"]);
    // Reusing again while that file is open is refused.
    let r = api(s.addr, "POST", &dd, &t.operator, &from).await;
    assert_eq!(r.status, 422, "{}", r.body);

    // The officer changes one answer: it is the new file's own; the others stay carried over.
    let r = api(
        s.addr,
        "PUT",
        &dd,
        &t.operator,
        r#"{"answers":{"technical_limits":"no"}}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let file = r.json()["file"].clone();
    let carried: Vec<&str> = file["carried_over"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["question"].as_str().unwrap())
        .collect();
    assert_eq!(carried.len(), n - 1);
    assert!(!carried.contains(&"technical_limits"));
    // The page shows which answers were carried over and which are new.
    let page = get(
        s.addr,
        &format!("/orgs/{}/operations/{second_id}/due-diligence", t.org),
        Some(&t.officer_session),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"dd-reused-from\""), "{}", page.body);
    assert!(page.body.contains("id=\"q-screened-carried\""));
    assert!(page.body.contains("id=\"q-technical_limits-new\""));
    assert!(!page.body.contains("id=\"q-technical_limits-carried\""));
    assert!(
        page.body.contains("Olga Operator"),
        "who answered originally"
    );

    // The conclusion is still required, and signed by an officer.
    let r = api(
        s.addr,
        "POST",
        &format!("{dd}/conclusion"),
        &t.operator,
        r#"{"conclusion":"not_aware","justification":"Reviewed again."}"#,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let v = api(s.addr, "GET", &dd, &t.officer, "").await.json();
    assert_eq!(v["file"]["status"], "open");
    let r = api(
        s.addr,
        "POST",
        &format!("{dd}/conclusion"),
        &t.officer,
        r#"{"conclusion":"not_aware","justification":"Carried-over answers reviewed; release 2.0 adds no covert feature."}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["file"]["conclusion"], "not_aware");

    // Through the page: a third operation starts from the latest file with the form.
    let third = new_operation(&s, &t.operator, "EXP-RE-3", end_user).await;
    let third_page = format!(
        "/orgs/{}/operations/{}/due-diligence",
        t.org,
        third["id"].as_str().unwrap()
    );
    let page = get(s.addr, &third_page, Some(&t.officer_session)).await;
    assert!(page.body.contains("id=\"dd-reuse-form\""), "{}", page.body);
    let r = post(
        s.addr,
        &format!("{third_page}/reuse"),
        Some(&t.officer_session),
        &form(&[("from", "no-such-file")]),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = post(
        s.addr,
        &format!("{third_page}/reuse"),
        Some(&t.officer_session),
        &form(&[("from", &source)]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        actions_of(&s, &t.org, "dd.reused").await,
        ["dd.reused", "dd.reused"]
    );
}

/// See: issue 7. A file that is not concluded, or concluded "aware" while the authority has not
/// answered its notification, is not a starting point (Art. 5(2) of Regulation (EU) 2021/821).
#[tokio::test]
async fn issue_7_an_open_file_or_an_aware_file_awaiting_the_authority_is_not_reused() {
    let s = spawn_with_store().await;
    let t = team(&s).await;
    let end_user = "Directorate of Public Security";
    let a = new_operation(&s, &t.operator, "EXP-AW-1", end_user).await;
    let a_dd = format!(
        "/api/v1/operations/{}/due-diligence",
        a["id"].as_str().unwrap()
    );
    let r = api(s.addr, "PUT", &a_dd, &t.operator, &answers().to_string()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let source = r.json()["file"]["id"].as_str().unwrap().to_owned();
    let from = serde_json::json!({ "from": source }).to_string();
    let b = new_operation(&s, &t.operator, "EXP-AW-2", end_user).await;
    let b_id = b["id"].as_str().unwrap().to_owned();
    let b_dd = format!("/api/v1/operations/{b_id}/due-diligence");

    // Open: 422 with a clear message; nothing written.
    let r = api(s.addr, "POST", &b_dd, &t.operator, &from).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("not concluded"), "{}", r.body);
    assert!(api(s.addr, "GET", &b_dd, &t.auditor, "").await.json()["file"].is_null());

    // Concluded "aware", the notification not answered: offered as refused, and refused.
    let r = api(
        s.addr,
        "POST",
        &format!("{a_dd}/conclusion"),
        &t.officer,
        r#"{"conclusion":"aware","justification":"The end user's ministry is reported to track protesters."}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let nid = r.json()["notifications"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = api(s.addr, "GET", &b_dd, &t.auditor, "").await.json();
    assert_eq!(v["reuse_offers"][0]["reusable"], false, "{v}");
    assert_eq!(v["reuse_offers"][0]["refusal"], "awaiting_authority");
    let r = api(s.addr, "POST", &b_dd, &t.operator, &from).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("authority"), "{}", r.body);
    assert!(api(s.addr, "GET", &b_dd, &t.auditor, "").await.json()["file"].is_null());
    let page = get(
        s.addr,
        &format!("/orgs/{}/operations/{b_id}/due-diligence", t.org),
        Some(&t.officer_session),
    )
    .await;
    assert!(
        page.body
            .contains(&format!("id=\"dd-offer-refused-{source}\"")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"dd-reuse-form\""));
    assert!(actions_of(&s, &t.org, "dd.reused").await.is_empty());

    // Once the authority has answered, the file may be reused; the new file is open and must be
    // concluded anew.
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/notifications/{nid}/sent"),
        &t.officer,
        r#"{"sent_on":"2026-06-02","reference":"LRAR 1A"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/notifications/{nid}/answer"),
        &t.officer,
        r#"{"answer":"not_required","reference":"SBDU-2026-0043","date":"2026-06-20"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api(s.addr, "POST", &b_dd, &t.operator, &from).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["file"]["status"], "open");
    assert_eq!(v["file"]["reused_from"], source.as_str());
    assert!(v["file"]["conclusion"].is_null());
    assert_eq!(v["evaluation"]["suggestion"], "aware");
}
