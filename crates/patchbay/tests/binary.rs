//! The real binary, as an operator runs it: `serve` on the embedded default
//! creates its key (0600) and database, `token mint` signs with that key,
//! SIGTERM stops the server cleanly, and bad flags fail with clear errors.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_patchbay");

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("patchbay-bin-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Starts `patchbay serve` on a free port; returns the child, its address
/// and what it printed before it was ready.
fn serve(data_dir: &Path) -> (Child, String, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("PATCHBAY_DATABASE_URL")
        .env_remove("PATCHBAY_JWT_SECRET")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let line = line.unwrap();
        lines.push(line.clone());
        if let Some(rest) = line.split("listen=").nth(1) {
            let address = rest.split_whitespace().next().unwrap().to_owned();
            return (child, address, lines);
        }
    }
    let status = child.wait().unwrap();
    panic!("the server exited ({status}) before serving: {lines:?}");
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env_remove("PATCHBAY_JWT_SECRET").output().unwrap()
}

#[tokio::test]
async fn serve_mint_use_and_stop() {
    let dir = TempDir::new();
    let (mut child, address, printed) = serve(&dir.0);
    assert!(printed.iter().any(|l| l.contains("patchbay token mint")), "prints how to mint: {printed:?}");
    assert!(printed.iter().all(|l| !l.contains('\u{1b}')), "no colour codes off a terminal");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join("jwt-secret")).unwrap().permissions().mode();
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

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM exits 0, got {status}");

    // Restarted, it reuses its key (the old token still works) and its data.
    let (mut child, address, printed) = serve(&dir.0);
    assert!(printed.iter().all(|l| !l.contains("patchbay token mint")), "no new key: {printed:?}");
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
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn bad_arguments_fail_with_clear_messages() {
    let dir = TempDir::new();
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
    ] {
        let output = run(&args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "passwords never printed: {stderr}");
    }
}
