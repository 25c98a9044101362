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
