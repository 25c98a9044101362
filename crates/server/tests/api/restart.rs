//! Stop the server, start it again on the same data: every integration is
//! still there, byte for byte.
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::json;

async fn raw(app: &TestApp, path: &str) -> String {
    app.authed(Method::GET, path, "org-a").send().await.unwrap().text().await.unwrap()
}

async fn integrations_survive_a_restart_byte_for_byte(mut app: TestApp) {
    let bodies = [
        json!({"name": "full", "integration_type": "postgres", "description": "ünïcödé ✓ \"quoted\"",
               "config": {"env_vars": {"Z_LAST": "1", "A_FIRST": "line1\nline2", "M": ""},
                          "secrets": ["DB_PASSWORD"],
                          "files": [{"path": "~/.pg/cert", "content": "-----BEGIN-----\n\u{0}\n", "mode": "0600"},
                                    {"path": "k", "secret_ref": "KEY", "mode": null}],
                          "context_prompt": "Be careful.",
                          "connection_test": {"command": "pg_isready", "enabled": "off", "timeout": "7"}},
               "tags": ["b", "a", "b"]}),
        json!({"name": "minimal", "integration_type": "t", "config": {}}),
        json!({"name": "gone", "integration_type": "t", "config": {}}),
    ];
    let mut ids = Vec::new();
    for body in &bodies {
        let (status, created) =
            app.send_json(Method::POST, "/api/v1/custom-integrations", "org-a", body).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = app
        .send_json(
            Method::PUT,
            &format!("/api/v1/custom-integrations/{}", ids[1]),
            "org-a",
            &json!({"status": "inactive"}),
        )
        .await;
    assert_eq!(status, 200);
    let response = app
        .authed(Method::DELETE, &format!("/api/v1/custom-integrations/{}", ids[2]), "org-a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/api/v1/custom-integrations/{id}"))
        .chain([
            "/api/v1/custom-integrations".to_owned(),
            "/api/v1/custom-integrations?status=deleted".to_owned(),
        ])
        .collect();
    let mut before = Vec::new();
    for path in &paths {
        before.push(raw(&app, path).await);
    }
    app.restart().await;
    for (path, before) in paths.iter().zip(before) {
        assert_eq!(raw(&app, path).await, before, "{path}");
    }
}

crate::both_backends!(integrations_survive_a_restart_byte_for_byte);
