//! Bodies of the webhooks API (Patchbay's own). A webhook's secret is in
//! the answer to its creation only; nothing else ever shows it.
use crate::lax::{Checker, at};
use crate::requests::no_nul;
use crate::{FieldError, LocItem};
use patchbay_domain::AuditAction;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The audit actions a webhook can receive: what an operator acts on.
pub const WEBHOOK_EVENTS: [AuditAction; 8] = [
    AuditAction::IntegrationHealthChanged,
    AuditAction::IntegrationCreate,
    AuditAction::IntegrationUpdate,
    AuditAction::IntegrationDelete,
    AuditAction::IntegrationRestore,
    AuditAction::SecretWrite,
    AuditAction::SecretDelete,
    AuditAction::LeaseRevoke,
];

/// The longest URL, and description, in characters.
pub const MAX_WEBHOOK_URL_CHARS: usize = 2048;
pub const MAX_WEBHOOK_DESCRIPTION_CHARS: usize = 500;

/// `POST /api/v1/webhooks`, as clients send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWebhookRequest {
    pub url: String,
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A webhook's body once parsed. Whether the URL is one the server may
/// call is the server's check (it resolves the host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedWebhook {
    pub url: String,
    pub events: Vec<AuditAction>,
    pub description: Option<String>,
}

fn body() -> Vec<LocItem> {
    vec!["body".into()]
}

/// The webhook's body: a URL, one or more distinct events a webhook can
/// receive (each refused at its own index), an optional description.
pub fn parse_create_webhook(value: &Value) -> Result<ParsedWebhook, Vec<FieldError>> {
    let mut checker = Checker::new();
    let loc = body();
    let Some(fields) = checker.model(&loc, value) else { return checker.finish(|| unreachable!()) };
    let url = match fields.get("url") {
        None => {
            checker.missing(at(&loc, "url"), fields);
            None
        }
        Some(value) => {
            let url = checker.bounded_string(&at(&loc, "url"), value, 1, MAX_WEBHOOK_URL_CHARS);
            no_nul(&mut checker, &at(&loc, "url"), url)
        }
    };
    let events = match fields.get("events") {
        None => {
            checker.missing(at(&loc, "events"), fields);
            None
        }
        Some(value) => events(&mut checker, &at(&loc, "events"), value),
    };
    let description = match fields.get("description") {
        None | Some(Value::Null) => Some(None),
        Some(value) => {
            let text =
                checker.bounded_string(&at(&loc, "description"), value, 0, MAX_WEBHOOK_DESCRIPTION_CHARS);
            no_nul(&mut checker, &at(&loc, "description"), text).map(Some)
        }
    };
    checker.finish(|| ParsedWebhook {
        url: url.unwrap(),
        events: events.unwrap(),
        description: description.unwrap(),
    })
}

fn events(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<Vec<AuditAction>> {
    let items = checker.list(loc, value)?;
    if items.is_empty() {
        checker.push(
            FieldError::new(
                "too_short",
                loc.to_vec(),
                "List should have at least 1 item after validation, not 0",
                value.clone(),
            )
            .with_ctx(json!({"field_type": "List", "min_length": 1, "actual_length": 0})),
        );
        return None;
    }
    if !checker.at_most(loc, value, items.len(), WEBHOOK_EVENTS.len(), "List") {
        return None;
    }
    let before = checker.error_count();
    let allowed = WEBHOOK_EVENTS.map(AuditAction::as_str);
    let mut events: Vec<AuditAction> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let event = item.as_str().and_then(AuditAction::parse).filter(|event| WEBHOOK_EVENTS.contains(event));
        match event {
            None => checker.push(FieldError::enumeration(at(loc, i), &allowed, item.clone())),
            Some(event) if events.contains(&event) => checker.push(FieldError::new(
                "value_error",
                at(loc, i),
                format!("Value error, {} is listed twice", event.as_str()),
                item.clone(),
            )),
            Some(event) => events.push(event),
        }
    }
    (checker.error_count() == before).then_some(events)
}

/// A webhook, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookResponse {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub created_at: String,
    pub created_by: Option<String>,
}

/// The answer to a creation: the webhook and, this once, its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhookResponse {
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// `whsec_` and the base64url of 32 random bytes: the key of each
    /// delivery's HMAC-SHA256 signature.
    pub secret: String,
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryResponse {
    pub id: String,
    /// The event's id, as the body's `id` has it (`evt_...`).
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivering`, `delivered` or `failed`.
    pub state: String,
    pub attempts: u32,
    /// The receiver's status code at the last attempt, when it answered.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub last_attempt_at: Option<String>,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(value: Value) -> Vec<(String, Vec<LocItem>)> {
        parse_create_webhook(&value).unwrap_err().into_iter().map(|e| (e.kind, e.loc)).collect()
    }

    fn loc(path: &[&str]) -> Vec<LocItem> {
        path.iter()
            .map(|step| step.parse::<usize>().map_or_else(|_| LocItem::from(*step), LocItem::from))
            .collect()
    }

    #[test]
    fn a_webhook_body_parses_into_its_events() {
        let parsed = parse_create_webhook(&json!({
            "url": "https://hooks.example.com/x", "events": ["integration.health_changed", "lease.revoke"],
            "description": "ops"
        }))
        .unwrap();
        assert_eq!(parsed.events, [AuditAction::IntegrationHealthChanged, AuditAction::LeaseRevoke]);
        assert_eq!(parsed.description.as_deref(), Some("ops"));
    }

    #[test]
    fn each_problem_is_named_at_its_field() {
        assert_eq!(
            errors(json!({})),
            [("missing".into(), loc(&["body", "url"])), ("missing".into(), loc(&["body", "events"]))]
        );
        assert_eq!(
            errors(json!({"url": "", "events": []})),
            [
                ("string_too_short".into(), loc(&["body", "url"])),
                ("too_short".into(), loc(&["body", "events"]))
            ]
        );
        // Not an event a webhook receives (a read, a typo), or twice.
        assert_eq!(
            errors(json!({"url": "http://x", "events": ["secret.write", "secret.read", 7, "secret.write"]})),
            [
                ("enum".into(), loc(&["body", "events", "1"])),
                ("enum".into(), loc(&["body", "events", "2"])),
                ("value_error".into(), loc(&["body", "events", "3"]))
            ]
        );
        assert_eq!(
            errors(json!({"url": 1, "events": "secret.write", "description": "x".repeat(501)})),
            [
                ("string_type".into(), loc(&["body", "url"])),
                ("list_type".into(), loc(&["body", "events"])),
                ("string_too_long".into(), loc(&["body", "description"]))
            ]
        );
        assert_eq!(errors(json!([])), [("model_attributes_type".into(), loc(&["body"]))]);
        // PostgreSQL text holds no NUL.
        assert_eq!(
            errors(json!({"url": "http://x/\0", "events": ["lease.revoke"], "description": "a\0b"})),
            [
                ("value_error".into(), loc(&["body", "url"])),
                ("value_error".into(), loc(&["body", "description"]))
            ]
        );
    }
}
