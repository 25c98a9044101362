//! Patchbay's HTTP server. `router(state)` is pure, so tests can call it in
//! process; `serve` runs it on any listener until a shutdown future resolves.
#![forbid(unsafe_code)]

pub mod audit;
pub mod auth;
mod body;
mod conditional;
pub mod config;
pub mod connections;
mod console;
pub mod credentials;
mod docs;
mod error;
pub mod jobs;
pub mod limits;
mod mcp;
pub mod metrics;
mod openapi;
mod query;
pub mod request_id;
mod routes;
mod state;
mod stored_body;
pub mod templates;
pub mod vault;
pub mod webhooks;

pub use error::ApiError;
pub use openapi::document as openapi_document;
pub use routes::operations as api_operations;
pub use state::AppState;

use axum::Router;
use axum::extract::DefaultBodyLimit;
pub use connections::ConnectionLimits;
pub use console::{purge_expired_sessions, spawn_session_purge};
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

pub fn router(state: AppState) -> Router {
    routes::routes()
        .merge(console::router(state.clone()))
        .merge(mcp::router(state.clone()))
        .layer(DefaultBodyLimit::max(body::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), request_id::layer))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish;
/// with the default connection limits.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _revoker = RevokerGuard(credentials::spawn_revoker(state.clone()));
    let _scheduler = RevokerGuard(jobs::spawn_scheduler(state.clone()));
    let _deliverer = RevokerGuard(webhooks::spawn_deliverer(state.clone()));
    connections::serve(listener, router(state), ConnectionLimits::default(), shutdown).await
}

/// Every serving server revokes expired leases (the first pass at start
/// catches what fell due while none ran); the revoker stops with it. So do
/// webhook deliveries (`webhooks::spawn_deliverer`).
struct RevokerGuard(tokio::task::JoinHandle<()>);

impl Drop for RevokerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// As `serve`, but once `shutdown` resolves, requests still running after
/// `grace` are abandoned (their connections close when the runtime stops),
/// so a stuck request cannot hold up a deployment forever.
pub async fn serve_with_grace(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let _revoker = RevokerGuard(credentials::spawn_revoker(state.clone()));
    let _scheduler = RevokerGuard(jobs::spawn_scheduler(state.clone()));
    let _deliverer = RevokerGuard(webhooks::spawn_deliverer(state.clone()));
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let signalled = async move {
        shutdown.await;
        let _ = stopping.send(());
    };
    let server = connections::serve(listener, router(state), limits, signalled);
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result,
        () = async {
            if stopped.await.is_err() {
                // The server ended first; `select!` takes that branch.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_ms = grace.as_millis() as u64, "grace period over: abandoning requests still running");
            Ok(())
        }
    }
}
