//! The Art. 5 story in the browser: a due-diligence file concluded "aware" holds the operation
//! and drafts the notification; the authority's answer binds a later operation.
//!
//! An officer records an operation (a French exporter's facial-recognition platform for an
//! Egyptian security directorate), fills its due-diligence file step by step, concludes "aware"
//! (Art. 5(2) of Regulation (EU) 2021/821): the operation is held, "awaiting the authority", and
//! the notice is drafted in French for the SBDU. The officer records its sending and the
//! authority's answer "licence required"; a later operation with the same item and end user then
//! requires a licence under Art. 5(1), citing the answer. Screenshots go to
//! `e2e-screenshots/due-diligence/`; any console error fails the story.

use std::time::Instant;

use anyhow::{Context, ensure};
use vigil_store::accounts::{NewUser, parse_role};

use crate::harness::{self, Browser, Chromedriver, TempDir, Tools};

const PASSWORD: &str = "correct horse battery staple";
const ORG: &str = "Visiognomie SAS";

/// The story's screenshot folder: `e2e-screenshots/due-diligence` (emptied).
fn shot_dir() -> anyhow::Result<std::path::PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        std::path::PathBuf::from,
    );
    let dir = target.join("e2e-screenshots").join("due-diligence");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn operation(reference: &str) -> String {
    serde_json::json!({
        "reference": reference,
        "type": "export",
        "exporter": {"name": "Visiognomie SAS", "country": "FR"},
        "destination": "EG",
        "items": [{"id": "VG-CROWD", "description": "Facial recognition platform for city CCTV", "kind": "software", "entries": [], "cyber_surveillance": true}],
        "parties": [{"role": "end_user", "name": "Directorate of Public Security", "country": "EG"}],
        "end_use": "City traffic safety",
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aware_file_holds_the_operation_and_the_answer_binds_the_next() {
    let started = Instant::now();
    let Some(tools) = Tools::find().unwrap_or_else(|e| panic!("{e:#}")) else {
        return;
    };
    let db = TempDir::new("vigil-e2e-dd-db").unwrap();
    let (base, _setup) = harness::start_server(&db.0).await.unwrap();
    let store =
        vigil_store::Store::open(&format!("sqlite://{}", db.0.join("vigil.db").display())).unwrap();
    let (_, org) = store
        .admin_create_user(
            &NewUser {
                email: "felix@dd.example",
                display_name: "Felix Officer",
                password: PASSWORD,
            },
            ORG,
            parse_role("officer").unwrap(),
            "e2e",
        )
        .unwrap();
    drop(store);
    let profile = TempDir::new("vigil-e2e-dd-chromium").unwrap();
    let driver = Chromedriver::start(&tools, &profile.0.join("chromedriver.log")).unwrap();
    let shots = shot_dir().unwrap();
    let mut browser = Browser::open(&tools, &driver, &profile.0, base, shots.clone())
        .await
        .unwrap();
    let outcome = story(&mut browser, &org.id).await;
    let closed = browser.client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    closed.unwrap();
    eprintln!(
        "due-diligence story passed in {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        shots.display()
    );
}

/// Clicks the button matching `selector`, waits for the next page, then for `then` on it.
async fn press(b: &Browser, selector: &str, then: &str) -> anyhow::Result<()> {
    b.client
        .execute("window.vigilE2eOldPage = true;", vec![])
        .await?;
    b.wait_css(selector).await?.click().await?;
    let started = Instant::now();
    loop {
        let old = b
            .client
            .execute("return window.vigilE2eOldPage === true;", vec![])
            .await;
        if matches!(old, Ok(serde_json::Value::Bool(false))) {
            break;
        }
        ensure!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "no new page after clicking `{selector}`"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.wait_css(then).await?;
    Ok(())
}

/// Records an operation from pasted JSON; returns its page's path.
async fn record(b: &Browser, org: &str, reference: &str) -> anyhow::Result<String> {
    b.goto(&format!("/orgs/{org}/operations")).await?;
    b.type_into("#operation", &operation(reference)).await?;
    press(
        b,
        &format!("main form[action='/orgs/{org}/operations'] button[type=submit]"),
        "#review-link",
    )
    .await?;
    b.path().await
}

async fn story(b: &mut Browser, org: &str) -> anyhow::Result<()> {
    // 0. Chromium asks for /favicon.ico once per session (Vigil has none: 404); that one
    //    error is drained here, any other fails the story.
    b.goto("/login").await?;
    b.wait_css("main h1").await?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let first = b.console_errors().await?;
    ensure!(
        first.iter().all(|e| e.contains("/favicon.ico")),
        "console errors on the first page: {first:?}"
    );
    b.type_into("#email", "felix@dd.example").await?;
    b.type_into("#password", PASSWORD).await?;
    b.submit("header form[action='/logout']").await?;

    // 1. The operation, and the link to its due-diligence file.
    let op = record(b, org, "EXP-DD-1").await?;
    b.step("dd-operation").await?;
    b.click_link("Art. 5 due-diligence file", "#dd-form")
        .await?;
    ensure!(b.path().await? == format!("{op}/due-diligence"));
    b.step("dd-empty-file").await?;

    // 2. The file, step by step: radios and texts, without JavaScript of ours.
    for (q, v) in [
        ("art_2_20", "met"),
        ("covert_features", "no"),
        ("marketing_covert", "no"),
        ("customisation", "no"),
        ("all_identified", "yes"),
        ("screened", "yes"),
        ("security_links", "yes"),
        ("prior_misuse", "yes"),
        ("repression_documented", "yes"),
        ("new_measures", "no"),
        ("statement_obtained", "yes"),
        ("statement_consistent", "yes"),
        ("reluctance", "no"),
        ("unusual_route_payment", "no"),
        ("contract_clauses", "yes"),
        ("technical_limits", "no"),
    ] {
        b.wait_css(&format!("#q-{q}-{v}")).await?.click().await?;
    }
    for (q, v) in [
        ("annex_i_entries", "none"),
        ("art_2_20_evidence", "Design document v3, section 2"),
        (
            "misuse_scenarios",
            "Identification of protesters in CCTV streams",
        ),
        (
            "destination_sources",
            "UN OHCHR report 2025; EU annual report on human rights",
        ),
    ] {
        b.type_into(&format!("#q-{q}"), v).await?;
    }
    b.step("dd-filled").await?;
    press(b, "#dd-save", "#dd-evaluation").await?;
    let risk = b.text("#dd-risk").await?;
    ensure!(risk == "High", "a high-risk file: {risk}");
    let suggestion = b.text("#dd-suggestion").await?;
    ensure!(
        suggestion.starts_with("Aware"),
        "Vigil suggests aware: {suggestion}"
    );
    let flags = b.text("#dd-flags").await?;
    ensure!(
        flags.contains("UNVERIFIED") && flags.contains("2024/2659"),
        "red flags with their source and mark: {flags}"
    );
    b.step("dd-evaluated").await?;

    // 3. The officer concludes "aware": held, the French notice drafted.
    b.wait_css("#conclusion-aware").await?.click().await?;
    b.type_into(
        "#justification",
        "The end user's ministry is reported by UN bodies to track protesters.",
    )
    .await?;
    press(b, "#dd-conclude", "#dd-notification").await?;
    ensure!(
        b.text("#dd-awaiting")
            .await?
            .contains("Awaiting the authority")
    );
    ensure!(b.text("#dd-notice-language").await? == "fr");
    let subject = b.text("#dd-notice-subject").await?;
    ensure!(
        subject.contains("article 5, paragraphe 2"),
        "the notice is in French: {subject}"
    );
    ensure!(b.text("#dd-notice-pdf").await?.contains("PDF"));
    b.step("dd-aware-notice").await?;
    b.goto(&op).await?;
    let status = b.text("main h1 + p strong").await?;
    ensure!(status == "Blocked", "the operation is held: {status}");
    b.step("dd-operation-held").await?;

    // 4. The sending and the authority's answer.
    b.goto(&format!("{op}/due-diligence")).await?;
    b.type_into("#sent_reference", "LRAR 1A-234").await?;
    press(b, "#dd-sent-submit", "#dd-answer-form").await?;
    ensure!(b.text("#dd-sent").await?.contains("LRAR 1A-234"));
    b.wait_css("#answer-licence_required")
        .await?
        .click()
        .await?;
    b.type_into("#answer_reference", "SBDU-2026-0042").await?;
    b.client
        .execute(
            "document.getElementById('answer_date').value = '2026-06-20';",
            vec![],
        )
        .await?;
    b.step("dd-answer-form").await?;
    press(b, "#dd-answer-submit", "#dd-binding").await?;
    ensure!(b.text("#dd-answer").await?.contains("SBDU-2026-0042"));
    b.step("dd-answered").await?;

    // 5. A later operation with the same item and end user requires a licence (Art. 5(1)).
    record(b, org, "EXP-DD-2").await?;
    b.wait_css(".decision.licence_required").await?;
    let text = b.page_text().await?;
    ensure!(
        text.contains("Art. 5(1)") && text.contains("SBDU-2026-0042"),
        "the later operation cites the answer: {text}"
    );
    b.step("dd-later-operation-bound").await?;
    Ok(())
}
