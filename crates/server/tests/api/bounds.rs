//! Bounded work per request: expansion cannot build a bundle larger than
//! its bounds, and a config's lists and a resolution's targets are bounded
//! with a 422 naming the field, leaving what is stored untouched.
use crate::harness::TestApp;
use patchbay_domain::Role;
use patchbay_worker::Step;
use reqwest::Method;
use serde_json::{Map, Value, json};

const INTEGRATIONS: &str = "/api/v1/custom-integrations";

/// Seven levels of ten references: 10^8 bytes from a 1.3 KB create.
fn bomb_env() -> Value {
    let mut env = Map::new();
    env.insert("L0".into(), json!("xxxxxxxxxx"));
    for level in 1..=7 {
        env.insert(format!("L{level}"), json!(format!("${{L{}}}", level - 1).repeat(10)));
    }
    Value::Object(env)
}

async fn an_expansion_bomb_is_a_422_naming_the_variable(app: TestApp) {
    let body = json!({"name": "bomb", "integration_type": "custom",
                      "config": {"env_vars": bomb_env(), "connection_test": {"command": "true"}}});
    // Creating it keeps the reference's behaviour: any string is stored.
    let (status, created) = app.send_json(Method::POST, INTEGRATIONS, "acme", &body).await;
    assert_eq!(status, 201, "{created}");
    let resolve = format!("{INTEGRATIONS}/resolve");
    // A real resolution refuses with a 422 naming the variable...
    let (status, refused) = app.send_json(Method::POST, &resolve, "acme", &json!({"names": ["bomb"]})).await;
    assert_eq!(status, 422);
    let text = refused.to_string();
    assert!(text.len() < 10_000, "the answer is small: {} bytes", text.len());
    let problem = refused["detail"].as_array().unwrap().iter().find(|p| p["type"] == "value_too_large");
    let problem = problem.expect("a value_too_large problem");
    assert!(problem["loc"].to_string().contains("\"L4\""), "{problem}");
    // ...and a dry run reports the same problem without building the value.
    let (status, report) = app
        .send_json(Method::POST, &format!("{resolve}?dry_run=true"), "acme", &json!({"names": ["bomb"]}))
        .await;
    assert_eq!(status, 200);
    assert!(report.to_string().len() < 100_000, "the report is bounded");
    assert_eq!(report["missing"][0]["type"], "value_too_large");
    assert_eq!(report["missing"][0]["loc"], json!(["integrations", "bomb", "config", "env_vars", "L4"]));
    assert!(report["env_vars"].get("L4").is_none() && report["env_vars"].get("L7").is_none());

    // A worker's claim builds the same bundle: the job ends as an error.
    let worker = app.worker("acme", 0).await;
    let id = created["id"].as_str().unwrap();
    let (status, queued) = app
        .send_json(Method::POST, &format!("{INTEGRATIONS}/{id}/test?wait=false"), "acme", &json!({}))
        .await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(worker.try_run_one().await.unwrap(), Step::QueueEmpty, "nothing was handed out");
    let job = app
        .client("acme", Role::Viewer)
        .get_connection_test(queued["job_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(job.status, "error");
    assert!(job.output.as_deref().unwrap().contains("L4"), "{job:?}");
}

async fn oversized_lists_are_422_naming_the_field(app: TestApp) {
    let (status, created) = app
        .send_json(
            Method::POST,
            INTEGRATIONS,
            "acme",
            &json!({"name": "pg", "integration_type": "postgres",
                                                              "config": {"secrets": ["A"]}}),
        )
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    let secrets: Vec<String> = (0..1001).map(|i| format!("S{i}")).collect();
    let env: Map<String, Value> = (0..1001).map(|i| (format!("E{i}"), json!("v"))).collect();
    let files: Vec<Value> = (0..101).map(|i| json!({"path": format!("f{i}"), "content": "x"})).collect();
    for (field, value, kind, max) in [
        ("secrets", json!(secrets), "List", 1000),
        ("env_vars", Value::Object(env), "Dictionary", 1000),
        ("files", json!(files), "List", 100),
    ] {
        let config = json!({ field: value });
        for (method, path) in
            [(Method::POST, INTEGRATIONS.to_owned()), (Method::PUT, format!("{INTEGRATIONS}/{id}"))]
        {
            let body = json!({"name": "other", "integration_type": "x", "config": config});
            let (status, error) = app.send_json(method, &path, "acme", &body).await;
            assert_eq!(status, 422, "{field}");
            let detail = &error["detail"][0];
            assert_eq!(detail["type"], "too_long");
            assert_eq!(detail["loc"], json!(["body", "config", field]));
            assert_eq!(detail["ctx"]["field_type"], kind);
            assert_eq!(detail["ctx"]["max_length"], max);
            let msg = detail["msg"].as_str().unwrap();
            assert!(msg.starts_with(&format!("{kind} should have at most {max} items")), "{msg}");
        }
    }
    // Nothing stored changed.
    let (_, now) = app.send_json(Method::GET, &format!("{INTEGRATIONS}/{id}"), "acme", &json!(null)).await;
    assert_eq!((now["name"].as_str(), now["config"]["secrets"].clone()), (Some("pg"), json!(["A"])));

    let names: Vec<String> = (0..101).map(|i| format!("n{i}")).collect();
    let (status, error) = app
        .send_json(
            Method::POST,
            &format!("{INTEGRATIONS}/resolve?dry_run=true"),
            "acme",
            &json!({"names": names}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error["detail"][0]["loc"], json!(["body", "names"]), "{error}");
}

crate::both_backends!(
    an_expansion_bomb_is_a_422_naming_the_variable,
    oversized_lists_are_422_naming_the_field
);
