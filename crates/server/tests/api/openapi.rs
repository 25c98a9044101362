//! The OpenAPI document matches the seed (the published reference text,
//! copied into fixtures/seed) for `PUT /api/v1/custom-integrations/{integration_id}`,
//! and the docs page is served from embedded assets.
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::Value;

const PUT_PATH: &str = "/api/v1/custom-integrations/{integration_id}";

fn seed() -> Value {
    serde_yaml_ng::from_str(include_str!("../fixtures/seed/update-custom-integration.openapi.yaml")).unwrap()
}

/// Every key of `seed` is in `ours` with a matching value; prose (`description`,
/// `example`) may differ and Patchbay may add constraints of its own.
fn covers(seed: &Value, ours: &Value, path: &str) -> Result<(), String> {
    match (seed, ours) {
        (Value::Object(seed), Value::Object(ours)) => seed
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "description" | "example"))
            .try_for_each(|(key, value)| match ours.get(key) {
                Some(mine) => covers(value, mine, &format!("{path}.{key}")),
                None => Err(format!("{path}: missing key {key}")),
            }),
        (Value::Array(seed), Value::Array(ours)) if seed.len() == ours.len() => seed
            .iter()
            .zip(ours)
            .enumerate()
            .try_for_each(|(i, (s, o))| covers(s, o, &format!("{path}[{i}]"))),
        (seed, ours) if seed == ours => Ok(()),
        (seed, ours) => Err(format!("{path}: seed has {seed}, Patchbay {ours}")),
    }
}

fn schema_name(reference: &Value) -> &str {
    reference["$ref"].as_str().unwrap().rsplit('/').next().unwrap()
}

async fn put_operation_matches_the_seed(app: TestApp) {
    let response = app.request(Method::GET, "/api/openapi.json").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let ours: Value = response.json().await.unwrap();
    let seed = seed();
    assert_eq!(ours["openapi"], "3.1.0");

    let (seed_put, our_put) = (&seed["paths"][PUT_PATH]["put"], &ours["paths"][PUT_PATH]["put"]);
    assert_eq!(our_put["operationId"], seed_put["operationId"]);
    assert_eq!(our_put["parameters"], seed_put["parameters"]);
    assert_eq!(our_put["tags"], seed_put["tags"]);
    assert_eq!(our_put["requestBody"]["required"], seed_put["requestBody"]["required"]);
    let body_schema = |op: &Value| op["requestBody"]["content"]["application/json"]["schema"].clone();
    assert_eq!(schema_name(&body_schema(our_put)), schema_name(&body_schema(seed_put)));
    for status in ["200", "422"] {
        let schema = |op: &Value| op["responses"][status]["content"]["application/json"]["schema"].clone();
        assert_eq!(schema_name(&schema(our_put)), schema_name(&schema(seed_put)), "response {status}");
    }
    let seed_schemas = seed["components"]["schemas"].as_object().unwrap();
    for (name, schema) in seed_schemas {
        let mine = &ours["components"]["schemas"][name];
        assert!(!mine.is_null(), "schema {name} is missing");
        if let Err(why) = covers(schema, mine, name) {
            panic!("{why}");
        }
        // Same properties, no more and no fewer (ValidationError may add
        // FastAPI's input/ctx), but for Patchbay's optional extensions: a
        // client written for the seed never sends them and is unaffected.
        if let (Some(seed_props), Some(my_props)) =
            (schema["properties"].as_object(), mine["properties"].as_object())
            && name != "ValidationError"
        {
            let extension = |key: &&String| EXTENSIONS.contains(&(name.as_str(), key.as_str()));
            let (mut a, mut b): (Vec<_>, Vec<_>) =
                (seed_props.keys().collect(), my_props.keys().filter(|key| !extension(key)).collect());
            a.sort();
            b.sort();
            assert_eq!(a, b, "properties of {name}");
        }
    }
    assert_eq!(ours["components"]["securitySchemes"]["BearerAuth"]["scheme"], "bearer");
}

/// Optional properties Patchbay adds to the seed's schemas.
const EXTENSIONS: &[(&str, &str)] =
    &[("CustomIntegrationConfig", "dynamic_credentials"), ("ConnectionTest", "interval_seconds")];

async fn every_route_is_documented(app: TestApp) {
    let ours: Value =
        app.request(Method::GET, "/api/openapi.json").send().await.unwrap().json().await.unwrap();
    let paths = ours["paths"].as_object().unwrap();
    // The router's own table: a route added without documentation fails here.
    let served = patchbay_server::api_operations();
    assert!(served.iter().any(|(method, path)| method == Method::POST && path.ends_with("/approve")));
    for (method, path) in &served {
        let method = method.as_str().to_ascii_lowercase();
        let operation = &paths[path.as_str()][&method];
        assert!(operation.is_object(), "{method} {path} is served but not documented");
        let responses = operation["responses"].as_object().unwrap();
        // What every operation may answer whatever its handler does.
        for status in ["429", "504"] {
            assert!(responses.contains_key(status), "{method} {path} lacks {status}");
        }
        if operation["security"] != serde_json::json!([]) {
            let unauthorized = &responses["401"]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(unauthorized, "#/components/schemas/HTTPUnauthorizedError", "{method} {path}");
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "413", "422"] {
                assert!(responses.contains_key(status), "{method} {path} takes a body but lacks {status}");
            }
        }
    }
    // And nothing is documented that is not served.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let served = served.iter().any(|(m, p)| p == path && m.as_str().eq_ignore_ascii_case(method));
            assert!(served, "{method} {path} is documented but not served");
        }
    }
    // Every $ref resolves.
    let text = ours.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(ours["components"]["schemas"][name].is_object(), "dangling $ref {name}");
    }
}

async fn docs_page_is_embedded(app: TestApp) {
    let response = app.request(Method::GET, "/docs").send().await.unwrap();
    assert!(response.status().is_redirection());
    let page = app.request(Method::GET, "/docs/").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("swagger"), "{page}");
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-initializer.js"] {
        let response = app.request(Method::GET, &format!("/docs/{asset}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }
    let init =
        app.request(Method::GET, "/docs/swagger-initializer.js").send().await.unwrap().text().await.unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
    assert!(!page.contains("https://") && !page.contains("http://"), "no CDN: {page}");
}

crate::both_backends!(put_operation_matches_the_seed, every_route_is_documented, docs_page_is_embedded);
