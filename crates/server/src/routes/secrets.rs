//! The secrets API. Metadata is readable by every
//! role, writes need a member or admin, values only go to workers and admins.
use crate::audit::{Action, Resource, context};
use crate::body::Body;
use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::state::{AppState, Caller, require};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use patchbay_api_types::{
    FieldError, SecretResponse, SecretValueResponse, SecretVersionResponse, parse_put_secret,
    parse_secret_name, redacted_body_error,
};
use patchbay_domain::SecretName;
use patchbay_store::Change;
use zeroize::Zeroizing;

type Caught = Result<Caller, ApiError>;

fn name_of(raw: &str) -> Result<SecretName, ApiError> {
    parse_secret_name(raw).map_err(ApiError::Validation)
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caught,
) -> Result<Json<Vec<SecretResponse>>, ApiError> {
    let Caller(actor) = caller?;
    let secrets = state.store.list_secrets(&actor.organization).await?;
    Ok(Json(secrets.into_iter().map(SecretResponse::from).collect()))
}

pub async fn put(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<SecretResponse>), ApiError> {
    let Caller(actor) = caller?;
    let result = write(&state, &actor, &raw, body, &request_id).await;
    state.audit().failure(&actor, Action::SecretWrite, Resource::secret(&raw), &result, &request_id).await;
    result
}

async fn write(
    state: &AppState,
    actor: &patchbay_domain::Actor,
    name: &str,
    body: Body,
    request_id: &RequestId,
) -> Result<(StatusCode, Json<SecretResponse>), ApiError> {
    require(actor, actor.role.can_write_integrations(), "write secrets", "a member or admin")?;
    let name = name_of(name)?;
    let request = match &body {
        Body::Json(value) => parse_put_secret(value)?,
        Body::Raw(_) => return Err(ApiError::Validation(vec![redacted_body_error()])),
        Body::Missing => return Err(ApiError::Validation(vec![FieldError::missing_body()])),
    };
    drop(body);
    let value = Zeroizing::new(request.value);
    let audit = Some(context(actor, request_id));
    let (meta, created) = state
        .vault
        .put(&actor.organization, name, value, request.description, actor.user_id.clone(), audit)
        .await?;
    tracing::info!(secret = %meta.name, version = meta.version, "secret written");
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(meta.into())))
}

/// Every read is audited, refused ones (403) included; never the value. A
/// value leaves only once its read is on record: when the event cannot be
/// written, the read fails (503) rather than go unrecorded.
pub async fn value(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw): Path<String>,
) -> Result<Json<SecretValueResponse>, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require(&actor, actor.role.can_read_secret_values(), "read secret values", "a worker or admin")?;
        let name = name_of(&raw)?;
        state.vault.reveal(&actor.organization, &name).await
    }
    .await;
    state.audit().failure(&actor, Action::SecretRead, Resource::secret(&raw), &result, &request_id).await;
    let value = result?;
    state.audit().required(&actor, Action::SecretRead, Resource::secret(&raw), &request_id).await?;
    tracing::info!(secret = %raw, "secret value read");
    Ok(Json(SecretValueResponse { value: value.to_string() }))
}

pub async fn versions(
    State(state): State<AppState>,
    caller: Caught,
    Path(name): Path<String>,
) -> Result<Json<Vec<SecretVersionResponse>>, ApiError> {
    let Caller(actor) = caller?;
    let name = name_of(&name)?;
    let versions = state.store.secret_versions(&actor.organization, &name).await?;
    Ok(Json(versions.into_iter().map(SecretVersionResponse::from).collect()))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require(&actor, actor.role.can_write_integrations(), "delete secrets", "a member or admin")?;
        let name = name_of(&raw)?;
        let change = Change::of(&actor, None, request_id.0.clone());
        Ok(state.store.delete_secret(&actor.organization, &name, change).await?)
    }
    .await;
    state.audit().failure(&actor, Action::SecretDelete, Resource::secret(&raw), &result, &request_id).await;
    result?;
    tracing::info!(secret = %raw, "secret deleted");
    Ok(StatusCode::NO_CONTENT)
}
