//! Patchbay's validation beyond the reference: each rule is a
//! 422 naming the exact `loc`, on create and on update, and a refused
//! update leaves the stored integration exactly as it was.
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

const LIST: &str = "/api/v1/custom-integrations";

/// `(what, config, loc below "config", Pydantic type)`.
fn config_cases() -> Vec<(&'static str, Value, Value, &'static str)> {
    vec![
        (
            "env var name with a dash",
            json!({"env_vars": {"DB-HOST": "x"}}),
            json!(["env_vars", "DB-HOST", "[key]"]),
            "string_pattern_mismatch",
        ),
        (
            "env var name starting with a digit",
            json!({"env_vars": {"1A": "x"}}),
            json!(["env_vars", "1A", "[key]"]),
            "string_pattern_mismatch",
        ),
        (
            "empty env var name",
            json!({"env_vars": {"": "x"}}),
            json!(["env_vars", "", "[key]"]),
            "string_pattern_mismatch",
        ),
        (
            "secret name with a space",
            json!({"secrets": ["OK", "DB PASSWORD"]}),
            json!(["secrets", 1]),
            "string_pattern_mismatch",
        ),
        (
            "secret name with a dot",
            json!({"secrets": ["db.password"]}),
            json!(["secrets", 0]),
            "string_pattern_mismatch",
        ),
        (
            "mode that is not octal",
            json!({"files": [{"path": "a", "mode": "0800"}]}),
            json!(["files", 0, "mode"]),
            "string_pattern_mismatch",
        ),
        (
            "mode with five digits",
            json!({"files": [{"path": "a", "mode": "10777"}]}),
            json!(["files", 0, "mode"]),
            "string_pattern_mismatch",
        ),
        (
            "symbolic mode",
            json!({"files": [{"path": "a", "mode": "rw-r--r--"}]}),
            json!(["files", 0, "mode"]),
            "string_pattern_mismatch",
        ),
        (
            "empty mode",
            json!({"files": [{"path": "a", "mode": ""}]}),
            json!(["files", 0, "mode"]),
            "string_pattern_mismatch",
        ),
        ("empty path", json!({"files": [{"path": ""}]}), json!(["files", 0, "path"]), "string_too_short"),
        (
            "path climbing out",
            json!({"files": [{"path": "ok"}, {"path": "~/../etc/passwd"}]}),
            json!(["files", 1, "path"]),
            "value_error",
        ),
        (
            "path that is only ..",
            json!({"files": [{"path": ".."}]}),
            json!(["files", 0, "path"]),
            "value_error",
        ),
        (
            "path with NUL",
            json!({"files": [{"path": "a\u{0}b"}]}),
            json!(["files", 0, "path"]),
            "value_error",
        ),
        (
            "zero timeout",
            json!({"connection_test": {"command": "true", "timeout": 0}}),
            json!(["connection_test", "timeout"]),
            "greater_than_equal",
        ),
        (
            "timeout over 300",
            json!({"connection_test": {"command": "true", "timeout": 301}}),
            json!(["connection_test", "timeout"]),
            "less_than_equal",
        ),
        (
            "timeout over 300 as text",
            json!({"connection_test": {"command": "true", "timeout": "900"}}),
            json!(["connection_test", "timeout"]),
            "less_than_equal",
        ),
    ]
}

fn loc(prefix: &[&str], rest: &Value) -> Value {
    let mut loc: Vec<Value> = prefix.iter().map(|s| json!(s)).collect();
    loc.extend(rest.as_array().unwrap().iter().cloned());
    Value::Array(loc)
}

fn assert_single_error(body: &Value, expected_loc: &Value, kind: &str, what: &str) {
    let detail = body["detail"].as_array().unwrap_or_else(|| panic!("{what}: {body}"));
    assert_eq!(detail.len(), 1, "{what}: {body}");
    assert_eq!(detail[0]["loc"], *expected_loc, "{what}: {body}");
    assert_eq!(detail[0]["type"], kind, "{what}: {body}");
    assert!(detail[0]["msg"].as_str().is_some_and(|m| !m.is_empty()), "{what}");
}

