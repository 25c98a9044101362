//! Guard rails: an empty secret is refused, and deletions that cannot be
//! undone ask first at a terminal (never in a pipe).
use super::{Session, text};
use std::process::Stdio;

#[test]
fn an_empty_secret_is_refused_unless_allowed() {
    let session = Session::logged_in();
    // `printf '%s' "$UNSET" | patchbay secrets set NAME`
    let out = session.run_with_stdin(&["secrets", "set", "DB_PASSWORD"], "");
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--allow-empty"), "{}", text(&out.stderr));
    let out = session.run_with_stdin(&["secrets", "set", "DB_PASSWORD"], "\n");
    assert_eq!(out.status.code(), Some(7), "a lone newline is empty too");
    assert_eq!(session.json(&["secrets", "list"]), serde_json::json!([]));

    let out = session.run_with_stdin(&["secrets", "set", "DB_PASSWORD", "--allow-empty"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(session.json(&["secrets", "versions", "DB_PASSWORD"]).as_array().unwrap().len(), 1);
}

/// Runs `args` under `script`, so its stdin is a terminal, typing `answer`.
fn at_a_terminal(session: &Session, args: &[&str], answer: &str) -> (bool, String) {
    let line = std::iter::once(super::BIN).chain(args.iter().copied()).collect::<Vec<_>>().join(" ");
    let mut child = session
        .program("script", &["-qec", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), answer.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), text(&out.stdout) + &text(&out.stderr))
}

#[test]
fn irreversible_deletes_ask_at_a_terminal_and_not_in_a_pipe() {
    let session = Session::logged_in();
    for name in ["kept", "piped", "yes"] {
        session.json(&["integrations", "create", "--name", name, "--type", "api"]);
    }
    let out = session.run_with_stdin(&["secrets", "set", "S"], "v");
    assert!(out.status.success());

    let (ok, said) = at_a_terminal(&session, &["integrations", "delete", "kept", "--hard"], "n\n");
    assert!(!ok && said.contains("for good") && said.contains("cancelled"), "{said}");
    let (ok, said) = at_a_terminal(&session, &["secrets", "delete", "S"], "no\n");
    assert!(!ok && said.contains("Delete secret S") && said.contains("cancelled"), "{said}");
    assert_eq!(session.json(&["integrations", "get", "kept"])["status"], "active");
    assert_eq!(session.json(&["secrets", "list"])[0]["name"], "S");

    let (ok, said) = at_a_terminal(&session, &["integrations", "delete", "kept", "--hard"], "y\n");
    assert!(ok, "{said}");
    let (ok, said) = at_a_terminal(&session, &["integrations", "delete", "yes", "--hard", "--yes"], "");
    assert!(ok && !said.contains("[y/N]"), "{said}");
    // A soft delete can be undone: no question.
    let (ok, said) =
        at_a_terminal(&session, &["integrations", "create", "--name", "soft", "--type", "api"], "");
    assert!(ok, "{said}");
    let (ok, said) = at_a_terminal(&session, &["integrations", "delete", "soft"], "");
    assert!(ok && !said.contains("[y/N]"), "{said}");

    // In a pipe nobody can answer: no question, as scripts expect.
    assert!(session.run(&["integrations", "delete", "piped", "--hard"]).status.success());
    assert!(session.run(&["secrets", "delete", "S"]).status.success());
    assert_eq!(session.names(), Vec::<String>::new());
}
