//! What the browser story needs around it: the Vigil server, chromedriver, a headless Chromium
//! session, screenshots and the browser console.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use base64::Engine as _;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// Where Debian's `chromium` package puts the browser (`VIGIL_CHROMIUM` overrides).
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian's `chromium-driver` package puts the driver (`VIGIL_CHROMEDRIVER` overrides).
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long to wait for a page element, or for chromedriver to answer.
const WAIT: Duration = Duration::from_secs(15);

/// The fixed "today" of the server under test (the examples are dated before it).
fn today() -> time::Date {
    time::macros::date!(2026 - 06 - 01)
}

/// Starts the Vigil server on `127.0.0.1:0` in this runtime, with a fresh SQLite database in
/// `dir` (no user yet), and returns its base URL and the one-time setup token that `vigil serve`
/// prints on a first start (the link `/setup/{token}` creates the first administrator).
///
/// The one place that knows how the server is built: adapt it when `AppState` changes.
pub async fn start_server(dir: &Path) -> anyhow::Result<(String, String)> {
    let store = vigil_store::Store::open(&format!("sqlite://{}", dir.join("vigil.db").display()))?;
    let state = vigil_server::AppState::embedded(today)?.with_store(store, false);
    let token = state
        .accounts
        .as_ref()
        .context("the server has no accounts")?
        .setup_token()?
        .context("a fresh database offers a setup link")?;
    let app = vigil_server::Application::bind(SocketAddr::from(([127, 0, 0, 1], 0)), state).await?;
    let addr = app.local_addr()?;
    tokio::spawn(app.serve());
    Ok((format!("http://{addr}"), token))
}

/// The browser and its driver, or why they cannot be used.
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

impl Tools {
    /// Finds Chromium and chromedriver. `Ok(None)` means "skip": they are missing and this is not
    /// CI. In CI (`CI` set to anything but `false`/`0`), missing tools are an error.
    pub fn find() -> anyhow::Result<Option<Tools>> {
        let chromium = tool_path("VIGIL_CHROMIUM", CHROMIUM);
        let chromedriver = tool_path("VIGIL_CHROMEDRIVER", CHROMEDRIVER);
        let missing: Vec<String> = [&chromium, &chromedriver]
            .into_iter()
            .filter(|p| !p.is_file())
            .map(|p| p.display().to_string())
            .collect();
        if missing.is_empty() {
            return Ok(Some(Tools {
                chromium,
                chromedriver,
            }));
        }
        let message = format!(
            "browser tests need {} (Debian packages `chromium` and `chromium-driver`: \
             `apt-get install -y chromium chromium-driver`; .ci/run installs them)",
            missing.join(" and ")
        );
        if in_ci() {
            bail!("{message}; CI must run the browser tests");
        }
        eprintln!("SKIPPED: {message}");
        Ok(None)
    }
}

