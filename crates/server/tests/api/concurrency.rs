//! Name uniqueness under concurrency is the database's job: racing creates
//! give one 201 and the rest 409, never a 500.
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::json;

async fn twenty_concurrent_creates_give_one_winner(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let requests = (0..20).map(|_| {
        let app = app.clone();
        tokio::spawn(async move {
            app.send_json(
                Method::POST,
                "/api/v1/custom-integrations",
                "org-a",
                &json!({"name": "racy", "integration_type": "postgres", "config": {}}),
            )
            .await
        })
    });
    let mut statuses = Vec::new();
    for request in requests.collect::<Vec<_>>() {
        let (status, body) = request.await.unwrap();
        if status == 409 {
            assert_eq!(body, json!({"detail": "Custom integration with name 'racy' already exists"}));
        }
        statuses.push(status);
    }
    statuses.sort();
    assert_eq!(statuses, [vec![201], vec![409; 19]].concat());
    let (_, listed) =
        app.send_json(Method::GET, "/api/v1/custom-integrations", "org-a", &serde_json::Value::Null).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

async fn soft_deleted_name_can_be_reused(app: TestApp) {
    let create = json!({"name": "pg", "integration_type": "postgres", "config": {}});
    let (status, first) = app.send_json(Method::POST, "/api/v1/custom-integrations", "org-a", &create).await;
    assert_eq!(status, 201);
    let item = format!("/api/v1/custom-integrations/{}", first["id"].as_str().unwrap());
    let response = app.authed(Method::DELETE, &item, "org-a").send().await.unwrap();
    assert_eq!(response.status(), 204);
    let (status, second) = app.send_json(Method::POST, "/api/v1/custom-integrations", "org-a", &create).await;
    assert_eq!(status, 201);
    assert_ne!(first["id"], second["id"]);
    // Restoring the old one now collides with the new one.
    let (status, body) = app.send_json(Method::PUT, &item, "org-a", &json!({"status": "active"})).await;
    assert_eq!((status, body), (409, json!({"detail": "Custom integration with name 'pg' already exists"})));
}

crate::both_backends!(twenty_concurrent_creates_give_one_winner, soft_deleted_name_can_be_reused);
