//! The README's walkthrough against the real `patchbay serve`: a secret, an
//! integration with a secret-backed file, then `run` and `env` through the
//! real resolve endpoint (SQLite in a temporary data directory).
use super::support::{self, BIN, Options, Server, TempDir};
use super::text;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/// An admin's or member's token for the server's organization `acme`.
fn token(data_dir: &Path, role: &str) -> String {
    support::mint(data_dir, &["--org", "acme", "--role", role])
}

fn patchbay(server: &Server, token: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("PATCHBAY_SERVER", server.url())
        .env("PATCHBAY_TOKEN", token)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_readme_walkthrough_runs_against_the_real_server() {
    let dir = TempDir::new("run-test");
    let data_dir = dir.0.join("data");
    let server = Server::start(Options::new(&data_dir).show_stderr());
    let admin = token(&data_dir, "admin");
    let http = reqwest::Client::new();
    for (name, value) in [("PG_CLIENT_CERT", CERT), ("DB_PASSWORD", "s3cret 'quoted'")] {
        let url = format!("{}/api/v1/secrets/{name}", server.url());
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
    let url = format!("{}/api/v1/custom-integrations", server.url());
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
    assert_eq!(stderr.lines().nth(1), Some("  -i nope: No custom integration 'nope' in this organization"));
    // A near miss is named with the integration meant, in `run`, `env` and `get`.
    for args in [&["run", "-i", "prod-bd", "--", "true"][..], &["env", "-i", "prod-bd"][..]] {
        let stderr = text(&patchbay(&server, &admin, args).stderr);
        assert!(stderr.contains(r#"  -i prod-bd: No custom integration 'prod-bd' in this organization; did you mean "prod-db"?"#), "{stderr}");
    }
    let out = patchbay(&server, &admin, &["integrations", "get", "prod_db"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(
        text(&out.stderr).contains(r#"no integration named "prod_db"; did you mean "prod-db"?"#),
        "{}",
        text(&out.stderr)
    );

    // The API stores a variable `run` refuses (any POSIX name is valid);
    // `run` names it and the integration that set it, and runs nothing.
    let evil = json!({"name": "evil", "integration_type": "custom", "config": {"env_vars": {"BASH_ENV": "$(id > f)"}}});
    let url = format!("{}/api/v1/custom-integrations", server.url());
    let response = http.post(url).bearer_auth(&admin).json(&evil).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    let ran = dir.0.join("ran");
    let script = format!("touch {}", ran.display());
    let out = patchbay(&server, &admin, &["run", "-i", "prod-db", "-i", "evil", "--", "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("BASH_ENV, set by integration \"evil\""), "{}", text(&out.stderr));
    assert!(!ran.exists(), "the command must not run");

    // Real values need a worker or admin token; the server says so.
    let member = token(&data_dir, "member");
    let out = patchbay(&server, &member, &["env", "-i", "prod-db"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("403") && stderr.contains("this token's role is member"), "{stderr}");
    assert!(
        stderr.contains("--role worker") && !stderr.contains("dry_run"),
        "CLI words, not the API's: {stderr}"
    );
}