fn tool_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// `target/e2e-screenshots` (under `CARGO_TARGET_DIR` when it is set), emptied.
pub fn screenshot_dir() -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("e2e-screenshots");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// A chromedriver process on a free loopback port, killed when dropped.
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Chromedriver {
    /// Starts chromedriver, logging to `log`, and waits until it answers.
    pub fn start(tools: &Tools, log: &Path) -> anyhow::Result<Chromedriver> {
        let port = free_port()?;
        // The log goes to `log`; what chromedriver prints (its banner, start-up failures) beside it.
        let out = std::fs::File::create(log.with_extension("out"))?;
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {}", tools.chromedriver.display()))?;
        let mut driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = driver.child.try_wait()? {
                bail!(
                    "chromedriver exited with {status} before listening; see {} and {}",
                    log.display(),
                    log.with_extension("out").display()
                );
            }
            if started.elapsed() > WAIT {
                bail!("chromedriver did not listen on port {port} within {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// The Chromium flags this machine needs: headless, as root (no sandbox), no GPU, and no
/// background traffic to Google's hosts (the network is closed: those connections fail and are
/// logged), in a fresh profile.
fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=en-GB",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// A headless Chromium session with the story's helpers.
pub struct Browser {
    pub client: Client,
    pub base: String,
    shots: PathBuf,
    step: u32,
}

impl Browser {
    /// Opens a session on `driver`, with the browser console log enabled.
    pub async fn open(
        tools: &Tools,
        driver: &Chromedriver,
        profile: &Path,
        base: String,
        shots: PathBuf,
    ) -> anyhow::Result<Browser> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": tools.chromium.display().to_string(),
                "args": chromium_args(profile),
            }),
        );
        // Everything the page writes to the console, plus failed loads, CSP violations and
        // uncaught exceptions, readable through chromedriver's log endpoint.
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .context("opening a Chromium session through chromedriver")?;
        Ok(Browser {
            client,
            base,
            shots,
            step: 0,
        })
    }

    /// Goes to `path` on the server.
    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> anyhow::Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// Waits for the CSS `selector` to match.
    pub async fn wait_css(&self, selector: &str) -> anyhow::Result<fantoccini::elements::Element> {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(selector))
            .await
        {
            Ok(element) => Ok(element),
            Err(e) => Err(anyhow!(e).context(format!(
                "waiting for `{selector}` on {}",
                self.describe().await
            ))),
        }
    }

    /// The visible text of the first element matching `selector`.
    pub async fn text(&self, selector: &str) -> anyhow::Result<String> {
        Ok(self.wait_css(selector).await?.text().await?)
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> anyhow::Result<String> {
        self.text("body").await
    }

    /// Clicks the link whose text is exactly `text`, then waits for `then` on the next page.
    pub async fn click_link(&self, text: &str, then: &str) -> anyhow::Result<()> {
        let link = match self.client.find(Locator::LinkText(text)).await {
            Ok(link) => link,
            Err(e) => {
                return Err(
                    anyhow!(e).context(format!("no link `{text}` on {}", self.describe().await))
                );
            }
        };
        self.navigate(link, then).await
    }

    /// Types `text` into the field `selector` (after clearing it), as a person would.
    pub async fn type_into(&self, selector: &str, text: &str) -> anyhow::Result<()> {
        let field = self.wait_css(selector).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Clicks the submit button of the page's form, then waits for `then` on the answer.
    pub async fn submit(&self, then: &str) -> anyhow::Result<()> {
        let button = self.wait_css("main form button[type=submit]").await?;
        self.navigate(button, then).await
    }

    /// Clicks `target`, waits until a new document has replaced this one (even at the same URL,
    /// as after a form post), then waits for `then` on it: a selector that the old page also
    /// matched cannot pass too early.
    async fn navigate(
        &self,
        target: fantoccini::elements::Element,
        then: &str,
    ) -> anyhow::Result<()> {
        self.client
            .execute("window.vigilE2eOldPage = true;", vec![])
            .await?;
        target.click().await?;
        let started = Instant::now();
        loop {
            // While the next page loads, the script may fail; that is "not yet".
            let old = self
                .client
                .execute("return window.vigilE2eOldPage === true;", vec![])
                .await;
            if matches!(old, Ok(serde_json::Value::Bool(false))) {
                break;
            }
            if started.elapsed() > WAIT {
                bail!(
                    "no new page within {WAIT:?} after a click; still on {}",
                    self.describe().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.wait_css(then).await?;
        Ok(())
    }

    /// Saves a PNG of the whole page as `NN-name.png` and checks the console: any error logged
    /// since the last step fails the story.
    pub async fn step(&mut self, name: &str) -> anyhow::Result<()> {
        self.step_expecting(name, &[]).await
    }

    /// [`Browser::step`], where each of `expected` must be logged as an error exactly once (a
    /// 422 answer to a bad form is logged by Chromium as a failed load) and nothing else may be.
    pub async fn step_expecting(&mut self, name: &str, expected: &[&str]) -> anyhow::Result<()> {
        self.step += 1;
        let png = self.full_page_png().await?;
        let file = self.shots.join(format!("{:02}-{name}.png", self.step));
        std::fs::write(&file, png).with_context(|| format!("writing {}", file.display()))?;
        let mut errors = self.console_errors().await?;
        for want in expected {
            let Some(i) = errors.iter().position(|e| e.contains(want)) else {
                bail!(
                    "step {:02}-{name}: expected the console error `{want}`, got {errors:?}",
                    self.step
                );
            };
            errors.remove(i);
        }
        if !errors.is_empty() {
            bail!(
                "browser console errors at step {:02}-{name} ({}):\n  {}",
                self.step,
                self.describe().await,
                errors.join("\n  ")
            );
        }
        Ok(())
    }

    /// A PNG of the whole page, not only the viewport (through Chromium's DevTools protocol,
    /// which chromedriver relays), so results below the fold are in the picture.
    async fn full_page_png(&self) -> anyhow::Result<Vec<u8>> {
        let size = self
            .client
            .execute(
                "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight];",
                vec![],
            )
            .await?;
        let (width, height) = (
            size[0].as_u64().unwrap_or(1280),
            size[1].as_u64().unwrap_or(1000),
        );
        let shot = self
            .client
            .issue_cmd(Cdp {
                cmd: "Page.captureScreenshot",
                params: json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                }),
            })
            .await?;
        let data = shot["data"]
            .as_str()
            .ok_or_else(|| anyhow!("no screenshot data in {shot}"))?;
        Ok(base64::engine::general_purpose::STANDARD.decode(data)?)
    }

    /// The console entries since the last call (chromedriver drains its buffer on each read).
    pub async fn console(&self) -> anyhow::Result<Vec<LogEntry>> {
        let raw = self.client.issue_cmd(BrowserLog).await?;
        let entries = raw
            .as_array()
            .ok_or_else(|| anyhow!("browser log is not a list: {raw}"))?;
        Ok(entries
            .iter()
            .map(|e| LogEntry {
                level: e["level"].as_str().unwrap_or_default().to_owned(),
                message: e["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    /// The console errors (level SEVERE) since the last call.
    pub async fn console_errors(&self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .console()
            .await?
            .into_iter()
            .filter(|e| e.level == "SEVERE")
            .map(|e| e.message)
            .collect())
    }

    /// Where the browser is, for error messages.
    async fn describe(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map_or_else(|e| format!("(no URL: {e})"), |u| u.to_string());
        format!("{url} (screenshots in {})", self.shots.display())
    }
}

/// One browser console entry.
#[derive(Debug)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

/// Chromedriver's log endpoint (`POST /session/{id}/se/log`, type `browser`), which fantoccini
/// has no method for.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

/// A Chrome DevTools protocol command, through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

/// A fresh, empty directory (the browser profile), removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> anyhow::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
