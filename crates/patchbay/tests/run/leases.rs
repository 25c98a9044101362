//! `patchbay run` with dynamic credentials. Against the real server and the
//! real PostgreSQL: the command gets a user of its own, and that user is
//! gone once the command ends, however it ends. Against the fake API: a
//! run that never started its command revokes too, and a revocation that
//! fails or never answers is a warning naming the lease, never a changed
//! exit code.
use super::fake_api::{self, EXPIRES, REFUSED, REVOKED};
use super::postgres::{self, Schema};
use super::support::{self, BIN, Options, Server, TempDir};
use super::{output, text};
use patchbay_client::{Client, LeaseQuery};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// A server whose organization `acme` has the provider `pg` (a `readonly`
/// role on `schema`) and the integration `reader` leasing from it; with
/// the admin's token and client.
async fn leasing_server(dir: &TempDir, url: &str, schema: &Schema) -> (Server, String, Client) {
    let data_dir = dir.0.join("data");
    let server = Server::start(Options::new(&data_dir).show_stderr());
    let token = support::mint(&data_dir, &["--org", "acme", "--role", "admin"]);
    let client = Client::new(&server.url(), Some(token.clone()));
    client.put_secret("PG_ADMIN_URL", url, None).await.unwrap();
    let (created, _) = client.put_provider("pg", &schema.provider()).await.unwrap();
    assert!(created);
    client.upsert_integration_by_name("reader", &postgres::leasing_integration("reader")).await.unwrap();
    (server, token, client)
}

/// `patchbay run -i reader -- sh -c SCRIPT`, with `$OUT` naming a file the
/// script may write.
fn run_reader(server: &Server, token: &str, script: &str, out: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["run", "-i", "reader", "--", "sh", "-c", script])
        .env("PATCHBAY_SERVER", server.url())
        .env("PATCHBAY_TOKEN", token)
        .env("OUT", out)
        .stdin(Stdio::null());
    command
}

/// The user the command saw, which must be a leased one.
fn leased_user(out: &Path) -> String {
    let user = std::fs::read_to_string(out).unwrap().trim().to_owned();
    assert!(user.starts_with("patchbay"), "a leased user: {user:?}");
    user
}

/// The user is gone from PostgreSQL and its lease is `revoked`.
async fn revoked(client: &Client, url: &str, user: &str) {
    assert!(!postgres::role_exists(url, user).await, "{user} is dropped");
    let query = LeaseQuery { integration: Some("reader".into()), ..LeaseQuery::default() };
    let leases = client.list_leases(&query).await.unwrap();
    let lease = leases.iter().find(|lease| lease.username == user).expect("the run's lease is listed");
    assert_eq!(lease.state, "revoked", "{lease:?}");
    assert!(lease.revoked_at.is_some());
}

#[tokio::test]
async fn the_runs_user_is_revoked_when_the_command_ends() {
    let Some(url) = postgres::url().await else { return };
    let schema = Schema::new(&url).await;
    let dir = TempDir::new("run-lease");
    let (server, token, client) = leasing_server(&dir, &url, &schema).await;
    let out = dir.0.join("user");

    let ran = run_reader(&server, &token, r#"echo "$PGUSER" > "$OUT""#, &out).output().unwrap();
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    assert!(!text(&ran.stderr).contains("warning"), "{}", text(&ran.stderr));
    let first = leased_user(&out);
    revoked(&client, &url, &first).await;

    // A failing command keeps its exit code, and its user goes all the same.
    let failed = run_reader(&server, &token, r#"echo "$PGUSER" > "$OUT"; exit 5"#, &out).output().unwrap();
    assert_eq!(failed.status.code(), Some(5), "{}", text(&failed.stderr));
    let second = leased_user(&out);
    assert_ne!(first, second, "each run has a user of its own");
    revoked(&client, &url, &second).await;
}

#[tokio::test]
async fn a_terminated_run_revokes_its_user() {
    let Some(url) = postgres::url().await else { return };
    let schema = Schema::new(&url).await;
    let dir = TempDir::new("run-lease");
    let (server, token, client) = leasing_server(&dir, &url, &schema).await;
    let out = dir.0.join("user");
    let script = r#"echo "$PGUSER" > "$OUT"; echo ready; while :; do sleep 0.05; done"#;
    let mut child = run_reader(&server, &token, script, &out).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let user = leased_user(&out);
    assert!(postgres::role_exists(&url, &user).await, "the user exists while the command runs");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15), "the command's death by SIGTERM is passed on");
    revoked(&client, &url, &user).await;
}

