//! Revisions, rollback and optimistic concurrency.
use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use std::sync::Arc;

const LIST: &str = "/api/v1/custom-integrations";

async fn send(builder: RequestBuilder) -> (u16, HeaderMap, Value) {
    let response = builder.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let text = response.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn create(app: &TestApp, body: Value) -> (String, Value) {
    let (status, headers, created) = send(app.authed(Method::POST, LIST, "org-a").json(&body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(headers["etag"], "\"1\"");
    (format!("{LIST}/{}", created["id"].as_str().unwrap()), created)
}

fn pg() -> Value {
    json!({"name": "pg", "integration_type": "postgres", "config": {}})
}

async fn revisions_follow_every_change(app: TestApp) {
    let (item, created) = create(&app, pg()).await;
    let (status, headers, _) =
        send(app.authed(Method::PUT, &item, "org-a").json(&json!({"description": "main"}))).await;
    assert_eq!((status, &headers["etag"]), (200, &"\"2\"".parse().unwrap()));
    // A no-op keeps the revision.
    let (_, headers, _) = send(app.authed(Method::PUT, &item, "org-a").json(&json!({}))).await;
    assert_eq!(headers["etag"], "\"2\"");
    assert_eq!(send(app.authed(Method::DELETE, &item, "org-a")).await.0, 204);
    let (status, headers, restored) =
        send(app.authed(Method::PUT, &item, "org-a").json(&json!({"status": "active"}))).await;
    assert_eq!((status, &headers["etag"]), (200, &"\"4\"".parse().unwrap()));
    let (_, headers, _) = send(app.authed(Method::GET, &item, "org-a")).await;
    assert_eq!(headers["etag"], "\"4\"");

    let (status, _, list) = send(app.authed(Method::GET, &format!("{item}/revisions"), "org-a")).await;
    assert_eq!(status, 200);
    let kinds: Vec<(i64, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["revision"].as_i64().unwrap(), r["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [(4, "restore"), (3, "delete"), (2, "update"), (1, "create")]);
    assert_eq!(list[3]["integration"], created, "the snapshot is the integration as the API returned it");
    assert_eq!(list[0]["integration"], restored);
    assert_eq!(list[1]["integration"]["status"], "deleted");
    assert_eq!(list[0]["actor"], "user-1");

    let (_, _, second) = send(app.authed(Method::GET, &format!("{item}/revisions/2"), "org-a")).await;
    assert_eq!(second["integration"]["description"], "main");
    assert_eq!(second, list[2]);
    let (_, _, page) =
        send(app.authed(Method::GET, &format!("{item}/revisions?limit=2&offset=1"), "org-a")).await;
    let numbers: Vec<i64> =
        page.as_array().unwrap().iter().map(|r| r["revision"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [3, 2]);

    // Any role reads history; the errors name what is missing.
    let viewer =
        app.request(Method::GET, &format!("{item}/revisions")).bearer_auth(app.token("org-a", Role::Viewer));
    assert_eq!(send(viewer).await.0, 200);
    let (status, _, body) = send(app.authed(Method::GET, &format!("{item}/revisions/9"), "org-a")).await;
    assert_eq!((status, body), (404, json!({"detail": "Revision 9 of this custom integration not found"})));
    let (status, _, body) = send(app.authed(Method::GET, &format!("{item}/revisions/x"), "org-a")).await;
    assert_eq!((status, &body["detail"][0]["loc"]), (422, &json!(["path", "revision"])));
    let (status, _, body) = send(app.authed(Method::GET, &format!("{item}/revisions"), "org-b")).await;
    assert_eq!((status, body), (404, json!({"detail": "Custom integration not found"})));
    let (status, _, _) = send(app.authed(Method::GET, &format!("{item}/revisions?limit=0"), "org-a")).await;
    assert_eq!(status, 422);
    // A hard delete takes the history with it.
    assert_eq!(send(app.authed(Method::DELETE, &format!("{item}?hard_delete=true"), "org-a")).await.0, 204);
    assert_eq!(send(app.authed(Method::GET, &format!("{item}/revisions"), "org-a")).await.0, 404);
}

async fn diff_lists_field_changes(app: TestApp) {
    let body = json!({"name": "pg", "integration_type": "postgres",
                      "config": {"env_vars": {"HOST": "a", "PORT": "5432"}, "secrets": ["PW"]}});
    let (item, _) = create(&app, body).await;
    let update = json!({"name": "pg2", "config": {"env_vars": {"HOST": "b", "USER": "app"}, "secrets": ["TOKEN"],
                                                  "files": [{"path": "notes.txt", "content": "hi"}]}});
    assert_eq!(send(app.authed(Method::PUT, &item, "org-a").json(&update)).await.0, 200);
    let (status, _, diff) = send(app.authed(Method::GET, &format!("{item}/revisions/2/diff"), "org-a")).await;
    assert_eq!(status, 200);
    assert_eq!((diff["revision"].clone(), diff["previous"].clone()), (json!(2), json!(1)));
    let changes: Vec<Value> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!([c["field"], c["change"], c["old"], c["new"]]))
        .collect();
    assert_eq!(
        changes,
        [
            json!(["name", "changed", "pg", "pg2"]),
            json!(["config.env_vars.HOST", "changed", "a", "b"]),
            json!(["config.env_vars.PORT", "removed", "5432", null]),
            json!(["config.env_vars.USER", "added", null, "app"]),
            json!(["config.secrets", "removed", "PW", null]),
            json!(["config.secrets", "added", null, "TOKEN"]),
            json!(["config.files.notes.txt", "added", null,
                   {"path": "notes.txt", "content": "hi", "secret_ref": null, "mode": "0644", "description": null}]),
        ]
    );
    let (_, _, first) = send(app.authed(Method::GET, &format!("{item}/revisions/1/diff"), "org-a")).await;
    assert_eq!(first["previous"], Value::Null);
    assert!(first["changes"].as_array().unwrap().iter().all(|c| c["change"] == "added"), "{first}");
}

async fn restore_rolls_back_and_refuses_a_taken_name(app: TestApp) {
    let (item, created) = create(&app, pg()).await;
    let rename = json!({"name": "pg2", "description": "renamed", "tags": ["x"]});
    assert_eq!(send(app.authed(Method::PUT, &item, "org-a").json(&rename)).await.0, 200);

    let member = app
        .request(Method::POST, &format!("{item}/revisions/1/restore"))
        .bearer_auth(app.token("org-a", Role::Member));
    assert_eq!(send(member).await.0, 403, "restore is for admins");
    let (status, headers, restored) =
        send(app.authed(Method::POST, &format!("{item}/revisions/1/restore"), "org-a")).await;
    assert_eq!((status, &headers["etag"]), (200, &"\"3\"".parse().unwrap()));
    for key in ["name", "description", "tags", "config", "status", "created_at", "created_by"] {
        assert_eq!(restored[key], created[key], "{key}");
    }
    let (_, _, revision) = send(app.authed(Method::GET, &format!("{item}/revisions/3"), "org-a")).await;
    assert_eq!((revision["kind"].clone(), revision["restored_from"].clone()), (json!("restore"), json!(1)));

    // Revision 2's name now belongs to another live integration.
    create(&app, json!({"name": "pg2", "integration_type": "redis", "config": {}})).await;
    let (status, _, body) =
        send(app.authed(Method::POST, &format!("{item}/revisions/2/restore"), "org-a")).await;
    assert_eq!((status, body), (409, json!({"detail": "Custom integration with name 'pg2' already exists"})));
    let (status, _, _) =
        send(app.authed(Method::POST, &format!("{item}/revisions/7/restore"), "org-a")).await;
    assert_eq!(status, 404);
    let stale =
        app.authed(Method::POST, &format!("{item}/revisions/2/restore"), "org-a").header("if-match", "\"2\"");
    assert_eq!(send(stale).await.0, 412);
}

async fn twenty_concurrent_puts_with_one_if_match_have_one_winner(app: TestApp) {
    let (item, _) = create(&app, pg()).await;
    let app = Arc::new(app);
    let requests: Vec<_> = (0..20)
        .map(|i| {
            let (app, item) = (app.clone(), item.clone());
            tokio::spawn(async move {
                let body = json!({"description": format!("writer {i}")});
                let (status, _, response) =
                    send(app.authed(Method::PUT, &item, "org-a").header("if-match", "\"1\"").json(&body))
                        .await;
                (status, i, response)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut refused = 0;
    for request in requests {
        let (status, i, body) = request.await.unwrap();
        match status {
            200 => winners.push(i),
            412 => {
                refused += 1;
                assert!(body["detail"].as_str().unwrap().contains("revision 2 (ETag \"2\")"), "{body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((winners.len(), refused), (1, 19));
    let (_, headers, current) = send(app.authed(Method::GET, &item, "org-a")).await;
    assert_eq!(current["description"], format!("writer {}", winners[0]), "the final state is the winner's");
    assert_eq!(headers["etag"], "\"2\"");
}

async fn conditional_headers(app: TestApp) {
    let (item, _) = create(&app, pg()).await;
    let put = |tag: &str, description: &str| {
        app.authed(Method::PUT, &item, "org-a")
            .header("if-match", tag)
            .json(&json!({"description": description}))
    };
    assert_eq!(send(put("\"1\"", "a")).await.0, 200);
    let (status, _, body) = send(put("\"1\"", "b")).await;
    assert_eq!(status, 412);
    assert_eq!(
        body["detail"],
        "Precondition failed: the custom integration is at revision 2 (ETag \"2\"), not the one given in If-Match; \
         fetch it again and retry with If-Match: \"2\""
    );
    assert_eq!(send(put("W/\"2\"", "b")).await.0, 412, "a weak tag never matches");
    assert_eq!(send(put("\"1\", \"2\"", "b")).await.0, 200, "a list matches any of its tags");
    assert_eq!(send(put("*", "c")).await.0, 200);
    let (status, _, body) = send(put("4", "d")).await;
    assert_eq!(status, 400, "{body}");
    // Without If-Match, last writer wins, as with the reference.
    let plain = app.authed(Method::PUT, &item, "org-a").json(&json!({"description": "e"}));
    assert_eq!(send(plain).await.0, 200);

    let stale = app.authed(Method::DELETE, &item, "org-a").header("if-match", "\"2\"");
    assert_eq!(send(stale).await.0, 412);
    let (_, headers, _) = send(app.authed(Method::GET, &item, "org-a")).await;
    let current = headers["etag"].to_str().unwrap().to_owned();
    let hard =
        app.authed(Method::DELETE, &format!("{item}?hard_delete=true"), "org-a").header("if-match", &current);
    assert_eq!(send(hard).await.0, 204);
    let missing = app.authed(Method::PUT, &item, "org-a").header("if-match", "*").json(&json!({}));
    assert_eq!(send(missing).await.0, 404, "* matches only an existing integration");

    let only_new = || app.authed(Method::POST, LIST, "org-a").header("if-none-match", "*").json(&pg());
    assert_eq!(send(only_new()).await.0, 201);
    let (status, _, body) = send(only_new()).await;
    assert_eq!(status, 412);
    assert_eq!(
        body["detail"],
        "Precondition failed: a custom integration named 'pg' already exists (If-None-Match: *)"
    );
    let odd = app.authed(Method::POST, LIST, "org-a").header("if-none-match", "\"1\"").json(&pg());
    assert_eq!(send(odd).await.0, 400);
}

async fn the_client_walks_history(app: TestApp) {
    let (item, created) = create(&app, pg()).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(send(app.authed(Method::PUT, &item, "org-a").json(&json!({"description": "d"}))).await.0, 200);
    let client = app.client("org-a", Role::Admin);
    let revisions = client.list_revisions(id, Some(1), None).await.unwrap();
    assert_eq!((revisions.len(), revisions[0].revision), (1, 2));
    assert_eq!(client.get_revision(id, 1).await.unwrap().integration.description, None);
    let diff = client.diff_revision(id, 2).await.unwrap();
    assert_eq!((diff.changes[0].field.as_str(), diff.changes[0].change.as_str()), ("description", "added"));
    assert_eq!(client.restore_revision(id, 1).await.unwrap().description, None);
    let query =
        patchbay_client::AuditQuery { action: Some("integration.restore".into()), ..Default::default() };
    let page = client.list_audit_events(&query).await.unwrap();
    assert_eq!(page.events[0].resource_id.as_deref(), Some(id));
    let member = app.client("org-a", Role::Member);
    let refused = member.list_audit_events(&Default::default()).await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(403));
}

crate::both_backends!(
    the_client_walks_history,
    revisions_follow_every_change,
    diff_lists_field_changes,
    restore_rolls_back_and_refuses_a_taken_name,
    twenty_concurrent_puts_with_one_if_match_have_one_winner,
    conditional_headers,
);
