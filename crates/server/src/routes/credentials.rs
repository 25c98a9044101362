//! Credential providers and leases. Providers: admins write, every role
//! reads their metadata (the admin connection is only named, never
//! shown). Leases: every role lists them; workers and admins (who receive
//! their passwords) renew them; any role but viewer revokes one.
use crate::audit::{Action, Resource, context};
use crate::body::Body;
use crate::credentials::{check_provider_roles, revoke_lease};
use crate::error::{ApiError, LEASE_NOT_FOUND};
use crate::query::QueryParams;
use crate::request_id::RequestId;
use crate::state::{AppState, Caller, require, require_admin};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use patchbay_api_types::{
    Checker, FieldError, LeaseResponse, ProviderResponse, parse_provider, parse_provider_name,
    parse_renew_lease,
};
use patchbay_domain::{LeaseFilter, LeaseState, NewProvider, ProviderName, Role, now_utc};
use serde_json::{Value, json};
use time::Duration;
use uuid::Uuid;

type Caught = Result<Caller, ApiError>;

fn provider_name(raw: &str) -> Result<ProviderName, ApiError> {
    parse_provider_name(raw, "name").map_err(ApiError::Validation)
}

pub async fn list_providers(
    State(state): State<AppState>,
    caller: Caught,
) -> Result<Json<Vec<ProviderResponse>>, ApiError> {
    let Caller(actor) = caller?;
    let providers = state.store.list_providers(&actor.organization).await?;
    Ok(Json(providers.into_iter().map(ProviderResponse::from).collect()))
}

pub async fn get_provider(
    State(state): State<AppState>,
    caller: Caught,
    Path(raw): Path<String>,
) -> Result<Json<ProviderResponse>, ApiError> {
    let Caller(actor) = caller?;
    let provider = state.store.get_provider(&actor.organization, &provider_name(&raw)?).await?;
    Ok(Json(provider.into()))
}

pub async fn put_provider(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<ProviderResponse>), ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require_admin(&actor, "write credential providers")?;
        let name = provider_name(&raw)?;
        let parsed = parse_provider(body.json()?)?;
        let org = &actor.organization;
        check_provider_roles(&state, org, parsed.kind, &parsed.connection_secret, &parsed.roles).await?;
        let provider = NewProvider {
            name,
            kind: parsed.kind,
            connection_secret: parsed.connection_secret,
            default_ttl_seconds: parsed.default_ttl_seconds,
            max_ttl_seconds: parsed.max_ttl_seconds,
            roles: parsed.roles,
            written_by: actor.user_id.clone(),
        };
        Ok(state.store.put_provider(org, provider, Some(context(&actor, &request_id))).await?)
    }
    .await;
    let resource = Resource::new("credential_provider", Some(raw));
    state.audit().failure(&actor, Action::ProviderWrite, resource, &result, &request_id).await;
    let (provider, created) = result?;
    tracing::info!(provider = %provider.name, kind = %provider.kind, created, "credential provider written");
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(provider.into())))
}

