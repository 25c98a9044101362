//! A user's first session: login, a template, an integration, a secret.
use super::{Session, text};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

#[test]
fn login_saves_an_owner_only_config_that_later_commands_use() {
    let session = Session::start();
    let token = session.token("admin");
    let out = session.run(&["login", "--server", &session.url, "--token", &token]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let config = session.config_file();
    let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(config.parent().unwrap()).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert!(std::fs::read_to_string(&config).unwrap().contains(&session.url));
    // No --server, no --token: the saved login is used.
    assert_eq!(session.json(&["integrations", "list"]), serde_json::json!([]));

    // A bad token is refused before anything is saved.
    let out = session.run(&["login", "--server", &session.url, "--token", "not-a-token"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&config).unwrap().contains(&token), "the old login stays");
}

#[test]
fn templates_list_and_show() {
    let session = Session::logged_in();
    let all = session.json(&["templates", "list"]);
    assert!(all.as_array().unwrap().len() >= 16);
    let table = session.ok(&["templates", "list", "--category", "messaging", "-o", "table"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ID ") && lines[0].contains("CATEGORY"), "{table}");
    assert!(lines.iter().skip(1).all(|l| l.contains("messaging")), "{table}");
    assert!(lines.iter().any(|l| l.starts_with("kafka ")), "{table}");
    let redis = session.json(&["templates", "show", "redis"]);
    assert_eq!(redis["config"]["env_vars"]["REDISCLI_AUTH"], "${REDIS_PASSWORD}");
    let out = session.run(&["templates", "show", "nope"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(text(&out.stderr).contains("Integration template 'nope' not found"));
}

#[test]
fn create_from_template_list_as_table_and_json_then_resolve() {
    let session = Session::logged_in();
    let created = session.json(&[
        "integrations",
        "create",
        "--from-template",
        "mysql",
        "--name",
        "orders-db",
        "--env",
        "MYSQL_HOST=db.internal",
        "--tag",
        "prod",
        "--description",
        "orders",
    ]);
    assert_eq!(created["name"], "orders-db");
    assert_eq!(created["config"]["env_vars"]["MYSQL_HOST"], "db.internal");
    assert_eq!(created["tags"], serde_json::json!(["prod"]));

    let listed = session.json(&["integrations", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], created["id"]);
    let table = session.ok(&["integrations", "list", "-o", "table"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    let header_type = lines[0].find("TYPE").unwrap();
    assert_eq!(lines[1].find("mysql"), Some(header_type), "columns are aligned: {table}");
    assert!(lines[1].starts_with("orders-db ") && lines[1].contains("active"), "{table}");

    let got = session.json(&["integrations", "get", "orders-db"]);
    assert_eq!(got["id"], created["id"]);
    let by_id = session.json(&["integrations", "get", created["id"].as_str().unwrap()]);
    assert_eq!(by_id, got);

    let updated =
        session.json(&["integrations", "update", "orders-db", "--env", "MYSQL_PORT=3307", "--tag", "db"]);
    assert_eq!(updated["config"]["env_vars"]["MYSQL_PORT"], "3307");
    assert_eq!(updated["config"]["env_vars"]["MYSQL_HOST"], "db.internal");
    assert_eq!(updated["tags"], serde_json::json!(["db"]));

    // The secret, then the option file really gets its values.
    let out = session.run_with_stdin(&["secrets", "set", "MYSQL_PASSWORD"], "pw-from-stdin\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let home = session.path("agent-home");
    let out =
        session.run(&["run", "-i", "orders-db", "--home", &home, "--", "sh", "-c", "cat \"$HOME/.my.cnf\""]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cnf = text(&out.stdout);
    assert!(
        cnf.contains("host=db.internal\nport=3307\n") && cnf.contains("password=pw-from-stdin\n"),
        "{cnf}"
    );

    let out = session.run(&["integrations", "delete", "orders-db"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(session.json(&["integrations", "list"]), serde_json::json!([]));
    let deleted = session.json(&["integrations", "list", "--status", "deleted"]);
    assert_eq!(deleted[0]["status"], "deleted");
}

#[test]
fn secrets_set_reads_stdin_and_never_shows_the_value() {
    let session = Session::logged_in();
    let value = "very-secret-value-8d1f";
    let mut child = session
        .command(&["secrets", "set", "API_TOKEN", "--description", "ci"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // While it waits for the value, its command line is what `ps` shows.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    assert!(!text(&cmdline).contains(value));
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), value.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout) + &text(&out.stderr);
    assert!(!printed.contains(value), "{printed}");
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((meta["name"].as_str(), meta["version"].as_i64()), (Some("API_TOKEN"), Some(1)));

    // From a file, byte for byte; then a second version.
    let file = session.write("token.txt", "line one\nline two\n");
    let meta = session.json(&["secrets", "set", "API_TOKEN", "--from-file", file.to_str().unwrap()]);
    assert_eq!(meta["version"], 2);
    let versions = session.json(&["secrets", "versions", "API_TOKEN"]);
    assert_eq!(versions.as_array().unwrap().len(), 2);
    let table = session.ok(&["secrets", "list", "-o", "table"]);
    assert!(table.starts_with("NAME ") && table.contains("API_TOKEN") && table.contains("ci"), "{table}");
    assert!(!table.contains("line one") && !table.contains(value));

    // The value that reached the vault is the file's, exactly.
    session.json(&["integrations", "create", "--name", "api", "--type", "api", "--secret", "API_TOKEN"]);
    let env = session.ok(&["env", "-i", "api", "--format", "json"]);
    let env: Value = serde_json::from_str(&env).unwrap();
    assert_eq!(env["API_TOKEN"], "line one\nline two\n");

    assert!(session.run(&["secrets", "delete", "API_TOKEN"]).status.success());
    assert_eq!(session.json(&["secrets", "list"]), serde_json::json!([]));
}

#[test]
fn completions_for_each_shell() {
    let session = Session::start();
    for shell in ["bash", "zsh", "fish"] {
        let script = session.ok(&["completions", shell]);
        assert!(script.contains("integrations") && script.contains("apply"), "{shell}");
    }
}

#[test]
fn create_from_a_file_update_and_hard_delete() {
    let session = Session::logged_in();
    let file = session.write(
        "cache.yaml",
        "name: cache\nintegration_type: redis\nconfig:\n  env_vars: {REDIS_HOST: a, REDIS_PORT: '6379'}\n",
    );
    let created = session.json(&["integrations", "create", "-f", file.to_str().unwrap(), "--tag", "dev"]);
    assert_eq!(
        (&created["name"], &created["tags"]),
        (&serde_json::json!("cache"), &serde_json::json!(["dev"]))
    );

    let updated = session.json(&[
        "integrations",
        "update",
        "cache",
        "--status",
        "inactive",
        "--unset",
        "REDIS_PORT",
        "--description",
        "d",
        "--rename",
        "cache-2",
    ]);
    assert_eq!(updated["status"], "inactive");
    assert_eq!(updated["name"], "cache-2");
    assert_eq!(updated["description"], "d");
    assert_eq!(updated["config"]["env_vars"], serde_json::json!({"REDIS_HOST": "a"}));
    let out = session.run(&["integrations", "update", "cache-2", "--env", "1X=y"]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));

    let out = session.run(&["integrations", "delete", "cache-2", "--hard"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(session.json(&["integrations", "list", "--status", "deleted"]), serde_json::json!([]));
    assert_eq!(session.run(&["integrations", "get", created["id"].as_str().unwrap()]).status.code(), Some(5));
}

#[test]
fn completions_end_quietly_when_the_reader_stops_early() {
    // `patchbay completions bash | head -1`: the reader is gone before the
    // script is written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(super::BIN)
        .args(["completions", "bash"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
}
