//! The French foreign-investment check on the web (`/fdi`, a form usable without JavaScript, in
//! English and French) and in the API (`POST /api/v1/fdi`, problem details naming the field).

use super::*;

#[tokio::test]
async fn the_fdi_form_answers_with_reasons_deadlines_and_unverified_citations() {
    let addr = spawn().await;
    let page = request(addr, "GET", "/fdi", &[], "").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(r#"name="activity" value="cryptology""#),
        "{}",
        page.body
    );
    let body = form(&[
        ("target", "Chiffre SAS"),
        ("target_kind", "french_entity"),
        ("chain_0_name", "Atlantic Growth Fund LP"),
        ("chain_0_kind", "entity"),
        ("chain_0_country", "us"),
        ("voting_rights_before", "0"),
        ("voting_rights_after", "30,5"),
        ("activity", "cryptology"),
        ("activity", "interception_equipment"),
    ]);
    let r = request(addr, "POST", "/fdi", &[FORM, SAME], &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Prior authorisation required"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Art. R. 151-2, 3° [UNVERIFIED]"),
        "{}",
        r.body
    );
    assert!(r.body.contains("silence"), "{}", r.body);
    // In French.
    let r = request(addr, "POST", "/fdi?lang=fr", &[FORM, SAME], &body).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("Autorisation préalable requise"),
        "{}",
        r.body
    );
    assert!(r.body.contains("moyens et prestations de cryptologie"));
}

#[tokio::test]
async fn a_bad_fdi_form_shows_the_errors_next_to_the_fields() {
    let addr = spawn().await;
    let body = form(&[
        ("target_kind", "french_entity"),
        ("chain_0_name", "Fund"),
        ("chain_0_kind", "entity"),
        ("chain_0_country", "ZZ"),
        ("voting_rights_after", "lots"),
    ]);
    let r = request(addr, "POST", "/fdi", &[FORM, SAME], &body).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("`lots` is not a number"), "{}", r.body);
    assert!(r.body.contains(r#"aria-invalid="true""#));
    let body = form(&[("target_kind", "french_entity")]);
    let r = request(addr, "POST", "/fdi", &[FORM, SAME], &body).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("give at least the investor"), "{}", r.body);
}

#[tokio::test]
async fn the_fdi_api_answers_and_names_bad_fields() {
    let addr = spawn().await;
    let ok = example("fdi/us-fund-crypto-startup.json");
    let json = ("Content-Type", "application/json");
    let r = request(addr, "POST", "/api/v1/fdi", &[json], &ok).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["outcome"], "authorisation_required");
    assert!(
        v["verification"]
            .as_str()
            .unwrap()
            .contains("secondary sources")
    );
    let bad = ok.replace("\"US\"", "\"XX\"");
    let r = request(addr, "POST", "/api/v1/fdi", &[json], &bad).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("chain[0].country"), "{}", r.body);
    let r = request(
        addr,
        "POST",
        "/api/v1/fdi",
        &[json],
        r#"{"target_kind": 3}"#,
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("target_kind"), "{}", r.body);
    let doc = request(addr, "GET", "/api/openapi.json", &[], "")
        .await
        .json();
    assert!(doc["paths"]["/api/v1/fdi"]["post"].is_object());
}
