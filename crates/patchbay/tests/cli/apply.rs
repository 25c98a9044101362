//! `patchbay apply` and `integrations export`: idempotent, dry runs write
//! nothing, export → apply is lossless, prune only with the flag.
use super::{Session, text};
use serde_json::{Value, json};

const DECLARED: &str = r#"
- name: orders-db
  integration_type: postgres
  description: Orders database
  tags: [prod, db]
  config:
    env_vars:
      PGHOST: db.internal
      PGPORT: "5432"
    secrets: [PGPASSWORD]
    connection_test:
      command: pg_isready
- name: cache
  integration_type: redis
  config:
    env_vars: {REDIS_HOST: cache.internal}
"#;

#[test]
fn apply_twice_changes_nothing_the_second_time() {
    let session = Session::logged_in();
    let file = session.write("integrations.yaml", DECLARED);
    let first = session.ok(&["apply", "-f", file.to_str().unwrap(), "-o", "table"]);
    assert!(first.contains("Applied: 2 created, 0 changed, 0 unchanged, 0 deleted."), "{first}");
    let before = session.json(&["integrations", "get", "orders-db"]);
    assert_eq!(before["config"]["files"], json!([]), "normalized as by the API");

    let second = session.ok(&["apply", "-f", file.to_str().unwrap(), "-o", "table"]);
    assert!(second.contains("No changes: 2 integration(s) already match."), "{second}");
    let after = session.json(&["integrations", "get", "orders-db"]);
    assert_eq!(after["updated_at"], before["updated_at"], "nothing was written");

    let report = session.json(&["apply", "-f", file.to_str().unwrap()]);
    let actions: Vec<&Value> = report["steps"].as_array().unwrap().iter().map(|s| &s["action"]).collect();
    assert_eq!(actions, [&json!("unchanged"), &json!("unchanged")]);
}

#[test]
fn dry_run_shows_the_diff_and_writes_nothing() {
    let session = Session::logged_in();
    let file = session.write("integrations.yaml", DECLARED);
    let out = session.ok(&["apply", "-f", file.to_str().unwrap(), "--dry-run", "-o", "table"]);
    assert!(out.contains("orders-db") && out.contains("would create"), "{out}");
    assert!(out.contains("Dry run, nothing was written: 2 created"), "{out}");
    assert!(session.names().is_empty());

    session.ok(&["apply", "-f", file.to_str().unwrap()]);
    let changed = DECLARED.replace("Orders database", "Orders DB").replace("cache.internal", "cache2");
    let file = session.write("integrations.yaml", &changed);
    let report = session.json(&["apply", "-f", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        report["steps"][0],
        json!({"name": "orders-db", "action": "changed", "fields": ["description"], "source": file.to_str().unwrap().to_owned() + "[0]"})
    );
    assert_eq!(report["steps"][1]["fields"], json!(["config.env_vars"]));
    assert_eq!(session.json(&["integrations", "get", "orders-db"])["description"], "Orders database");

    let applied = session.ok(&["apply", "-f", file.to_str().unwrap(), "-o", "table"]);
    assert!(applied.contains("Applied: 0 created, 2 changed, 0 unchanged"), "{applied}");
    assert_eq!(session.json(&["integrations", "get", "orders-db"])["description"], "Orders DB");
}

#[test]
fn export_then_apply_is_a_lossless_round_trip() {
    let session = Session::logged_in();
    session.json(&[
        "integrations",
        "create",
        "--from-template",
        "mysql",
        "--name",
        "orders",
        "--tag",
        "prod",
    ]);
    session.json(&[
        "integrations",
        "create",
        "--from-template",
        "kubernetes",
        "--name",
        "k8s",
        "--tag",
        "prod",
    ]);
    session.json(&["integrations", "create", "--from-template", "gcp", "--name", "gcp", "--tag", "staging"]);
    let before = session.json(&["integrations", "list"]);

    let exported = session.ok(&["integrations", "export"]);
    let file = session.write("exported.yaml", &exported);
    let out = session.ok(&["apply", "-f", file.to_str().unwrap(), "-o", "table"]);
    assert!(out.contains("No changes: 3 integration(s) already match."), "{out}");
    assert_eq!(session.json(&["integrations", "list"]), before);

    // Into a fresh server: the same integrations, field for field.
    let other = Session::logged_in();
    other.ok(&["apply", "-f", file.to_str().unwrap()]);
    let strip = |list: Value| -> Vec<Value> {
        let mut items: Vec<Value> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                json!([
                    i["name"],
                    i["integration_type"],
                    i["description"],
                    i["tags"],
                    i["config"],
                    i["status"]
                ])
            })
            .collect();
        items.sort_by_key(|i| i[0].as_str().unwrap().to_owned());
        items
    };
    assert_eq!(strip(other.json(&["integrations", "list"])), strip(before));

    // `--tag` narrows the export; JSON is the same documents.
    let prod = session.ok(&["integrations", "export", "--tag", "prod", "--format", "json"]);
    let prod: Value = serde_json::from_str(&prod).unwrap();
    let exported_names: Vec<&str> =
        prod.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(exported_names, ["k8s", "orders"]);
}

