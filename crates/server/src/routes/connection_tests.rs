//! Connection tests: ask for one, read one, read an
//! integration's history. Tests never run here: they are queued for workers.
use crate::audit::{Action, Resource, context};
use crate::error::{ApiError, INTEGRATION_NOT_FOUND, TEST_NOT_FOUND};
use crate::jobs::{POLL_INTERVAL, WAIT_MARGIN, approved_for_secrets, wait_limit};
use crate::query::QueryParams;
use crate::request_id::RequestId;
use crate::state::{AppState, Caller, require};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use patchbay_api_types::{ConnectionTestResponse, FieldError, parse_bool_str};
use patchbay_domain::{Actor, Integration, IntegrationStatus, OrganizationId, format_timestamp, now_utc};
use patchbay_store::Job;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;

pub const DISABLED: &str =
    "Connection tests are disabled on this server (it runs with --connection-tests disabled)";
const DEFAULT_HISTORY: u32 = 50;
const MAX_HISTORY: u32 = 500;

type Caught = Result<Caller, ApiError>;

pub fn response(job: Job, message: Option<String>) -> ConnectionTestResponse {
    ConnectionTestResponse {
        job_id: job.id.to_string(),
        integration_id: job.integration_id.to_string(),
        integration_name: job.integration_name,
        status: job.status.as_str().to_owned(),
        exit_code: job.exit_code,
        duration_ms: job.duration_ms,
        output: job.output,
        started_at: job.started_at.map(format_timestamp),
        finished_at: job.finished_at.map(format_timestamp),
        revision: job.revision,
        worker_id: job.worker_id.map(|id| id.to_string()),
        attempts: job.attempts,
        created_at: format_timestamp(job.created_at),
        created_by: job.created_by,
        message,
    }
}

fn query_bool(params: &QueryParams, name: &str, default: bool) -> Result<bool, ApiError> {
    match params.get(name) {
        None => Ok(default),
        Some(raw) => parse_bool_str(raw).ok_or_else(|| {
            ApiError::Validation(vec![FieldError::new(
                "bool_parsing",
                vec!["query".into(), name.into()],
                "Input should be a valid boolean, unable to interpret input",
                json!(raw),
            )])
        }),
    }
}

pub(super) async fn integration(
    state: &AppState,
    org: &OrganizationId,
    raw: &str,
) -> Result<Integration, ApiError> {
    let id = Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(INTEGRATION_NOT_FOUND.into()))?;
    Ok(state.store.get_integration(org, id).await?)
}

/// Why this integration cannot be tested, if it cannot.
fn untestable(integration: &Integration) -> Option<String> {
    let name = &integration.name;
    if integration.status != IntegrationStatus::Active {
        return Some(format!(
            "Custom integration '{name}' is {}; only active integrations can be tested",
            integration.status.as_str()
        ));
    }
    match &integration.config.connection_test {
        None => Some(format!("Custom integration '{name}' has no connection_test configured")),
        Some(test) if !test.enabled => {
            Some(format!("The connection_test of custom integration '{name}' is disabled (enabled: false)"))
        }
        Some(_) => None,
    }
}

async fn worker_online(state: &AppState, org: &OrganizationId) -> Result<bool, ApiError> {
    let lease = time::Duration::try_from(state.jobs.settings.lease).unwrap_or(time::Duration::MINUTE);
    let since = now_utc() - lease;
    Ok(state.store.list_workers(org).await?.iter().any(|worker| worker.last_heartbeat_at >= since))
}

type Answer = (StatusCode, Json<ConnectionTestResponse>);

fn accepted(job: Job, message: String) -> Answer {
    (StatusCode::ACCEPTED, Json(response(job, Some(message))))
}

/// `POST /custom-integrations/{id}/test[?wait=false]`.
/// Checks and queues a test: the part of `start` the audit log records.
async fn enqueue(
    state: &AppState,
    actor: &Actor,
    raw_id: &str,
    query: Option<&str>,
    request_id: &RequestId,
) -> Result<(Job, Integration, bool), ApiError> {
    require(actor, actor.role.can_write_integrations(), "run connection tests", "a member or admin")?;
    let wait = query_bool(&QueryParams::parse(query), "wait", true)?;
    if !state.jobs.settings.enabled {
        return Err(ApiError::Conflict(DISABLED.into()));
    }
    let integration = integration(state, &actor.organization, raw_id).await?;
    if let Some(reason) = untestable(&integration) {
        return Err(ApiError::Conflict(reason));
    }
    let revision =
        state.store.get_revision(&actor.organization, integration.id, integration.revision).await?;
    approved_for_secrets(&integration, revision.approval.as_ref())
        .map_err(|refused| ApiError::Conflict(refused.to_string()))?;
    let audit = Some(context(actor, request_id));
    let job =
        state.store.enqueue_job_with(&actor.organization, &integration, actor.user_id.clone(), audit).await?;
    state.jobs.queued.notify_waiters();
    tracing::info!(job = %job.id, integration = %integration.name, revision = job.revision, "connection test queued");
    Ok((job, integration, wait))
}

