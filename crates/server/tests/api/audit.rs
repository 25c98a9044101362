//! The audit log: every mutation, secret read and resolution, who and how
//! it ended, never a value; admins only, per organization, paged, purged.
use crate::harness::{Backend, TestApp};
use patchbay_domain::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const LIST: &str = "/api/v1/custom-integrations";
const AUDIT: &str = "/api/v1/audit-events";
const SECRET_VALUE: &str = "hunter2-audit-canary-7f3a";

async fn status_of(builder: reqwest::RequestBuilder) -> u16 {
    builder.send().await.unwrap().status().as_u16()
}

fn as_role(app: &TestApp, method: Method, path: &str, role: Role) -> reqwest::RequestBuilder {
    app.request(method, path).bearer_auth(app.token("org-a", role))
}

async fn events(app: &TestApp, query: &str) -> Value {
    let response = app.authed(Method::GET, &format!("{AUDIT}{query}"), "org-a").send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Creates a secret, an integration using it, reads and resolves both.
async fn session(app: &TestApp) -> String {
    let secret =
        app.authed(Method::PUT, "/api/v1/secrets/DB_PASSWORD", "org-a").json(&json!({"value": SECRET_VALUE}));
    assert_eq!(status_of(secret).await, 201);
    let body = json!({"name": "pg", "integration_type": "postgres",
                      "config": {"env_vars": {"HOST": "db"}, "secrets": ["DB_PASSWORD"]}});
    let response = app
        .authed(Method::POST, LIST, "org-a")
        .header("x-request-id", "req-create-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let item = format!("{LIST}/{id}");
    assert_eq!(
        status_of(app.authed(Method::PUT, &item, "org-a").json(&json!({"description": "d"}))).await,
        200
    );
    assert_eq!(
        status_of(as_role(app, Method::GET, "/api/v1/secrets/value/DB_PASSWORD", Role::Worker)).await,
        200
    );
    assert_eq!(
        status_of(as_role(app, Method::GET, "/api/v1/secrets/value/DB_PASSWORD", Role::Member)).await,
        403
    );
    let resolve =
        as_role(app, Method::POST, &format!("{LIST}/resolve"), Role::Worker).json(&json!({"names": ["pg"]}));
    let response = resolve.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains(SECRET_VALUE), "the bundle itself carries the value");
    assert_eq!(
        status_of(app.authed(Method::POST, &format!("{item}/revisions/1/restore"), "org-a")).await,
        200
    );
    assert_eq!(status_of(app.authed(Method::DELETE, &item, "org-a")).await, 204);
    assert_eq!(status_of(app.authed(Method::DELETE, "/api/v1/secrets/DB_PASSWORD", "org-a")).await, 204);
    id
}

async fn every_action_is_recorded(app: TestApp) {
    let id = session(&app).await;
    let page = events(&app, "").await;
    let list = page["events"].as_array().unwrap();
    let summary: Vec<(&str, &str)> =
        list.iter().rev().map(|e| (e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
    assert_eq!(
        summary,
        [
            ("secret.write", "success"),
            ("integration.create", "success"),
            ("integration.update", "success"),
            ("secret.read", "success"),
            ("secret.read", "denied"),
            ("integration.resolve", "success"),
            ("integration.restore", "success"),
            ("integration.delete", "success"),
            ("secret.delete", "success"),
        ]
    );
    assert_eq!(page["next_cursor"], Value::Null);
    let created = &list[7];
    assert_eq!(created["resource_type"], "integration");
    assert_eq!(created["resource_id"], id.as_str());
    assert_eq!(created["request_id"], "req-create-1");
    assert_eq!((created["actor"].clone(), created["actor_role"].clone()), (json!("user-1"), json!("admin")));
    assert_eq!(created["organization_id"], "org-a");
    let denied = &list[4];
    assert_eq!(
        (denied["resource_id"].clone(), denied["actor_role"].clone()),
        (json!("DB_PASSWORD"), json!("member"))
    );
    let resolved = &list[3];
    assert_eq!(resolved["detail"]["secret_names"], json!(["DB_PASSWORD"]));
    assert_eq!(resolved["detail"]["integrations"][0]["name"], "pg");
    assert_eq!(resolved["detail"]["dry_run"], false);
    assert_eq!(list[2]["detail"]["restored_from"], 1);

    // Bringing a soft-deleted integration back with a PUT is a restore.
    let item = format!("{LIST}/{id}");
    assert_eq!(
        status_of(app.authed(Method::PUT, &item, "org-a").json(&json!({"status": "active"}))).await,
        200
    );
    let last = events(&app, "?limit=1").await;
    assert_eq!(last["events"][0]["action"], "integration.restore");

    // A failed attempt is recorded too.
    let missing = format!("{LIST}/{}", uuid::Uuid::new_v4());
    assert_eq!(status_of(app.authed(Method::PUT, &missing, "org-a").json(&json!({"name": "x"}))).await, 404);
    let last = events(&app, "?limit=1").await;
    assert_eq!(
        (last["events"][0]["action"].clone(), last["events"][0]["outcome"].clone()),
        (json!("integration.update"), json!("failed"))
    );
}

async fn no_secret_value_is_stored(app: TestApp) {
    session(&app).await;
    let dry = app
        .authed(Method::POST, &format!("{LIST}/resolve?dry_run=true"), "org-a")
        .json(&json!({"names": ["pg"]}));
    status_of(dry).await;
    let bytes = app.database_bytes().await;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("secret.read") && text.contains("DB_PASSWORD"), "the scan sees the audit table");
    assert!(!text.contains(SECRET_VALUE), "a secret value is in the database");
}

async fn filters_and_cursor_pages(app: TestApp) {
    session(&app).await;
    let other_user = {
        let mut claims = TestApp::claims("org-a", Role::Admin);
        claims.user_id = Some("user-2".into());
        app.sign(&claims)
    };
    let create = json!({"name": "other", "integration_type": "redis", "config": {}});
    let response =
        app.request(Method::POST, LIST).bearer_auth(&other_user).json(&create).send().await.unwrap();
    let other_id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    let reads = events(&app, "?action=secret.read").await;
    assert_eq!(reads["events"].as_array().unwrap().len(), 2);
    let by_actor = events(&app, "?actor=user-2").await;
    assert_eq!(by_actor["events"].as_array().unwrap().len(), 1);
    assert_eq!(by_actor["events"][0]["resource_id"], other_id.as_str());
    let by_resource = events(&app, &format!("?resource_id={other_id}")).await;
    assert_eq!(by_resource["events"].as_array().unwrap().len(), 1);
    let all = events(&app, "").await["events"].as_array().unwrap().clone();
    assert_eq!(all.len(), 10);
    let future = events(&app, "?since=2999-01-01T00:00:00Z").await;
    assert!(future["events"].as_array().unwrap().is_empty());
    let past = events(&app, "?until=2000-01-01T00:00:00%2B00:00").await;
    assert!(past["events"].as_array().unwrap().is_empty());

    // Pages of 3 walk the whole log, newest first, with no repeats.
    let mut walked = Vec::new();
    let mut query = "?limit=3".to_owned();
    loop {
        let page = events(&app, &query).await;
        walked.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, all);

    for (query, loc) in [
        ("?action=bogus", "action"),
        ("?since=yesterday", "since"),
        ("?cursor=nope", "cursor"),
        ("?limit=0", "limit"),
    ] {
        let response = app.authed(Method::GET, &format!("{AUDIT}{query}"), "org-a").send().await.unwrap();
        assert_eq!(response.status(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["detail"][0]["loc"], json!(["query", loc]), "{query}");
    }
}

async fn admins_only_and_per_organization(app: TestApp) {
    session(&app).await;
    for role in [Role::Viewer, Role::Member, Role::Worker] {
        let response = as_role(&app, Method::GET, AUDIT, role).send().await.unwrap();
        assert_eq!(response.status(), 403, "{role}");
        let body: Value = response.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains("an admin token is required"), "{body}");
    }
    let response = app.authed(Method::GET, AUDIT, "org-b").send().await.unwrap();
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"events": [], "next_cursor": null}));
    assert_eq!(status_of(app.request(Method::GET, AUDIT)).await, 401);
}

async fn retention_purges_old_events(app: TestApp) {
    session(&app).await;
    let old = match app.backend {
        Backend::Sqlite => {
            "UPDATE audit_events SET occurred_at = occurred_at - 100 * 86400000000 WHERE action = 'secret.write'"
        }
        Backend::Postgres => {
            "UPDATE audit_events SET occurred_at = occurred_at - interval '100 days' WHERE action = 'secret.write'"
        }
    };
    app.sql(old).await;
    let store = app.open_store().await;
    let ninety_days = Duration::from_secs(90 * 86400);
    assert_eq!(patchbay_server::audit::purge_once(store.as_ref(), ninety_days).await.unwrap(), 1);
    let remaining = events(&app, "").await;
    let actions: Vec<&str> =
        remaining["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.len(), 8);
    assert!(!actions.contains(&"secret.write"));
}

crate::both_backends!(
    every_action_is_recorded,
    no_secret_value_is_stored,
    filters_and_cursor_pages,
    admins_only_and_per_organization,
    retention_purges_old_events,
);