#[test]
fn prune_deletes_only_with_the_flag() {
    let session = Session::logged_in();
    session.json(&["integrations", "create", "--name", "legacy", "--type", "api"]);
    let file = session.write("dir/integrations.yaml", DECLARED);
    session.write("dir/notes.txt", "not a declaration");
    let dir = file.parent().unwrap().to_str().unwrap().to_owned();

    session.ok(&["apply", "-f", &dir]);
    assert_eq!(session.names(), ["cache", "legacy", "orders-db"]);

    let dry = session.ok(&["apply", "-f", &dir, "--prune", "--dry-run", "-o", "table"]);
    assert!(dry.lines().any(|l| l.starts_with("legacy") && l.contains("would delete")), "{dry}");
    assert_eq!(session.names(), ["cache", "legacy", "orders-db"]);

    let pruned = session.ok(&["apply", "-f", &dir, "--prune", "-o", "table"]);
    assert!(pruned.contains("0 created, 0 changed, 2 unchanged, 1 deleted"), "{pruned}");
    assert_eq!(session.names(), ["cache", "orders-db"]);
    let deleted = session.json(&["integrations", "list", "--status", "deleted"]);
    assert_eq!(deleted[0]["name"], "legacy", "a soft delete");
}

#[test]
fn invalid_declarations_are_reported_per_file_and_nothing_is_applied() {
    let session = Session::logged_in();
    let good = session.write("decl/a.json", r#"{"name": "ok", "integration_type": "api", "config": {}}"#);
    session.write(
        "decl/b.yaml",
        "name: bad\nintegration_type: ''\nconfig:\n  env_vars: {PGPORT: 5432}\n  files: [{path: '../x'}]\n---\nintegration_type: x\nconfig: {}\n",
    );
    session.write("decl/c.yml", "- name: ok\n  integration_type: api\n  config: {}\n");
    let dir = good.parent().unwrap().to_str().unwrap().to_owned();
    let out = session.run(&["apply", "-f", &dir]);
    assert_eq!(out.status.code(), Some(7));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].contains("nothing was applied"), "{stderr}");
    let b = format!("{dir}/b.yaml");
    assert!(
        lines.contains(
            &format!("  {b}[0]: integration_type: String should have at least 1 character").as_str()
        ),
        "{stderr}"
    );
    assert!(
        lines.contains(&format!("  {b}[0]: config.env_vars.PGPORT: Input should be a valid string").as_str()),
        "{stderr}"
    );
    assert!(lines.iter().any(|l| l.starts_with(&format!("  {b}[0]: config.files.0.path: "))), "{stderr}");
    assert!(
        lines.contains(&format!("  {b}[1]: name: a string naming the integration is required").as_str()),
        "{stderr}"
    );
    assert!(lines.iter().any(|l| l.contains("c.yml: name: \"ok\" is also declared in")), "{stderr}");
    assert!(session.names().is_empty());
}

#[test]
fn unknown_keys_are_refused_with_the_key_meant_and_nothing_is_applied() {
    let session = Session::logged_in();
    let file = session.write(
        "typos.yaml",
        "- name: fine\n  integration_type: api\n  config: {}\n\
         - name: typos\n  integration_type: api\n  env_var: {A: '1'}\n  tag: [prod]\n  config:\n    secret: [S]\n    conection_test: {command: 'true'}\n",
    );
    let out = session.run(&["apply", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let at = format!("  {}[1]: ", file.display());
    for line in [
        r#"env_var: unknown key; did you mean "config.env_vars"?"#,
        r#"tag: unknown key; did you mean "tags"?"#,
        r#"config.secret: unknown key; did you mean "secrets"?"#,
        r#"config.conection_test: unknown key; did you mean "connection_test"?"#,
    ] {
        assert!(stderr.lines().any(|l| l == format!("{at}{line}")), "{line}: {stderr}");
    }
    assert!(!stderr.contains("[0]"), "the valid declaration is not blamed: {stderr}");
    assert!(session.names().is_empty(), "nothing applied, not even the valid one");
}

#[test]
fn prune_refuses_what_looks_like_a_mistake_unless_forced() {
    let session = Session::logged_in();
    for name in ["a", "b", "c"] {
        session.json(&["integrations", "create", "--name", name, "--type", "api"]);
    }
    // An empty directory: nothing declared, everything would go.
    std::fs::create_dir_all(session.dir.join("empty")).unwrap();
    let empty = session.path("empty");
    let out = session.run(&["apply", "-f", &empty, "--prune"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("no declarations found in {empty}")), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(session.names(), ["a", "b", "c"]);

    // One of three declared: two of three would go, more than half.
    let file = session.write("only-a.yaml", "name: a\nintegration_type: api\nconfig: {}\n");
    let file = file.to_str().unwrap();
    let out = session.run(&["apply", "-f", file, "--prune"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("would delete 2 of the organization's 3 integrations (more than half): b, c"),
        "{stderr}"
    );
    assert_eq!(session.names(), ["a", "b", "c"]);
    // A dry run shows the plan and warns.
    let out = session.run(&["apply", "-f", file, "--prune", "--dry-run", "-o", "table"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning: --prune would delete 2"), "{}", text(&out.stderr));
    assert_eq!(session.names(), ["a", "b", "c"]);

    let pruned = session.ok(&["apply", "-f", file, "--prune", "--force", "-o", "table"]);
    assert!(pruned.contains("2 deleted"), "{pruned}");
    assert_eq!(session.names(), ["a"]);
    let out = session.run(&["apply", "-f", &empty, "--prune", "--force"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(session.names().is_empty());
}
