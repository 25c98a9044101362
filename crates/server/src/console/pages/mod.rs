//! One module per page or area.
pub mod assets;
pub mod audit;
pub mod detail;
pub mod edit;
pub mod history;
pub mod leases;
pub mod lifecycle;
pub mod list;
pub mod providers;
pub mod secrets;
pub mod signin;
pub mod webhooks;
pub mod workers;

use super::api::{Reply, encode};
use super::session::Session;
use super::{Console, layout};
use crate::routes::INTEGRATIONS;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use patchbay_api_types::IntegrationResponse;

/// An integration, with the revision the `ETag` of the same answer names:
/// what a write from the page sends back as `If-Match`, so it cannot undo a
/// change made meanwhile. Otherwise the not-found page.
pub async fn integration(
    console: &Console,
    session: &Session,
    id: &str,
) -> Result<(IntegrationResponse, Option<i64>), Response> {
    let reply = console.api.get(&format!("{INTEGRATIONS}/{}", encode(id)), session).await;
    let revision = reply.etag;
    match reply.into() {
        Ok(integration) => Ok((integration, revision)),
        Err(message) => {
            Err((StatusCode::NOT_FOUND, layout::failure(session, "Integration not found", &message))
                .into_response())
        }
    }
}

/// After a write: on to `next` when the API accepted it, otherwise a page
/// titled `failed` with the API's reason.
pub fn after_write(reply: &Reply, session: &Session, next: &str, failed: &str) -> Response {
    if reply.status.is_success() {
        Redirect::to(next).into_response()
    } else {
        layout::failure(session, failed, &reply.message()).into_response()
    }
}
