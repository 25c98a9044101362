//! Who a token says it is: `token mint` names its holder readably, the
//! server records that name as the author, `login` and `whoami` show it,
//! `logout` forgets the login.
use super::{Session, text};
use serde_json::Value;

#[tokio::test]
async fn a_minted_token_names_its_holder_everywhere_it_shows() {
    let session = Session::start();
    let token = session.token("admin");
    let out = session.run(&["login", "--server", &session.url, "--token", &token]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(said.contains(&format!("Logged in to {} as admin@acme (admin of acme)", session.url)), "{said}");
    assert!(said.contains("the token expires ") && said.contains("UTC (in 29 days)"), "{said}");

    let created = session.json(&["integrations", "create", "--name", "api", "--type", "api"]);
    assert_eq!(created["created_by"], "admin@acme");
    let history = session.ok(&["integrations", "history", "api", "-o", "table"]);
    assert!(history.lines().nth(1).is_some_and(|l| l.contains("admin@acme")), "{history}");
    let audit: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/audit-events", session.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actors: Vec<&Value> = audit["events"].as_array().unwrap().iter().map(|e| &e["actor"]).collect();
    assert!(!actors.is_empty() && actors.iter().all(|a| *a == "admin@acme"), "{audit}");

    // With an email, the email is the name.
    let member = support_mint(&session, &["--role", "member", "--email", "ada@example.com"]);
    let out = session.run(&["whoami", "--token", &member, "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let me: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["server"], session.url.as_str());
    assert_eq!((me["organization"].as_str(), me["role"].as_str()), (Some("acme"), Some("member")));
    assert_eq!(
        (me["user"].as_str(), me["email"].as_str()),
        (Some("ada@example.com"), Some("ada@example.com"))
    );
}

fn support_mint(session: &Session, args: &[&str]) -> String {
    let mut all = vec!["--org", "acme"];
    all.extend_from_slice(args);
    super::support::mint(&session.dir.join("data"), &all)
}

#[test]
fn whoami_shows_the_saved_login_and_logout_removes_it() {
    let session = Session::logged_in();
    let table = session.ok(&["whoami", "-o", "table"]);
    for line in [
        format!("server:       {}", session.url),
        "organization: acme".to_owned(),
        "role:         admin".to_owned(),
        "user:         admin@acme".to_owned(),
    ] {
        assert!(table.lines().any(|l| l == line), "{line}: {table}");
    }
    assert!(table.lines().any(|l| l.starts_with("expires:      ") && l.ends_with("(in 29 days)")), "{table}");

    let out = session.run(&["logout"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Logged out"), "{}", text(&out.stderr));
    assert!(!session.config_file().exists());
    let out = session.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("not logged in"), "{}", text(&out.stderr));
    let out = session.run(&["logout"]);
    assert!(out.status.success() && text(&out.stderr).contains("Not logged in"), "{}", text(&out.stderr));

    // A token the server does not take: whose it is is still shown, then why it fails.
    let other = Session::start();
    let foreign = other.token("viewer");
    let out = session.run(&["whoami", "--server", &session.url, "--token", &foreign, "-o", "table"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("role:         viewer"), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("refused the token (401)"), "{}", text(&out.stderr));
}
