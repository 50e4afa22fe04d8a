//! Vigil in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`), driven
//! over WebDriver with fantoccini, walks the story of a new user against a server on 127.0.0.1
//! with a fresh SQLite database: the stateless tools (classify, the law, assess, an invalid
//! operation), then the workspace of issue 5 — the first-start setup link creates the
//! administrator, who signs in, creates an organisation, adds an operator, adds an item and saves
//! its classification record, adds parties, records an operation from the form and reads its
//! decision with the citations linked to the law, switches the interface to French (a translated
//! label and a French date) and signs out (a protected page then sends to the sign-in page).
//! Each step saves a screenshot under `target/e2e-screenshots/` (`CARGO_TARGET_DIR` if set) and
//! fails on any browser console error (read from chromedriver's log, so load failures, CSP
//! violations and uncaught exceptions count too).
//!
//! Without Chromium or chromedriver the test is skipped with a notice, except in CI (`CI=true`),
//! where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod due_diligence;
mod harness;
mod release;

use std::time::Instant;

use anyhow::{Context, bail, ensure};
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
    let db = TempDir::new("vigil-e2e-db").unwrap();
    let (base, setup_token) = harness::start_server(&db.0).await.unwrap();
    let profile = TempDir::new("vigil-e2e-chromium").unwrap();
    let driver = Chromedriver::start(&tools, &shots.join("chromedriver.log")).unwrap();
    let mut browser = Browser::open(&tools, &driver, &profile.0, base, shots.clone())
        .await
        .unwrap();

    // Close the browser whatever happened, then report.
    let outcome = story(&mut browser, &setup_token).await;
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

async fn story(b: &mut Browser, setup_token: &str) -> anyhow::Result<()> {
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

    // 8–17. The workspace of issue 5, from the first start to the decision of an operation.
    let org = workspace(b, setup_token).await?;

    // 18. Switch to French on the operation's page: labels and the date in French.
    let operation = b.path().await?;
    b.click_link("Français", "html[lang=fr]").await?;
    ensure!(
        b.text("section.result .decision").await? == "Licence requise",
        "the decision in French"
    );
    let text = b.page_text().await?;
    ensure!(
        text.contains("État : ") || text.contains("État:"),
        "a translated label: {text}"
    );
    ensure!(text.contains("Droit appliqué"), "{text}");
    ensure!(
        french_dates().iter().any(|d| text.contains(d.as_str())),
        "the creation date in French (one of {:?}): {text}",
        french_dates()
    );
    ensure!(!text.contains("Created"), "no English label left: {text}");
    b.step("operation-fr").await?;

    // 19. The choice sticks: French as the account's language, then the operation again.
    b.goto("/account").await?;
    b.wait_css("#language").await?.select_by_value("fr").await?;
    press(
        b,
        "form[action='/account/language'] button[type=submit]",
        "html[lang=fr]",
    )
    .await?;
    b.step("account-fr").await?;
    b.goto(&operation).await?;
    b.wait_css("html[lang=fr]").await?;
    ensure!(b.text("section.result .decision").await? == "Licence requise");
    b.step("operation-fr-again").await?;

    // 20. The stateless pages in French too.
    b.goto("/assess").await?;
    b.wait_css("main h1").await?;
    if b.client.find(Locator::Css("html[lang=fr]")).await.is_err() {
        b.click_link("Français", "html[lang=fr]").await?;
    }
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

    // 21. Sign out: the session is gone, and a protected page sends to the sign-in page.
    let logout = b.wait_css("header form[action='/logout'] button").await?;
    ensure!(logout.text().await? == "Se déconnecter");
    click_to(b, logout, "main h1").await?;
    ensure!(
        b.client
            .find_all(Locator::Css("header form[action='/logout']"))
            .await?
            .is_empty(),
        "signed out: the header offers sign-in"
    );
    b.goto(&format!("/orgs/{org}/operations")).await?;
    b.wait_css("form[action='/login']").await?;
    let path = b.path().await?;
    ensure!(
        path.starts_with("/login"),
        "a protected page after sign-out sends to the sign-in page, not {path}"
    );
    b.step("signed-out").await?;
    Ok(())
}

