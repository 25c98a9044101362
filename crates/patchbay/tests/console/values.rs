//! What is typed in the browser reaches the API byte for byte: a multi-line
//! secret (LF or CRLF, its trailing line break kept) and file rows, next to
//! a stored file whose CRLF content the edit must not touch.
use crate::webdriver::Browser;
use crate::{Server, sign_in};
use serde_json::json;

const PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUd2Vi\nZHJpdmVyLXRlc3Q=\n-----END CERTIFICATE-----\n";

async fn secret_value(server: &Server, name: &str) -> String {
    let value = server.api(reqwest::Method::GET, &format!("/api/v1/secrets/value/{name}"), None).await;
    value["value"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_line_secrets_and_file_rows_survive_the_browser() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start();
    let base = server.base.clone();
    sign_in(&browser, &server, "member").await;

    // A PEM typed into the secret form comes back exactly, trailing line break included.
    browser.goto(&format!("{base}/secrets")).await;
    assert_eq!(browser.css("#value", "-webkit-text-security").await, "disc", "the value is masked");
    browser.fill("#name", "TLS_CERT").await;
    browser.fill("#value", PEM).await;
    browser.navigate_by("form.secret button[type=submit]").await;
    assert!(browser.text(".notice").await.contains("Secret saved"), "{}", browser.source().await);
    assert_eq!(secret_value(&server, "TLS_CERT").await, PEM);

    // The same text saved with CRLF line endings has CRLF, and only CRLF.
    browser.fill("#name", "WINDOWS_CERT").await;
    browser.fill("#value", PEM).await;
    browser.click("#line_endings option[value=crlf]").await;
    browser.navigate_by("form.secret button[type=submit]").await;
    assert!(browser.text(".notice").await.contains("Secret saved"));
    assert_eq!(secret_value(&server, "WINDOWS_CERT").await, PEM.replace('\n', "\r\n"));

    // "Show value" unmasks the field.
    browser.click("[data-reveal=value]").await;
    assert_eq!(browser.css("#value", "-webkit-text-security").await, "none");

    // Files are rows: add one with content and a mode, and save.
    let stored = json!({"path": "~/win.ini", "content": "[a]\r\nb=1\r\n", "mode": "0644"});
    let body = json!({"name": "app", "integration_type": "custom", "config": {"files": [stored]}});
    let created = server.api(reqwest::Method::POST, "/api/v1/custom-integrations", Some(body)).await;
    let id = created["id"].as_str().unwrap();
    browser.goto(&format!("{base}/integrations/{id}/edit")).await;
    assert_eq!(browser.value("#file_path-0").await, "~/win.ini");
    browser.click("[data-add-file]").await;
    let new_row = "fieldset.files .file-row:last-of-type";
    browser.fill(&format!("{new_row} input[name=file_path]"), "~/.config/app/settings.toml").await;
    browser.fill(&format!("{new_row} textarea[name=file_content]"), "[server]\nport = 8080\n").await;
    browser.fill(&format!("{new_row} input[name=file_mode]"), "0600").await;
    browser.navigate_by("form.integration button[type=submit]").await;
    assert!(browser.text(".notice").await.contains("Changes saved"), "{}", browser.source().await);
    let saved = server.api(reqwest::Method::GET, &format!("/api/v1/custom-integrations/{id}"), None).await;
    let files = &saved["config"]["files"];
    assert_eq!(files.as_array().unwrap().len(), 2, "{files}");
    assert_eq!(files[0]["content"], "[a]\r\nb=1\r\n", "the stored file is untouched, CRLF and all");
    assert_eq!(files[1]["path"], "~/.config/app/settings.toml");
    assert_eq!(files[1]["content"], "[server]\nport = 8080\n");
    assert_eq!(files[1]["mode"], "0600");
}
