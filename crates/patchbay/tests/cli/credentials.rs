//! `patchbay providers` and `patchbay leases`: a provider written from a
//! file (JSON, YAML, stdin) and read back; files that are not one valid
//! provider refused with the file, line or field named; a viewer refused
//! with the server's words; and, against the real PostgreSQL, a leased
//! user listed, renewed and revoked, holding its provider until it is.
use super::postgres::{self, Schema};
use super::{Session, text};
use serde_json::{Value, json};

/// `args` as the token `token` runs them, instead of the saved login's.
fn run_as(session: &Session, token: &str, args: &[&str]) -> std::process::Output {
    session.command(args).env("PATCHBAY_SERVER", &session.url).env("PATCHBAY_TOKEN", token).output().unwrap()
}

/// Fails with `code` and returns stderr.
fn fails(session: &Session, args: &[&str], code: i32) -> String {
    let out = session.run(args);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
    text(&out.stderr)
}

fn store_admin_url(session: &Session, url: &str) {
    let out = session.run_with_stdin(&["secrets", "set", "PG_ADMIN_URL"], url);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

const PROVIDER_YAML: &str = r#"
kind: postgres
connection_secret: PG_ADMIN_URL
default_ttl_seconds: 300
roles:
  readonly:
    creation:
      - CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'
"#;

#[test]
fn providers_are_written_from_a_file_and_read_back() {
    let session = Session::logged_in();
    store_admin_url(&session, "postgres://postgres@127.0.0.1:5432/test");
    let body = json!({
        "kind": "postgres", "connection_secret": "PG_ADMIN_URL", "max_ttl_seconds": 7200,
        "roles": {"readonly": {"creation": ["CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}'"]}}
    });
    let file = session.write("pg.json", &body.to_string());
    let out = session.run(&["providers", "set", "pg", "-f", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Created credential provider pg"), "{}", text(&out.stderr));
    let written: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((&written["kind"], &written["max_ttl_seconds"]), (&json!("postgres"), &json!(7200)));

    // YAML from stdin replaces it.
    let out = session.run_with_stdin(&["providers", "set", "pg", "-f", "-"], PROVIDER_YAML);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Replaced credential provider pg"), "{}", text(&out.stderr));

    let read = session.json(&["providers", "get", "pg"]);
    assert_eq!(read["default_ttl_seconds"], 300);
    assert_eq!(read["max_ttl_seconds"], 86_400, "replaced whole: the default max again");
    assert_eq!(read["roles"]["readonly"]["creation"].as_array().unwrap().len(), 1);
    let shown = session.ok(&["providers", "get", "pg", "-o", "table"]);
    assert!(shown.starts_with("pg (postgres)\n"), "{shown}");
    assert!(shown.contains("connection secret: PG_ADMIN_URL") && shown.contains("readonly:"), "{shown}");

    let listed = session.json(&["providers", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "pg");
    let table = session.ok(&["providers", "list", "-o", "table"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("CONNECTION"), "{table}");
    assert!(lines[1].starts_with("pg") && lines[1].contains("300s/86400s"), "{table}");

    let stderr = fails(&session, &["providers", "delete", "pg", "--yes"], 0);
    assert!(stderr.contains("Deleted credential provider pg"), "{stderr}");
    let stderr = fails(&session, &["providers", "get", "pg"], 5);
    assert!(stderr.contains("pg"), "{stderr}");
}

#[test]
fn a_file_that_is_not_one_valid_provider_is_refused_naming_where() {
    let session = Session::logged_in();
    store_admin_url(&session, "postgres://postgres@127.0.0.1:5432/test");
    let set = |file: &std::path::Path, code| {
        fails(&session, &["providers", "set", "pg", "-f", file.to_str().unwrap()], code)
    };

    let broken = session.write("broken.json", "{\n  \"kind\": \"postgres\",\n  \"roles\": {,\n}\n");
    let stderr = set(&broken, 1);
    assert!(stderr.contains("broken.json is not valid JSON") && stderr.contains("line 3"), "{stderr}");
    let broken = session.write("broken.yaml", "kind: postgres\nroles:\n  readonly: [\n");
    let stderr = set(&broken, 1);
    assert!(stderr.contains("broken.yaml is not valid YAML") && stderr.contains("line"), "{stderr}");

    let list = session.write("list.json", "[]");
    let stderr = set(&list, 7);
    assert!(stderr.contains("list.json: expected one credential provider (an object)"), "{stderr}");

    let invalid = session.write(
        "invalid.yaml",
        "kind: oracle\nconnection_secret: PG_ADMIN_URL\nroles:\n  readonly:\n    creation: not-a-list\n",
    );
    let stderr = set(&invalid, 7);
    assert!(stderr.contains("invalid.yaml: kind: "), "{stderr}");
    assert!(stderr.contains("invalid.yaml: roles.readonly.creation: "), "{stderr}");

    let missing = session.dir.join("missing.json");
    let stderr = set(&missing, 1);
    assert!(stderr.contains("missing.json"), "{stderr}");
    let stderr = fails(&session, &["providers", "set", "pg"], 2);
    assert!(stderr.contains("--file"), "{stderr}");

    // A viewer gets the server's reason.
    let good = session.write("good.yaml", PROVIDER_YAML);
    let viewer = session.token("viewer");
    let out = run_as(&session, &viewer, &["providers", "set", "pg", "-f", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains(
            "not allowed (403): Role 'viewer' cannot write credential providers; an admin token is required"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(session.json(&["providers", "list"]).as_array().unwrap().is_empty(), "nothing was written");
}

#[tokio::test]
async fn leases_are_listed_renewed_and_revoked_and_hold_their_provider() {
    let Some(url) = postgres::url().await else { return };
    let schema = Schema::new(&url).await;
    let session = Session::logged_in();
    store_admin_url(&session, &url);
    let provider = session.write("pg.json", &serde_json::to_string_pretty(&schema.provider()).unwrap());
    session.ok(&["providers", "set", "pg", "-f", provider.to_str().unwrap()]);
    let integration = session.write("reader.json", &postgres::leasing_integration("reader").to_string());
    session.ok(&["integrations", "create", "-f", integration.to_str().unwrap()]);

    // `env` resolves with real values and leaves its lease to the caller.
    let env = session.json(&["env", "-i", "reader", "--format", "json"]);
    let user = env["PGUSER"].as_str().unwrap().to_owned();
    assert!(postgres::role_exists(&url, &user).await, "{user}");

    let leases = session.json(&["leases", "list", "--provider", "pg", "--integration", "reader"]);
    let [lease] = leases.as_array().unwrap().as_slice() else { panic!("one lease: {leases}") };
    assert_eq!((&lease["username"], &lease["state"]), (&json!(user), &json!("active")));
    let id = lease["id"].as_str().unwrap().to_owned();
    assert!(session.json(&["leases", "list", "--state", "revoked"]).as_array().unwrap().is_empty());
    let table = session.ok(&["leases", "list", "-o", "table"]);
    assert!(table.starts_with("ID") && table.contains(&id) && table.contains("active"), "{table}");
    let stderr = fails(&session, &["leases", "list", "--state", "expired"], 2);
    assert!(stderr.contains("revoke_failed"), "the states are listed: {stderr}");

    let stderr = fails(&session, &["providers", "delete", "pg", "--yes"], 6);
    assert!(stderr.contains("credential provider 'pg' has 1 lease(s) not yet revoked"), "{stderr}");
    assert!(stderr.contains("patchbay leases list --provider pg"), "{stderr}");

    let renewed = session.json(&["leases", "renew", &id, "--ttl", "120"]);
    let short = renewed["expires_at"].as_str().unwrap().to_owned();
    // Without --ttl, the provider's default (600s): later than 120s.
    let renewed = session.json(&["leases", "renew", &id]);
    assert!(renewed["expires_at"].as_str().unwrap() > short.as_str(), "{renewed} after {short}");
    let stderr = fails(&session, &["leases", "renew", &id, "--ttl", "0"], 2);
    assert!(stderr.contains("--ttl"), "{stderr}");

    let stderr = fails(&session, &["leases", "revoke", &id], 0);
    assert!(stderr.contains(&format!("Revoked lease {id}")), "{stderr}");
    assert!(!postgres::role_exists(&url, &user).await, "{user} is dropped");
    let revoked = session.json(&["leases", "list", "--state", "revoked"]);
    assert_eq!(revoked[0]["id"], json!(id));
    let stderr = fails(&session, &["leases", "revoke", "00000000-0000-0000-0000-000000000000"], 5);
    assert!(!stderr.is_empty());

    fails(&session, &["providers", "delete", "pg", "--yes"], 0);
}
