//! Liveness and readiness, for load balancers and orchestrators.
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The process is up.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The process can serve: its database answers.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready", "database": state.store.backend()}))),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({"status": "unavailable", "database": state.store.backend(), "detail": "database unreachable"}),
                ),
            )
        }
    }
}
