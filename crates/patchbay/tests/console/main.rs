//! The web console in a real headless Chromium, against the real binary
//! (whose embedded worker runs connection tests). Skipped, with the reason
//! printed, when chromium or chromedriver is not installed.
//!
//! With `PATCHBAY_SCREENSHOTS=<dir>` the run also saves the README's
//! screenshots of the list, detail and edit pages there.
#[path = "../support/mod.rs"]
mod support;
mod values;
mod webdriver;

use std::path::{Path, PathBuf};
use support::Options;
use webdriver::Browser;

pub use support::TempDir;

/// `patchbay serve` on a free port; stopped when dropped, then its data
/// directory removed.
struct Server {
    /// Held only so that dropping it stops the process.
    _process: support::Server,
    base: String,
    data: TempDir,
}

impl Server {
    fn start() -> Self {
        let data = TempDir::new("console-data");
        let server = support::Server::start(Options::new(&data.0));
        Self { base: server.url(), _process: server, data }
    }

    fn token(&self, role: &str) -> String {
        let email = format!("{role}@example.com");
        support::mint(&self.data.0, &["--org", "acme", "--role", role, "--ttl", "1h", "--email", &email])
    }

    /// A call to the API with an admin token; its JSON answer.
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token("admin"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap()
    }
}

fn screenshot_dir() -> Option<PathBuf> {
    std::env::var_os("PATCHBAY_SCREENSHOTS").map(PathBuf::from)
}

async fn save_screenshot(browser: &Browser, name: &str) {
    if let Some(dir) = screenshot_dir() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(name), browser.screenshot().await).unwrap();
    }
}

async fn sign_in(browser: &Browser, server: &Server, role: &str) {
    browser.goto(&format!("{}/signin", server.base)).await;
    browser.fill("#token", &server.token(role)).await;
    browser.navigate_by("form button[type=submit]").await;
    let url = browser.url().await;
    assert!(url.ends_with("/integrations"), "signed in as {role}: {url} {}", browser.source().await);
}

/// Every page's HTML seen during the run, to check no secret value leaks.
async fn source(browser: &Browser, seen: &mut Vec<String>) -> String {
    let html = browser.source().await;
    seen.push(html.clone());
    html
}

