//! Vigil in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`), driven
//! over WebDriver with fantoccini, walks the story of a new user against a server on 127.0.0.1.
//! Each step saves a screenshot under `target/e2e-screenshots/` (`CARGO_TARGET_DIR` if set) and
//! fails on any browser console error (read from chromedriver's log, so load failures, CSP
//! violations and uncaught exceptions count too).
//!
//! Without Chromium or chromedriver the test is skipped with a notice, except in CI (`CI=true`),
//! where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod harness;
mod release;

use std::time::Instant;

use anyhow::{Context, ensure};
use fantoccini::Locator;
use harness::{Browser, Chromedriver, TempDir, Tools};

/// An example operation from the repository, as a user would paste it.
fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/operations")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_classifies_assesses_and_switches_to_french() {
    let started = Instant::now();
    let Some(tools) = Tools::find().unwrap_or_else(|e| panic!("{e:#}")) else {
        return;
    };
    let shots = harness::screenshot_dir().unwrap();
    let base = harness::start_server().await.unwrap();
    let profile = TempDir::new("vigil-e2e-chromium").unwrap();
    let driver = Chromedriver::start(&tools, &shots.join("chromedriver.log")).unwrap();
    let mut browser = Browser::open(&tools, &driver, &profile.0, base, shots.clone())
        .await
        .unwrap();

    // Close the browser whatever happened, then report.
    let outcome = story(&mut browser).await;
    let closed = browser.client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    closed.unwrap();
    eprintln!(
        "browser story passed in {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        shots.display()
    );
}

