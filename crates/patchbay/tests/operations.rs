//! The binary as operators run it in production: configuration layers and
//! `--print-config`, JSON logs whose every request line carries the request
//! id, and SIGTERM with requests in flight (they all finish, exit 0).
mod support;

use std::path::Path;
use std::time::Duration;
use support::{Options, Server, TempDir, patchbay};

const SECRET: &str = "operations-test-secret";

fn print_config(args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let mut command = patchbay(&[&["serve", "--print-config"], args].concat());
    command.envs(env.iter().copied());
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
}

fn line<'a>(printed: &'a str, key: &str) -> &'a str {
    printed
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in {printed}"))
}

#[test]
fn configuration_layers_in_order_and_masks_secrets() {
    let dir = TempDir::new("ops");
    let config = dir.0.join("patchbay.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:7001\"\nrequest_timeout = \"5s\"\nshutdown_grace = \"9s\"\n\
         jwt_secret = \"from-the-file\"\nsurprise = 1\n[rate_limit]\nburst = 20\n[limits]\nrate_limit = 7\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();

    // File over defaults; variables over the file; flags over variables.
    let (printed, warnings) = print_config(
        &["--config", config, "--listen", "127.0.0.1:7003"],
        &[
            ("PATCHBAY_LISTEN", "127.0.0.1:7002"),
            ("PATCHBAY_REQUEST_TIMEOUT", "6s"),
            ("PATCHBAY_DATABASE_URL", "postgres://app:hunter2@db.internal:5432/patchbay"),
        ],
    );
    assert!(
        line(&printed, "listen").contains("\"127.0.0.1:7003\"")
            && line(&printed, "listen").ends_with("# flag")
    );
    assert!(
        line(&printed, "request_timeout").contains("\"6s\"")
            && line(&printed, "request_timeout").ends_with("# environment")
    );
    assert!(
        line(&printed, "shutdown_grace").contains("\"9s\"")
            && line(&printed, "shutdown_grace").ends_with("# config file")
    );
    assert!(line(&printed, "rate_limit_burst").contains("\"20\""), "sections name options: {printed}");
    assert!(line(&printed, "rate_limit").contains("\"7\""), "a section's keys also work bare: {printed}");
    assert!(line(&printed, "data_dir").ends_with("# default"));
    // Secrets are masked wherever they came from; URLs lose their password.
    assert!(line(&printed, "jwt_secret").contains("\"***\""), "{printed}");
    assert!(line(&printed, "database_url").contains("postgres://app:***@db.internal:5432/patchbay"));
    assert!(!printed.contains("from-the-file") && !printed.contains("hunter2"), "{printed}");
    assert!(warnings.contains("unknown key `surprise`"), "{warnings}");

    // Without the file, the defaults.
    let (printed, _) = print_config(&[], &[]);
    assert!(line(&printed, "listen").contains("127.0.0.1:8080"));
    assert!(line(&printed, "request_timeout").contains("30s"));
    assert!(printed.contains("# rate_limit is not set"), "rate limiting is off by default: {printed}");
}

#[test]
fn every_form_of_database_password_is_masked() {
    for url in [
        "postgres://app@db.internal/patchbay?sslmode=disable&password=hunter2",
        "host=db.internal user=app password=hunter2 dbname=patchbay",
        "host=db.internal password='hunter2 with spaces' dbname=patchbay",
    ] {
        let (printed, _) = print_config(&["--database-url", url], &[]);
        assert!(!printed.contains("hunter2"), "{url}: {printed}");
        assert!(line(&printed, "database_url").contains("***"), "{printed}");
    }
    // An unreachable server's error names the database without its password.
    let dir = TempDir::new("ops");
    let output = patchbay(&[
        "serve",
        "--data-dir",
        dir.0.to_str().unwrap(),
        "--database-url",
        "host=127.0.0.1 port=1 user=app password=hunter2 dbname=x connect_timeout=1",
    ])
    .output()
    .unwrap();
    assert!(!output.status.success());
    let said =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!said.contains("hunter2"), "{said}");
}

