//! The release flow in the browser: an operator creates a blocked operation, an officer releases
//! it; the creator cannot (four eyes).
//!
//! Screenshots go to `e2e-screenshots/release/` beside the main story's; any console error
//! fails the story, except the one 422 answer of a release without a reason, which must appear.

use std::time::Instant;

use anyhow::{Context, ensure};
use fantoccini::Locator;
use vigil_store::accounts::{NewUser, parse_role};

use crate::harness::{self, Browser, Chromedriver, TempDir, Tools};

const PASSWORD: &str = "correct horse battery staple";
const ORG: &str = "Release Desk GmbH";

/// The story's screenshot folder: `e2e-screenshots/release` (emptied), created once the main
/// story has had its chance to empty `e2e-screenshots`.
fn shot_dir() -> anyhow::Result<std::path::PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        std::path::PathBuf::from,
    );
    let dir = target.join("e2e-screenshots").join("release");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_releases_what_an_operator_cannot() {
    let started = Instant::now();
    let Some(tools) = Tools::find().unwrap_or_else(|e| panic!("{e:#}")) else {
        return;
    };
    let db = TempDir::new("vigil-e2e-release-db").unwrap();
    let (base, _setup) = harness::start_server(&db.0).await.unwrap();
    // The two users, made in the server's database (as `vigil admin create-user` would).
    let store =
        vigil_store::Store::open(&format!("sqlite://{}", db.0.join("vigil.db").display())).unwrap();
    let mut org = String::new();
    for (email, name, role) in [
        (
            "olga@release.example",
            "Olga Operator",
            parse_role("operator").unwrap(),
        ),
        (
            "felix@release.example",
            "Felix Officer",
            parse_role("officer").unwrap(),
        ),
    ] {
        let (_, o) = store
            .admin_create_user(
                &NewUser {
                    email,
                    display_name: name,
                    password: PASSWORD,
                },
                ORG,
                role,
                "e2e",
            )
            .unwrap();
        org = o.id;
    }
    drop(store);
    let profile = TempDir::new("vigil-e2e-release-chromium").unwrap();
    let driver = Chromedriver::start(&tools, &profile.0.join("chromedriver.log")).unwrap();
    let shots = shot_dir().unwrap();
    let mut browser = Browser::open(&tools, &driver, &profile.0, base, shots.clone())
        .await
        .unwrap();
    let outcome = story(&mut browser, &org).await;
    let closed = browser.client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    closed.unwrap();
    eprintln!(
        "release story passed in {:.1} s; screenshots in {}",
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

async fn sign_in(b: &mut Browser, email: &str) -> anyhow::Result<()> {
    b.goto("/login").await?;
    b.type_into("#email", email).await?;
    b.type_into("#password", PASSWORD).await?;
    b.submit("header form[action='/logout']").await?;
    Ok(())
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
    // 1. The operator signs in and records an operation that needs a licence.
    sign_in(b, "olga@release.example").await?;
    b.goto(&format!("/orgs/{org}/operations")).await?;
    let json = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/operations/imsi-catcher-to-uae-police.json"),
    )?;
    b.type_into("#operation", &json).await?;
    b.step("release-operation-form").await?;
    press(
        b,
        &format!("main form[action='/orgs/{org}/operations'] button[type=submit]"),
        "#review-link",
    )
    .await?;
    let status = b.text("main h1 + p strong").await?;
    ensure!(
        status == "Blocked",
        "a licence_required operation is blocked: {status}"
    );
    let operation = b.path().await?;
    b.step("release-operation-blocked").await?;

    // 2. Its review page: the hold, and why its creator cannot release it.
    b.click_link("Review and release", "#holds").await?;
    let review = b.path().await?;
    ensure!(review == format!("{operation}/review"), "{review}");
    let note = b.text("#four-eyes").await?;
    ensure!(
        note.contains("four eyes"),
        "the four-eyes rule is shown: {note}"
    );
    ensure!(
        b.client
            .find_all(Locator::Css("form[id^='release-']"))
            .await?
            .is_empty(),
        "no release form for the operator"
    );
    ensure!(b.text("#holds").await?.contains("Open"));
    b.step("release-operator-cannot").await?;

    // 3. The officer signs in and opens the same review page.
    press(b, "header form[action='/logout'] button", "main h1").await?;
    sign_in(b, "felix@release.example").await?;
    b.goto(&review).await?;
    b.wait_css("form[id^='release-']").await?;
    ensure!(
        b.client
            .find_all(Locator::Css("#four-eyes"))
            .await?
            .is_empty(),
        "the officer did not create it"
    );
    b.step("release-officer-form").await?;

    // 4. Without a reason: refused next to the field, nothing released.
    b.wait_css("form[id^='release-'] select[name=kind]")
        .await?
        .select_by_value("review")
        .await?;
    press(
        b,
        "form[id^='release-'] button[type=submit]",
        "#release-errors",
    )
    .await?;
    let field = b
        .wait_css("form[id^='release-'] textarea[name=reason]")
        .await?;
    ensure!(field.attr("aria-invalid").await?.as_deref() == Some("true"));
    ensure!(b.text("[id^='reason-'][id$='-error']").await? == "A reason is required.");
    ensure!(b.text("#op-status").await? == "Blocked");
    b.step_expecting(
        "release-no-reason",
        &["Failed to load resource: the server responded with a status of 422"],
    )
    .await?;

    // 5. With a reason: released, the record frozen, the release shown.
    b.wait_css("form[id^='release-'] select[name=kind]")
        .await?
        .select_by_value("review")
        .await?;
    b.type_into(
        "form[id^='release-'] textarea[name=reason]",
        "End-user statement checked against the ministry's letter; red flags cleared.",
    )
    .await?;
    press(b, "form[id^='release-'] button[type=submit]", "#frozen").await?;
    ensure!(b.text("#op-status").await? == "Released");
    let holds = b.text("#holds").await?;
    ensure!(
        holds.contains("Released by Felix Officer") && holds.contains("End-user statement checked"),
        "the release is recorded: {holds}"
    );
    b.step("release-done").await?;
    Ok(())
}
