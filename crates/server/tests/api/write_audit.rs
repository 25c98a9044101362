//! The audit event of a write is decided by what the store wrote and
//! committed with it: a PUT that brings a deleted integration back is a
//! restore, and a no-op PUT right after a restore is an update.
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

const INTEGRATIONS: &str = "/api/v1/custom-integrations";

async fn actions(app: &TestApp, id: &str) -> Vec<(String, i64)> {
    let path = format!("/api/v1/audit-events?resource_id={id}&limit=100");
    let (_, page) = app.send_json(Method::GET, &path, "acme", &Value::Null).await;
    let mut events: Vec<(String, i64)> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["detail"]["revision"].as_i64().unwrap_or(-1)))
        .collect();
    events.reverse();
    events
}

async fn each_write_is_audited_as_what_it_wrote(app: TestApp) {
    let body = json!({"name": "pg", "integration_type": "postgres", "config": {}});
    let (_, created) = app.send_json(Method::POST, INTEGRATIONS, "acme", &body).await;
    let id = created["id"].as_str().unwrap();
    let item = format!("{INTEGRATIONS}/{id}");
    for (method, path, body) in [
        (Method::PUT, item.clone(), json!({"status": "deleted"})),
        (Method::PUT, item.clone(), json!({"status": "active"})),
        // Nothing changes: the last revision is the restore, yet this is an update.
        (Method::PUT, item.clone(), json!({"status": "active"})),
        (Method::POST, format!("{item}/revisions/1/restore"), Value::Null),
        (Method::DELETE, item.clone(), Value::Null),
    ] {
        let (status, answer) = app.send_json(method, &path, "acme", &body).await;
        assert!(status < 300, "{path}: {status} {answer}");
    }
    assert_eq!(
        actions(&app, id).await,
        [
            ("integration.create".to_owned(), 1),
            ("integration.delete".to_owned(), 2),
            ("integration.restore".to_owned(), 3),
            ("integration.update".to_owned(), 3),
            ("integration.restore".to_owned(), 3),
            ("integration.delete".to_owned(), 4),
        ]
    );
}

crate::both_backends!(each_write_is_audited_as_what_it_wrote);
