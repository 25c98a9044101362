//! OpenAPI schemas of the webhooks bodies.
use crate::webhooks::{MAX_WEBHOOK_DESCRIPTION_CHARS, MAX_WEBHOOK_URL_CHARS, WEBHOOK_EVENTS};
use patchbay_domain::AuditAction;
use serde_json::{Map, Value, json};

fn text(title: &str) -> Value {
    json!({"type": "string", "title": title})
}

fn optional_text(title: &str) -> Value {
    json!({"anyOf": [{"type": "string"}, {"type": "null"}], "title": title})
}

fn events() -> Value {
    json!({"type": "array", "title": "Events", "minItems": 1, "maxItems": WEBHOOK_EVENTS.len(), "uniqueItems": true,
           "items": {"type": "string", "enum": WEBHOOK_EVENTS.map(AuditAction::as_str)}})
}

fn webhook_properties() -> Map<String, Value> {
    let properties = json!({
        "id": text("Id"), "url": text("Url"), "events": events(),
        "description": optional_text("Description"), "created_at": text("Created At"),
        "created_by": optional_text("Created By")});
    properties.as_object().expect("an object").clone()
}

const WEBHOOK_FIELDS: [&str; 6] = ["id", "url", "events", "description", "created_at", "created_by"];

/// The components, by name.
pub fn components() -> Map<String, Value> {
    let mut schemas = Map::new();
    schemas.insert(
        "CreateWebhookRequest".into(),
        json!({"type": "object", "title": "CreateWebhookRequest", "required": ["url", "events"],
               "properties": {
                   "url": {"type": "string", "minLength": 1, "maxLength": MAX_WEBHOOK_URL_CHARS, "title": "Url",
                           "description": "http(s) URL each event is POSTed to; loopback, private, link-local and other internal addresses are refused unless the server runs with --webhook-allow-private"},
                   "events": events(),
                   "description": {"anyOf": [{"type": "string", "maxLength": MAX_WEBHOOK_DESCRIPTION_CHARS}, {"type": "null"}],
                                   "title": "Description"}}}),
    );
    schemas.insert(
        "WebhookResponse".into(),
        json!({"type": "object", "title": "WebhookResponse", "description": "A webhook; never its secret",
               "required": WEBHOOK_FIELDS, "properties": webhook_properties()}),
    );
    let mut created = webhook_properties();
    created.insert(
        "secret".into(),
        json!({"type": "string", "title": "Secret",
               "description": "The key of every delivery's X-Patchbay-Signature (HMAC-SHA256); shown this once"}),
    );
    let mut required = WEBHOOK_FIELDS.to_vec();
    required.push("secret");
    schemas.insert(
        "CreatedWebhookResponse".into(),
        json!({"type": "object", "title": "CreatedWebhookResponse", "required": required, "properties": created}),
    );
    let state =
        json!({"type": "string", "enum": ["pending", "delivering", "delivered", "failed"], "title": "State"});
    schemas.insert(
        "WebhookDeliveryResponse".into(),
        json!({"type": "object", "title": "WebhookDeliveryResponse",
               "required": ["id", "event_id", "event_type", "state", "attempts", "last_status", "last_error",
                            "created_at", "last_attempt_at", "next_attempt_at", "delivered_at"],
               "properties": {
                   "id": text("Id"), "event_id": text("Event Id"), "event_type": text("Event Type"), "state": state,
                   "attempts": {"type": "integer", "title": "Attempts"},
                   "last_status": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Last Status"},
                   "last_error": optional_text("Last Error"), "created_at": text("Created At"),
                   "last_attempt_at": optional_text("Last Attempt At"),
                   "next_attempt_at": optional_text("Next Attempt At"),
                   "delivered_at": optional_text("Delivered At")}}),
    );
    schemas
}
