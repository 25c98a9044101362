//! The per-caller rate limit (429 with `Retry-After`) and the request
//! timeout (504 with a JSON body).
use crate::extra_server::{ExtraServer, postgres_url};
use crate::harness::{Data, TestApp};
use patchbay_domain::Role;
use patchbay_server::limits::{Limits, RateLimiter};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

async fn rate_limit_answers_429_per_caller(app: TestApp) {
    // 1 request a second with bursts of 3: the fourth at once is refused.
    let limits =
        Limits { request_timeout: None, rate_limit: Some(RateLimiter::new(1.0, 3)), ..Limits::default() };
    let server = ExtraServer::beside(&app, limits).await;
    let url = server.url("/api/v1/custom-integrations");
    let (first, second) = (app.token("org-a", Role::Viewer), app.token("org-b", Role::Viewer));
    for _ in 0..3 {
        assert_eq!(app.http.get(&url).bearer_auth(&first).send().await.unwrap().status(), 200);
    }
    let refused = app.http.get(&url).bearer_auth(&first).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("Rate limit"), "{body}");
    // The same caller spelled another way (`UserKey`, bare), or with a new
    // token of the same user, is the same bucket.
    let third_token = app.token("org-a", Role::Viewer);
    for request in [
        app.http.get(&url).header("authorization", format!("UserKey {first}")),
        app.http.get(&url).header("authorization", first.clone()),
        app.http.get(&url).header("userkey", first.clone()),
        app.http.get(&url).bearer_auth(&third_token),
    ] {
        assert_eq!(request.send().await.unwrap().status(), 429);
    }
    // Another caller has its own budget; the limited one recovers with time.
    assert_eq!(app.http.get(&url).bearer_auth(&second).send().await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.http.get(&url).bearer_auth(&first).send().await.unwrap().status(), 200);
    // Off by default: the app's own server never refuses.
    for _ in 0..10 {
        let response = app.authed(Method::GET, "/api/v1/custom-integrations", "org-a").send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
}

/// Blocks the integrations table's writers (SQLite) or every access to it
/// (PostgreSQL) until the returned guard is dropped.
async fn lock_integrations(app: &TestApp) -> Box<dyn std::any::Any + Send> {
    match &app.data {
        Data::Sqlite(dir) => {
            let conn = rusqlite::Connection::open(dir.join("patchbay.db")).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            Box::new(conn)
        }
        Data::Postgres(_) => {
            let url = postgres_url(app).unwrap();
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client
                .batch_execute("BEGIN; LOCK TABLE custom_integrations IN ACCESS EXCLUSIVE MODE")
                .await
                .unwrap();
            Box::new(client)
        }
    }
}

async fn slow_requests_answer_504(app: TestApp) {
    let limits =
        Limits { request_timeout: Some(Duration::from_millis(300)), rate_limit: None, ..Limits::default() };
    let server = ExtraServer::beside(&app, limits).await;
    let lock = lock_integrations(&app).await;
    let started = std::time::Instant::now();
    let response = app
        .http
        .post(server.url("/api/v1/custom-integrations"))
        .bearer_auth(app.token("org-a", Role::Admin))
        .header("X-Request-Id", "slow-1")
        .json(&json!({"name": "slow", "integration_type": "postgres", "config": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 504);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(response.headers()["x-request-id"], "slow-1");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"detail": "Request took longer than the limit of 300 ms"}));
    drop(lock);
    // Once the database answers again, so does the server.
    let response = app
        .http
        .get(server.url("/api/v1/custom-integrations"))
        .bearer_auth(app.token("org-a", Role::Viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

crate::both_backends!(rate_limit_answers_429_per_caller, slow_requests_answer_504);
