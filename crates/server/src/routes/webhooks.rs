//! Webhooks: admins add, list, inspect and remove them. A webhook's secret
//! is shown once, in the answer to its creation; its URL passes the SSRF
//! guard (`webhooks::guard`) before it is stored.
use crate::audit::{Action, Resource, context};
use crate::body::Body;
use crate::error::{ApiError, WEBHOOK_NOT_FOUND};
use crate::request_id::RequestId;
use crate::state::{AppState, Caller, require_admin};
use crate::webhooks::{guard, signing};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use patchbay_api_types::{
    CreatedWebhookResponse, DeliveryResponse, FieldError, WebhookResponse, parse_create_webhook,
};
use patchbay_domain::{format_timestamp, now_utc};
use patchbay_store::{Delivery, Webhook};
use serde_json::json;
use uuid::Uuid;

type Caught = Result<Caller, ApiError>;

/// The newest deliveries a webhook's list shows.
const DELIVERIES_SHOWN: u32 = 100;

/// Ids that are not UUIDs name nothing: 404, as for a missing webhook.
fn webhook_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(WEBHOOK_NOT_FOUND.to_owned()))
}

fn response(webhook: Webhook) -> WebhookResponse {
    WebhookResponse {
        id: webhook.id.to_string(),
        url: webhook.url,
        events: webhook.events.iter().map(|event| event.as_str().to_owned()).collect(),
        description: webhook.description,
        created_at: format_timestamp(webhook.created_at),
        created_by: webhook.created_by,
    }
}

fn delivery_response(delivery: Delivery) -> DeliveryResponse {
    DeliveryResponse {
        id: delivery.id.to_string(),
        event_id: format!("evt_{}", delivery.event_id),
        event_type: delivery.event_type.as_str().to_owned(),
        state: delivery.state.as_str().to_owned(),
        attempts: delivery.attempts,
        last_status: delivery.last_status,
        last_error: delivery.last_error,
        created_at: format_timestamp(delivery.created_at),
        last_attempt_at: delivery.last_attempt_at.map(format_timestamp),
        next_attempt_at: delivery.next_attempt_at.map(format_timestamp),
        delivered_at: delivery.delivered_at.map(format_timestamp),
    }
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    body: Body,
) -> Result<(StatusCode, Json<CreatedWebhookResponse>), ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require_admin(&actor, "manage webhooks")?;
        let parsed = parse_create_webhook(body.json()?)?;
        let url = guard::check_url(&parsed.url, state.webhooks.allow_private).await.map_err(|why| {
            let loc = vec!["body".into(), "url".into()];
            ApiError::Validation(vec![FieldError::new(
                "value_error",
                loc,
                format!("Value error, {why}"),
                json!(parsed.url),
            )])
        })?;
        let org = &actor.organization;
        let id = Uuid::new_v4();
        let secret = signing::new_secret();
        let webhook = Webhook {
            id,
            organization_id: org.clone(),
            // As the URL parser writes it: the same for every reader, and
            // the one the guard checked.
            url: url.to_string(),
            events: parsed.events,
            description: parsed.description,
            secret: state.vault.seal_webhook_secret(org, id, &secret).await?,
            created_at: now_utc(),
            created_by: actor.user_id.clone(),
        };
        state.store.create_webhook(&webhook, Some(context(&actor, &request_id))).await?;
        Ok((webhook, secret))
    }
    .await;
    state
        .audit()
        .failure(&actor, Action::WebhookCreate, Resource::new("webhook", None), &result, &request_id)
        .await;
    let (webhook, secret) = result?;
    tracing::info!(webhook = %webhook.id, events = webhook.events.len(), "webhook created");
    let created = CreatedWebhookResponse { webhook: response(webhook), secret: secret.to_string() };
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caught,
) -> Result<Json<Vec<WebhookResponse>>, ApiError> {
    let Caller(actor) = caller?;
    require_admin(&actor, "read webhooks")?;
    let webhooks = state.store.list_webhooks(&actor.organization).await?;
    Ok(Json(webhooks.into_iter().map(response).collect()))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caught,
    Path(raw): Path<String>,
) -> Result<Json<WebhookResponse>, ApiError> {
    let Caller(actor) = caller?;
    require_admin(&actor, "read webhooks")?;
    let webhook = state.store.get_webhook(&actor.organization, webhook_id(&raw)?).await?;
    Ok(Json(response(webhook)))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require_admin(&actor, "manage webhooks")?;
        let id = webhook_id(&raw)?;
        let audit = Some(context(&actor, &request_id));
        Ok(state.store.delete_webhook(&actor.organization, id, actor.user_id.clone(), audit).await?)
    }
    .await;
    let resource = Resource::new("webhook", Some(raw.clone()));
    state.audit().failure(&actor, Action::WebhookDelete, resource, &result, &request_id).await;
    result?;
    tracing::info!(webhook = %raw, "webhook deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// The webhook's newest deliveries: state, attempts, the last answer.
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caught,
    Path(raw): Path<String>,
) -> Result<Json<Vec<DeliveryResponse>>, ApiError> {
    let Caller(actor) = caller?;
    require_admin(&actor, "read webhooks")?;
    let listed =
        state.store.list_deliveries(&actor.organization, webhook_id(&raw)?, DELIVERIES_SHOWN).await?;
    Ok(Json(listed.into_iter().map(delivery_response).collect()))
}
