//! `PUT /custom-integrations/by-name/{name}`: the idempotent
//! upsert behind `patchbay apply`. The body is a create body whose `name`
//! comes from the path; it creates the integration (201) or replaces the
//! type, description, config and tags of the live one of that name (200).
//! An identical body changes nothing: `updated_at` and the revision stay.
use crate::audit::{Action, Resource, context};
use crate::body::Body;
use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::routes::integrations::{Caught, create_from_request, require_writer};
use crate::state::{AppState, Caller};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use patchbay_api_types::{IntegrationResponse, parse_create_request};
use patchbay_domain::{Actor, Integration, IntegrationPatch};
use patchbay_store::{Change, StoreError};
use serde_json::{Value, json};

pub async fn upsert(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(name): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<IntegrationResponse>), ApiError> {
    let Caller(actor) = caller?;
    let result = upsert_by_name(&state, &actor, &name, &body, &request_id).await;
    let resource = Resource::new("integration", None).with("name", json!(name));
    state.audit().failure(&actor, Action::IntegrationUpdate, resource, &result, &request_id).await;
    let (status, integration) = result?;
    Ok((status, Json(integration.into())))
}

async fn upsert_by_name(
    state: &AppState,
    actor: &Actor,
    name: &str,
    body: &Body,
    request_id: &RequestId,
) -> Result<(StatusCode, Integration), ApiError> {
    require_writer(actor, "write")?;
    let mut body = body.json()?.clone();
    // The path names the integration; a `name` in the body is ignored.
    if let Value::Object(fields) = &mut body {
        fields.insert("name".into(), Value::String(name.to_owned()));
    }
    let request = parse_create_request(&body)?;
    // Racing upserts of one name: a create that loses to another gets the
    // 409 of the unique index, and then updates the winner's row instead;
    // an update whose row was deleted meanwhile creates. A few rounds
    // settle any race; a 409 after them is reported as such.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let settled = attempts >= 3;
        match state.store.get_integration_by_name(&actor.organization, name).await {
            Err(StoreError::NotFound) => {
                match create_from_request(state, actor, request.clone(), context(actor, request_id)).await {
                    Ok(created) => {
                        tracing::info!(integration_id = %created.id, name = %created.name, "custom integration created by name");
                        return Ok((StatusCode::CREATED, created));
                    }
                    Err(StoreError::Conflict(_)) if !settled => continue,
                    Err(error) => return Err(error.into()),
                }
            }
            Err(error) => return Err(error.into()),
            Ok(current) => {
                let patch = IntegrationPatch {
                    integration_type: Some(request.integration_type.clone()),
                    clear_description: request.description.is_none(),
                    description: request.description.clone(),
                    config: Some(request.config.clone()),
                    tags: Some(request.tags.clone()),
                    ..Default::default()
                };
                let change = Change::of(actor, None, request_id.0.clone());
                match state
                    .store
                    .update_integration_with(&actor.organization, current.id, patch, change)
                    .await
                {
                    Ok(updated) => {
                        tracing::info!(integration_id = %updated.id, "custom integration upserted by name");
                        return Ok((StatusCode::OK, updated));
                    }
                    Err(StoreError::NotFound) if !settled => continue,
                    Err(error) => return Err(error.into()),
                }
            }
        }
    }
}
