//! Patchbay's HTTP server. `router(state)` is pure, so tests can call it in
//! process; `serve` runs it on any listener until a shutdown future resolves.
#![forbid(unsafe_code)]

pub mod audit;
pub mod auth;
mod body;
mod conditional;
pub mod config;
mod docs;
mod error;
mod openapi;
mod query;
pub mod request_id;
mod routes;
mod state;
pub mod templates;
pub mod vault;

pub use error::ApiError;
pub use openapi::document as openapi_document;
pub use state::AppState;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::future::Future;
use tokio::net::TcpListener;

pub fn router(state: AppState) -> Router {
    routes::routes()
        .layer(DefaultBodyLimit::max(body::BODY_LIMIT))
        .layer(axum::middleware::from_fn(request_id::layer))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
