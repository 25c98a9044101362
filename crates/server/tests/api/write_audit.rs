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

/// Makes every audit write fail, as a full or broken audit table would.
async fn break_the_audit_log(app: &TestApp) {
    match app.backend {
        crate::harness::Backend::Sqlite => {
            app.sql(
                "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events \
                 BEGIN SELECT RAISE(ABORT, 'the audit log is broken'); END;",
            )
            .await
        }
        crate::harness::Backend::Postgres => {
            app.sql(
                "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'the audit log is broken'; END $$; \
                 CREATE TRIGGER no_audit BEFORE INSERT ON audit_events \
                 FOR EACH ROW EXECUTE FUNCTION no_audit();",
            )
            .await
        }
    }
}

/// Nothing happens off the record: when the audit log cannot be written, a
/// write is not committed and a secret value is not handed out.
async fn without_an_audit_record_nothing_happens(app: TestApp) {
    let secret = "/api/v1/secrets/DB_PASSWORD";
    assert_eq!(app.send_json(Method::PUT, secret, "acme", &json!({"value": "first"})).await.0, 201);
    let body = json!({"name": "pg", "integration_type": "postgres", "config": {"secrets": ["DB_PASSWORD"]}});
    let (_, created) = app.send_json(Method::POST, INTEGRATIONS, "acme", &body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    break_the_audit_log(&app).await;

    let (status, _) = app.send_json(Method::PUT, secret, "acme", &json!({"value": "second"})).await;
    assert!(status >= 500, "{status}");
    let (status, _) = app
        .send_json(Method::PUT, &format!("{INTEGRATIONS}/{id}"), "acme", &json!({"description": "x"}))
        .await;
    assert!(status >= 500, "{status}");
    let (status, _) = app
        .send_json(
            Method::POST,
            INTEGRATIONS,
            "acme",
            &json!({"name": "redis", "integration_type": "redis", "config": {}}),
        )
        .await;
    assert!(status >= 500, "{status}");
    let (status, _) = app.send_json(Method::DELETE, secret, "acme", &Value::Null).await;
    assert!(status >= 500, "{status}");
    // A read hands nothing out.
    let (status, answer) =
        app.send_json(Method::GET, "/api/v1/secrets/value/DB_PASSWORD", "acme", &Value::Null).await;
    assert_eq!(status, 503, "{answer}");
    assert!(!answer.to_string().contains("first"), "{answer}");
    let resolve = format!("{INTEGRATIONS}/resolve");
    let (status, answer) = app.send_json(Method::POST, &resolve, "acme", &json!({"names": ["pg"]})).await;
    assert_eq!(status, 503, "{answer}");
    assert!(!answer.to_string().contains("first"), "{answer}");

    // Nothing was committed without its record.
    match app.backend {
        crate::harness::Backend::Sqlite => app.sql("DROP TRIGGER no_audit").await,
        crate::harness::Backend::Postgres => app.sql("DROP TRIGGER no_audit ON audit_events").await,
    }
    let (_, value) =
        app.send_json(Method::GET, "/api/v1/secrets/value/DB_PASSWORD", "acme", &Value::Null).await;
    assert_eq!(value["value"], "first");
    let (_, versions) =
        app.send_json(Method::GET, "/api/v1/secrets/DB_PASSWORD/versions", "acme", &Value::Null).await;
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
    let (_, now) = app.send_json(Method::GET, &format!("{INTEGRATIONS}/{id}"), "acme", &Value::Null).await;
    assert_eq!(now["description"], Value::Null);
    let (_, listed) = app.send_json(Method::GET, INTEGRATIONS, "acme", &Value::Null).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "no redis integration: {listed}");
}

crate::both_backends!(each_write_is_audited_as_what_it_wrote, without_an_audit_record_nothing_happens);
