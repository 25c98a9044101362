//! The real binary, as an operator runs it: `serve` on the embedded default
//! creates its key (0600) and database, `token mint` signs with that key,
//! SIGTERM stops the server cleanly, and bad flags fail with clear errors.
mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::{BIN, Options, Server, TempDir};

/// Starts `patchbay serve` on a free port; returns the server, its address
/// and what it printed before it was ready.
fn serve(data_dir: &Path) -> (Server, String, Vec<String>) {
    serve_with(data_dir, &[])
}

fn serve_with(data_dir: &Path, extra: &[&str]) -> (Server, String, Vec<String>) {
    let server = Server::start(Options::new(data_dir).args(extra).show_stderr());
    let (address, printed) = (server.address.clone(), server.startup.clone());
    (server, address, printed)
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env_remove("PATCHBAY_JWT_SECRET").output().unwrap()
}

#[tokio::test]
async fn tokens_longer_lived_than_the_maximum_are_refused() {
    let dir = TempDir::new("bin");
    let (server, address, _) = serve_with(&dir.0, &["--max-token-lifetime", "1h", "--no-embedded-worker"]);
    let data_dir = dir.0.to_str().unwrap();
    let http = reqwest::Client::new();
    let list = format!("http://{address}/api/v1/custom-integrations");
    for (ttl, status) in [("30m", 200), ("1h", 200), ("1d", 401)] {
        let minted = run(&["token", "mint", "--data-dir", data_dir, "--org", "acme", "--ttl", ttl]);
        assert!(minted.status.success(), "{minted:?}");
        let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
        let response = http.get(&list).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "a {ttl} token");
    }
    stop(server);
    let bad = run(&["serve", "--max-token-lifetime", "soon", "--data-dir", data_dir]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--max-token-lifetime"), "{bad:?}");
}