#[tokio::test]
async fn a_revocation_that_fails_is_a_warning_naming_the_lease() {
    let Some(url) = postgres::url().await else { return };
    let schema = Schema::new(&url).await;
    let dir = TempDir::new("run-lease");
    let (server, token, _client) = leasing_server(&dir, &url, &schema).await;
    let out = dir.0.join("user");
    let go = dir.0.join("go");
    let script = format!(
        r#"echo "$PGUSER" > "$OUT"; echo ready; while [ ! -e '{}' ]; do sleep 0.05; done; exit 4"#,
        go.display()
    );
    let mut child = run_reader(&server, &token, &script, &out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    // The server goes away while the command runs: nobody can revoke.
    drop(server);
    std::fs::write(&go, "").unwrap();
    let ran = child.wait_with_output().unwrap();
    assert_eq!(ran.status.code(), Some(4), "the exit code stays the command's");
    let user = leased_user(&out);
    let stderr = text(&ran.stderr);
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning: could not revoke lease "))
        .unwrap_or_else(|| panic!("a warning: {stderr}"));
    let id = warning.trim_start_matches("warning: could not revoke lease ").split(' ').next().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "the lease is named by its id: {warning}");
    assert!(warning.contains(&user) && warning.contains("when it expires"), "{warning}");
    // Left to its expiry (and to the schema's guard here).
    assert!(postgres::role_exists(&url, &user).await);
}

fn revoked_by_the_fake(id: &str) -> bool {
    REVOKED.lock().unwrap().iter().any(|revoked| revoked == id)
}

#[test]
fn revocations_that_fail_are_warnings_and_the_exit_code_stays() {
    let server = fake_api::start();
    let out = output(&server, &["run", "-i", "leased", "--", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let warning = |id: &str| {
        let start = format!("warning: could not revoke lease {id} (user user-{id} of pg/readonly): ");
        let line = stderr.lines().find(|line| line.starts_with(&start));
        line.unwrap_or_else(|| panic!("no warning for {id}: {stderr}")).to_owned()
    };
    let refused = warning("lease-refused");
    assert!(refused.contains(REFUSED), "the server's reason: {refused}");
    assert!(refused.ends_with(&format!("the server revokes it when it expires at {EXPIRES}")), "{refused}");
    assert!(warning("lease-silent").contains("no answer within 10s"), "{stderr}");
    assert_eq!(stderr.lines().filter(|line| line.starts_with("warning:")).count(), 2, "{stderr}");
    for id in ["lease-refused", "lease-silent", "lease-gone"] {
        assert!(revoked_by_the_fake(id), "{id} was asked to be revoked");
    }
}

#[test]
fn a_run_whose_command_never_ran_revokes_its_leases() {
    let server = fake_api::start();
    let out = output(&server, &["run", "-i", "leased-unstarted", "--", "/nonexistent/patchbay-no-such-cmd"]);
    assert_eq!(out.status.code(), Some(127), "{}", text(&out.stderr));
    assert!(revoked_by_the_fake("lease-unstarted"));
    // Refused before anything ran: a variable that could run code.
    let dir = TempDir::new("run-lease");
    let ran = dir.0.join("ran");
    let script = format!("touch {}", ran.display());
    let out = output(&server, &["run", "-i", "leased-refused", "--", "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("BASH_ENV"), "{}", text(&out.stderr));
    assert!(!ran.exists(), "the command must not run");
    assert!(revoked_by_the_fake("lease-unrun"));
}
