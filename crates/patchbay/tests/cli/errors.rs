//! What the client says when things go wrong, and its exit codes.
use super::{Session, text};

#[test]
fn server_down_names_the_url_and_how_to_start_one() {
    let mut session = Session::logged_in();
    let url = session.url.clone();
    session.stop_server();
    let out = session.run(&["integrations", "list"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("could not reach the Patchbay server at {url}")), "{stderr}");
    assert!(stderr.contains("patchbay serve"), "{stderr}");
    // --server overrides the saved login.
    let out = session.run(&["templates", "list", "--server", "http://127.0.0.1:9"]);
    assert!(text(&out.stderr).contains("at http://127.0.0.1:9"), "{}", text(&out.stderr));
}

#[test]
fn bad_or_missing_token_says_how_to_log_in() {
    let session = Session::start();
    for token in [None, Some("not-a-token")] {
        let mut args = vec!["integrations", "list", "--server", &session.url];
        if let Some(token) = token {
            args.extend(["--token", token]);
        }
        let out = session.run(&args);
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("patchbay login --server URL --token TOKEN"), "{stderr}");
    }
    // PATCHBAY_TOKEN works as --token does; a viewer may not write.
    let viewer = session.token("viewer");
    let out = session
        .command(&["integrations", "create", "--name", "x", "--type", "api"])
        .env("PATCHBAY_SERVER", &session.url)
        .env("PATCHBAY_TOKEN", &viewer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("not allowed (403)"), "{}", text(&out.stderr));
}

#[test]
fn validation_errors_one_field_a_line() {
    let session = Session::logged_in();
    let out = session.run(&[
        "integrations",
        "create",
        "--from-template",
        "redis",
        "--name",
        "r",
        "--env",
        "1BAD=x",
        "--secret",
        "NO-DASH",
    ]);
    assert_eq!(out.status.code(), Some(7));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[0], "error: the server refused the request:", "{stderr}");
    // Named by the flags that set them, not by the API's body paths.
    assert!(lines[1].starts_with("  --env 1BAD: String should match pattern"), "{stderr}");
    assert!(lines[2].starts_with("  --secret NO-DASH: String should match pattern"), "{stderr}");

    let out = session.run(&["integrations", "create", "--name", "", "--type", ""]);
    assert_eq!(out.status.code(), Some(7));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("  --name: String should have at least 1 character"), "{stderr}");
    assert!(stderr.contains("  --type: String should have at least 1 character"), "{stderr}");
    assert!(!stderr.contains("body."), "{stderr}");

    let out = session.run(&["integrations", "create", "--name", "no-type"]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stderr).trim(), "error: --type is required");
    session.json(&["integrations", "create", "--name", "renamed", "--type", "api"]);
    let out = session.run(&["integrations", "update", "renamed", "--env", "1X=y"]);
    assert_eq!(out.status.code(), Some(7));
    assert!(text(&out.stderr).contains("--env 1X: "), "{}", text(&out.stderr));
    // A body from a file is named by its place in the file.
    let file = session.write("bad.yaml", "name: f\nintegration_type: api\nconfig: {env_vars: {P: 5}}\n");
    let out = session.run(&["integrations", "create", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(7));
    let said = format!("error: {}: config.env_vars.P: Input should be a valid string", file.display());
    assert_eq!(text(&out.stderr).trim(), said);

    session.json(&["integrations", "create", "--name", "taken", "--type", "api"]);
    let out = session.run(&["integrations", "create", "--name", "taken", "--type", "api"]);
    assert_eq!(out.status.code(), Some(6));
    assert!(text(&out.stderr).contains("Custom integration with name 'taken' already exists"));
    let out = session.run(&["integrations", "get", "missing"]);
    assert_eq!(out.status.code(), Some(5));
    let out = session.run(&["integrations", "list", "--bogus"]);
    assert_eq!(out.status.code(), Some(2), "usage errors are clap's 2");
}

#[test]
fn a_server_without_a_scheme_is_http_and_a_malformed_one_is_named_as_such() {
    let session = Session::start();
    let token = session.token("admin");
    let bare = session.url.trim_start_matches("http://").to_owned();
    let out = session.run(&["login", "--server", &bare, "--token", &token]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let saved = std::fs::read_to_string(session.config_file()).unwrap();
    assert!(saved.contains(&format!("\"{}\"", session.url)), "saved with its scheme: {saved}");
    assert!(session.run(&["templates", "list", "--server", &bare]).status.success());

    for malformed in ["http://a b", "ftp://host", "http:/127.0.0.1", ""] {
        let out = session.run(&["integrations", "list", "--server", malformed, "--token", &token]);
        assert_eq!(out.status.code(), Some(2), "{malformed:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("--server / PATCHBAY_SERVER: the server URL"), "{stderr}");
        assert!(!stderr.contains("could not reach"), "{stderr}");
    }
    // A bad URL in the saved login names the file to fix.
    std::fs::write(session.config_file(), format!("server = \"http://a b\"\ntoken = \"{token}\"\n")).unwrap();
    let out = session.run(&["integrations", "list"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&session.config_file().display().to_string()), "{stderr}");
}
