//! The template catalogue and `from-template`: list, filters, 404, every
//! template instantiable, overrides applied and validated like a create.
use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

const TEMPLATES: &str = "/api/v1/integration-templates";
const FROM_TEMPLATE: &str = "/api/v1/custom-integrations/from-template";

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|t| t["template_id"].as_str().unwrap()).collect()
}

async fn list_filters_and_get(app: TestApp) {
    let (status, all) = app.get("org", Role::Viewer, TEMPLATES).await;
    assert_eq!(status, 200);
    assert!(ids(&all).len() >= 16);
    assert!(all[0].get("config").is_none(), "a summary has no config");
    assert_eq!(all[0]["template_id"], "postgres");

    let (_, databases) = app.get("org", Role::Viewer, &format!("{TEMPLATES}?category=database")).await;
    assert!(ids(&databases).contains(&"mysql"));
    assert!(databases.as_array().unwrap().iter().all(|t| t["category"] == "database"));
    let (_, nosql) = app.get("org", Role::Viewer, &format!("{TEMPLATES}?tag=nosql")).await;
    assert!(
        nosql.as_array().unwrap().iter().all(|t| t["tags"].as_array().unwrap().contains(&json!("nosql")))
    );
    assert!(ids(&nosql).contains(&"redis"));
    let (_, search) = app.get("org", Role::Viewer, &format!("{TEMPLATES}?search=KUBECONFIG")).await;
    assert_eq!(ids(&search), ["kubernetes"]);
    let (_, none) =
        app.get("org", Role::Viewer, &format!("{TEMPLATES}?category=database&tag=messaging")).await;
    assert_eq!(none, json!([]));

    let (status, redis) = app.get("org", Role::Viewer, &format!("{TEMPLATES}/redis")).await;
    assert_eq!(status, 200);
    assert_eq!(redis["config"]["env_vars"]["REDISCLI_AUTH"], "${REDIS_PASSWORD}");
    assert_eq!(redis["config"]["files"], json!([]), "the config is normalized");
    let (status, missing) = app.get("org", Role::Viewer, &format!("{TEMPLATES}/nope")).await;
    assert_eq!((status, missing), (404, json!({"detail": "Integration template 'nope' not found"})));

    let (_, categories) = app.get("org", Role::Viewer, &format!("{TEMPLATES}/categories/list")).await;
    assert!(categories.as_array().unwrap().contains(&json!("messaging")));
    let (_, tags) = app.get("org", Role::Viewer, &format!("{TEMPLATES}/tags/list")).await;
    let tags: Vec<&str> = tags.as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(tags.windows(2).all(|w| w[0] < w[1]), "sorted, unique");

    let status = app.request(Method::GET, TEMPLATES).send().await.unwrap().status();
    assert_eq!(status, 401);
}

async fn every_template_is_instantiable(app: TestApp) {
    let (_, all) = app.get("org", Role::Viewer, TEMPLATES).await;
    for id in ids(&all) {
        let (status, created) = app
            .send_json(
                Method::POST,
                &format!("{FROM_TEMPLATE}/{id}"),
                "org",
                &json!({"name": format!("my-{id}")}),
            )
            .await;
        assert_eq!(status, 201, "{id}: {created}");
        let (_, template) = app.get("org", Role::Viewer, &format!("{TEMPLATES}/{id}")).await;
        assert_eq!(created["config"], template["config"], "{id}");
        assert_eq!(created["integration_type"], template["integration_type"]);
        assert_eq!(created["tags"], template["tags"]);
    }
}