/// Sample integrations from templates, for screenshots only.
async fn seed_samples(server: &Server) {
    let token = server.token("admin");
    let http = reqwest::Client::new();
    for (template, name, description) in [
        ("github", "github-ci", "Release automation for the platform repositories"),
        ("redis", "session-cache", "Session cache in the EU region"),
        ("s3", "report-archive", "Monthly reports bucket"),
    ] {
        let response = http
            .post(format!("{}/api/v1/custom-integrations/from-template/{template}", server.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "name": name, "description": description }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{template}: {}", response.status());
    }
}

const SECRET_VALUE: &str = "pa55-Browser-Secret-Value";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start();
    let mut seen = Vec::new();
    let base = server.base.clone();

    // Sign in; the empty state explains what to do first.
    sign_in(&browser, &server, "admin").await;
    assert!(browser.text(".empty").await.contains("No integrations yet"));

    // Create from the postgres template: its fields are pre-filled.
    browser.goto(&format!("{base}/integrations/new")).await;
    browser.click("#template option[value=postgres]").await;
    browser.navigate_by("form.filters button").await;
    assert_eq!(browser.value("#integration_type").await, "postgres");
    assert!(browser.value("#env_vars").await.contains("PGHOST=localhost"));
    assert_eq!(browser.value("#secrets").await.trim(), "PGPASSWORD");
    let template = server.api(reqwest::Method::GET, "/api/v1/integration-templates/postgres", None).await;
    assert_eq!(browser.value("#test_command").await, template["config"]["connection_test"]["command"]);

    // A bad value: the API's 422 appears beside its field, and what was typed stays.
    browser.fill("#name", "orders-db").await;
    browser.fill("#description", "Orders, typed in a browser").await;
    browser.fill("#test_command", "echo reached $PGHOST as $PGUSER").await;
    browser.fill("#test_timeout", "900").await;
    browser.navigate_by("form.integration button[type=submit]").await;
    assert!(browser.text("#test_timeout-error").await.contains("less than or equal to 300"));
    assert_eq!(browser.count(".field.invalid").await, 1, "only the timeout is marked");
    assert_eq!(browser.value("#name").await, "orders-db");
    assert_eq!(browser.value("#description").await, "Orders, typed in a browser");
    assert_eq!(browser.value("#test_command").await, "echo reached $PGHOST as $PGUSER");
    assert_eq!(browser.value("#test_timeout").await, "900");
    assert!(browser.value("#env_vars").await.contains("PGHOST=localhost"));
    source(&browser, &mut seen).await;

    // Fix it and save.
    browser.fill("#test_timeout", "10").await;
    browser.navigate_by("form.integration button[type=submit]").await;
    assert!(browser.text(".notice").await.contains("Integration created"));
    let detail = browser.url().await.split('?').next().unwrap().to_owned();
    assert!(browser.text("h1").await.contains("orders-db"));
    assert_eq!(browser.count(".badge.missing").await, 1, "PGPASSWORD is missing");
    source(&browser, &mut seen).await;

    // Set the secret; the missing marker disappears.
    browser.goto(&format!("{base}/secrets")).await;
    assert!(browser.source().await.contains("PGPASSWORD"), "the missing secret is named");
    browser.fill("#name", "PGPASSWORD").await;
    browser.fill("#value", SECRET_VALUE).await;
    browser.navigate_by("form.secret button[type=submit]").await;
    assert!(browser.text(".notice").await.contains("Secret saved"));
    assert!(browser.text("table.list").await.contains("orders-db"), "the secret names its integration");
    source(&browser, &mut seen).await;
    browser.goto(&detail).await;
    assert_eq!(browser.count(".badge.missing").await, 0);
    assert!(browser.text("#secrets-h + ul").await.contains("present"));

    // Run the connection test (the embedded worker runs it) and see its result.
    browser.navigate_by("form[action$='/test'] button").await;
    assert!(browser.text(".notice").await.contains("Connection test finished"));
    assert_eq!(browser.text("table.tests tbody tr:first-child .badge").await, "passed");
    assert!(browser.text("table.tests pre.output").await.contains("reached localhost as postgres"));
    source(&browser, &mut seen).await;

    // Edit, see the change in history, and restore revision 1.
    browser.navigate_by("a.button[href$='/edit']").await;
    save_screenshot(&browser, "console-edit.png").await;
    browser.fill("#description", "Changed in the browser").await;
    browser.fill("#tags", "database, orders").await;
    browser.navigate_by("form.integration button[type=submit]").await;
    assert!(browser.text(".notice").await.contains("Changes saved"));
    assert!(browser.text("dl.facts").await.contains("Changed in the browser"));
    browser.navigate_by("a[href$='/revisions/2']").await;
    let diff = browser.text("table.diff").await;
    assert!(diff.contains("description") && diff.contains("Changed in the browser"), "{diff}");
    browser.goto(&detail).await;
    browser.navigate_by("form[action$='/revisions/1/restore'] button").await;
    assert!(browser.text(".notice").await.contains("Revision restored"));
    assert!(browser.text("dl.facts").await.contains("Orders, typed in a browser"));
    assert!(browser.text("#history-h + table").await.contains("restore"));
    source(&browser, &mut seen).await;

    // For the README's screenshots, a few more integrations make a fuller list.
    if screenshot_dir().is_some() {
        seed_samples(&server).await;
        browser.goto(&detail).await;
        save_screenshot(&browser, "console-detail.png").await;
    }

    // The list shows the last test result; a POST without the CSRF token is
    // refused even with the session cookie.
    browser.goto(&format!("{base}/integrations")).await;
    assert!(browser.text("table.list").await.contains("passed"));
    save_screenshot(&browser, "console-list.png").await;
    source(&browser, &mut seen).await;
    let status = browser
        .script(
            "const done = arguments[0];
             fetch('/integrations/new', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                                        body: 'name=forged&integration_type=custom'})
               .then(r => done(r.status));",
        )
        .await;
    assert_eq!(status, 403);
    for page in ["/audit", "/workers"] {
        browser.goto(&format!("{base}{page}")).await;
        source(&browser, &mut seen).await;
    }
    assert!(browser.text("table.list").await.contains("online"), "the embedded worker is online");

    // A viewer sees no write buttons.
    browser.delete_cookies().await;
    sign_in(&browser, &server, "viewer").await;
    assert!(!browser.source().await.contains("New integration"));
    browser.goto(&detail).await;
    assert_eq!(browser.count("a[href$='/edit'], form[action$='/test'], form[action$='/restore']").await, 0);
    browser.goto(&format!("{base}/secrets")).await;
    assert_eq!(browser.count("form.secret").await, 0);
    source(&browser, &mut seen).await;

    // At a phone's width no page scrolls sideways.
    browser.resize(390, 844).await;
    for page in
        ["/integrations".to_owned(), detail.clone(), "/secrets".into(), format!("{detail}/revisions/2")]
    {
        let url = if page.starts_with("http") { page.clone() } else { format!("{base}{page}") };
        browser.goto(&url).await;
        assert!(!browser.overflows().await, "{page} scrolls sideways at phone width");
    }

    for html in &seen {
        assert!(!html.contains(SECRET_VALUE), "a page showed the secret value");
    }
    // Sign out ends the session.
    browser.navigate_by("form[action='/signout'] button").await;
    browser.goto(&format!("{base}/integrations")).await;
    assert!(browser.url().await.ends_with("/signin"));
}
