//! Liveness, readiness and metrics, for load balancers, orchestrators and
//! Prometheus.
use crate::auth::AuthFailure;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use patchbay_store::{StoreError, Unavailable};
use serde_json::{Value, json};
use std::time::Duration;

/// Longer than any healthy round trip; short enough that a probe never
/// waits on the pool's own connect timeout.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// The process is up.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The process can serve: its database answers (and, where the backend
/// can tell, has room for writes).
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let outcome = match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            let full = matches!(error, StoreError::Unavailable { reason: Unavailable::Full, .. });
            Err((error.to_string(), if full { "database full" } else { "database unreachable" }))
        }
        Err(_) => Err((format!("no answer within {} s", READY_TIMEOUT.as_secs()), "database unreachable")),
    };
    match outcome {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready", "database": state.store.backend()}))),
        Err((error, detail)) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": state.store.backend(), "detail": detail})),
            )
        }
    }
}

/// Every metric in the Prometheus text format; the pool gauges are read
/// from the store at scrape time. The metrics hold no organization's name or
/// id, only totals; with `--metrics-token` even those answer only to it.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token
        && !token.admits(&headers)
    {
        let header = |name: &str| headers.get(name).is_some();
        let failure = if header("authorization") || header("userkey") {
            AuthFailure::InvalidToken
        } else {
            AuthFailure::MissingToken
        };
        return ApiError::Unauthorized(failure).into_response();
    }
    if let Some(pool) = state.store.pool_stats() {
        let help = "Database connections of this process, by state";
        let name = "patchbay_db_pool_connections";
        state.metrics.gauge(name, help, &[("state", "in_use")]).set(pool.in_use as i64);
        state.metrics.gauge(name, help, &[("state", "idle")]).set(pool.idle as i64);
        let max = "patchbay_db_pool_max_connections";
        state.metrics.gauge(max, "Most database connections this process opens", &[]).set(pool.max as i64);
    }
    match state.store.open_job_counts().await {
        Ok((queued, running)) => {
            let help = "Connection tests not finished yet, every organization, by status";
            let name = "patchbay_connection_tests_open";
            state.metrics.gauge(name, help, &[("status", "queued")]).set(queued);
            state.metrics.gauge(name, help, &[("status", "running")]).set(running);
        }
        // A scrape still answers: the gauges keep their last values.
        Err(error) => tracing::warn!(%error, "counting open connection tests for /metrics failed"),
    }
    match state.store.lease_counts().await {
        Ok(counts) => {
            let live = "Dynamic credentials whose user may still exist (not yet revoked), every organization";
            state.metrics.gauge("patchbay_leases_live", live, &[]).set(counts.live as i64);
            let failing = "Dynamic credentials whose last revocation failed (retried with backoff)";
            state
                .metrics
                .gauge("patchbay_leases_revoke_failed", failing, &[])
                .set(counts.revoke_failed as i64);
        }
        Err(error) => tracing::warn!(%error, "counting leases for /metrics failed"),
    }
    match state.store.health_counts().await {
        Ok(counts) => {
            // Counts by state only: a label per integration would grow
            // without bound.
            let help = "Active integrations by what their latest connection test says, every organization";
            let name = "patchbay_integrations_health";
            for (label, count) in
                [("healthy", counts.healthy), ("failing", counts.failing), ("unknown", counts.unknown)]
            {
                state.metrics.gauge(name, help, &[("state", label)]).set(count);
            }
        }
        Err(error) => tracing::warn!(%error, "counting integration health for /metrics failed"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
        .into_response()
}