#[tokio::test]
async fn serve_mint_use_and_stop() {
    let dir = TempDir::new("bin");
    let (mut server, address, printed) = serve(&dir.0);
    assert!(printed.iter().any(|l| l.contains("patchbay token mint")), "prints how to mint: {printed:?}");
    assert!(printed.iter().all(|l| !l.contains('\u{1b}')), "no colour codes off a terminal");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join("jwt-secret")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    assert!(printed.iter().any(|l| l.contains("Created the vault's master key")), "{printed:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join("master.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let data_dir = dir.0.to_str().unwrap();
    let minted =
        run(&["token", "mint", "--data-dir", data_dir, "--org", "acme", "--role", "admin", "--ttl", "1h"]);
    assert!(minted.status.success(), "{minted:?}");
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();

    let http = reqwest::Client::new();
    let created = http
        .post(format!("http://{address}/api/v1/custom-integrations"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "pg", "integration_type": "postgres", "config": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.unwrap();
    assert_eq!(body["organization_id"], "acme");
    let ready = http.get(format!("http://{address}/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    server.terminate();
    let status = server.wait();
    assert!(status.success(), "SIGTERM exits 0, got {status}");

    // Restarted, it reuses its key (the old token still works) and its data.
    let (mut server, address, printed) = serve(&dir.0);
    assert!(printed.iter().all(|l| !l.contains("patchbay token mint")), "no new key: {printed:?}");
    assert!(printed.iter().all(|l| !l.contains("Created the vault's master key")), "{printed:?}");
    let listed: serde_json::Value = http
        .get(format!("http://{address}/api/v1/custom-integrations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["name"], "pg");
    server.child.kill().unwrap();
    server.wait();
}

#[test]
fn the_data_directory_and_what_is_in_it_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o7777;
    let dir = TempDir::new("bin");
    let data = dir.0.join("fresh/data");
    let (mut server, _address, printed) = serve(&data);
    assert_eq!(mode(&data), 0o700);
    // WAL mode: the journal files exist while the server runs.
    for file in ["patchbay.db", "patchbay.db-wal", "patchbay.db-shm", "jwt-secret", "master.key"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    assert!(printed.iter().all(|l| !l.contains("chmod 700")), "{printed:?}");
    server.child.kill().unwrap();
    server.wait();

    // A directory others may enter is warned about, with the fix; it is
    // the operator's, so its mode is left as it is.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (mut server, _address, printed) = serve(&data);
    let fix = format!("chmod 700 {}", data.display());
    assert!(
        printed.iter().any(|l| l.contains("WARN") && l.contains("0755") && l.contains(&fix)),
        "{printed:?}"
    );
    assert_eq!(mode(&data), 0o755);
    server.child.kill().unwrap();
    server.wait();
}

#[test]
fn bad_arguments_fail_with_clear_messages() {
    let dir = TempDir::new("bin");
    let data_dir = dir.0.to_str().unwrap();
    for (args, message) in [
        (vec!["token", "mint", "--data-dir", data_dir, "--org", "acme", "--role", "root"], "--role"),
        (vec!["token", "mint", "--data-dir", data_dir, "--org", "acme", "--ttl", "5y"], "--ttl"),
        (vec!["token", "mint", "--data-dir", data_dir, "--org", ""], "--org"),
        (
            vec![
                "serve",
                "--data-dir",
                data_dir,
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                "mysql://u:hunter2@h/db",
            ],
            "postgres://",
        ),
        (
            vec!["serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0", "--master-key", "hunter2"],
            "master key",
        ),
        (
            vec!["keys", "rotate", "--data-dir", data_dir, "--new-master-key", "hunter2"],
            "no current master key",
        ),
    ] {
        let output = run(&args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "passwords never printed: {stderr}");
    }
}

async fn put_secret(address: &str, token: &str, name: &str, value: &str) -> u16 {
    reqwest::Client::new()
        .put(format!("http://{address}/api/v1/secrets/{name}"))
        .bearer_auth(token)
        .json(&serde_json::json!({"value": value}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn secret_value(address: &str, token: &str, name: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .get(format!("http://{address}/api/v1/secrets/value/{name}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

fn stop(mut server: Server) {
    server.terminate();
    assert!(server.wait().success());
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn master_key_rotation_on_the_embedded_default() {
    let dir = TempDir::new("bin");
    let data_dir = dir.0.to_str().unwrap();
    let (server, address, _) = serve(&dir.0);
    let token = stdout(&run(&["token", "mint", "--data-dir", data_dir, "--org", "acme", "--role", "admin"]));
    assert_eq!(put_secret(&address, &token, "DB_PASSWORD", "s3cret\nline two").await, 201);

    let generated = run(&["keys", "generate"]);
    assert!(generated.status.success());
    let new_key = stdout(&generated);
    assert_eq!(new_key.len(), 44, "32 bytes in base64: {new_key}");

    // Rotated while the server runs: it goes on serving what it holds.
    let rotated = run(&["keys", "rotate", "--data-dir", data_dir, "--new-master-key", &new_key]);
    assert!(rotated.status.success(), "{rotated:?}");
    let said = stdout(&rotated);
    assert!(said.contains("Re-wrapped 1 data key"), "{said}");
    assert!(!said.contains(&new_key), "the key is not printed: {said}");
    assert_eq!(std::fs::read_to_string(dir.0.join("master.key")).unwrap().trim(), new_key);
    assert_eq!(secret_value(&address, &token, "DB_PASSWORD").await["value"], "s3cret\nline two");
    stop(server);

    // Restarted, it reads the new key file and every value.
    let (server, address, _) = serve(&dir.0);
    assert_eq!(secret_value(&address, &token, "DB_PASSWORD").await["value"], "s3cret\nline two");
    stop(server);

    // Rotating from a key that is not the current one changes nothing.
    let stale = stdout(&run(&["keys", "generate"]));
    let refused = run(&[
        "keys",
        "rotate",
        "--data-dir",
        data_dir,
        "--master-key",
        &stale,
        "--new-master-key",
        &new_key,
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not the one"), "{refused:?}");
    assert_eq!(std::fs::read_to_string(dir.0.join("master.key")).unwrap().trim(), new_key);

    // A server given the wrong key refuses to start, and says what to do.
    let wrong = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--master-key", &stale])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("does not match") && stderr.contains("patchbay keys rotate"), "{stderr}");
    assert!(!stderr.contains(&stale), "the key is never printed");
}

/// `patchbay serve & TOKEN=$(patchbay token mint ...)` in a fresh data
/// directory: the mints wait for the key the server creates, and every
/// token they print is one the server accepts.
#[tokio::test]
async fn serve_and_mints_started_together_agree_on_one_key() {
    let http = reqwest::Client::new();
    for round in 0..8 {
        let dir = TempDir::new("bin-race");
        let data = dir.0.join("data");
        let mints: Vec<_> = (0..4)
            .map(|_| {
                support::patchbay(&["token", "mint", "--org", "acme", "--role", "admin", "--data-dir"])
                    .arg(&data)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let server = Server::start(Options::new(&data).args(&["--no-embedded-worker"]).show_stderr());
        for mint in mints {
            let output = mint.wait_with_output().unwrap();
            assert!(output.status.success(), "round {round}: {output:?}");
            let response = http
                .get(format!("{}/api/v1/custom-integrations", server.url()))
                .bearer_auth(stdout(&output))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "round {round}");
        }
        stop(server);
    }
}

#[test]
fn mint_without_a_key_refuses_and_says_where_it_looked() {
    let dir = TempDir::new("bin");
    let data = dir.0.join("not-the-server's");
    let output = support::patchbay(&["token", "mint", "--org", "acme", "--wait", "100ms", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let looked = format!("no signing key at {}", data.join("jwt-secret").display());
    assert!(stderr.contains(&looked), "{stderr}");
    for how in ["--data-dir DIR", "PATCHBAY_DATA_DIR", "--jwt-secret"] {
        assert!(stderr.contains(how), "{how}: {stderr}");
    }
    assert!(output.stdout.is_empty(), "no token");
    assert!(!data.exists(), "mint creates nothing");

    // The default data directory, relative: the message shows where that is.
    let output = support::patchbay(&["token", "mint", "--org", "acme", "--wait", "0s"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&dir.0.join("patchbay-data").display().to_string()), "{stderr}");

    // With the server's secret given, no directory is needed.
    let output = support::patchbay(&["token", "mint", "--org", "acme", "--jwt-secret", "s3cret"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// The README's CLI quick start, as a script types it: the server in the
/// background, a token at once, then a login at once. The mint waits for the
/// key, and the server listens before it makes the key, so the login finds
/// the port open.
#[test]
fn the_quick_start_works_typed_without_pauses() {
    for _ in 0..10 {
        let dir = TempDir::new("bin-quick");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = format!(
            "\"$BIN\" serve --listen 127.0.0.1:{port} --no-embedded-worker > serve.log 2>&1 &\n\
             SERVER=$!\n\
             TOKEN=$(\"$BIN\" token mint --org acme --role admin --ttl 1d)\n\
             \"$BIN\" login --server 127.0.0.1:{port} --token \"$TOKEN\"; status=$?\n\
             kill $SERVER; wait $SERVER; exit $status\n"
        );
        let output = Command::new("sh")
            .args(["-c", &script])
            .current_dir(&dir.0)
            .env("BIN", BIN)
            .env("XDG_CONFIG_HOME", dir.0.join("config"))
            .env_remove("PATCHBAY_DATA_DIR")
            .env_remove("PATCHBAY_JWT_SECRET")
            .env_remove("PATCHBAY_SERVER")
            .env_remove("PATCHBAY_TOKEN")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("as admin@acme (admin of acme)"),
            "{output:?}"
        );
    }
}
