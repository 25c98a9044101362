//! Replays `fixtures/reference/validation.json`, 268 requests recorded from
//! the reference implementation's own FastAPI/Pydantic models (see
//! tools/reference-oracle), and expects the same status and body, except
//! where Patchbay deviates on purpose (`DEVIATIONS`, each with its reason).
use crate::harness::TestApp;
use crate::matching::{Bindings, matches};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Case {
    name: String,
    method: String,
    path: String,
    query: String,
    content_type: Option<String>,
    body: Option<String>,
    status: u16,
    response: Value,
    #[serde(default)]
    setup: Vec<Value>,
    #[serde(default)]
    updated_at_changed: Option<bool>,
    #[serde(default)]
    then_get_status: Option<u16>,
    #[serde(default)]
    then_get_status_field: Option<String>,
}

/// What Patchbay answers instead of the reference, and why.
pub struct Deviation {
    pub case: &'static str,
    pub status: u16,
    /// `(loc, type)` of the single 422 error expected, when `status` is 422.
    pub error: Option<(&'static [&'static str], &'static str)>,
    pub why: &'static str,
}

const NOT_JSON: &str = "Python's json accepts NaN/Infinity and lone surrogates; the reference then fails \
                        with a 500 when it echoes or stores them. Patchbay refuses them as invalid JSON.";
const NUL: &str = "PostgreSQL text cannot hold NUL; the reference answers 500. Patchbay refuses NUL in \
                   column-stored strings with a 422 (config strings may carry it).";

const POSIX: &str = "Env var names must be POSIX names: the reference stores keys no shell can export.";
const TIMEOUT: &str = "A connection test timeout is 1 to 300 seconds: the reference stores 0, negative and \
                       unbounded timeouts that no worker could honour.";

const TIMEOUT_LOC: &[&str] = &["body", "config", "connection_test", "timeout"];

pub const DEVIATIONS: &[Deviation] = &[
    Deviation {
        case: "post_env_vars_empty_key_ok",
        status: 422,
        error: Some((&["body", "config", "env_vars", ""], "string_pattern_mismatch")),
        why: POSIX,
    },
    Deviation {
        case: "post_timeout_bool_false",
        status: 422,
        error: Some((TIMEOUT_LOC, "greater_than_equal")),
        why: TIMEOUT,
    },
    Deviation {
        case: "post_timeout_int_negative",
        status: 422,
        error: Some((TIMEOUT_LOC, "greater_than_equal")),
        why: TIMEOUT,
    },
    Deviation {
        case: "post_timeout_int_zero",
        status: 422,
        error: Some((TIMEOUT_LOC, "greater_than_equal")),
        why: TIMEOUT,
    },
    Deviation {
        case: "post_timeout_float_1e3",
        status: 422,
        error: Some((TIMEOUT_LOC, "less_than_equal")),
        why: TIMEOUT,
    },
    Deviation {
        case: "post_timeout_str_underscore",
        status: 422,
        error: Some((TIMEOUT_LOC, "less_than_equal")),
        why: TIMEOUT,
    },
    Deviation {
        case: "post_timeout_int_huge",
        status: 422,
        error: Some((TIMEOUT_LOC, "int_parsing_size")),
        why: TIMEOUT,
    },
    Deviation { case: "post_name_nan", status: 422, error: Some((&["body"], "json_invalid")), why: NOT_JSON },
    Deviation {
        case: "post_timeout_infinity",
        status: 422,
        error: Some((&["body"], "json_invalid")),
        why: NOT_JSON,
    },
    Deviation { case: "post_body_nan", status: 422, error: Some((&["body"], "json_invalid")), why: NOT_JSON },
    Deviation {
        case: "post_name_lone_surrogate_escape",
        status: 422,
        error: Some((&["body"], "json_invalid")),
        why: NOT_JSON,
    },
    Deviation {
        case: "post_name_with_nul",
        status: 422,
        error: Some((&["body", "name"], "value_error")),
        why: NUL,
    },
    Deviation { case: "post_env_value_with_nul", status: 201, error: None, why: NUL },
];

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap()
}

/// Swaps the recorded organization for the case's own.
fn for_org(value: &Value, org: &str) -> Value {
    match value {
        Value::String(s) if s == "org-a" => Value::String(org.to_owned()),
        Value::Array(items) => Value::Array(items.iter().map(|v| for_org(v, org)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), for_org(v, org))).collect()),
        other => other.clone(),
    }
}

fn check_deviation(deviation: &Deviation, status: u16, body: &Value) -> Result<(), String> {
    if status != deviation.status {
        return Err(format!(
            "status {status}, expected Patchbay's {} ({}): {body}",
            deviation.status, deviation.why
        ));
    }
    if let Some((loc_prefix, kind)) = deviation.error {
        let detail = &body["detail"][0];
        let loc: Vec<Value> = loc_prefix.iter().map(|s| json!(s)).collect();
        let got_loc = detail["loc"].as_array().cloned().unwrap_or_default();
        if detail["type"] != json!(kind) || !got_loc.starts_with(&loc) {
            return Err(format!("expected {kind} at {loc_prefix:?}, got {body}"));
        }
    }
    Ok(())
}

async fn run_case(app: &TestApp, index: usize, case: &Case) -> Result<(), String> {
    let org = format!("org-{index}");
    let (status, base) = app
        .send_json(
            Method::POST,
            "/api/v1/custom-integrations",
            &org,
            &json!({"name": "validation-base", "integration_type": "postgres", "config": {}}),
        )
        .await;
    assert_eq!(status, 201, "{base}");
    let base_id = base["id"].as_str().unwrap().to_owned();
    for integration in &case.setup {
        let (status, body) =
            app.send_json(Method::POST, "/api/v1/custom-integrations", &org, integration).await;
        assert_eq!(status, 201, "setup of {}: {body}", case.name);
    }

    let path = case.path.replace("{id}", &base_id);
    let url = if case.query.is_empty() { path.clone() } else { format!("{path}?{}", case.query) };
    let mut request = app.authed(method(&case.method), &url, &org);
    if let Some(content_type) = &case.content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(body) = &case.body {
        request = request.body(body.clone());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));

    if let Some(deviation) = DEVIATIONS.iter().find(|d| d.case == case.name) {
        return check_deviation(deviation, status, &body);
    }
    if status != case.status {
        return Err(format!("status {status}, reference {}: {body}", case.status));
    }
    let mut bindings = Bindings::from([(String::new(), base_id.clone())]);
    let expected = for_org(&case.response, &org);
    if !(expected.is_null() && body == Value::String(String::new())) {
        matches(&expected, &body, &mut bindings, "body")?;
    }
    if let Some(changed) = case.updated_at_changed
        && (body["updated_at"] != base["updated_at"]) != changed
    {
        return Err(format!("updated_at changed: {}, reference: {changed}", !changed));
    }
    if let Some(expected_status) = case.then_get_status {
        let (got, after) = app.send_json(Method::GET, &path, &org, &Value::Null).await;
        if got != expected_status {
            return Err(format!("GET after: status {got}, reference {expected_status}"));
        }
        if let Some(field) = &case.then_get_status_field
            && after["status"] != json!(field)
        {
            return Err(format!("GET after: status field {}, reference {field}", after["status"]));
        }
    }
    Ok(())
}

async fn replays_reference_validation(app: TestApp) {
    let cases: Vec<Case> =
        serde_json::from_str(include_str!("../fixtures/reference/validation.json")).expect("fixture parses");
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        if let Err(why) = run_case(&app, index, case).await {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

crate::both_backends!(replays_reference_validation);
