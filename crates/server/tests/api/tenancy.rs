//! Another organization's integrations are indistinguishable from missing ones.
use crate::harness::TestApp;
use patchbay_client::{ClientError, ListQuery};
use patchbay_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn other_organizations_see_nothing(app: TestApp) {
    let (status, created) = app
        .send_json(Method::POST, "/api/v1/custom-integrations", "org-a", &json!({
            "name": "pg", "integration_type": "postgres", "config": {"env_vars": {"DB_HOST": "a"}}, "tags": ["prod"]
        }))
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    let item = format!("/api/v1/custom-integrations/{id}");
    let not_found = json!({"detail": "Custom integration not found"});

    for (method, body) in [
        (Method::GET, Value::Null),
        (Method::PUT, json!({"name": "stolen", "status": "deleted"})),
        (Method::DELETE, Value::Null),
    ] {
        let (status, body) = app.send_json(method.clone(), &item, "org-b", &body).await;
        assert_eq!((status, body), (404, not_found.clone()), "{method}");
    }
    let response =
        app.authed(Method::DELETE, &format!("{item}?hard_delete=true"), "org-b").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let b = app.client("org-b", Role::Admin);
    for query in [
        ListQuery::default(),
        ListQuery { tags: vec!["prod".into()], ..Default::default() },
        ListQuery { integration_type: Some("postgres".into()), ..Default::default() },
        ListQuery { status: Some("active".into()), ..Default::default() },
    ] {
        assert!(b.list_integrations(&query).await.unwrap().is_empty());
    }
    // The owner still sees it, unchanged.
    let (status, body) = app.send_json(Method::GET, &item, "org-a", &Value::Null).await;
    assert_eq!((status, body), (200, created));
}

async fn same_name_in_two_organizations(app: TestApp) {
    for org in ["org-a", "org-b"] {
        let client = app.client(org, Role::Member);
        let body = serde_json::from_value(json!({"name": "pg", "integration_type": "postgres", "description": null,
            "config": {"env_vars": {}, "secrets": [], "files": [], "context_prompt": null, "connection_test": null},
            "tags": []}))
        .unwrap();
        let created = client.create_integration(&body).await.unwrap();
        assert_eq!(created.organization_id, org);
        match client.create_integration(&body).await {
            Err(ClientError::Api { status, body }) => {
                assert_eq!(status, StatusCode::CONFLICT);
                assert_eq!(body, json!({"detail": "Custom integration with name 'pg' already exists"}));
            }
            other => panic!("expected 409, got {other:?}"),
        }
    }
}

crate::both_backends!(other_organizations_see_nothing, same_name_in_two_organizations);