/// The password of the story's users.
const PASSWORD: &str = "correct horse battery staple";

/// Clicks `target` (a button or link), waits until a new document has replaced this one, then for
/// `then` on it (as the harness's `submit` does, for a button that is not the page's first).
async fn click_to(
    b: &Browser,
    target: fantoccini::elements::Element,
    then: &str,
) -> anyhow::Result<()> {
    b.client
        .execute("window.vigilE2eOldPage = true;", vec![])
        .await?;
    target.click().await?;
    let started = Instant::now();
    loop {
        let old = b
            .client
            .execute("return window.vigilE2eOldPage === true;", vec![])
            .await;
        if matches!(old, Ok(serde_json::Value::Bool(false))) {
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(15) {
            bail!("no new page within 15 s after a click (waiting for `{then}`)");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.wait_css(then).await?;
    Ok(())
}

/// Clicks the submit button `button` (a CSS selector), then waits for `then`.
async fn press(b: &Browser, button: &str, then: &str) -> anyhow::Result<()> {
    let target = b.wait_css(button).await?;
    click_to(b, target, then).await
}

/// Today's date as the French pages write a creation time (`25 nov. 2026 à`), for today and, in
/// case the story crossed midnight, yesterday (UTC).
fn french_dates() -> Vec<String> {
    const MONTHS: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    let now = time::OffsetDateTime::now_utc();
    [now, now - time::Duration::minutes(5)]
        .iter()
        .map(|t| {
            let m = usize::from(u8::from(t.month())) - 1;
            format!("{} {} {} à", t.day(), MONTHS[m], t.year())
        })
        .collect()
}

/// The id in `/orgs/{id}…` of the current page.
async fn org_of(b: &Browser) -> anyhow::Result<String> {
    let path = b.path().await?;
    path.strip_prefix("/orgs/")
        .and_then(|p| p.split(['/', '?']).next())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .with_context(|| format!("not an organisation page: {path}"))
}

/// The workspace story (steps 8–17): setup, sign-in, an organisation, an operator, an item
/// classified, parties, an operation and its decision. Returns the organisation's id.
async fn workspace(b: &mut Browser, setup_token: &str) -> anyhow::Result<String> {
    // 8. The one-time setup link that the first start prints creates the administrator.
    b.goto(&format!("/setup/{setup_token}")).await?;
    ensure!(b.text("main h1").await? == "Create the first administrator");
    b.type_into("#org_name", "Aerwave GmbH").await?;
    b.type_into("#email", "anna@aerwave.example").await?;
    b.type_into("#display_name", "Anna Admin").await?;
    b.type_into("#password", PASSWORD).await?;
    b.type_into("#password_confirm", PASSWORD).await?;
    b.step("setup").await?;
    b.submit("header form[action='/logout']").await?;
    ensure!(b.text("main h1").await? == "Aerwave GmbH");
    b.step("setup-done").await?;
    // The link works once.
    b.goto(&format!("/setup/{setup_token}")).await?;
    b.wait_css("main h1").await?;
    ensure!(
        !b.page_text()
            .await?
            .contains("Create the first administrator"),
        "the setup link is spent"
    );
    b.step_expecting(
        "setup-spent",
        &["Failed to load resource: the server responded with a status of 404"],
    )
    .await?;

    // 9. Sign out, then sign in with the new account.
    press(b, "header form[action='/logout'] button", "main h1").await?;
    b.click_link("Sign in", "input#email").await?;
    b.type_into("#email", "anna@aerwave.example").await?;
    b.type_into("#password", PASSWORD).await?;
    b.step("login").await?;
    b.submit("header form[action='/logout']").await?;
    b.step("signed-in").await?;

    // 10. A second organisation, the export desk the story works in.
    b.goto("/orgs").await?;
    b.type_into("#name", "Aerwave Export Desk").await?;
    b.step("org-new").await?;
    b.submit("main .cards").await?;
    ensure!(b.text("main h1").await? == "Aerwave Export Desk");
    let org = org_of(b).await?;
    ensure!(
        b.page_text().await?.contains("Administrator"),
        "the creator administers it"
    );
    b.step("org").await?;

    // 11. An operator joins (a new account with an initial password).
    b.click_link("Members", "#new-role").await?;
    b.type_into("#email", "omar@aerwave.example").await?;
    b.wait_css("#new-role")
        .await?
        .select_by_value("operator")
        .await?;
    b.type_into("#display_name", "Omar Operator").await?;
    b.type_into("#password", "an initial password 1").await?;
    b.step("member-new").await?;
    press(
        b,
        &format!("form[action='/orgs/{org}/members'] button[type=submit]"),
        "main table",
    )
    .await?;
    let members = b.text("main table").await?;
    ensure!(
        members.contains("omar@aerwave.example") && members.contains("Anna Admin"),
        "{members}"
    );
    ensure!(b.path().await? == format!("/orgs/{org}/members"));
    b.step("members").await?;

    // 12. An item, classified on its page, and its classification record saved.
    b.goto(&format!("/orgs/{org}/items")).await?;
    b.type_into("#name", "AW-CELLSCOPE").await?;
    b.wait_css("#kind")
        .await?
        .select_by_value("hardware")
        .await?;
    b.type_into(
        "#description",
        "Portable IMSI catcher: a cell-site simulator that intercepts mobile phones over the air \
         interface and extracts their IMSI and IMEI identifiers, for covert surveillance.",
    )
    .await?;
    b.step("item-new").await?;
    b.submit("form[action$='/classify']").await?;
    ensure!(b.text("main h1").await?.starts_with("AW-CELLSCOPE"));
    b.step("item").await?;
    press(
        b,
        "form[action$='/classify'] button[type=submit]:not([name=save])",
        "section.result",
    )
    .await?;
    let first = b.text("section.result tbody tr td a").await?;
    ensure!(
        first == "5A001.f.2",
        "the best candidate is 5A001.f.2, not {first}"
    );
    ensure!(
        b.wait_css("#entries")
            .await?
            .prop("value")
            .await?
            .as_deref()
            == Some("5A001.f.2"),
        "the best candidate is proposed"
    );
    b.type_into("#version_label", "v1").await?;
    b.wait_css("input[name=cyber_surveillance][value=yes]")
        .await?
        .click()
        .await?;
    b.step("item-classified").await?;
    press(b, "button[name=save]", "main table").await?;
    let records = b.text("main table").await?;
    ensure!(
        records.contains("v1") && records.contains("5A001.f.2") && records.contains("Anna Admin"),
        "the classification record is saved: {records}"
    );
    b.step("item-record").await?;

    // 13. The parties of the contract.
    for (role, name) in [
        ("consignee", "Gulf Secure Trading LLC"),
        (
            "end_user",
            "Ministry of Interior, Criminal Investigation Department",
        ),
    ] {
        b.goto(&format!("/orgs/{org}/parties")).await?;
        b.wait_css("#role").await?.select_by_value(role).await?;
        b.type_into("#name", name).await?;
        b.type_into("#country", "AE").await?;
        b.submit("main h1").await?;
        ensure!(
            b.page_text().await?.contains(name),
            "the party is created and shown"
        );
    }
    b.goto(&format!("/orgs/{org}/parties")).await?;
    let parties = b.text("main table").await?;
    ensure!(
        parties.contains("Gulf Secure Trading LLC") && parties.contains("Ministry of Interior"),
        "{parties}"
    );
    b.step("parties").await?;

    // 14. An operation built in the form from the item and the parties.
    b.goto(&format!("/orgs/{org}/operations")).await?;
    b.type_into("#reference", "EXP-2026-0107").await?;
    b.wait_css("#op_type")
        .await?
        .select_by_value("export")
        .await?;
    b.type_into("#exporter_name", "Aerwave GmbH").await?;
    b.type_into("#exporter_country", "DE").await?;
    b.type_into("#destination", "AE").await?;
    b.wait_css("#item")
        .await?
        .select_by_label("AW-CELLSCOPE")
        .await?;
    b.wait_css("#party_1")
        .await?
        .select_by_label("Gulf Secure Trading LLC (Consignee, AE)")
        .await
        .context("the consignee in the party list")?;
    b.wait_css("#party_2")
        .await?
        .select_by_label("Ministry of Interior, Criminal Investigation Department (End user, AE)")
        .await
        .context("the end user in the party list")?;
    b.type_into(
        "#end_use",
        "Locating mobile phones of suspects in criminal investigations",
    )
    .await?;
    b.wait_css("#end_user_type")
        .await?
        .select_by_value("government_security")
        .await?;
    b.step("operation-new").await?;
    press(
        b,
        &format!("form[action='/orgs/{org}/operations'] button[type=submit]"),
        "section.result .decision",
    )
    .await?;

    // 15. The decision, with its citations linked to the law.
    let decision = b.text("section.result .decision").await?;
    ensure!(
        decision == "Licence required",
        "decision: {decision}\n{}",
        b.text("section.result").await?
    );
    ensure!(b.text("main h1").await?.starts_with("EXP-2026-0107"));
    ensure!(
        b.page_text().await?.contains("Blocked"),
        "a licence blocks the operation"
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
        citations
            .iter()
            .any(|(_, h)| h.starts_with("https://eur-lex.europa.eu/")),
        "articles link to the official text: {citations:?}"
    );
    let operation = b.path().await?;
    b.step("operation-decision").await?;

    // 16. The citation opens the entry of the law.
    let (text, _) = citations
        .iter()
        .find(|(_, h)| h == "/law/5A001.f.2")
        .context("no internal citation")?
        .clone();
    b.click_link(&text, "main h1").await?;
    ensure!(b.path().await? == "/law/5A001.f.2");
    ensure!(b.text("main h1").await? == "Annex I entry 5A001.f.2");
    b.step("operation-citation").await?;

    // 17. The operation is listed with its decision, and the organisation's page shows it blocked.
    b.goto(&format!("/orgs/{org}/operations")).await?;
    let list = b.text("main table").await?;
    ensure!(
        list.contains("EXP-2026-0107") && list.contains("Licence required"),
        "{list}"
    );
    b.goto(&format!("/orgs/{org}")).await?;
    ensure!(b.text("ul.blocked").await?.contains("EXP-2026-0107"));
    b.step("org-blocked").await?;

    // 17b. More operations at once from a CSV file (the ERP export), uploaded on the page that
    //      documents the format; each line gets its decision.
    b.goto(&format!("/orgs/{org}/operations/batch")).await?;
    ensure!(b.text("#csv-columns").await?.contains("exporter_country"));
    let csv = std::env::temp_dir().join(format!("vigil-e2e-{}.csv", std::process::id()));
    std::fs::write(
        &csv,
        "reference,type,date,destination,exporter_name,exporter_country,item,quantity,unit,parties,end_use,end_user_type\n\
         EXP-2026-0201,export,2026-05-04,AE,Aerwave GmbH,DE,AW-CELLSCOPE,2,pieces,\"Gulf Secure Trading LLC;Ministry of Interior, Criminal Investigation Department\",Locating mobile phones of suspects,government_security\n",
    )?;
    b.wait_css("#csv-file")
        .await?
        .send_keys(&csv.display().to_string())
        .await?;
    b.step("csv-upload").await?;
    press(
        b,
        &format!("form[action='/orgs/{org}/operations/batch'] button[type=submit]"),
        "#csv-operations",
    )
    .await?;
    let _ = std::fs::remove_file(&csv);
    let created = b.text("#csv-operations").await?;
    ensure!(
        created.contains("EXP-2026-0201") && created.contains("Licence required"),
        "{created}"
    );
    b.step("csv-created").await?;

    b.goto(&operation).await?;
    b.wait_css("section.result .decision").await?;
    Ok(org)
}