pub async fn delete_provider(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require_admin(&actor, "delete credential providers")?;
        let name = provider_name(&raw)?;
        let audit = Some(context(&actor, &request_id));
        Ok(state.store.delete_provider(&actor.organization, &name, actor.user_id.clone(), audit).await?)
    }
    .await;
    let resource = Resource::new("credential_provider", Some(raw.clone()));
    state.audit().failure(&actor, Action::ProviderDelete, resource, &result, &request_id).await;
    result?;
    tracing::info!(provider = %raw, "credential provider deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /leases`: `provider`, `integration` (its name), `state`, `limit`.
fn lease_filter(params: &QueryParams) -> Result<LeaseFilter, ApiError> {
    let mut checker = Checker::new();
    let loc = |name: &str| vec!["query".into(), name.into()];
    let provider = params.get("provider").filter(|raw| !raw.is_empty()).and_then(|raw| {
        ProviderName::parse(raw).map_err(|error| checker.domain(loc("provider"), json!(raw), error)).ok()
    });
    let state = params.get("state").filter(|raw| !raw.is_empty()).and_then(|raw| {
        let state = LeaseState::parse(raw);
        if state.is_none() {
            let allowed = LeaseState::ALL.map(LeaseState::as_str);
            checker.push(FieldError::enumeration(loc("state"), &allowed, Value::String(raw.to_owned())));
        }
        state
    });
    let limit = params.get("limit").and_then(|raw| {
        let value = checker.int(&loc("limit"), &json!(raw))?;
        if !(1..=1000).contains(&value) {
            checker.push(FieldError::new(
                "less_than_equal",
                loc("limit"),
                "Input should be between 1 and 1000",
                json!(raw),
            ));
            return None;
        }
        Some(value as u32)
    });
    let integration = params.get("integration").filter(|raw| !raw.is_empty()).map(str::to_owned);
    checker
        .finish(|| LeaseFilter { provider, integration, state, job_id: None, limit })
        .map_err(ApiError::Validation)
}

pub async fn list_leases(
    State(state): State<AppState>,
    caller: Caught,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<LeaseResponse>>, ApiError> {
    let Caller(actor) = caller?;
    let filter = lease_filter(&QueryParams::parse(query.as_deref()))?;
    let leases = state.store.list_leases(&actor.organization, &filter).await?;
    Ok(Json(leases.into_iter().map(LeaseResponse::from).collect()))
}

/// Ids that are not UUIDs name nothing: 404, as for a missing lease.
fn lease_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(LEASE_NOT_FOUND.to_owned()))
}

pub async fn get_lease(
    State(state): State<AppState>,
    caller: Caught,
    Path(raw): Path<String>,
) -> Result<Json<LeaseResponse>, ApiError> {
    let Caller(actor) = caller?;
    let lease = state.store.get_lease(&actor.organization, lease_id(&raw)?).await?;
    Ok(Json(lease.into()))
}

/// Extends an active lease to `ttl_seconds` from now, never past its
/// provider's max from the lease's creation.
pub async fn renew_lease(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw): Path<String>,
    body: Body,
) -> Result<Json<LeaseResponse>, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require(&actor, actor.role.can_read_secret_values(), "renew leases", "a worker or admin")?;
        let id = lease_id(&raw)?;
        let request = parse_renew_lease(body.json()?)?;
        let org = &actor.organization;
        let lease = state.store.get_lease(org, id).await?;
        let now = now_utc();
        let wanted = now + Duration::seconds(i64::from(request.ttl_seconds));
        let expires_at = wanted.min(lease.max_expires_at);
        let audit = Some(context(&actor, &request_id));
        Ok(state.store.renew_lease(org, id, expires_at, now, actor.user_id.clone(), audit).await?)
    }
    .await;
    state
        .audit()
        .failure(&actor, Action::LeaseRenew, Resource::new("lease", Some(raw)), &result, &request_id)
        .await;
    Ok(Json(result?.into()))
}

/// Revokes a lease now: 204 once its user is gone (or was already). When
/// the database refuses, the lease is `revoke_failed` and retried by the
/// server: 503 with the database's error.
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require(&actor, actor.role != Role::Viewer, "revoke leases", "a member, worker or admin")?;
        let id = lease_id(&raw)?;
        let audit = Some(context(&actor, &request_id));
        Ok(revoke_lease(&state, &actor.organization, id, actor.user_id.clone(), audit).await?)
    }
    .await;
    // Refusals are audited here; a revocation that ran has its own
    // `lease.revoke` event already, whichever way it went.
    state
        .audit()
        .failure(&actor, Action::LeaseRevoke, Resource::new("lease", Some(raw)), &result, &request_id)
        .await;
    let lease = result?;
    match lease.state {
        LeaseState::Revoked => Ok(StatusCode::NO_CONTENT),
        LeaseState::RevokeFailed => Err(ApiError::Unavailable(format!(
            "Revoking the lease failed: {}; it is revoke_failed and the server retries it",
            lease.last_error.as_deref().unwrap_or("unknown error")
        ))),
        // Another server holds it: it will finish.
        LeaseState::Revoking => Err(ApiError::Conflict(
            "The lease is being revoked by another server; GET it to see when it is revoked".into(),
        )),
        LeaseState::Active => Err(ApiError::Conflict("The lease could not be taken for revocation".into())),
    }
}