async fn stricter_config_rules_on_create_and_update(app: TestApp) {
    let (_, existing) = app
        .send_json(
            Method::POST,
            LIST,
            "org-a",
            &json!({"name": "keep", "integration_type": "t", "config": {"env_vars": {"A": "1"}}}),
        )
        .await;
    let item = format!("{LIST}/{}", existing["id"].as_str().unwrap());
    for (what, config, rest, kind) in config_cases() {
        let create = json!({"name": "new", "integration_type": "t", "config": config});
        let (status, body) = app.send_json(Method::POST, LIST, "org-a", &create).await;
        assert_eq!(status, 422, "create, {what}: {body}");
        assert_single_error(&body, &loc(&["body", "config"], &rest), kind, what);

        let (status, body) = app.send_json(Method::PUT, &item, "org-a", &json!({"config": config})).await;
        assert_eq!(status, 422, "update, {what}: {body}");
        assert_single_error(&body, &loc(&["body", "config"], &rest), kind, what);
    }
    let (_, after) = app.send_json(Method::GET, &item, "org-a", &Value::Null).await;
    assert_eq!(after, existing, "refused updates changed nothing");
    let (_, listed) = app.send_json(Method::GET, LIST, "org-a", &Value::Null).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "refused creates stored nothing");
}

async fn boundary_values_are_accepted(app: TestApp) {
    let config = json!({
        "env_vars": {"_": "x", "a1": "", "DB_HOST": "h"},
        "secrets": ["_SECRET", "s2"],
        "files": [
            {"path": "/abs/path", "mode": "0"},
            {"path": "~/a..b/..c", "mode": "7777"},
            {"path": "x", "mode": null}
        ],
        "connection_test": {"command": "true", "timeout": 300}
    });
    let (status, body) = app
        .send_json(
            Method::POST,
            LIST,
            "org-a",
            &json!({"name": "edge", "integration_type": "t", "config": config}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["config"]["files"][2]["mode"], Value::Null, "an explicit null mode is kept");
    assert_eq!(body["config"]["files"][0]["path"], "/abs/path", "absolute paths are stored");
}

async fn nul_is_refused_in_column_text(app: TestApp) {
    for (field, body) in [
        ("name", json!({"name": "a\u{0}b", "integration_type": "t", "config": {}})),
        ("integration_type", json!({"name": "n", "integration_type": "t\u{0}", "config": {}})),
        ("description", json!({"name": "n", "integration_type": "t", "description": "\u{0}", "config": {}})),
    ] {
        let (status, response) = app.send_json(Method::POST, LIST, "org-a", &body).await;
        assert_eq!(status, 422, "{field}: {response}");
        assert_single_error(&response, &json!(["body", field]), "value_error", field);
    }
    let body = json!({"name": "n", "integration_type": "t", "config": {}, "tags": ["ok", "b\u{0}d"]});
    let (status, response) = app.send_json(Method::POST, LIST, "org-a", &body).await;
    assert_eq!(status, 422);
    assert_single_error(&response, &json!(["body", "tags", 1]), "value_error", "tags");
}

async fn every_problem_is_listed_at_once(app: TestApp) {
    let body = json!({
        "name": "",
        "integration_type": 5,
        "config": {
            "env_vars": {"BAD-NAME": 1},
            "files": [{"content": "x"}, {"path": "../x", "mode": "999"}],
            "connection_test": {"enabled": "maybe"}
        },
        "tags": "prod"
    });
    let (status, response) = app.send_json(Method::POST, LIST, "org-a", &body).await;
    assert_eq!(status, 422);
    let locs: Vec<Value> = response["detail"].as_array().unwrap().iter().map(|e| e["loc"].clone()).collect();
    assert_eq!(
        locs,
        vec![
            json!(["body", "name"]),
            json!(["body", "integration_type"]),
            json!(["body", "config", "env_vars", "BAD-NAME", "[key]"]),
            json!(["body", "config", "env_vars", "BAD-NAME"]),
            json!(["body", "config", "files", 0, "path"]),
            json!(["body", "config", "files", 1, "path"]),
            json!(["body", "config", "files", 1, "mode"]),
            json!(["body", "config", "connection_test", "enabled"]),
            json!(["body", "config", "connection_test", "command"]),
            json!(["body", "tags"]),
        ],
        "{response}"
    );
}

crate::both_backends!(
    stricter_config_rules_on_create_and_update,
    boundary_values_are_accepted,
    nul_is_refused_in_column_text,
    every_problem_is_listed_at_once,
);
