//! The seed's Custom Integrations endpoints (DESIGN.md §1).
use crate::body::Body;
use crate::error::{ApiError, INTEGRATION_NOT_FOUND};
use crate::query::{QueryParams, hard_delete, list_filter};
use crate::state::{AppState, Caller};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use patchbay_api_types::{
    CreateIntegrationRequest, IntegrationResponse, parse_create_request, parse_update_request,
};
use patchbay_domain::{Actor, Integration, IntegrationStatus, NewIntegration};
use patchbay_store::DeleteMode;
use uuid::Uuid;

pub(crate) type Caught = Result<Caller, ApiError>;

/// Ids that are not UUIDs name nothing: 404, as for a missing row.
fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(INTEGRATION_NOT_FOUND.to_owned()))
}

/// Checked right after authentication, before the body is validated, as a
/// FastAPI dependency would be.
pub(crate) fn require_writer(actor: &Actor, action: &str) -> Result<(), ApiError> {
    crate::state::require(
        actor,
        actor.role.can_write_integrations(),
        &format!("{action} custom integrations"),
        "a member or admin",
    )
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caught,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<IntegrationResponse>>, ApiError> {
    let Caller(actor) = caller?;
    let filter = list_filter(&QueryParams::parse(query.as_deref()))?;
    let integrations = state.store.list_integrations(&actor.organization, &filter).await?;
    Ok(Json(integrations.into_iter().map(IntegrationResponse::from).collect()))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caught,
    Path(id): Path<String>,
) -> Result<Json<IntegrationResponse>, ApiError> {
    let Caller(actor) = caller?;
    let integration = state.store.get_integration(&actor.organization, parse_id(&id)?).await?;
    Ok(Json(integration.into()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caught,
    body: Body,
) -> Result<(StatusCode, Json<IntegrationResponse>), ApiError> {
    let Caller(actor) = caller?;
    require_writer(&actor, "create")?;
    let request = parse_create_request(body.json()?)?;
    let created = create_from_request(&state, &actor, request).await?;
    tracing::info!(integration_id = %created.id, name = %created.name, "custom integration created");
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// A validated create body becomes an active integration of the caller's
/// organization (409 when the name is taken).
pub(crate) async fn create_from_request(
    state: &AppState,
    actor: &Actor,
    request: CreateIntegrationRequest,
) -> Result<Integration, ApiError> {
    let new = NewIntegration {
        name: request.name,
        integration_type: request.integration_type,
        description: request.description,
        config: request.config,
        tags: request.tags,
        status: IntegrationStatus::Active,
        created_by: actor.user_id.clone(),
    };
    Ok(state.store.create_integration(&actor.organization, new).await?)
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caught,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<IntegrationResponse>, ApiError> {
    let Caller(actor) = caller?;
    require_writer(&actor, "update")?;
    let patch = parse_update_request(body.json()?)?;
    let updated = state.store.update_integration(&actor.organization, parse_id(&id)?, patch).await?;
    tracing::info!(integration_id = %updated.id, "custom integration updated");
    Ok(Json(updated.into()))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caught,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, ApiError> {
    let Caller(actor) = caller?;
    require_writer(&actor, "delete")?;
    let hard = hard_delete(&QueryParams::parse(query.as_deref()))?;
    let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
    let id = parse_id(&id)?;
    state.store.delete_integration(&actor.organization, id, mode).await?;
    tracing::info!(integration_id = %id, ?mode, "custom integration deleted");
    Ok(StatusCode::NO_CONTENT)
}
