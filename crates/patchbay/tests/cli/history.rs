//! `patchbay integrations history|restore` against a real server.
use crate::{Session, text};
use serde_json::json;

#[test]
fn history_lists_changes_and_restore_rolls_back() {
    let session = Session::logged_in();
    let file = session
        .write("db.yaml", "name: db\nintegration_type: postgres\nconfig:\n  env_vars: {DB_HOST: one}\n");
    session.json(&["integrations", "create", "-f", file.to_str().unwrap()]);
    session.json(&["integrations", "update", "db", "--env", "DB_HOST=two", "--description", "moved"]);

    let history = session.json(&["integrations", "history", "db"]);
    let revisions: Vec<i64> =
        history.as_array().unwrap().iter().map(|e| e["revision"].as_i64().unwrap()).collect();
    assert_eq!(revisions, [2, 1]);
    assert_eq!(history[0]["kind"], "update");
    let changed = history[0]["changed"].as_array().unwrap();
    assert!(changed.iter().any(|f| f.as_str().unwrap().contains("DB_HOST")), "{history}");
    assert!(changed.iter().any(|f| f == "description"), "{history}");
    let table = session.ok(&["integrations", "history", "db", "-o", "table"]);
    assert!(table.starts_with("REVISION") && table.contains("create"), "{table}");

    let out = session.run(&["integrations", "restore", "db", "--revision", "1", "-o", "table"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("restored to revision 1, as revision 3"), "{}", text(&out.stderr));
    let now = session.json(&["integrations", "get", "db"]);
    assert_eq!(now["config"]["env_vars"], json!({"DB_HOST": "one"}));
    assert_eq!(now["description"], json!(null));

    let out = session.run(&["integrations", "restore", "db", "--revision", "99"]);
    assert_eq!(out.status.code(), Some(5), "a missing revision is not found: {}", text(&out.stderr));
}

#[test]
fn approve_shows_the_diff_and_lets_a_members_change_receive_secrets() {
    let session = Session::logged_in();
    let file = session.write(
        "db.yaml",
        "name: db\nintegration_type: postgres\nconfig:\n  secrets: [DB_PASSWORD]\n  connection_test: {command: 'true'}\n",
    );
    session.json(&["integrations", "create", "-f", file.to_str().unwrap()]);
    // A member changes the command: revision 2 needs an admin's approval.
    let member = session.token("member");
    let out = session
        .command(&["integrations", "update", "db", "--description", "x"])
        .env("PATCHBAY_TOKEN", &member)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = session.write(
        "db2.yaml",
        "name: db\nintegration_type: postgres\nconfig:\n  secrets: [DB_PASSWORD]\n  connection_test: {command: env}\n",
    );
    let out = session
        .command(&["apply", "-f", file.to_str().unwrap()])
        .env("PATCHBAY_TOKEN", &member)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let history = session.json(&["integrations", "history", "db"]);
    assert_eq!(history[0]["revision"], 3, "{history}");

    // A member cannot approve.
    let out =
        session.command(&["integrations", "approve", "db"]).env("PATCHBAY_TOKEN", &member).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "forbidden: {}", text(&out.stderr));

    let out = session.run(&["integrations", "approve", "db", "-o", "table"]);
    let said = text(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("config.connection_test"), "the diff is shown: {said}");
    assert!(said.contains("Revision 3 of db approved by"), "{said}");
    let approved = session.json(&["integrations", "approve", "db", "--revision", "3"]);
    assert_eq!(approved["approval"]["kind"], "approved");
    // Revision 1 was written by the admin.
    let out = session.run(&["integrations", "approve", "db", "--revision", "1", "-o", "table"]);
    assert!(text(&out.stderr).contains("written by an admin"), "{}", text(&out.stderr));
}

#[test]
fn a_deleted_integration_is_found_by_name_and_restored() {
    let session = Session::logged_in();
    let first =
        session.json(&["integrations", "create", "--name", "db", "--type", "postgres", "--env", "V=one"]);
    let out = session.run(&["integrations", "delete", "db"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // get and history reach it by the name it had, saying it is deleted.
    let out = session.run(&["integrations", "get", "db"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["status"], "deleted");
    assert!(text(&out.stderr).contains("db is deleted"), "{}", text(&out.stderr));
    let history = session.json(&["integrations", "history", "db"]);
    assert_eq!(history[0]["kind"], "delete", "{history}");

    // A live integration takes the name: it wins, and the deleted one is named.
    let second =
        session.json(&["integrations", "create", "--name", "db", "--type", "postgres", "--env", "V=two"]);
    let out = session.run(&["integrations", "get", "db"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["id"], second["id"]);
    let note = text(&out.stderr);
    assert!(
        note.contains("live integration named db") && note.contains(first["id"].as_str().unwrap()),
        "{note}"
    );

    // Restoring the deleted one while its name is taken is a conflict; once
    // the live one is gone, restore by name brings the deleted one back.
    let out = session.run(&["integrations", "restore", first["id"].as_str().unwrap(), "--revision", "1"]);
    assert_eq!(out.status.code(), Some(6), "the name is taken: {}", text(&out.stderr));
    session.ok(&["integrations", "delete", "db", "--hard", "--yes"]);
    let out = session.run(&["integrations", "restore", "db", "--revision", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let restored = session.json(&["integrations", "get", "db"]);
    assert_eq!((&restored["id"], &restored["status"]), (&first["id"], &json!("active")));
    assert_eq!(restored["config"]["env_vars"]["V"], "one");
}
