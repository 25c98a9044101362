//! `PUT /custom-integrations/by-name/{name}`: create, replace, and an
//! identical body that changes nothing.
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::json;

const BY_NAME: &str = "/api/v1/custom-integrations/by-name";

async fn creates_then_replaces_then_changes_nothing(app: TestApp) {
    let body = json!({
        "integration_type": "postgres",
        "description": "main",
        "config": {"env_vars": {"PGHOST": "db"}, "secrets": ["PGPASSWORD"]},
        "tags": ["prod"],
    });
    let (status, created) = app.send_json(Method::PUT, &format!("{BY_NAME}/pg"), "org", &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "pg");

    let (status, same) = app.send_json(Method::PUT, &format!("{BY_NAME}/pg"), "org", &body).await;
    assert_eq!(status, 200);
    assert_eq!(same, created, "an identical body changes nothing, updated_at included");

    // Replaces: the description is gone, the config is the new one; the
    // body's own `name` does not rename.
    let replaced = json!({"name": "other", "integration_type": "postgresql", "config": {}, "tags": []});
    let (status, updated) = app.send_json(Method::PUT, &format!("{BY_NAME}/pg"), "org", &replaced).await;
    assert_eq!(status, 200);
    assert_eq!((&updated["id"], &updated["name"]), (&created["id"], &json!("pg")));
    assert_eq!(updated["description"], json!(null));
    assert_eq!(updated["integration_type"], "postgresql");
    assert_eq!(updated["config"]["env_vars"], json!({}));
    assert_ne!(updated["updated_at"], created["updated_at"]);

    // A soft-deleted integration's name is free: the upsert creates anew.
    let id = created["id"].as_str().unwrap();
    let (status, _) = app
        .send_json(Method::DELETE, &format!("/api/v1/custom-integrations/{id}"), "org", &json!(null))
        .await;
    assert_eq!(status, 204);
    let (status, fresh) = app.send_json(Method::PUT, &format!("{BY_NAME}/pg"), "org", &body).await;
    assert_eq!(status, 201);
    assert_ne!(fresh["id"], created["id"]);

    // Any name, one path segment: `/` and spaces are percent-encoded.
    let (status, odd) = app.send_json(Method::PUT, &format!("{BY_NAME}/team%2Fdb%20one"), "org", &body).await;
    assert_eq!((status, &odd["name"]), (201, &json!("team/db one")));
}

async fn validates_like_a_create(app: TestApp) {
    let (status, errors) = app
        .send_json(Method::PUT, &format!("{BY_NAME}/pg"), "org", &json!({"config": {"secrets": ["1X"]}}))
        .await;
    assert_eq!(status, 422);
    let locs: Vec<_> = errors["detail"].as_array().unwrap().iter().map(|e| e["loc"].clone()).collect();
    assert_eq!(locs, [json!(["body", "integration_type"]), json!(["body", "config", "secrets", 0])]);
    let long = "n".repeat(256);
    let (status, errors) = app
        .send_json(
            Method::PUT,
            &format!("{BY_NAME}/{long}"),
            "org",
            &json!({"integration_type": "x", "config": {}}),
        )
        .await;
    assert_eq!((status, &errors["detail"][0]["loc"]), (422, &json!(["body", "name"])));
    let status =
        app.request(Method::PUT, &format!("{BY_NAME}/pg")).json(&json!({})).send().await.unwrap().status();
    assert_eq!(status, 401);
}

async fn racing_upserts_of_one_name_all_succeed(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let body = json!({"integration_type": "redis", "config": {"env_vars": {"REDIS_HOST": "cache"}}});
    let requests: Vec<_> = (0..12)
        .map(|_| {
            let (app, body) = (app.clone(), body.clone());
            tokio::spawn(async move {
                app.send_json(Method::PUT, &format!("{BY_NAME}/cache"), "org", &body).await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for request in requests {
        let (status, body) = request.await.unwrap();
        statuses.push(status);
        ids.insert(body["id"].as_str().unwrap_or_default().to_owned());
    }
    statuses.sort();
    assert_eq!(statuses, [vec![200; 11], vec![201]].concat());
    assert_eq!(ids.len(), 1, "one integration: {ids:?}");
}

crate::both_backends!(
    creates_then_replaces_then_changes_nothing,
    validates_like_a_create,
    racing_upserts_of_one_name_all_succeed
);
