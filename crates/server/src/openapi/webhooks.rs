//! Operations of the webhooks API.
use super::common::vault_unavailable;
use super::{error, json_content, operation_id, response, schema_ref, validation_error};
use serde_json::{Value, json};

fn id_parameter() -> Value {
    json!({"name": "webhook_id", "in": "path", "required": true,
           "schema": {"type": "string", "title": "Webhook Id"}})
}

pub fn paths() -> Value {
    let collection = "/api/v1/webhooks";
    let item = "/api/v1/webhooks/{webhook_id}";
    let deliveries = "/api/v1/webhooks/{webhook_id}/deliveries";
    let tags = json!(["webhooks"]);
    json!({
        collection: {
            "get": {
                "tags": tags, "summary": "List Webhooks",
                "description": "The organization's webhooks, oldest first; never their secrets. Admins only.",
                "operationId": operation_id("list_webhooks", collection, "get"),
                "responses": {
                    "200": response("Webhooks", json!({"type": "array", "items": schema_ref("WebhookResponse")})),
                    "403": error("Only admins read webhooks")
                }
            },
            "post": {
                "tags": tags, "summary": "Create Webhook",
                "description": "Add a receiver of the organization's events: each is POSTed to `url` as {\"id\", \"type\", \"organization\", \"created_at\", \"data\"}, signed in X-Patchbay-Signature (sha256= and the hex HMAC-SHA256 of the raw body under the secret), named in X-Patchbay-Event, and retried with backoff until the receiver answers 2xx. The answer holds the secret, shown this once. URLs whose host is loopback, private, link-local or otherwise internal are refused (422) unless the server runs with --webhook-allow-private. Admins only.",
                "operationId": operation_id("create_webhook", collection, "post"),
                "requestBody": {"required": true, "content": json_content(schema_ref("CreateWebhookRequest"))},
                "responses": {
                    "201": response("Created; the secret is in this answer only", schema_ref("CreatedWebhookResponse")),
                    "403": error("Only admins add webhooks"),
                    "422": validation_error(),
                    "503": vault_unavailable()
                }
            }
        },
        item: {
            "get": {
                "tags": tags, "summary": "Get Webhook",
                "description": "One webhook, without its secret. Admins only.",
                "operationId": operation_id("get_webhook", item, "get"),
                "parameters": [id_parameter()],
                "responses": {
                    "200": response("The webhook", schema_ref("WebhookResponse")),
                    "403": error("Only admins read webhooks"),
                    "404": error("Webhook not found")
                }
            },
            "delete": {
                "tags": tags, "summary": "Delete Webhook",
                "description": "Remove a webhook and its deliveries; nothing more is sent to it. Admins only.",
                "operationId": operation_id("delete_webhook", item, "delete"),
                "parameters": [id_parameter()],
                "responses": {
                    "204": {"description": "Deleted"},
                    "403": error("Only admins remove webhooks"),
                    "404": error("Webhook not found")
                }
            }
        },
        deliveries: {"get": {
            "tags": tags, "summary": "List Webhook Deliveries",
            "description": "The webhook's 100 newest deliveries: each event's state (pending, delivering, delivered, failed), attempts, the receiver's last status code and error, and when it was tried, is due again, or was delivered. Admins only.",
            "operationId": operation_id("list_webhook_deliveries", deliveries, "get"),
            "parameters": [id_parameter()],
            "responses": {
                "200": response("Deliveries, newest first", json!({"type": "array", "items": schema_ref("WebhookDeliveryResponse")})),
                "403": error("Only admins read webhooks"),
                "404": error("Webhook not found")
            }
        }}
    })
}
