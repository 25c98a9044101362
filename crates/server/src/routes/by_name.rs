//! `PUT /custom-integrations/by-name/{name}`: the idempotent
//! upsert behind `patchbay apply`. The body is a create body whose `name`
//! comes from the path; it creates the integration (201) or replaces the
//! type, description, config and tags of the live one of that name (200).
//! An identical body changes nothing: `updated_at` and the revision stay.
use crate::audit::{Action, Resource};
use crate::body::Body;
use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::routes::integrations::{Caught, new_integration, require_writer};
use crate::state::{AppState, Caller};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use patchbay_api_types::{IntegrationResponse, parse_create_request};
use patchbay_domain::{Actor, Integration};
use patchbay_store::Change;
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
    let loc = super::integrations::config_loc();
    crate::credentials::check_dynamic_credentials(state, &actor.organization, &request.config, &loc).await?;
    // One atomic store step: of racing upserts of one name, one creates and
    // the others update; none fails for the race.
    let change = Change::of(actor, None, request_id.0.clone());
    let new = new_integration(actor, request);
    let (integration, created) =
        state.store.upsert_integration_by_name(&actor.organization, new, change).await?;
    if created {
        tracing::info!(integration_id = %integration.id, name = %integration.name, "custom integration created by name");
        Ok((StatusCode::CREATED, integration))
    } else {
        tracing::info!(integration_id = %integration.id, "custom integration upserted by name");
        Ok((StatusCode::OK, integration))
    }
}
