//! `PUT /custom-integrations/by-name/{name}` (DESIGN.md §2): the idempotent
//! upsert behind `patchbay apply`. The body is a create body whose `name`
//! comes from the path; it creates the integration (201) or replaces the
//! type, description, config and tags of the live one of that name (200).
//! An identical body changes nothing: `updated_at` and the revision stay.
use crate::body::Body;
use crate::error::ApiError;
use crate::routes::integrations::{Caught, create_from_request, require_writer};
use crate::state::{AppState, Caller};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use patchbay_api_types::{IntegrationResponse, parse_create_request};
use patchbay_domain::IntegrationPatch;
use patchbay_store::StoreError;
use serde_json::Value;

pub async fn upsert(
    State(state): State<AppState>,
    caller: Caught,
    Path(name): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<IntegrationResponse>), ApiError> {
    let Caller(actor) = caller?;
    require_writer(&actor, "write")?;
    let mut body = body.json()?.clone();
    // The path names the integration; a `name` in the body is ignored.
    if let Value::Object(fields) = &mut body {
        fields.insert("name".into(), Value::String(name.clone()));
    }
    let request = parse_create_request(&body)?;
    let current = match state.store.get_integration_by_name(&actor.organization, &name).await {
        Ok(current) => current,
        Err(StoreError::NotFound) => {
            let created = create_from_request(&state, &actor, request).await?;
            tracing::info!(integration_id = %created.id, name = %created.name, "custom integration created by name");
            return Ok((StatusCode::CREATED, Json(created.into())));
        }
        Err(error) => return Err(error.into()),
    };
    let patch = IntegrationPatch {
        integration_type: Some(request.integration_type),
        clear_description: request.description.is_none(),
        description: request.description,
        config: Some(request.config),
        tags: Some(request.tags),
        ..Default::default()
    };
    let updated = state.store.update_integration(&actor.organization, current.id, patch).await?;
    tracing::info!(integration_id = %updated.id, "custom integration upserted by name");
    Ok((StatusCode::OK, Json(updated.into())))
}
