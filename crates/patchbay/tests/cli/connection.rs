//! `patchbay integrations test` against a real `patchbay serve`, whose
//! embedded worker runs the tests.
use crate::{Session, text};

fn create(session: &Session, name: &str, command: &str) {
    let body = format!(
        "name: {name}\nintegration_type: custom\nconfig:\n  env_vars: {{TARGET: here}}\n  connection_test: {{command: '{command}', timeout: 10}}\n"
    );
    let file = session.write(&format!("{name}.yaml"), &body);
    session.json(&["integrations", "create", "-f", file.to_str().unwrap()]);
}

#[test]
fn test_one_and_all_with_exit_codes() {
    let session = Session::logged_in();
    create(&session, "good", "echo reaching $TARGET");
    create(&session, "bad", "echo nope >&2; exit 3");

    let out = session.run(&["integrations", "test", "good", "-o", "table"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.starts_with("good: passed in ") && shown.contains("reaching here"), "{shown}");

    let out = session.run(&["integrations", "test", "bad"]);
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((result["status"].as_str(), result["exit_code"].as_i64()), (Some("failed"), Some(3)));
    assert!(result["output"].as_str().unwrap().contains("nope"));

    let stderr = text(&out.stderr);
    assert!(stderr.contains("the connection test of bad failed with exit code 3"), "{stderr}");

    let out = session.run(&["integrations", "test", "--all"]);
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stderr));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut statuses: Vec<(String, String)> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["integration_name"].as_str().unwrap().to_owned(), r["status"].as_str().unwrap().to_owned())
        })
        .collect();
    statuses.sort();
    assert_eq!(statuses, [("bad".to_owned(), "failed".to_owned()), ("good".to_owned(), "passed".to_owned())]);
    assert!(text(&out.stderr).contains("1 of 2 connection tests passed"), "{}", text(&out.stderr));

    let out = session.run(&["integrations", "test"]);
    assert_eq!(out.status.code(), Some(2), "a name or --all is required");
}

#[test]
fn a_test_that_ends_in_error_says_so_in_a_sentence() {
    let session = Session::logged_in();
    // The worker refuses a bundle that sets BASH_ENV: the test ends in error.
    let file = session.write(
        "risky.yaml",
        "name: risky\nintegration_type: custom\nconfig:\n  env_vars: {BASH_ENV: /tmp/x}\n  connection_test: {command: 'true', timeout: 10}\n",
    );
    session.json(&["integrations", "create", "-f", file.to_str().unwrap()]);
    let out = session.run(&["integrations", "test", "risky", "-o", "table"]);
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("the connection test of risky ended in error: "), "{stderr}");
    assert!(text(&out.stdout).contains("BASH_ENV"), "the whole reason is shown: {}", text(&out.stdout));
}
