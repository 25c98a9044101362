//! Revisions of an integration: list, read, diff, approve, restore.
use crate::audit::{Action, Resource};
use crate::conditional::{expected_revision, with_etag};
use crate::error::ApiError;
use crate::query::{LIST_LIMIT_MAX, QueryParams, bounded_int};
use crate::request_id::RequestId;
use crate::routes::integrations::parse_id;
use crate::state::{AppState, Caller, require_admin};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use patchbay_api_types::{Checker, RevisionDiffResponse, RevisionResponse, diff_integrations};
use patchbay_domain::{OrganizationId, Revision};
use patchbay_store::{Change, StoreError};
use serde_json::{Value, json};
use uuid::Uuid;

type Caught = Result<Caller, ApiError>;

/// `{revision}` in the path: an integer, as FastAPI's `int` path parameter.
fn parse_revision(raw: &str) -> Result<i64, ApiError> {
    let mut checker = Checker::new();
    let number = checker.int(&["path".into(), "revision".into()], &Value::String(raw.to_owned()));
    checker.finish(|| number.expect("no errors means a number")).map_err(ApiError::Validation)
}

/// Revision `n`: the store tells a missing integration (the usual 404) from
/// a missing revision of an existing one.
async fn revision(state: &AppState, org: &OrganizationId, id: Uuid, n: i64) -> Result<Revision, ApiError> {
    Ok(state.store.get_revision(org, id, n).await?)
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caught,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<RevisionResponse>>, ApiError> {
    let Caller(actor) = caller?;
    let params = QueryParams::parse(query.as_deref());
    let mut checker = Checker::new();
    let limit =
        params.get("limit").map(|raw| bounded_int(&mut checker, "limit", raw, 1, Some(LIST_LIMIT_MAX)));
    let offset = params.get("offset").map(|raw| bounded_int(&mut checker, "offset", raw, 0, None));
    checker.finish(|| ()).map_err(ApiError::Validation)?;
    let (limit, offset) = (limit.flatten(), offset.flatten().unwrap_or(0));
    let revisions = state.store.list_revisions(&actor.organization, parse_id(&id)?, limit, offset).await?;
    Ok(Json(revisions.into_iter().map(RevisionResponse::from).collect()))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caught,
    Path((id, n)): Path<(String, String)>,
) -> Result<Json<RevisionResponse>, ApiError> {
    let Caller(actor) = caller?;
    let (id, n) = (parse_id(&id)?, parse_revision(&n)?);
    Ok(Json(revision(&state, &actor.organization, id, n).await?.into()))
}

pub async fn diff(
    State(state): State<AppState>,
    caller: Caught,
    Path((id, n)): Path<(String, String)>,
) -> Result<Json<RevisionDiffResponse>, ApiError> {
    let Caller(actor) = caller?;
    let (id, n) = (parse_id(&id)?, parse_revision(&n)?);
    let current = revision(&state, &actor.organization, id, n).await?;
    // The revision before; absent for the first (and for integrations that
    // predate history, whose first recorded revision may not be 1).
    let previous = match state.store.get_revision(&actor.organization, id, n - 1).await {
        Ok(previous) => Some(previous),
        Err(StoreError::NotFound(_)) => None,
        Err(other) => return Err(other.into()),
    };
    Ok(Json(RevisionDiffResponse {
        revision: n,
        previous: previous.as_ref().map(|p| p.snapshot.revision),
        changes: diff_integrations(previous.as_ref().map(|p| &p.snapshot), &current.snapshot),
    }))
}

/// `POST .../revisions/{n}/approve`: an admin vouches for revision `n`'s
/// config, so its connection tests may receive secret values. Admins only.
pub async fn approve(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path((raw_id, n)): Path<(String, String)>,
) -> Result<Json<RevisionResponse>, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require_admin(&actor, "approve revisions")?;
        let (id, n) = (parse_id(&raw_id)?, parse_revision(&n)?);
        let change = Change::of(&actor, None, request_id.0.clone());
        Ok(state.store.approve_revision(&actor.organization, id, n, change).await?)
    }
    .await;
    let resource = Resource::integration_raw(&raw_id);
    state.audit().failure(&actor, Action::IntegrationApprove, resource, &result, &request_id).await;
    let approved = result?;
    tracing::info!(integration_id = %approved.snapshot.id, revision = approved.snapshot.revision, "revision approved");
    Ok(Json(approved.into()))
}

/// Admins only; honours `If-Match` like a PUT.
pub async fn restore(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    headers: HeaderMap,
    Path((raw_id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require_admin(&actor, "restore revisions")?;
        let (id, n) = (parse_id(&raw_id)?, parse_revision(&n)?);
        let expected_revision = expected_revision(&state, &actor.organization, id, &headers).await?;
        let change = Change::of(&actor, expected_revision, request_id.0.clone())
            .with_detail("restored_from", json!(n));
        Ok((state.store.restore_revision(&actor.organization, id, n, change).await?, n))
    }
    .await;
    let resource = Resource::integration_raw(&raw_id);
    state.audit().failure(&actor, Action::IntegrationRestore, resource, &result, &request_id).await;
    let (restored, n) = result?;
    tracing::info!(integration_id = %restored.id, restored_from = n, revision = restored.revision, "revision restored");
    Ok(with_etag(StatusCode::OK, restored))
}
