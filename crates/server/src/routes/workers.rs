//! The worker API: register, heartbeat, long-poll claims,
//! results, and the list of an organization's workers.
//!
//! A worker acts for one organization with a `worker` (or `admin`) token of
//! it; the embedded worker acts for every organization with the server's
//! own credential (see `jobs::embedded`). A claim hands out secret values,
//! so it goes only to those two.
use super::connection_tests::response;
use crate::audit::{Action, Resource};
use crate::auth::AuthFailure;
use crate::body::Body;
use crate::error::{ApiError, TEST_NOT_FOUND, WORKER_NOT_FOUND};
use crate::jobs::{ClaimOutcome, EMBEDDED_HEADER, MAX_CLAIM_WAIT, POLL_INTERVAL, claimed_job, wait_limit};
use crate::query::QueryParams;
use crate::request_id::RequestId;
use crate::state::{AppState, Caller, require};
use axum::Json;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use patchbay_api_types::{
    ConnectionTestResponse, FieldError, WorkerResponse, parse_job_result, parse_register_worker,
};
use patchbay_domain::{Actor, Role, format_timestamp, now_utc};
use patchbay_store::{Job, JobResult, JobStatus, Worker, WorkerScope};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::Instant;
use uuid::Uuid;

pub const DEFAULT_CLAIM_WAIT: Duration = Duration::from_secs(20);

/// Who may act as a worker, and for whom: the token's actor, or `None` for
/// the embedded worker (which holds the server's own credential).
pub struct WorkerCaller(pub WorkerScope, pub Option<Actor>);

impl<S> FromRequestParts<S> for WorkerCaller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        if let Some(presented) = parts.headers.get(EMBEDDED_HEADER) {
            let loopback = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback());
            let valid = presented
                .to_str()
                .is_ok_and(|value| app.jobs.settings.embedded.as_ref().is_some_and(|c| c.matches(value)));
            if !(loopback && valid) {
                tracing::warn!(loopback, "refused an embedded-worker credential");
                return Err(ApiError::Unauthorized(AuthFailure::InvalidToken));
            }
            return Ok(Self(WorkerScope::Embedded, None));
        }
        let Caller(actor) = Caller::from_request_parts(parts, state).await?;
        require(&actor, actor.role.can_read_secret_values(), "act as a worker", "a worker or admin")?;
        Ok(Self(WorkerScope::Organization(actor.organization.clone()), Some(actor)))
    }
}

fn worker_response(state: &AppState, worker: Worker) -> WorkerResponse {
    let lease = time::Duration::try_from(state.jobs.settings.lease).unwrap_or(time::Duration::MINUTE);
    let online = worker.last_heartbeat_at >= now_utc() - lease;
    WorkerResponse {
        id: worker.id.to_string(),
        organization_id: worker.scope.organization().map(ToString::to_string),
        name: worker.name,
        embedded: worker.scope == WorkerScope::Embedded,
        registered_at: format_timestamp(worker.registered_at),
        last_heartbeat_at: format_timestamp(worker.last_heartbeat_at),
        state: if online { "online" } else { "offline" }.to_owned(),
        heartbeat_interval_secs: state.jobs.settings.heartbeat_interval().as_secs().max(1),
    }
}

fn worker_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(WORKER_NOT_FOUND.into()))
}

/// `POST /workers/register`.
pub async fn register(
    State(state): State<AppState>,
    caller: Result<WorkerCaller, ApiError>,
    body: Body,
) -> Result<(StatusCode, Json<WorkerResponse>), ApiError> {
    let WorkerCaller(scope, _) = caller?;
    let request = parse_register_worker(body.json()?)?;
    let name = request.name.unwrap_or_else(|| "worker".to_owned());
    let worker = state.store.register_worker(&scope, &name).await?;
    if scope == WorkerScope::Embedded {
        state.jobs.embedded_registered(worker.id);
    }
    tracing::info!(worker = %worker.id, name = %worker.name, embedded = scope == WorkerScope::Embedded, "worker registered");
    Ok((StatusCode::CREATED, Json(worker_response(&state, worker))))
}

/// `POST /workers/{id}/heartbeat`.
pub async fn heartbeat(
    State(state): State<AppState>,
    caller: Result<WorkerCaller, ApiError>,
    Path(raw_id): Path<String>,
) -> Result<Json<WorkerResponse>, ApiError> {
    let WorkerCaller(scope, _) = caller?;
    let id = worker_id(&raw_id)?;
    let worker = state.store.heartbeat_worker(&scope, id, state.jobs.settings.lease).await?;
    Ok(Json(worker_response(&state, worker)))
}

fn claim_wait(params: &QueryParams) -> Result<Duration, ApiError> {
    let Some(raw) = params.get("wait") else { return Ok(DEFAULT_CLAIM_WAIT) };
    raw.parse::<u64>().ok().map(Duration::from_secs).filter(|wait| *wait <= MAX_CLAIM_WAIT).ok_or_else(|| {
        ApiError::Validation(vec![
            FieldError::new(
                "value_error",
                vec!["query".into(), "wait".into()],
                format!("Value error, wait must be whole seconds from 0 to {}", MAX_CLAIM_WAIT.as_secs()),
                json!(raw),
            )
            .with_ctx(json!({"min": 0, "max": MAX_CLAIM_WAIT.as_secs()})),
        ])
    })
}

