//! The route table, and the reference's behaviour around it: trailing-slash
//! redirects, `{"detail": ...}` bodies for 404 and 405.
mod audit;
mod by_name;
mod connection_tests;
mod history;
pub(crate) mod integrations;
mod resolve;
mod secrets;
mod service;
mod templates;
mod workers;

use crate::state::AppState;
use crate::{docs, openapi};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use patchbay_api_types::ErrorBody;

pub const INTEGRATIONS: &str = "/api/v1/custom-integrations";
pub use audit::DEFAULT_LIMIT as AUDIT_DEFAULT_LIMIT;

pub fn routes() -> Router<AppState> {
    // Parse the embedded templates now, not on the first request.
    crate::templates::catalogue();
    Router::new()
        .route(INTEGRATIONS, get(integrations::list).post(integrations::create))
        .route(&format!("{INTEGRATIONS}/resolve"), axum::routing::post(resolve::resolve))
        .route(&format!("{INTEGRATIONS}/by-name/{{name}}"), axum::routing::put(by_name::upsert))
        .route(
            &format!("{INTEGRATIONS}/from-template/{{template_id}}"),
            axum::routing::post(templates::instantiate),
        )
        .route("/api/v1/integration-templates", get(templates::list))
        .route("/api/v1/integration-templates/categories/list", get(templates::categories))
        .route("/api/v1/integration-templates/tags/list", get(templates::tags))
        .route("/api/v1/integration-templates/{template_id}", get(templates::get))
        .route(
            &format!("{INTEGRATIONS}/{{integration_id}}"),
            get(integrations::get).put(integrations::update).delete(integrations::delete),
        )
        .route(&format!("{INTEGRATIONS}/{{integration_id}}/revisions"), get(history::list))
        .route(&format!("{INTEGRATIONS}/{{integration_id}}/revisions/{{revision}}"), get(history::get))
        .route(&format!("{INTEGRATIONS}/{{integration_id}}/revisions/{{revision}}/diff"), get(history::diff))
        .route(
            &format!("{INTEGRATIONS}/{{integration_id}}/revisions/{{revision}}/restore"),
            axum::routing::post(history::restore),
        )
        .route(
            &format!("{INTEGRATIONS}/{{integration_id}}/revisions/{{revision}}/approve"),
            axum::routing::post(history::approve),
        )
        .route("/api/v1/audit-events", get(audit::list))
        .route(&format!("{INTEGRATIONS}/{{integration_id}}/test"), post(connection_tests::start))
        .route(&format!("{INTEGRATIONS}/{{integration_id}}/tests"), get(connection_tests::history))
        .route("/api/v1/connection-tests/{job_id}", get(connection_tests::get))
        .route("/api/v1/workers", get(workers::list))
        .route("/api/v1/workers/register", post(workers::register))
        .route("/api/v1/workers/{worker_id}/heartbeat", post(workers::heartbeat))
        .route("/api/v1/workers/{worker_id}/jobs/claim", post(workers::claim))
        .route("/api/v1/workers/{worker_id}/jobs/{job_id}/result", post(workers::result))
        .route("/api/v1/secrets", get(secrets::list))
        .route("/api/v1/secrets/value/{name}", get(secrets::value))
        .route("/api/v1/secrets/{name}", axum::routing::put(secrets::put).delete(secrets::delete))
        .route("/api/v1/secrets/{name}/versions", get(secrets::versions))
        .route("/health", get(service::health))
        .route("/ready", get(service::ready))
        .route("/metrics", get(service::metrics))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/docs", get(docs::redirect))
        .route("/docs/", get(docs::serve))
        .route("/docs/{*file}", get(docs::serve))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found_or_redirect)
}

async fn method_not_allowed() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(ErrorBody { detail: "Method Not Allowed".into() }))
        .into_response()
}

/// Whether `path` (without a trailing slash) is one of the API's routes.
fn is_api_route(path: &str) -> bool {
    match path.strip_prefix(INTEGRATIONS) {
        Some("") => true,
        Some(rest) => rest.strip_prefix('/').is_some_and(|id| !id.is_empty() && !id.contains('/')),
        None => false,
    }
}

/// FastAPI redirects `/custom-integrations/` to `/custom-integrations`
/// (307, so the method and body are kept); anything else is 404.
async fn not_found_or_redirect(request: Request) -> Response {
    let path = request.uri().path();
    if let Some(trimmed) = path.strip_suffix('/').filter(|p| is_api_route(p)) {
        let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
        let location = format!("http://{host}{trimmed}{query}");
        if let Ok(location) = HeaderValue::from_str(&location) {
            return (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]).into_response();
        }
    }
    (StatusCode::NOT_FOUND, axum::Json(ErrorBody { detail: "Not Found".into() })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_its_routes() {
        assert!(is_api_route("/api/v1/custom-integrations"));
        assert!(is_api_route("/api/v1/custom-integrations/abc"));
        assert!(!is_api_route("/api/v1/custom-integrations/abc/def"));
        assert!(!is_api_route("/api/v1/custom-integrationsx"));
        assert!(!is_api_route("/other"));
    }
}
