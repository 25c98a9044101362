//! The route table, and the reference's behaviour around it: trailing-slash
//! redirects, `{"detail": ...}` bodies for 404 and 405.
mod audit;
mod by_name;
mod connection_tests;
mod credentials;
mod health;
mod history;
pub(crate) mod integrations;
mod resolve;
mod secrets;
mod service;
mod templates;
mod webhooks;
mod workers;

use crate::state::AppState;
use crate::{docs, openapi};
use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get, on};
use patchbay_api_types::ErrorBody;

pub const INTEGRATIONS: &str = "/api/v1/custom-integrations";
pub use audit::DEFAULT_LIMIT as AUDIT_DEFAULT_LIMIT;
pub use workers::DEFAULT_CLAIM_WAIT;

/// One operation of the API: its method, its path template and its handler.
struct Operation {
    method: Method,
    path: String,
    handler: MethodRouter<AppState>,
}

fn op<H, T>(method: Method, path: impl Into<String>, handler: H) -> Operation
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a method the router can route");
    Operation { method, path: path.into(), handler: on(filter, handler) }
}

/// Every operation of the API. The router serves exactly these, and the
/// OpenAPI test checks the document against this list (`operations`), so a
/// route added here without its documentation fails the tests.
fn table() -> Vec<Operation> {
    let item = format!("{INTEGRATIONS}/{{integration_id}}");
    let revision = format!("{item}/revisions/{{revision}}");
    vec![
        op(Method::GET, INTEGRATIONS, integrations::list),
        op(Method::POST, INTEGRATIONS, integrations::create),
        op(Method::POST, format!("{INTEGRATIONS}/resolve"), resolve::resolve),
        op(Method::PUT, format!("{INTEGRATIONS}/by-name/{{name}}"), by_name::upsert),
        op(Method::POST, format!("{INTEGRATIONS}/from-template/{{template_id}}"), templates::instantiate),
        op(Method::GET, "/api/v1/integration-templates", templates::list),
        op(Method::GET, "/api/v1/integration-templates/categories/list", templates::categories),
        op(Method::GET, "/api/v1/integration-templates/tags/list", templates::tags),
        op(Method::GET, "/api/v1/integration-templates/{template_id}", templates::get),
        op(Method::GET, &item, integrations::get),
        op(Method::PUT, &item, integrations::update),
        op(Method::DELETE, &item, integrations::delete),
        op(Method::GET, format!("{item}/revisions"), history::list),
        op(Method::GET, &revision, history::get),
        op(Method::GET, format!("{revision}/diff"), history::diff),
        op(Method::POST, format!("{revision}/restore"), history::restore),
        op(Method::POST, format!("{revision}/approve"), history::approve),
        op(Method::GET, "/api/v1/audit-events", audit::list),
        op(Method::POST, format!("{item}/test"), connection_tests::start),
        op(Method::GET, format!("{item}/tests"), connection_tests::history),
        op(Method::GET, "/api/v1/connection-tests/{job_id}", connection_tests::get),
        op(Method::GET, format!("{item}/health"), health::get),
        op(Method::GET, "/api/v1/integration-health", health::list),
        op(Method::GET, "/api/v1/workers", workers::list),
        op(Method::POST, "/api/v1/workers/register", workers::register),
        op(Method::POST, "/api/v1/workers/{worker_id}/heartbeat", workers::heartbeat),
        op(Method::POST, "/api/v1/workers/{worker_id}/jobs/claim", workers::claim),
        op(Method::POST, "/api/v1/workers/{worker_id}/jobs/{job_id}/result", workers::result),
        op(Method::GET, "/api/v1/secrets", secrets::list),
        op(Method::GET, "/api/v1/secrets/value/{name}", secrets::value),
        op(Method::PUT, "/api/v1/secrets/{name}", secrets::put),
        op(Method::DELETE, "/api/v1/secrets/{name}", secrets::delete),
        op(Method::GET, "/api/v1/secrets/{name}/versions", secrets::versions),
        op(Method::GET, "/api/v1/credential-providers", credentials::list_providers),
        op(Method::GET, "/api/v1/credential-providers/{name}", credentials::get_provider),
        op(Method::PUT, "/api/v1/credential-providers/{name}", credentials::put_provider),
        op(Method::DELETE, "/api/v1/credential-providers/{name}", credentials::delete_provider),
        op(Method::GET, "/api/v1/leases", credentials::list_leases),
        op(Method::GET, "/api/v1/leases/{lease_id}", credentials::get_lease),
        op(Method::DELETE, "/api/v1/leases/{lease_id}", credentials::revoke),
        op(Method::POST, "/api/v1/leases/{lease_id}/renew", credentials::renew_lease),
        op(Method::GET, "/api/v1/webhooks", webhooks::list),
        op(Method::POST, "/api/v1/webhooks", webhooks::create),
        op(Method::GET, "/api/v1/webhooks/{webhook_id}", webhooks::get),
        op(Method::DELETE, "/api/v1/webhooks/{webhook_id}", webhooks::delete),
        op(Method::GET, "/api/v1/webhooks/{webhook_id}/deliveries", webhooks::deliveries),
        op(Method::GET, "/health", service::health),
        op(Method::GET, "/ready", service::ready),
        op(Method::GET, "/metrics", service::metrics),
    ]
}

/// The method and path template of every operation of the API.
pub fn operations() -> Vec<(Method, String)> {
    table().into_iter().map(|op| (op.method, op.path)).collect()
}

pub fn routes() -> Router<AppState> {
    // Parse the embedded templates now, not on the first request.
    crate::templates::catalogue();
    // Several operations of one path merge into one method router.
    let api = table().into_iter().fold(Router::new(), |router, op| router.route(&op.path, op.handler));
    // The document and its viewer are not operations of the API: like
    // FastAPI's, the document leaves them out.
    api.route("/api/openapi.json", get(openapi::serve))
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
/// (307, so the method and body are kept); anything else is 404. The
/// `Location` is relative: FastAPI builds an absolute one from the request's
/// `Host` header, which lets anyone who can set that header (a cache, a
/// proxy that passes it on) send clients elsewhere.
async fn not_found_or_redirect(request: Request) -> Response {
    let path = request.uri().path();
    if let Some(trimmed) = path.strip_suffix('/').filter(|p| is_api_route(p)) {
        let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
        let location = format!("{trimmed}{query}");
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
