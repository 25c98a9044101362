//! The HTTP details around the resources: ids that are not UUIDs, body
//! limit, redirects, 404/405 bodies, request ids, health and readiness.
use crate::harness::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const LIST: &str = "/api/v1/custom-integrations";

async fn non_uuid_ids_are_404(app: TestApp) {
    let not_found = json!({"detail": "Custom integration not found"});
    for id in ["not-a-uuid", "123", "6f1c2b7e-0000-4000-8000-00000000000", "%20", "x'%20OR%201=1"] {
        let item = format!("{LIST}/{id}");
        for (method, body) in
            [(Method::GET, Value::Null), (Method::PUT, json!({"name": "n"})), (Method::DELETE, Value::Null)]
        {
            let (status, body) = app.send_json(method.clone(), &item, "org-a", &body).await;
            assert_eq!((status, body), (404, not_found.clone()), "{method} {id}");
        }
    }
}

async fn upper_case_ids_are_answered_in_lower_case(app: TestApp) {
    let (_, created) = app
        .send_json(
            Method::POST,
            LIST,
            "org-a",
            &json!({"name": "pg", "integration_type": "postgres", "config": {}}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let (status, body) =
        app.send_json(Method::GET, &format!("{LIST}/{}", id.to_uppercase()), "org-a", &Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], id);
}

async fn bodies_over_one_mebibyte_are_413(app: TestApp) {
    let description = "x".repeat(2 * 1024 * 1024);
    let body = json!({"name": "big", "integration_type": "t", "config": {}, "description": description});
    let response = app.authed(Method::POST, LIST, "org-a").json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let detail = response.json::<Value>().await.unwrap()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("1048576"), "{detail}");
    // A body just under the limit is fine. (On a new connection: the server
    // closes the one it refused a body on without reading it, and a pooled
    // client could race that close.)
    let body =
        json!({"name": "big", "integration_type": "t", "config": {}, "description": "x".repeat(1000 * 1024)});
    let fresh = reqwest::Client::new();
    let response = fresh
        .post(format!("{}{LIST}", app.base))
        .bearer_auth(app.token("org-a", patchbay_domain::Role::Admin))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // Nothing of the refused one was stored.
    let (_, listed) = app.send_json(Method::GET, LIST, "org-a", &Value::Null).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

async fn trailing_slash_redirects_and_unknown_paths_are_404(app: TestApp) {
    let response = app.authed(Method::GET, &format!("{LIST}/?status=active"), "org-a").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = response.headers()["location"].to_str().unwrap();
    assert_eq!(location, format!("{LIST}?status=active"), "relative: it resolves against the URL asked");
    // A forged Host header does not choose where clients are sent.
    let forged = app
        .authed(Method::POST, &format!("{LIST}/"), "org-a")
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(forged.headers()["location"], LIST);

    let response = app.authed(Method::GET, "/api/v1/nothing-here", "org-a").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"detail": "Not Found"}));
}

async fn unsupported_methods_are_405_with_allow(app: TestApp) {
    for (method, path, allowed) in [
        (Method::PATCH, format!("{LIST}/00000000-0000-4000-8000-000000000000"), "PUT"),
        (Method::PUT, LIST.to_owned(), "POST"),
    ] {
        let response = app.authed(method.clone(), &path, "org-a").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("GET") && allow.contains(allowed), "{allow}");
        assert_eq!(response.json::<Value>().await.unwrap(), json!({"detail": "Method Not Allowed"}));
    }
}

async fn request_ids_are_echoed(app: TestApp) {
    let response =
        app.request(Method::GET, "/health").header("x-request-id", "trace-123").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-123");
    let response = app.request(Method::GET, "/health").send().await.unwrap();
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
    // An id that could forge log lines is replaced.
    let response = app.request(Method::GET, "/health").header("x-request-id", "a b\tc").send().await.unwrap();
    assert_ne!(response.headers()["x-request-id"], "a b\tc");
}

async fn health_and_readiness(app: TestApp) {
    let health: Value = app.request(Method::GET, "/health").send().await.unwrap().json().await.unwrap();
    assert_eq!(health, json!({"status": "ok"}));
    let response = app.request(Method::GET, "/ready").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let ready: Value = response.json().await.unwrap();
    let backend = match app.backend {
        crate::harness::Backend::Sqlite => "sqlite",
        crate::harness::Backend::Postgres => "postgres",
    };
    assert_eq!(ready, json!({"status": "ready", "database": backend}));
}

crate::both_backends!(
    non_uuid_ids_are_404,
    upper_case_ids_are_answered_in_lower_case,
    bodies_over_one_mebibyte_are_413,
    trailing_slash_redirects_and_unknown_paths_are_404,
    unsupported_methods_are_405_with_allow,
    request_ids_are_echoed,
    health_and_readiness,
);