pub async fn start(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Answer, ApiError> {
    let Caller(actor) = caller?;
    let queued = enqueue(&state, &actor, &raw_id, query.as_deref(), &request_id).await;
    let resource = Resource::integration_raw(&raw_id);
    state.audit().failure(&actor, Action::ConnectionTest, resource, &queued, &request_id).await;
    let (job, integration, wait) = queued?;
    let org = &actor.organization;
    let timeout = integration.config.connection_test.as_ref().map_or(5, |t| t.timeout.seconds());
    let poll = format!("poll GET /api/v1/connection-tests/{}", job.id);
    if !wait {
        return Ok(accepted(job, format!("The test is queued (wait=false); {poll} for the result")));
    }
    if !worker_online(&state, org).await? {
        return Ok(accepted(
            job,
            format!(
                "No worker is online for organization '{org}'; the test is queued and runs when one \
                 connects (start one with `patchbay worker`); {poll} for the result"
            ),
        ));
    }
    let limit =
        wait_limit(Duration::from_secs(u64::from(timeout)) + WAIT_MARGIN, state.limits.request_timeout);
    let deadline = Instant::now() + limit;
    let id = job.id;
    loop {
        let finished = state.jobs.finished.notified();
        tokio::pin!(finished);
        finished.as_mut().enable();
        let job = state.store.get_job(org, id).await?;
        if job.status.is_final() {
            return Ok((StatusCode::OK, Json(response(job, None))));
        }
        if state.jobs.is_closing() {
            return Ok(accepted(job, format!("The server is shutting down; {poll} for the result")));
        }
        if Instant::now() >= deadline {
            let message =
                format!("The test did not finish within {} s; {poll} for the result", limit.as_secs());
            return Ok(accepted(job, message));
        }
        tokio::select! {
            () = &mut finished => {}
            () = tokio::time::sleep(POLL_INTERVAL.min(deadline - Instant::now())) => {}
        }
    }
}

/// `GET /connection-tests/{job_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caught,
    Path(raw_id): Path<String>,
) -> Result<Json<ConnectionTestResponse>, ApiError> {
    let Caller(actor) = caller?;
    let not_found = || ApiError::NotFound(TEST_NOT_FOUND.into());
    let id = Uuid::parse_str(&raw_id).map_err(|_| not_found())?;
    Ok(Json(response(state.store.get_job(&actor.organization, id).await?, None)))
}

/// `GET /custom-integrations/{id}/tests[?limit=N]`: newest first.
pub async fn history(
    State(state): State<AppState>,
    caller: Caught,
    Path(raw_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<ConnectionTestResponse>>, ApiError> {
    let Caller(actor) = caller?;
    let params = QueryParams::parse(query.as_deref());
    let limit = match params.get("limit") {
        None => DEFAULT_HISTORY,
        Some(raw) => raw.parse::<u32>().ok().filter(|n| (1..=MAX_HISTORY).contains(n)).ok_or_else(|| {
            ApiError::Validation(vec![
                FieldError::new(
                    "value_error",
                    vec!["query".into(), "limit".into()],
                    format!("Value error, limit must be a whole number from 1 to {MAX_HISTORY}"),
                    json!(raw),
                )
                .with_ctx(json!({"min": 1, "max": MAX_HISTORY})),
            ])
        })?,
    };
    let integration = integration(&state, &actor.organization, &raw_id).await?;
    let jobs = state.store.list_jobs(&actor.organization, integration.id, limit).await?;
    Ok(Json(jobs.into_iter().map(|job| response(job, None)).collect()))
}

#[cfg(test)]
mod tests {
    use crate::jobs::wait_limit;
    use std::time::Duration;

    #[test]
    fn a_wait_ends_before_the_request_timeout() {
        let secs = Duration::from_secs;
        assert_eq!(wait_limit(secs(15), Some(secs(30))), secs(15));
        assert_eq!(wait_limit(secs(310), Some(secs(30))), secs(29));
        assert_eq!(wait_limit(secs(15), Some(secs(2))), Duration::from_millis(1800));
        assert_eq!(wait_limit(secs(310), None), secs(310));
    }
}
