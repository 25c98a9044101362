//! The README's walkthrough against the real `patchbay serve`: a secret, an
//! integration with a secret-backed file, then `run` and `env` through the
//! real resolve endpoint (SQLite in a temporary data directory).
use super::{BIN, TempDir, text};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/// `patchbay serve` on a free port, killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data_dir: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env_remove("PATCHBAY_DATABASE_URL")
            .env_remove("PATCHBAY_JWT_SECRET")
            .env_remove("PATCHBAY_MASTER_KEY")
            .env_remove("PATCHBAY_MASTER_KEY_FILE")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(line) = lines.next() {
            if let Some(rest) = line.unwrap().split("listen=").nth(1) {
                let url = format!("http://{}", rest.split_whitespace().next().unwrap());
                // Keep reading its log, or its writes fail on a closed pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return Self { child, url };
            }
        }
        panic!("the server exited before serving: {:?}", child.wait());
    }

    fn token(&self, data_dir: &Path, role: &str) -> String {
        let out = Command::new(BIN)
            .args(["token", "mint", "--org", "acme", "--role", role, "--data-dir"])
            .arg(data_dir)
            .env_remove("PATCHBAY_JWT_SECRET")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).trim().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn patchbay(server: &Server, token: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("PATCHBAY_SERVER", &server.url)
        .env("PATCHBAY_TOKEN", token)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_readme_walkthrough_runs_against_the_real_server() {
    let dir = TempDir::new();
    let data_dir = dir.0.join("data");
    let server = Server::start(&data_dir);
    let admin = server.token(&data_dir, "admin");
    let http = reqwest::Client::new();
    for (name, value) in [("PG_CLIENT_CERT", CERT), ("DB_PASSWORD", "s3cret 'quoted'")] {
        let url = format!("{}/api/v1/secrets/{name}", server.url);
        let response = http.put(url).bearer_auth(&admin).json(&json!({"value": value})).send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    }
    let integration = json!({
        "name": "prod-db",
        "integration_type": "postgres",
        "config": {
            "env_vars": {"DB_HOST": "db.internal"},
            "secrets": ["DB_PASSWORD"],
            "files": [{"path": "~/.postgresql/client.crt", "secret_ref": "PG_CLIENT_CERT"}],
        },
    });
    let url = format!("{}/api/v1/custom-integrations", server.url);
    let response = http.post(url).bearer_auth(&admin).json(&integration).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());

    let script = "cat ~/.postgresql/client.crt; echo $DB_HOST; stat -c %a ~/.postgresql/client.crt";
    let out = patchbay(&server, &admin, &["run", "-i", "prod-db", "--", "sh", "-c", script]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The default mode 0644 becomes 0600 for a secret's content.
    assert_eq!(text(&out.stdout), format!("{CERT}db.internal\n600\n"));

    let out = patchbay(&server, &admin, &["env", "-i", "prod-db", "--format", "shell"]);
    assert_eq!(
        text(&out.stdout),
        "export DB_HOST='db.internal'\nexport DB_PASSWORD='s3cret '\\''quoted'\\'''\n"
    );

    let out = patchbay(&server, &admin, &["run", "-i", "prod-db", "-i", "nope", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.lines().nth(1).is_some_and(|l| l.starts_with("  body.names.1: ")), "{stderr}");

    // The API stores a variable `run` refuses (any POSIX name is valid);
    // `run` names it and the integration that set it, and runs nothing.
    let evil = json!({"name": "evil", "integration_type": "custom", "config": {"env_vars": {"BASH_ENV": "$(id > f)"}}});
    let url = format!("{}/api/v1/custom-integrations", server.url);
    let response = http.post(url).bearer_auth(&admin).json(&evil).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    let ran = dir.0.join("ran");
    let script = format!("touch {}", ran.display());
    let out = patchbay(&server, &admin, &["run", "-i", "prod-db", "-i", "evil", "--", "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("BASH_ENV, set by integration \"evil\""), "{}", text(&out.stderr));
    assert!(!ran.exists(), "the command must not run");

    // Real values need a worker or admin token; the server says so.
    let member = server.token(&data_dir, "member");
    let out = patchbay(&server, &member, &["env", "-i", "prod-db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("403"), "{}", text(&out.stderr));
}
