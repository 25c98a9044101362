//! Integration health, from the results of its connection tests: one
//! integration's (with the result that set it) and the organization's at a
//! glance. Every role reads them.
use super::connection_tests::{integration, response};
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use axum::Json;
use axum::extract::{Path, State};
use patchbay_api_types::{HealthResponse, HealthSummary};
use patchbay_domain::format_timestamp;
use patchbay_store::StoreError;

type Caught = Result<Caller, ApiError>;

/// `GET /custom-integrations/{id}/health`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caught,
    Path(raw_id): Path<String>,
) -> Result<Json<HealthResponse>, ApiError> {
    let Caller(actor) = caller?;
    let org = &actor.organization;
    let integration = integration(&state, org, &raw_id).await?;
    let Some(health) = state.store.get_health(org, integration.id).await? else {
        return Ok(Json(HealthResponse {
            integration_id: integration.id.to_string(),
            state: "unknown".into(),
            since: None,
            last_test: None,
            consecutive_failures: 0,
        }));
    };
    // The job may have been purged with its history; the state stands.
    let last_test = match state.store.get_job(org, health.last_job_id).await {
        Ok(job) => Some(response(job, None)),
        Err(StoreError::NotFound(_)) => None,
        Err(other) => return Err(other.into()),
    };
    Ok(Json(HealthResponse {
        integration_id: integration.id.to_string(),
        state: health.state.as_str().into(),
        since: Some(format_timestamp(health.since)),
        last_test,
        consecutive_failures: health.consecutive_failures,
    }))
}

/// `GET /integration-health`: each integration with a result; any other is
/// `unknown`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caught,
) -> Result<Json<Vec<HealthSummary>>, ApiError> {
    let Caller(actor) = caller?;
    let health = state.store.list_health(&actor.organization).await?;
    Ok(Json(
        health
            .into_iter()
            .map(|health| HealthSummary {
                integration_id: health.integration_id.to_string(),
                state: health.state.as_str().into(),
                since: format_timestamp(health.since),
                consecutive_failures: health.consecutive_failures,
                last_job_id: health.last_job_id.to_string(),
            })
            .collect(),
    ))
}
