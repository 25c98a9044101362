//! A minimal W3C WebDriver client over reqwest: just what the console's
//! browser tests use. chromedriver runs headless Chromium with no network
//! beyond the loopback server under test.
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// An executable on `PATH`.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A chromedriver process and one headless Chromium session.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    _profile: crate::TempDir,
}

#[derive(Clone)]
pub struct Element(String);

impl Browser {
    /// `None` (with the reason printed) when Chromium or chromedriver is not installed.
    pub async fn start() -> Option<Self> {
        let (Some(chromium), Some(chromedriver)) = (
            find_program(&["chromium", "chromium-browser", "google-chrome"]),
            find_program(&["chromedriver"]),
        ) else {
            eprintln!(
                "SKIPPED: browser tests need chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = crate::TempDir::new("chromium");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1200,800",
        ];
        let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.0.display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium.to_string_lossy(), "args": args},
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session =
            created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}"));
        let session = format!("{base}/session/{session}");
        Some(Self { driver, http, session, _profile: profile })
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = reply["value"].get("error") {
            panic!("WebDriver {path}: {error} {}", reply["value"]["message"]);
        }
        reply["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn url(&self) -> String {
        self.get("/url").await.as_str().unwrap().to_owned()
    }

    pub async fn source(&self) -> String {
        self.get("/source").await.as_str().unwrap().to_owned()
    }

    pub async fn find(&self, css: &str) -> Element {
        let found = self.post("/element", json!({"using": "css selector", "value": css})).await;
        Element(found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {found}")).to_owned())
    }

    pub async fn count(&self, css: &str) -> usize {
        let found = self.post("/elements", json!({"using": "css selector", "value": css})).await;
        found.as_array().map_or(0, Vec::len)
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{}/click", element.0), json!({})).await;
    }

    /// Replaces a field's text with `text`, as typed.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{}/clear", element.0), json!({})).await;
        self.post(&format!("/element/{}/value", element.0), json!({ "text": text })).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.get(&format!("/element/{}/text", element.0)).await.as_str().unwrap_or_default().to_owned()
    }

    /// A form field's current value.
    pub async fn value(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.get(&format!("/element/{}/property/value", element.0))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A CSS property's computed value on an element.
    pub async fn css(&self, css: &str, property: &str) -> String {
        let element = self.find(css).await;
        self.get(&format!("/element/{}/css/{property}", element.0))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Clicks something that loads a page, and waits until the new page has
    /// loaded (a marker set on the old page's window is gone).
    pub async fn navigate_by(&self, css: &str) {
        self.post("/execute/sync", json!({"script": "window.__patchbayOld = true;", "args": []})).await;
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let script = "return window.__patchbayOld === undefined && document.readyState === 'complete';";
            if self.post("/execute/sync", json!({"script": script, "args": []})).await == json!(true) {
                return;
            }
            assert!(Instant::now() < deadline, "clicking {css} loaded no page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn script(&self, script: &str) -> Value {
        self.post("/execute/async", json!({ "script": script, "args": [] })).await
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height })).await;
    }

    /// Whether the page is wider than the window (a sideways scroll).
    pub async fn overflows(&self) -> bool {
        let script = "return [document.documentElement.scrollWidth, window.innerWidth];";
        let widths = self.post("/execute/sync", json!({ "script": script, "args": [] })).await;
        let (page, window) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
        assert!(window < 500, "the window was resized to a phone's width: {window}");
        page > window
    }

    pub async fn delete_cookies(&self) {
        self.command(reqwest::Method::DELETE, "/cookie", None).await;
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let png = self.get("/screenshot").await;
        base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap()
    }
}

impl Drop for Browser {
    /// Ends the session (which closes Chromium) even when a test panics,
    /// then stops chromedriver. Drop cannot await, so the `DELETE` is sent
    /// over a plain blocking socket.
    fn drop(&mut self) {
        let target = self.session.strip_prefix("http://").and_then(|rest| rest.split_once('/'));
        if let Some((host, path)) = target
            && let Ok(mut stream) = std::net::TcpStream::connect(host)
        {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(request.as_bytes());
            // The first bytes of the answer mean the session is gone.
            let _ = stream.read(&mut [0u8; 512]);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
