//! Several servers on one PostgreSQL behave as one service: what one
//! writes the other reads, names are unique across both, and secrets set
//! through one are read through the other (they share the master key).
use crate::extra_server::ExtraServer;
use crate::harness::{Backend, TestApp};
use patchbay_domain::Role;
use patchbay_server::limits::Limits;
use serde_json::{Value, json};
use std::sync::Arc;

async fn post(app: &TestApp, base: &str, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{base}/api/v1/custom-integrations"))
        .bearer_auth(app.token("org-a", Role::Member))
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_act_as_one() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let replica = ExtraServer::beside(&app, Limits::default()).await;
    let (a, b) = (app.base.clone(), replica.base.clone());

    // Created on A, listed by B.
    let (status, created) =
        post(&app, &a, &json!({"name": "shared", "integration_type": "redis", "config": {}})).await;
    assert_eq!(status, 201);
    let listed: Value = app
        .http
        .get(format!("{b}/api/v1/custom-integrations"))
        .bearer_auth(app.token("org-a", Role::Viewer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], created["id"]);

    // A name taken on A is a 409 on B.
    let (status, body) =
        post(&app, &b, &json!({"name": "shared", "integration_type": "redis", "config": {}})).await;
    assert_eq!(
        (status, body),
        (409, json!({"detail": "Custom integration with name 'shared' already exists"}))
    );

    // Racing creates split across both: exactly one 201.
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (app, base) = (app.clone(), if i % 2 == 0 { a.clone() } else { b.clone() });
            tokio::spawn(async move {
                post(&app, &base, &json!({"name": "racy", "integration_type": "redis", "config": {}})).await.0
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [vec![201], vec![409; 19]].concat());

    // A secret set through A is read through B.
    let response = app
        .http
        .put(format!("{a}/api/v1/secrets/DB_PASSWORD"))
        .bearer_auth(app.token("org-a", Role::Admin))
        .json(&json!({"value": "s3cret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let value: Value = app
        .http
        .get(format!("{b}/api/v1/secrets/value/DB_PASSWORD"))
        .bearer_auth(app.token("org-a", Role::Worker))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(value, json!({"value": "s3cret"}));
}
