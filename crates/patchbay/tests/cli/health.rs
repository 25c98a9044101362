//! Health in `integrations list` and `get` (from results the embedded worker
//! produces), and the test's schedule set from flags.
use crate::{Session, text};
use serde_json::{Value, json};

fn create(session: &Session, name: &str, command: &str) {
    session.json(&["integrations", "create", "--name", name, "--type", "custom", "--test-command", command]);
}

/// The table's cell under `header` in the row of `name`.
fn cell(table: &str, name: &str, header: &str) -> String {
    let headers: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    let column = headers.iter().position(|h| *h == header).unwrap_or_else(|| panic!("no {header}: {table}"));
    let row = table.lines().find(|line| line.split_whitespace().next() == Some(name));
    let row = row.unwrap_or_else(|| panic!("no row {name}: {table}"));
    row.split_whitespace().nth(column).unwrap().to_owned()
}

#[tokio::test]
async fn list_and_get_show_each_integrations_health() {
    let session = Session::logged_in();
    create(&session, "good", "true");
    create(&session, "bad", "echo nope >&2; exit 3");
    create(&session, "untested", "true");
    assert!(session.run(&["integrations", "test", "good"]).status.success());
    assert_eq!(session.run(&["integrations", "test", "bad"]).status.code(), Some(8));

    let table = session.ok(&["integrations", "list", "-o", "table"]);
    assert!(table.starts_with("NAME "), "{table}");
    let health: Vec<String> = ["good", "bad", "untested"].iter().map(|n| cell(&table, n, "HEALTH")).collect();
    assert_eq!(health, ["healthy", "failing", "unknown"]);
    assert_eq!(cell(&table, "bad", "STATUS"), "active", "the other columns stay in place");

    // JSON is the API's list, untouched: no health field added.
    let listed = session.json(&["integrations", "list"]);
    let token = session.token("viewer");
    let api: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/custom-integrations", session.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, api);
    assert!(listed.as_array().unwrap().iter().all(|i| i.get("health").is_none()));

    let shown = session.ok(&["integrations", "get", "bad", "-o", "table"]);
    assert!(
        shown.contains("health: failing since 20") && shown.contains("(1 consecutive failure)"),
        "{shown}"
    );
    assert!(shown.contains("last test: failed, exit code 3 at 20"), "{shown}");
    let shown = session.ok(&["integrations", "get", "good", "-o", "table"]);
    assert!(shown.contains("health: healthy since 20") && !shown.contains("consecutive"), "{shown}");
    assert!(shown.contains("last test: passed, exit code 0 at "), "{shown}");
    let shown = session.ok(&["integrations", "get", "untested", "-o", "table"]);
    assert!(
        shown.contains("health: unknown (no test result yet)") && !shown.contains("last test"),
        "{shown}"
    );
    let got = session.json(&["integrations", "get", "bad"]);
    assert!(got.get("health").is_none() && got["name"] == "bad", "get's JSON is the API's: {got}");
}

#[test]
fn the_schedule_is_set_from_flags_and_round_trips_through_export() {
    let session = Session::logged_in();
    let created = session.json(&[
        "integrations",
        "create",
        "--name",
        "db",
        "--type",
        "custom",
        "--test-command",
        "true",
        "--test-interval",
        "3600",
    ]);
    assert_eq!(
        created["config"]["connection_test"],
        json!({"enabled": true, "command": "true", "timeout": 5, "interval_seconds": 3600})
    );
    let updated = session.json(&["integrations", "update", "db", "--test-interval", "86400"]);
    assert_eq!(updated["config"]["connection_test"]["interval_seconds"], 86400);

    let exported = session.ok(&["integrations", "export"]);
    assert!(exported.contains("interval_seconds: 86400"), "{exported}");
    let file = session.write("exported.yaml", &exported);
    let out = session.ok(&["apply", "-f", file.to_str().unwrap(), "-o", "table"]);
    assert!(out.contains("No changes: 1 integration(s) already match."), "{out}");

    // Bad values name the flag, exit 7 (invalid), and change nothing.
    for (value, expected) in [
        ("0", "--test-interval 0: Input should be greater than or equal to 1"),
        ("604801", "--test-interval 604801: Input should be less than or equal to 604800"),
    ] {
        let out = session.run(&["integrations", "update", "db", "--test-interval", value]);
        assert_eq!(out.status.code(), Some(7), "{value}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(expected), "{value}: {}", text(&out.stderr));
    }
    let out = session.run(&[
        "integrations",
        "create",
        "--name",
        "bare",
        "--type",
        "custom",
        "--test-interval",
        "60",
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--test-interval: the integration has no connection test"));
    assert_eq!(session.names(), ["db"]);
    assert_eq!(session.json(&["integrations", "get", "db"])["updated_at"], updated["updated_at"]);

    let unscheduled = session.json(&["integrations", "update", "db", "--no-test-interval"]);
    assert_eq!(
        unscheduled["config"]["connection_test"],
        json!({"enabled": true, "command": "true", "timeout": 5}),
        "on demand only, the rest of the test kept"
    );
}
