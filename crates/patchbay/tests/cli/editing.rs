//! The CLI edits everything the API can: files (from a local file, from a
//! secret, their modes, removal), the connection test, and whole lists.
use crate::{Session, text};
use serde_json::json;

#[test]
fn files_tests_and_lists_are_edited_from_flags() {
    let session = Session::logged_in();
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let local = session.write("ca.pem", pem);
    let created = session.json(&[
        "integrations",
        "create",
        "--name",
        "db",
        "--type",
        "postgres",
        "--secret",
        "PGPASSWORD",
        "--tag",
        "prod",
        "--file",
        &format!("~/.postgresql/root.crt=@{}", local.display()),
        "--file-secret",
        "~/.pgpass=PGPASS",
        "--file-mode",
        "~/.pgpass=0600",
        "--test-command",
        "pg_isready",
        "--test-timeout",
        "9",
    ]);
    let config = &created["config"];
    assert_eq!(config["files"][0]["path"], "~/.postgresql/root.crt");
    assert_eq!(config["files"][0]["content"], pem, "the local file's bytes");
    assert_eq!(
        (&config["files"][1]["secret_ref"], &config["files"][1]["mode"]),
        (&json!("PGPASS"), &json!("0600"))
    );
    assert_eq!(config["connection_test"], json!({"enabled": true, "command": "pg_isready", "timeout": 9}));

    let updated = session.json(&[
        "integrations",
        "update",
        "db",
        "--remove-file",
        "~/.postgresql/root.crt",
        "--file",
        "notes.txt=read-only replica",
        "--test-command",
        "psql -c 'select 1'",
        "--clear-tags",
        "--clear-secrets",
    ]);
    let config = &updated["config"];
    let paths: Vec<&str> =
        config["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["~/.pgpass", "notes.txt"]);
    assert_eq!(config["connection_test"]["command"], "psql -c 'select 1'");
    assert_eq!(config["connection_test"]["timeout"], 9, "the timeout stays");
    assert_eq!((&updated["tags"], &config["secrets"]), (&json!([]), &json!([])));

    let updated = session.json(&["integrations", "update", "db", "--no-test"]);
    assert_eq!(updated["config"]["connection_test"], json!(null));

    // Bad values name their flag, exit 7 (invalid), and change nothing.
    for (flag, value, expected) in [
        ("--file-mode", "notes.txt=999", "--file-mode notes.txt=999"),
        ("--remove-file", "missing.txt", "--remove-file missing.txt: the integration has no such file"),
        ("--file", "x=@/nonexistent/local", "--file: cannot read /nonexistent/local"),
        ("--test-timeout", "5", "--test-timeout: the integration has no connection test"),
    ] {
        let out = session.run(&["integrations", "update", "db", flag, value]);
        assert_eq!(out.status.code(), Some(7), "{flag}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(expected), "{flag}: {}", text(&out.stderr));
    }
    assert_eq!(session.json(&["integrations", "get", "db"])["updated_at"], updated["updated_at"]);
}

#[test]
fn a_template_takes_file_edits_and_its_own_secret_names() {
    let session = Session::logged_in();
    let created = session.json(&[
        "integrations",
        "create",
        "--from-template",
        "mysql",
        "--name",
        "orders",
        "--secret-prefix",
        "ORDERS_",
        "--file-mode",
        "~/.my.cnf=0400",
    ]);
    let cnf = &created["config"]["files"][0];
    assert_eq!(cnf["mode"], "0400");
    assert!(cnf["content"].as_str().unwrap().contains("password={{.secret.ORDERS_MYSQL_PASSWORD}}"), "{cnf}");
    let out = session.run(&[
        "integrations",
        "create",
        "--from-template",
        "mysql",
        "--name",
        "x",
        "--secret-name",
        "NOPE=Y",
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("'NOPE' is not a secret of template 'mysql'"),
        "{}",
        text(&out.stderr)
    );
}