#[test]
fn secrets_come_from_files_too() {
    let dir = TempDir::new("ops");
    let secret_file = dir.0.join("jwt");
    std::fs::write(&secret_file, "secret-from-file\n").unwrap();
    let (printed, _) = print_config(&[], &[("PATCHBAY_JWT_SECRET_FILE", secret_file.to_str().unwrap())]);
    assert!(line(&printed, "jwt_secret_file").ends_with("# environment"));
    // The token minted with the file's secret is the one the server verifies.
    let output = patchbay(&["token", "mint", "--org", "acme"])
        .env("PATCHBAY_JWT_SECRET_FILE", &secret_file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).unwrap();
    let expected = patchbay_server::auth::Authenticator::new(
        &[patchbay_server::auth::JwtSecret::new("secret-from-file")],
        &[],
    )
    .unwrap();
    assert!(expected.verify(token.trim()).is_ok());
    // A bad file names itself; a value and a file at once are refused.
    let data_dir = dir.0.join("data");
    let output = patchbay(&[
        "serve",
        "--database-url-file",
        "/nonexistent/url",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/url"), "{output:?}");
    let output = patchbay(&["serve", "--jwt-secret", "a", "--jwt-secret-file", "b", "--print-config"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    // A config file with an option of the wrong type says which.
    let bad = dir.0.join("bad.toml");
    std::fs::write(&bad, "request_timeout = \"soon\"\n").unwrap();
    let output = patchbay(&["serve", "--print-config", "--config", bad.to_str().unwrap()]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("request-timeout"), "{output:?}");
}

/// Starts `patchbay serve` with JSON logs at debug level on a free port.
fn serve(data_dir: &Path, extra: &[&str]) -> Server {
    let options = Options::new(data_dir)
        .args(&["--log-format", "json", "--jwt-secret", SECRET])
        .args(extra)
        .rust_log("debug,hyper=info,h2=info")
        .show_stderr();
    Server::start(options)
}

fn token(org: &str) -> String {
    support::admin_token(SECRET, org, "ops")
}

async fn create(http: &reqwest::Client, address: &str, name: &str, request_id: &str) -> u16 {
    http.post(format!("http://{address}/api/v1/custom-integrations"))
        .bearer_auth(token("acme"))
        .header("X-Request-Id", request_id)
        .json(&serde_json::json!({"name": name, "integration_type": "postgres", "config": {}}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_id() {
    let dir = TempDir::new("ops");
    // Without the embedded worker: its own requests (registering, polling)
    // would log inside request spans of their own while this one runs.
    let mut server = serve(&dir.0, &["--no-embedded-worker"]);
    let http = reqwest::Client::new();
    assert_eq!(create(&http, &server.address, "traced", "trace-me-42").await, 201);
    server.terminate();
    assert!(server.wait().success());
    let lines = server.log();
    let of_request: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["span"]["name"] == "request" || l["fields"]["message"] == "custom integration created")
        .collect();
    let messages: Vec<&str> = of_request.iter().filter_map(|l| l["fields"]["message"].as_str()).collect();
    assert!(messages.contains(&"custom integration created"), "{lines:#?}");
    assert!(messages.contains(&"request finished"), "{lines:#?}");
    for line in &of_request {
        assert_eq!(line["span"]["request_id"], "trace-me-42", "{line}");
        assert_eq!(line["span"]["org"], "acme", "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight_and_exits_zero() {
    let dir = TempDir::new("ops");
    let mut server = serve(&dir.0, &["--shutdown-grace", "20s"]);
    let address = server.address.clone();
    // Hold the database's write lock, so creates wait in the server.
    let lock = rusqlite::Connection::open(dir.0.join("patchbay.db")).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let http = reqwest::Client::new();
    let in_flight: Vec<_> = (0..5)
        .map(|i| {
            let (http, address) = (http.clone(), address.clone());
            tokio::spawn(
                async move { create(&http, &address, &format!("inflight-{i}"), &format!("r-{i}")).await },
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // It no longer accepts connections, while the five still wait.
    assert!(std::net::TcpStream::connect(&address).is_err(), "still accepting after SIGTERM");
    assert!(server.child.try_wait().unwrap().is_none(), "exited with requests in flight");
    lock.execute_batch("COMMIT").unwrap();
    for request in in_flight {
        assert_eq!(request.await.unwrap(), 201);
    }
    let status = server.wait();
    assert!(status.success(), "exit status {status}");
    // All five were really written.
    let conn = rusqlite::Connection::open(dir.0.join("patchbay.db")).unwrap();
    let count: i64 = conn.query_row("SELECT count(*) FROM custom_integrations", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 5);
}

/// A name with a newline and a terminal escape cannot forge a log line in
/// the pretty format: user-chosen text is logged escaped.
#[tokio::test]
async fn user_text_cannot_forge_log_lines() {
    let dir = TempDir::new("ops");
    let options = Options::new(&dir.0)
        .args(&["--jwt-secret", SECRET, "--no-embedded-worker", "--log-format", "pretty"])
        .show_stderr();
    let mut server = Server::start(options);
    let address = server.address.clone();
    let forged = "pg\n2026-12-01T00:00:00.000000Z  INFO patchbay: forged admin login\u{1b}[2J";
    assert_eq!(create(&reqwest::Client::new(), &address, forged, "forge-1").await, 201);
    server.terminate();
    assert!(server.wait().success());
    let lines = server.log();
    let logged =
        lines.iter().find(|l| l.contains("custom integration created")).expect("the create is logged");
    assert!(
        logged.contains("pg\\n2026-12-01T00:00:00.000000Z  INFO patchbay: forged admin login\\u{1b}[2J"),
        "{logged}"
    );
    assert!(lines.iter().all(|l| !l.starts_with("2026-12-01T00:00:00.000000Z")), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains('\u{1b}')), "no raw escape reaches the log");
}

/// `/metrics` holds totals only, never an organization's name; with
/// `--metrics-token` it answers only to that bearer token.
#[tokio::test]
async fn metrics_hold_no_organization_and_can_require_a_token() {
    let dir = TempDir::new("ops");
    let mut server = serve(&dir.0, &["--no-embedded-worker", "--metrics-token", "scrape-s3cret"]);
    let http = reqwest::Client::new();
    assert_eq!(create(&http, &server.address, "pg", "m-1").await, 201);
    let metrics = format!("http://{}/metrics", server.address);
    let anonymous = http.get(&metrics).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let wrong = http.get(&metrics).bearer_auth("scrape-guess").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let a_user = http.get(&metrics).bearer_auth(token("acme")).send().await.unwrap();
    assert_eq!(a_user.status(), 401, "an API token is not the metrics token");
    let scraped = http.get(&metrics).bearer_auth("scrape-s3cret").send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(text.contains("patchbay_http_request_duration_seconds"), "{text}");
    assert!(!text.contains("acme"), "no organization in the metrics: {text}");
    server.terminate();
    assert!(server.wait().success());

    let (printed, _) = print_config(&["--metrics-token", "scrape-s3cret"], &[]);
    assert!(line(&printed, "metrics_token").contains("\"***\""), "{printed}");
    assert!(!printed.contains("scrape-s3cret"));
}

#[test]
fn print_config_shows_whether_the_embedded_worker_runs() {
    for (args, expected) in [
        (&[][..], r#"embedded_worker = "true""#),
        (&["--database-url", "postgres://u@h/db"][..], r#"embedded_worker = "false""#),
        (&["--no-embedded-worker"][..], r#"embedded_worker = "false""#),
        (&["--database-url", "postgres://u@h/db", "--embedded-worker"][..], r#"embedded_worker = "true""#),
        (&["--connection-tests", "disabled"][..], r#"embedded_worker = "false""#),
    ] {
        let (printed, _) = print_config(args, &[]);
        let shown = line(&printed, "embedded_worker");
        assert!(shown.starts_with(expected), "{args:?}: {shown}");
        assert!(!shown.ends_with("# default"), "the state and its reason, not the flag's default: {shown}");
    }
    let (printed, _) = print_config(&[], &[]);
    assert!(line(&printed, "embedded_worker").ends_with("# on: the default with SQLite"), "{printed}");
}
