//! `patchbay webhooks`: a webhook created from flags prints its secret once,
//! is listed and shown without it, its deliveries are listed with their
//! last error, and it is deleted; refusals name the flag at fault (an
//! internal URL names the server's `--webhook-allow-private`, which
//! `PATCHBAY_WEBHOOK_ALLOW_PRIVATE` and the config file set too).
use super::support::{Options, Server};
use super::{Session, text};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Nothing listens there: each delivery fails to connect.
const CLOSED: &str = "http://127.0.0.1:9/hook";

/// A session whose server lets webhooks reach loopback, logged in as admin.
fn allowing_private() -> Session {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("patchbay-cli-webhooks-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(dir.join("home")).unwrap();
    let options =
        Options::new(dir.join("data")).env(&[("PATCHBAY_WEBHOOK_ALLOW_PRIVATE", "true")]).show_stderr();
    let server = Server::start(options);
    let session = Session { url: server.url(), dir, server: Some(server) };
    let token = session.token("admin");
    let out = session.run(&["login", "--server", &session.url, "--token", &token]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    session
}

fn fails(session: &Session, args: &[&str], code: i32) -> String {
    let out = session.run(args);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
    text(&out.stderr)
}

#[test]
fn webhooks_are_created_listed_inspected_and_deleted() {
    let session = allowing_private();
    let args =
        ["webhooks", "create", "--url", CLOSED, "--event", "secret.write", "--event", "integration.create"];
    let out = session.run(&[&args[..], &["--description", "ops"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (id, secret) = (created["id"].as_str().unwrap(), created["secret"].as_str().unwrap());
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["events"], serde_json::json!(["secret.write", "integration.create"]));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("Created webhook {id}")) && stderr.contains("shown this once"),
        "{stderr}"
    );

    let table =
        session.ok(&["webhooks", "create", "--url", CLOSED, "--event", "lease.revoke", "-o", "table"]);
    assert!(table.contains(&format!("url: {CLOSED}")) && table.contains("events: lease.revoke"), "{table}");
    assert!(table.lines().any(|line| line.starts_with("secret: whsec_")), "{table}");

    let listed = session.json(&["webhooks", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains("whsec_"), "never listed: {listed}");
    let table = session.ok(&["webhooks", "list", "-o", "table"]);
    let header = table.lines().next().unwrap();
    assert!(header.starts_with("ID") && header.contains("URL") && header.contains("EVENTS"), "{table}");
    assert!(table.contains("secret.write,integration.create"), "{table}");
    let shown = session.json(&["webhooks", "get", id]);
    assert_eq!((&shown["url"], &shown["description"]), (&Value::from(CLOSED), &Value::from("ops")));
    assert!(shown.get("secret").is_none(), "{shown}");

    // A secret's write is delivered (and fails to connect): its delivery is listed.
    let out = session.run_with_stdin(&["secrets", "set", "API_KEY"], "value");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(10);
    let delivery = loop {
        let deliveries = session.json(&["webhooks", "deliveries", id]);
        if let Some(first) = deliveries.as_array().unwrap().first().filter(|d| d["attempts"] != 0) {
            break first.clone();
        }
        assert!(Instant::now() < deadline, "no attempt yet: {deliveries}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(delivery["event_type"], "secret.write");
    assert!(delivery["last_error"].as_str().unwrap().starts_with("connecting failed"), "{delivery}");
    let table = session.ok(&["webhooks", "deliveries", id, "-o", "table"]);
    assert!(
        table.starts_with("EVENT") && table.contains("secret.write") && table.contains("connecting failed"),
        "{table}"
    );

    let stderr = fails(&session, &["webhooks", "delete", id, "--yes"], 0);
    assert!(stderr.contains(&format!("Deleted webhook {id}")), "{stderr}");
    let stderr = fails(&session, &["webhooks", "get", id], 5);
    assert!(stderr.contains("Webhook not found"), "{stderr}");
}

#[test]
fn refusals_name_the_flag_at_fault() {
    let session = Session::logged_in();
    let stderr =
        fails(&session, &["webhooks", "create", "--url", CLOSED, "--event", "integration.create"], 7);
    assert!(stderr.contains("--url: Value error, 127.0.0.1: loopback addresses are refused"), "{stderr}");
    assert!(stderr.contains("--webhook-allow-private"), "the operator's way out: {stderr}");
    let args = ["webhooks", "create", "--url", "https://hooks.example.com/x", "--event", "secret.read"];
    let stderr = fails(&session, &args, 7);
    assert!(stderr.contains("--event secret.read: Input should be"), "{stderr}");
    let stderr = fails(&session, &["webhooks", "create", "--url", CLOSED], 2);
    assert!(stderr.contains("--event <EVENT>"), "{stderr}");

    let member = session.token("member");
    let out = session
        .command(&["webhooks", "list"])
        .env("PATCHBAY_SERVER", &session.url)
        .env("PATCHBAY_TOKEN", &member)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Role 'member' cannot read webhooks"), "{}", text(&out.stderr));
    assert_eq!(session.json(&["webhooks", "list"]), Value::Array(Vec::new()));
}

#[test]
fn the_private_address_flag_is_read_from_the_environment_and_the_config_file() {
    let session = Session::start();
    let config = session.write("patchbay.toml", "webhook_allow_private = true\n");
    let data = session.path("data");
    let print = |args: &[&str], vars: &[(&str, &str)]| {
        let mut command =
            session.command(&[&["serve", "--print-config", "--data-dir", &data][..], args].concat());
        let out = command.envs(vars.iter().copied()).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let printed = text(&out.stdout);
        let line = printed.lines().find(|l| l.starts_with("webhook_allow_private = ")).map(str::to_owned);
        line.unwrap_or_else(|| panic!("no webhook_allow_private in {printed}"))
    };
    let line = print(&[], &[]);
    assert!(line.contains("false") && line.ends_with("# default"), "{line}");
    let line = print(&[], &[("PATCHBAY_WEBHOOK_ALLOW_PRIVATE", "true")]);
    assert!(line.contains("true") && line.ends_with("# environment"), "{line}");
    let line = print(&["--config", config.to_str().unwrap()], &[]);
    assert!(line.contains("true") && line.ends_with("# config file"), "{line}");
}