async fn overrides_are_applied_and_validated(app: TestApp) {
    let body = json!({
        "name": "cache",
        "description": "session cache",
        "env_vars": {"REDIS_HOST": "redis.internal", "EXTRA": "1"},
        "secrets": ["CACHE_PASSWORD"],
        "tags": ["prod"],
        "context_prompt": "Sessions only.",
    });
    let (status, created) =
        app.send_json(Method::POST, &format!("{FROM_TEMPLATE}/redis"), "org", &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["description"], "session cache");
    assert_eq!(created["tags"], json!(["prod"]));
    let env = &created["config"]["env_vars"];
    assert_eq!(
        (env["REDIS_HOST"].as_str(), env["EXTRA"].as_str(), env["REDIS_PORT"].as_str()),
        (Some("redis.internal"), Some("1"), Some("6379"))
    );
    assert_eq!(created["config"]["secrets"], json!(["CACHE_PASSWORD"]));
    assert_eq!(created["config"]["context_prompt"], "Sessions only.");
    assert!(created["config"]["connection_test"]["command"].as_str().unwrap().contains("redis-cli"));

    // The same name again: the create's 409.
    let (status, conflict) =
        app.send_json(Method::POST, &format!("{FROM_TEMPLATE}/redis"), "org", &body).await;
    assert_eq!(
        (status, conflict),
        (409, json!({"detail": "Custom integration with name 'cache' already exists"}))
    );

    // Bad overrides name the body's own fields.
    let bad = json!({"env_vars": {"1BAD": "x", "OK": 5}, "files": [{"mode": "999"}]});
    let (status, errors) = app.send_json(Method::POST, &format!("{FROM_TEMPLATE}/redis"), "org", &bad).await;
    assert_eq!(status, 422, "{errors}");
    let locs: Vec<&Value> = errors["detail"].as_array().unwrap().iter().map(|e| &e["loc"]).collect();
    assert_eq!(
        locs,
        [
            &json!(["body", "name"]),
            &json!(["body", "env_vars", "1BAD", "[key]"]),
            &json!(["body", "env_vars", "OK"]),
            &json!(["body", "files", 0, "path"]),
            &json!(["body", "files", 0, "mode"]),
        ]
    );
    let (status, missing) =
        app.send_json(Method::POST, &format!("{FROM_TEMPLATE}/nope"), "org", &json!({"name": "x"})).await;
    assert_eq!((status, missing), (404, json!({"detail": "Integration template 'nope' not found"})));
    let viewer = app
        .request(Method::POST, &format!("{FROM_TEMPLATE}/redis"))
        .bearer_auth(app.token("org", Role::Viewer))
        .json(&json!({"name": "v"}))
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), 403);
}

/// Two PostgreSQL integrations from one template, each reading its own
/// password from the vault, while the agent sees `PGPASSWORD` in both.
async fn each_integration_from_a_template_can_have_its_own_secrets(app: TestApp) {
    app.put_secret("org", "ANALYTICS_PGPASSWORD", "analytics-pw").await;
    app.put_secret("org", "billing.db.password", "billing-pw").await;
    let from_postgres = format!("{FROM_TEMPLATE}/postgres");
    let body = json!({"name": "analytics", "secret_prefix": "ANALYTICS_"});
    let (status, analytics) = app.send_json(Method::POST, &from_postgres, "org", &body).await;
    assert_eq!(status, 201, "{analytics}");
    assert_eq!(analytics["config"]["secrets"], json!([]));
    assert_eq!(analytics["config"]["env_vars"]["PGPASSWORD"], "{{.secret.ANALYTICS_PGPASSWORD}}");
    let body = json!({"name": "billing", "secret_names": {"PGPASSWORD": "billing.db.password"}});
    let (status, billing) = app.send_json(Method::POST, &from_postgres, "org", &body).await;
    assert_eq!(status, 201, "{billing}");

    for (name, password) in [("analytics", "analytics-pw"), ("billing", "billing-pw")] {
        let request = json!({"names": [name]});
        let resolve = "/api/v1/custom-integrations/resolve";
        let (status, bundle) = app.call("org", Role::Worker, Method::POST, resolve, Some(&request)).await;
        assert_eq!(status, 200, "{bundle}");
        assert_eq!(bundle["env_vars"]["PGPASSWORD"], password, "{name}");
    }

    // Renames are checked with the rest of the body: every problem at once.
    let bad =
        json!({"secret_prefix": "no spaces", "secret_names": {"MYSQL_PASSWORD": "X", "PGPASSWORD": ""}});
    let (status, errors) = app.send_json(Method::POST, &from_postgres, "org", &bad).await;
    assert_eq!(status, 422, "{errors}");
    let locs: Vec<&Value> = errors["detail"].as_array().unwrap().iter().map(|e| &e["loc"]).collect();
    assert_eq!(
        locs,
        [
            &json!(["body", "secret_names", "MYSQL_PASSWORD"]),
            &json!(["body", "secret_names", "PGPASSWORD"]),
            &json!(["body", "secret_prefix"]),
            &json!(["body", "name"]),
        ]
    );
    assert!(errors["detail"][0]["msg"].as_str().unwrap().contains("its secrets: PGPASSWORD"), "{errors}");
    let (_, listed) = app.get("org", Role::Viewer, "/api/v1/custom-integrations").await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "nothing more was created");
}

crate::both_backends!(
    list_filters_and_get,
    every_template_is_instantiable,
    overrides_are_applied_and_validated,
    each_integration_from_a_template_can_have_its_own_secrets
);
