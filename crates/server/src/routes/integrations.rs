//! The seed's Custom Integrations endpoints, with Patchbay's
//! ETags, conditional writes and audit events around them.
use crate::audit::{Action, Resource, context};
use crate::body::Body;
use crate::conditional::{expected_revision, if_none_match_any, with_etag};
use crate::credentials::check_dynamic_credentials;
use crate::error::{ApiError, INTEGRATION_NOT_FOUND};
use crate::query::{QueryParams, hard_delete, list_filter};
use crate::request_id::RequestId;
use crate::state::{AppState, Caller};
use crate::stored_body::{list_response, list_writer, one_response};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use patchbay_api_types::{CreateIntegrationRequest, parse_create_request, parse_update_request};
use patchbay_domain::{Actor, Integration, IntegrationStatus, NewIntegration, Role};
use patchbay_store::{Change, Conflict, DeleteMode, StoreError};
use serde_json::json;
use uuid::Uuid;

pub(crate) type Caught = Result<Caller, ApiError>;

/// Ids that are not UUIDs name nothing: 404, as for a missing row.
pub(crate) fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(INTEGRATION_NOT_FOUND.to_owned()))
}

/// Where a create or update body holds its config, for the errors of
/// checks that need the store.
pub(crate) fn config_loc() -> Vec<patchbay_api_types::LocItem> {
    vec!["body".into(), "config".into()]
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
) -> Result<Response, ApiError> {
    let Caller(actor) = caller?;
    let filter = list_filter(&QueryParams::parse(query.as_deref()))?;
    let writer = list_writer(filter.limit);
    let writer = state.store.write_stored_integrations(&actor.organization, &filter, writer).await?;
    Ok(list_response(writer))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caught,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Caller(actor) = caller?;
    let integration = state.store.get_stored_integration(&actor.organization, parse_id(&id)?).await?;
    Ok(one_response(&integration))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require_writer(&actor, "create")?;
        let request = parse_create_request(body.json()?)?;
        check_dynamic_credentials(&state, &actor.organization, &request.config, &config_loc()).await?;
        let only_if_new = if_none_match_any(&headers)?;
        match create_from_request(&state, &actor, request, context(&actor, &request_id)).await {
            // With `If-None-Match: *` the name being taken is a failed precondition.
            Err(StoreError::Conflict(Conflict::IntegrationName(name))) if only_if_new => {
                Err(ApiError::PreconditionFailed(format!(
                    "Precondition failed: a custom integration named '{name}' already exists (If-None-Match: *)"
                )))
            }
            other => Ok(other?),
        }
    }
    .await;
    let resource = Resource::new("integration", None);
    state.audit().failure(&actor, Action::IntegrationCreate, resource, &result, &request_id).await;
    let created = result?;
    tracing::info!(integration_id = %created.id, name = %created.name, "custom integration created");
    Ok(with_etag(StatusCode::CREATED, created))
}

/// A validated create body becomes an active integration of the caller's
/// organization (`Conflict` when the name is taken), with its
/// `integration.create` audit event committed alongside.
pub(crate) async fn create_from_request(
    state: &AppState,
    actor: &Actor,
    request: CreateIntegrationRequest,
    audit: patchbay_store::AuditContext,
) -> Result<Integration, StoreError> {
    state
        .store
        .create_integration_with(&actor.organization, new_integration(actor, request), Some(audit))
        .await
}

/// An active integration of the caller's organization, made by the caller.
pub(crate) fn new_integration(actor: &Actor, request: CreateIntegrationRequest) -> NewIntegration {
    NewIntegration {
        name: request.name,
        integration_type: request.integration_type,
        description: request.description,
        config: request.config,
        tags: request.tags,
        status: IntegrationStatus::Active,
        created_by: actor.user_id.clone(),
        created_by_admin: actor.role == Role::Admin,
    }
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let Caller(actor) = caller?;
    let mut action = Action::IntegrationUpdate;
    let result = async {
        require_writer(&actor, "update")?;
        let patch = parse_update_request(body.json()?)?;
        if let Some(config) = &patch.config {
            check_dynamic_credentials(&state, &actor.organization, config, &config_loc()).await?;
        }
        if patch.status == Some(IntegrationStatus::Deleted) {
            action = Action::IntegrationDelete;
        }
        let id = parse_id(&id)?;
        let expected_revision = expected_revision(&state, &actor.organization, id, &headers).await?;
        // The store names the event after what it wrote (an update, a soft
        // delete, a restore from `deleted`) and commits it with the write.
        let change = Change::of(&actor, expected_revision, request_id.0.clone());
        Ok(state.store.update_integration_with(&actor.organization, id, patch, change).await?)
    }
    .await;
    state.audit().failure(&actor, action, Resource::integration_raw(&id), &result, &request_id).await;
    let updated = result?;
    tracing::info!(integration_id = %updated.id, revision = updated.revision, "custom integration updated");
    Ok(with_etag(StatusCode::OK, updated))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, ApiError> {
    let Caller(actor) = caller?;
    let mut hard = false;
    let result = async {
        require_writer(&actor, "delete")?;
        hard = hard_delete(&QueryParams::parse(query.as_deref()))?;
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        let id = parse_id(&id)?;
        let expected_revision = expected_revision(&state, &actor.organization, id, &headers).await?;
        let change = Change::of(&actor, expected_revision, request_id.0.clone())
            .with_detail("hard_delete", json!(hard));
        state.store.delete_integration_with(&actor.organization, id, mode, change).await?;
        tracing::info!(integration_id = %id, ?mode, "custom integration deleted");
        Ok(())
    }
    .await;
    let resource = Resource::integration_raw(&id).with("hard_delete", json!(hard));
    state.audit().failure(&actor, Action::IntegrationDelete, resource, &result, &request_id).await;
    result.map(|()| StatusCode::NO_CONTENT)
}
