//! `/metrics` parses as Prometheus text and counts requests by route
//! template; every response echoes its request id.
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::json;
use std::collections::HashMap;

/// Samples of a Prometheus text exposition, keyed by `name{labels}`;
/// panics on any line that is not a comment or a `series value` sample.
fn parse_exposition(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(comment.starts_with("HELP ") || comment.starts_with("TYPE "), "bad comment: {line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels: {line}");
        }
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        assert!(samples.insert(series.to_owned(), value).is_none(), "duplicate series: {line}");
    }
    samples
}

async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let response = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    parse_exposition(&response.text().await.unwrap())
}

async fn metrics_count_requests_by_route_template(app: TestApp) {
    let (status, created) = app
        .send_json(
            Method::POST,
            "/api/v1/custom-integrations",
            "org-a",
            &json!({"name": "pg", "integration_type": "postgres", "config": {}}),
        )
        .await;
    assert_eq!(status, 201);
    let item = format!("/api/v1/custom-integrations/{}", created["id"].as_str().unwrap());
    for _ in 0..3 {
        assert_eq!(app.authed(Method::GET, &item, "org-a").send().await.unwrap().status(), 200);
    }
    let missing = format!("/api/v1/custom-integrations/{}", uuid::Uuid::new_v4());
    assert_eq!(app.authed(Method::GET, &missing, "org-a").send().await.unwrap().status(), 404);
    assert_eq!(app.request(Method::GET, "/no/such/path").send().await.unwrap().status(), 404);

    let samples = scrape(&app).await;
    let route = "/api/v1/custom-integrations/{integration_id}";
    let count = |labels: &str| samples.get(&format!("patchbay_http_requests_total{{{labels}}}")).copied();
    assert_eq!(count(&format!(r#"route="{route}",method="GET",status="200""#)), Some(3.0), "{samples:?}");
    assert_eq!(count(&format!(r#"route="{route}",method="GET",status="404""#)), Some(1.0));
    assert_eq!(count(r#"route="/api/v1/custom-integrations",method="POST",status="201""#), Some(1.0));
    assert_eq!(count(r#"route="unmatched",method="GET",status="404""#), Some(1.0));
    let histogram =
        format!(r#"patchbay_http_request_duration_seconds_count{{route="{route}",method="GET"}}"#);
    assert_eq!(samples.get(&histogram), Some(&4.0));
    let inf =
        format!(r#"patchbay_http_request_duration_seconds_bucket{{route="{route}",method="GET",le="+Inf"}}"#);
    assert_eq!(samples.get(&inf), Some(&4.0));
    let idle = samples[r#"patchbay_db_pool_connections{state="idle"}"#];
    let in_use = samples[r#"patchbay_db_pool_connections{state="in_use"}"#];
    assert!(idle >= 0.0 && in_use >= 0.0 && idle + in_use <= samples["patchbay_db_pool_max_connections"]);

    // The scrape itself is counted by the next one.
    let again = scrape(&app).await;
    assert_eq!(
        again.get(r#"patchbay_http_requests_total{route="/metrics",method="GET",status="200"}"#),
        Some(&1.0)
    );
}

async fn request_ids_are_echoed_or_made(app: TestApp) {
    let response =
        app.request(Method::GET, "/health").header("X-Request-Id", "client-id-42").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-id-42");
    let response = app.request(Method::GET, "/health").send().await.unwrap();
    let made = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(made).is_ok(), "{made}");
    // An id that could forge a log line is replaced, not echoed.
    let response = app.request(Method::GET, "/health").header("X-Request-Id", "a b\"c").send().await.unwrap();
    assert!(uuid::Uuid::parse_str(response.headers()["x-request-id"].to_str().unwrap()).is_ok());
    // Failures carry it too.
    let response = app
        .request(Method::GET, "/api/v1/custom-integrations")
        .header("X-Request-Id", "r-1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), &response.headers()["x-request-id"]),
        (401, &"r-1".parse().unwrap())
    );
}

crate::both_backends!(metrics_count_requests_by_route_template, request_ids_are_echoed_or_made);
