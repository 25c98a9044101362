//! Replays `fixtures/reference/session.json`: the request sequence of the
//! issue's "done when" (create full and minimal, duplicate, list with each
//! filter, get, update each field, soft delete, list again, hard delete,
//! redirects, 405s), recorded from the reference, with the same status codes
//! and bodies expected (ids and timestamps aside).
use crate::harness::TestApp;
use crate::matching::{Bindings, matches};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Deserialize)]
struct Session {
    organization_id: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    name: String,
    method: String,
    path: String,
    query: String,
    body: Option<Value>,
    capture: Option<String>,
    status: u16,
    response: Value,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    updated_at_changed: Option<bool>,
}

/// A request that puts the data back the way the reference left it:
/// method, path below the collection, body.
type Undo = (&'static str, &'static str, Value);

/// Steps where the reference answers 500 on a defect Patchbay fixes:
/// Patchbay's status, and the undo that lets the rest of the sequence
/// compare like for like.
fn deviation(step: &str) -> Option<(u16, Option<Undo>)> {
    let not_found = (404, None);
    match step {
        // Ids that are not UUIDs are 404 (the reference's database errors).
        "get_non_uuid_id" | "put_non_uuid_id" | "delete_non_uuid_id" => Some(not_found),
        // A soft-deleted integration's name can be reused (partial unique index).
        "create_with_soft_deleted_name" => {
            Some((201, Some(("DELETE", "{created}?hard_delete=true", Value::Null))))
        }
        "rename_to_soft_deleted_name" => Some((200, Some(("PUT", "{id:min}", json!({"name": "scratch-2"}))))),
        _ => None,
    }
}

fn fill(path: &str, bindings: &Bindings) -> String {
    let mut path = path.to_owned();
    for (label, id) in bindings {
        path = path.replace(&format!("{{id:{label}}}"), id);
        path = path.replace(&format!("{{ID:{label}}}"), &id.to_uppercase());
    }
    path
}

/// Remembers each integration's last `updated_at`, to check which steps move it.
fn remember(updated: &mut HashMap<String, Value>, body: &Value) {
    let items = match body {
        Value::Array(items) => items.iter().collect(),
        object => vec![object],
    };
    for item in items {
        if let (Some(id), Some(at)) = (item["id"].as_str(), item.get("updated_at")) {
            updated.insert(id.to_owned(), at.clone());
        }
    }
}

async fn send(app: &TestApp, org: &str, method: &str, path: &str, body: &Option<Value>) -> reqwest::Response {
    let mut request = app.authed(Method::from_bytes(method.as_bytes()).unwrap(), path, org);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

async fn replays_reference_session(app: TestApp) {
    let session: Session =
        serde_json::from_str(include_str!("../fixtures/reference/session.json")).expect("fixture parses");
    let org = session.organization_id.as_str();
    let mut bindings = Bindings::new();
    let mut updated: HashMap<String, Value> = HashMap::new();
    for step in &session.steps {
        let path = fill(&step.path, &bindings);
        let url = if step.query.is_empty() { path.clone() } else { format!("{path}?{}", step.query) };
        let response = send(&app, org, &step.method, &url, &step.body).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let context = format!("step {} ({} {url})", step.name, step.method);

        if let Some((expected, undo)) = deviation(&step.name) {
            assert_eq!(status, expected, "{context}: Patchbay's documented deviation: {body}");
            if expected == 404 {
                assert_eq!(body, json!({"detail": "Custom integration not found"}), "{context}");
            }
            if let Some((method, undo_path, undo_body)) = undo {
                let created = body["id"].as_str().unwrap_or_default().to_owned();
                let undo_path = fill(undo_path, &bindings).replace("{created}", &created);
                let undo_url = format!("/api/v1/custom-integrations/{undo_path}");
                let body = (!undo_body.is_null()).then_some(undo_body);
                let undone = send(&app, org, method, &undo_url, &body).await;
                assert!(undone.status().is_success(), "{context}: undoing the deviation failed");
                if let Ok(undone) = undone.json::<Value>().await {
                    remember(&mut updated, &undone);
                }
            }
            continue;
        }

        assert_eq!(status, step.status, "{context}: {body}");
        if let Some(changed) = step.updated_at_changed {
            let before = updated.get(body["id"].as_str().unwrap_or_default()).cloned();
            assert_eq!(before.as_ref() != Some(&body["updated_at"]), changed, "{context}: updated_at moved?");
        }
        if !(step.response.is_null() && body == Value::String(String::new())) {
            let expected = json!(step.response);
            if let Err(why) = matches(&expected, &body, &mut bindings, "body") {
                panic!("{context}: {why}");
            }
        }
        if let Some(label) = &step.capture {
            bindings.insert(label.clone(), body["id"].as_str().expect("a created id").to_owned());
        }
        remember(&mut updated, &body);
        for (name, value) in &step.headers {
            let got = headers.get(name.as_str()).and_then(|v| v.to_str().ok()).unwrap_or_default();
            match name.as_str() {
                // The reference's absolute URL is built from the Host header;
                // Patchbay answers the same target relative to the request.
                "location" => {
                    let target = value.strip_prefix("http://testserver").unwrap_or(value);
                    assert_eq!(got, target, "{context}: location");
                }
                // The reference names only the first route's method; Patchbay every allowed one.
                "allow" => assert!(got.split(',').any(|m| m.trim() == value), "{context}: allow {got}"),
                _ => assert_eq!(got, value, "{context}: header {name}"),
            }
        }
    }
}

crate::both_backends!(replays_reference_session);