/// `POST /workers/{id}/jobs/claim[?wait=SECONDS]`: the oldest claimable job
/// with its resolved bundle (200), or 204 when none came within `wait`.
pub async fn claim(
    State(state): State<AppState>,
    caller: Result<WorkerCaller, ApiError>,
    request_id: RequestId,
    Path(raw_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let WorkerCaller(scope, actor) = caller?;
    let wait = wait_limit(claim_wait(&QueryParams::parse(query.as_deref()))?, state.limits.request_timeout);
    let worker = state.store.get_worker(&scope, worker_id(&raw_id)?).await?;
    let deadline = Instant::now() + wait;
    loop {
        let queued = state.jobs.queued.notified();
        tokio::pin!(queued);
        queued.as_mut().enable();
        if state.jobs.settings.enabled
            && let Some(job) = state.store.claim_job(&scope, worker.id, state.jobs.settings.lease).await?
        {
            match claimed_job(&state, &job).await? {
                ClaimOutcome::Ready(claimed, delivered) => {
                    tracing::info!(job = %job.id, worker = %worker.id, attempt = job.attempts, "job claimed");
                    if !delivered.is_empty() {
                        // The values leave only once the claim is on record;
                        // refused, the job's lease runs out and it is claimed
                        // again, and the users made for it are dropped.
                        let recorded =
                            audit_delivery(&state, actor.as_ref(), &worker, &job, delivered, &request_id)
                                .await;
                        if let Err(error) = recorded {
                            crate::credentials::revoke_job_leases(&state, &job.organization_id, job.id).await;
                            return Err(error);
                        }
                    }
                    return Ok(Json(claimed).into_response());
                }
                ClaimOutcome::Unresolvable(why) => {
                    let now = now_utc();
                    let result = JobResult {
                        status: JobStatus::Error,
                        exit_code: None,
                        duration_ms: 0,
                        output: why,
                        started_at: now,
                        finished_at: now,
                    };
                    state.store.finish_job(&scope, worker.id, job.id, job.attempts, result).await?;
                    state.jobs.finished.notify_waiters();
                    continue;
                }
            }
        }
        let now = Instant::now();
        if now >= deadline || state.jobs.is_closing() {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        tokio::select! {
            () = &mut queued => {}
            () = tokio::time::sleep(POLL_INTERVAL.min(deadline - now)) => {}
        }
    }
}

/// Records that a claim handed secret values to a worker: which worker,
/// job, integration and secret names (never a value). The embedded worker
/// has no token; it is recorded as `embedded-worker`.
async fn audit_delivery(
    state: &AppState,
    actor: Option<&Actor>,
    worker: &Worker,
    job: &Job,
    delivered: Vec<String>,
    request_id: &RequestId,
) -> Result<(), ApiError> {
    let actor = actor.cloned().unwrap_or_else(|| Actor {
        organization: job.organization_id.clone(),
        user_id: Some("embedded-worker".into()),
        email: None,
        role: Role::Worker,
    });
    let resource = Resource::integration(job.integration_id, Some(&job.integration_name))
        .with("worker_id", json!(worker.id.to_string()))
        .with("worker_name", json!(worker.name))
        .with("job_id", json!(job.id.to_string()))
        .with("revision", json!(job.revision))
        .with("attempt", json!(job.attempts))
        .with("secrets", json!(delivered));
    state.audit().required(&actor, Action::JobClaim, resource, request_id).await
}

fn timestamp(text: &str) -> OffsetDateTime {
    // Checked by `parse_job_result`; the fallback is never taken.
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|_| now_utc())
}

/// `POST /workers/{id}/jobs/{job_id}/result`.
pub async fn result(
    State(state): State<AppState>,
    caller: Result<WorkerCaller, ApiError>,
    Path((raw_worker, raw_job)): Path<(String, String)>,
    body: Body,
) -> Result<Json<ConnectionTestResponse>, ApiError> {
    let WorkerCaller(scope, _) = caller?;
    let request = parse_job_result(body.json()?)?;
    let worker = state.store.get_worker(&scope, worker_id(&raw_worker)?).await?;
    let job = Uuid::parse_str(&raw_job).map_err(|_| ApiError::NotFound(TEST_NOT_FOUND.into()))?;
    let result = JobResult {
        status: JobStatus::parse(&request.status).unwrap_or(JobStatus::Error),
        exit_code: request.exit_code,
        duration_ms: request.duration_ms,
        output: request.output,
        started_at: timestamp(&request.started_at),
        finished_at: timestamp(&request.finished_at),
    };
    let finished = state.store.finish_job(&scope, worker.id, job, request.attempt, result).await?;
    state.jobs.finished.notify_waiters();
    // The test is over: the users made for it go now, off the worker's path.
    let revoking = state.clone();
    let (org, job_id) = (finished.organization_id.clone(), finished.id);
    tokio::spawn(async move { crate::credentials::revoke_job_leases(&revoking, &org, job_id).await });
    let outcomes = "Connection test results reported by workers, by status";
    state
        .metrics
        .counter("patchbay_connection_tests_total", outcomes, &[("status", finished.status.as_str())])
        .inc();
    tracing::info!(job = %finished.id, status = finished.status.as_str(), duration_ms = ?finished.duration_ms, "job finished");
    Ok(Json(response(finished, None)))
}

/// `GET /workers`: the organization's workers and the embedded one.
pub async fn list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> Result<Json<Vec<WorkerResponse>>, ApiError> {
    let Caller(actor) = caller?;
    let workers = state.store.list_workers(&actor.organization).await?;
    Ok(Json(workers.into_iter().map(|worker| worker_response(&state, worker)).collect()))
}