async fn story(b: &mut Browser) -> anyhow::Result<()> {
    // 1. The home page. First prove that console errors are seen at all: a check that could not
    //    fail would be worse than none.
    b.goto("/").await?;
    b.wait_css("main h1").await?;
    b.client
        .execute(
            "console.error('vigil-e2e: console self-check'); \
             setTimeout(function () { throw new Error('vigil-e2e: uncaught self-check'); }, 0);",
            vec![],
        )
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let seen = b.console_errors().await?;
    for probe in ["console self-check", "uncaught self-check"] {
        ensure!(
            seen.iter().any(|m| m.contains(probe)),
            "the browser console log misses the {probe} (got {seen:?}): errors would go unnoticed"
        );
    }
    ensure!(
        b.client.title().await? == "Vigil · Vigil",
        "home page title: {}",
        b.client.title().await?
    );
    ensure!(b.text("main h1").await? == "Vigil");
    ensure!(b.page_text().await?.contains("Export-control compliance"));
    b.step("home").await?;

    // 2. Classify: the form, with labelled fields.
    b.click_link("Classify a product", "textarea#description")
        .await?;
    ensure!(b.path().await? == "/classify");
    ensure!(b.text("label[for=description]").await? == "Product description");
    b.step("classify-form").await?;

    // 3. Describe an IMSI catcher and submit.
    b.type_into(
        "#description",
        "Portable IMSI catcher: a cell-site simulator that intercepts mobile phones over the air \
         interface and extracts their IMSI and IMEI identifiers, for covert surveillance.",
    )
    .await?;
    b.wait_css("#kind")
        .await?
        .select_by_value("hardware")
        .await?;
    b.step("classify-filled").await?;
    b.submit("section.result").await?;
    let result = b.text("section.result").await?;
    let first = b.text("section.result tbody tr td a").await?;
    ensure!(
        first == "5A001.f.2",
        "the best candidate is 5A001.f.2, not {first}:\n{result}"
    );
    ensure!(
        result.contains("Cyber-surveillance item (Art. 2(20))"),
        "the Art. 2(20) reading is shown:\n{result}"
    );
    ensure!(result.contains("Covert surveillance of natural persons"));
    ensure!(
        b.wait_css("#description")
            .await?
            .prop("value")
            .await?
            .as_deref()
            == Some(
                "Portable IMSI catcher: a cell-site simulator that intercepts mobile phones over \
                 the air interface and extracts their IMSI and IMEI identifiers, for covert \
                 surveillance."
            ),
        "the form keeps what was typed"
    );
    b.step("classify-result").await?;

    // 4. Follow the candidate to its Annex I entry.
    b.click_link("5A001.f.2", "main h1").await?;
    ensure!(b.path().await? == "/law/5A001.f.2");
    let h1 = b.text("main h1").await?;
    ensure!(h1 == "Annex I entry 5A001.f.2", "entry page heading: {h1}");
    b.step("law-entry").await?;

    // 5. Assess: paste an example operation and submit.
    b.click_link("Assess an operation", "textarea#operation")
        .await?;
    ensure!(b.path().await? == "/assess");
    b.type_into("#operation", &example("imsi-catcher-to-uae-police.json"))
        .await?;
    b.step("assess-filled").await?;
    b.submit("section.result .decision").await?;
    let decision = b.text("section.result .decision").await?;
    ensure!(
        decision == "Licence required",
        "decision: {decision}\n{}",
        b.text("section.result").await?
    );
    let mut citations = Vec::new();
    for a in b
        .client
        .find_all(Locator::Css("section.result li a"))
        .await?
    {
        citations.push((a.text().await?, a.attr("href").await?.unwrap_or_default()));
    }
    ensure!(
        citations
            .iter()
            .any(|(t, h)| t.contains("5A001.f.2") && h == "/law/5A001.f.2"),
        "the Annex I citation links to its entry page: {citations:?}"
    );
    ensure!(
        citations.iter().any(|(_, h)| h.starts_with("https://")),
        "articles link to the official text: {citations:?}"
    );
    b.step("assess-result").await?;

    // 6. The citation opens the law text in Vigil.
    let (text, _) = citations
        .iter()
        .find(|(_, h)| h == "/law/5A001.f.2")
        .context("no internal citation")?
        .clone();
    b.click_link(&text, "main h1").await?;
    ensure!(b.path().await? == "/law/5A001.f.2");
    b.step("citation").await?;

    // 7. An invalid operation: the error is next to the field, and the input is kept.
    b.goto("/assess").await?;
    let invalid = example("imsi-catcher-to-uae-police.json")
        .replace("\"destination\": \"AE\"", "\"destination\": \"Atlantis\"");
    ensure!(invalid.contains("Atlantis"));
    b.type_into("#operation", &invalid).await?;
    b.submit("#operation-error").await?;
    let field = b.wait_css("#operation").await?;
    ensure!(field.attr("aria-invalid").await?.as_deref() == Some("true"));
    ensure!(field.attr("aria-describedby").await?.as_deref() == Some("operation-error"));
    ensure!(
        field
            .prop("value")
            .await?
            .is_some_and(|v| v.contains("Atlantis")),
        "the operation typed is kept"
    );
    let alert = b.text("[role=alert]").await?;
    ensure!(
        alert.contains("Please correct the fields below.") && alert.contains("destination"),
        "the error names the bad field: {alert}"
    );
    ensure!(
        b.client
            .find_all(Locator::Css("section.result"))
            .await?
            .is_empty(),
        "no decision for an invalid operation"
    );
    // The 422 status of the answer is the only console error, and it must be there.
    let expected = format!(
        "{}/assess - Failed to load resource: the server responded with a status of 422",
        b.base
    );
    b.step_expecting("assess-invalid", &[&expected]).await?;

    // 8. Switch to French: labels, buttons and decisions in French, and the choice sticks.
    b.click_link("Français", "html[lang=fr]").await?;
    ensure!(b.text("main h1").await? == "Évaluer une opération d'exportation");
    ensure!(b.text("label[for=operation]").await? == "Opération (JSON)");
    ensure!(b.text("main form button[type=submit]").await? == "Évaluer");
    b.step("assess-fr").await?;
    b.type_into("#operation", &example("imsi-catcher-to-uae-police.json"))
        .await?;
    b.submit("section.result .decision").await?;
    ensure!(b.text("section.result .decision").await? == "Licence requise");
    ensure!(b.text("section.result").await?.contains("Droit appliqué"));
    b.step("assess-fr-result").await?;
    b.click_link("Classer un produit", "textarea#description")
        .await?;
    ensure!(b.wait_css("html[lang=fr]").await.is_ok());
    ensure!(b.text("label[for=description]").await? == "Description du produit");
    ensure!(b.text("main form button[type=submit]").await? == "Classer");
    b.step("classify-fr").await?;
    Ok(())
}
