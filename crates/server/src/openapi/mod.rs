//! The OpenAPI 3.1 document at `/api/openapi.json`. Schemas come from the
//! body types (`patchbay_api_types::schema`); the operations mirror the
//! route table, with the reference's operation ids so generated clients keep
//! their method names.
mod common;
mod connection_tests;
mod credentials;
mod history;
mod resolve;
mod secrets;
mod templates;
mod webhooks;
use axum::Json;
use serde_json::{Value, json};
use std::sync::OnceLock;

pub(super) fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

pub(super) fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

pub(super) fn response(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": json_content(schema)})
}

pub(super) fn validation_error() -> Value {
    response("Validation Error", schema_ref("HTTPValidationError"))
}

pub(super) fn error(description: &str) -> Value {
    response(description, schema_ref("ErrorDetail"))
}

fn id_parameter() -> Value {
    json!({"name": "integration_id", "in": "path", "required": true,
           "schema": {"type": "string", "title": "Integration Id"}})
}

fn query(name: &str, title: &str, schema: Value, description: &str) -> Value {
    let mut schema = schema;
    schema["title"] = json!(title);
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn optional(kind: Value) -> Value {
    json!({"anyOf": [kind, {"type": "null"}]})
}

/// Operation id the way FastAPI derives it: function name, then the path
/// with non-word characters as `_`, then the method.
pub(super) fn operation_id(function: &str, path: &str, method: &str) -> String {
    let path: String = path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("{function}{path}_{method}")
}

fn integration_paths() -> Value {
    let collection = "/api/v1/custom-integrations";
    let item = "/api/v1/custom-integrations/{integration_id}";
    let tags = json!(["custom-integrations"]);
    json!({
        collection: {
            "get": {
                "tags": tags, "summary": "List Custom Integrations",
                "description": "List the organization's custom integrations, newest first. Deleted integrations are excluded unless `status=deleted`; `tags` requires every listed tag.",
                "operationId": operation_id("list_custom_integrations", collection, "get"),
                "parameters": [
                    query("integration_type", "Integration Type", optional(json!({"type": "string"})), "Filter by integration type (e.g., postgres, mongodb, redis)"),
                    query("status", "Status", optional(schema_ref("CustomIntegrationStatus")), "Filter by status (active, inactive, deleted)"),
                    query("tags", "Tags", optional(json!({"type": "string"})), "Filter by tags - comma-separated (e.g., production,database)"),
                    query("q", "Q", optional(json!({"type": "string"})), "Case-insensitive search in name and description (Patchbay)"),
                    query("limit", "Limit", optional(json!({"type": "integer", "minimum": 1, "maximum": crate::query::LIST_LIMIT_MAX})), "Page size; without it the whole list (Patchbay)"),
                    query("offset", "Offset", optional(json!({"type": "integer", "minimum": 0})), "Rows to skip (Patchbay)")
                ],
                "responses": {
                    "200": response("List of custom integrations", json!({"type": "array", "items": schema_ref("CustomIntegrationResponse"), "title": "Response List Custom Integrations Api V1 Custom Integrations Get"})),
                    "422": validation_error()
                }
            },
            "post": {
                "tags": tags, "summary": "Create Custom Integration",
                "description": "Create a new custom integration instance. Names are unique among the organization's non-deleted integrations.",
                "operationId": operation_id("create_custom_integration", collection, "post"),
                "parameters": [{"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string", "enum": ["*"]},
                                "description": "*: create only if no live integration has the name (412 otherwise) (Patchbay)"}],
                "requestBody": {"required": true, "content": json_content(schema_ref("CreateCustomIntegrationRequest"))},
                "responses": {
                    "201": response("Integration created successfully", schema_ref("CustomIntegrationResponse")),
                    "403": error("The token's role may not write integrations"),
                    "409": error("Integration with this name already exists"),
                    "412": error("If-None-Match: * and the name is taken"),
                    "413": error("Request body too large"),
                    "422": validation_error()
                }
            }
        },
        item: {
            "get": {
                "tags": tags, "summary": "Get Custom Integration",
                "description": "Retrieve a custom integration with its complete configuration.",
                "operationId": operation_id("get_custom_integration", item, "get"),
                "parameters": [id_parameter()],
                "responses": {
                    "200": response("Custom integration details", schema_ref("CustomIntegrationResponse")),
                    "404": error("Integration not found"),
                    "422": validation_error()
                }
            },
            "put": {
                "tags": tags, "summary": "Update Custom Integration",
                "description": "Update a custom integration.",
                "operationId": operation_id("update_custom_integration", item, "put"),
                "parameters": [id_parameter()],
                "requestBody": {"required": true, "content": json_content(schema_ref("UpdateCustomIntegrationRequest"))},
                "responses": {
                    "200": response("Successful Response", schema_ref("CustomIntegrationResponse")),
                    "403": error("The token's role may not write integrations"),
                    "404": error("Integration not found"),
                    "409": error("Integration with this name already exists"),
                    "412": error("If-Match (the ETag last seen, or *) names another revision (Patchbay)"),
                    "422": validation_error()
                }
            },
            "delete": {
                "tags": tags, "summary": "Delete Custom Integration",
                "description": "Delete a custom integration. By default a soft delete (status `deleted`); `hard_delete=true` removes it.",
                "operationId": operation_id("delete_custom_integration", item, "delete"),
                "parameters": [id_parameter(), query("hard_delete", "Hard Delete", json!({"type": "boolean", "default": false}), "Permanently delete (vs soft delete)"),
                               {"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string", "pattern": common::IF_MATCH_PATTERN},
                                "description": "The ETag last seen, or *; 412 when the integration is at another revision (Patchbay)"}],
                "responses": {
                    "204": {"description": "Successful Response"},
                    "403": error("The token's role may not write integrations"),
                    "404": error("Integration not found"),
                    "412": error("If-Match names another revision"),
                    "422": validation_error()
                }
            }
        }
    })
}

fn object(title: &str, properties: &[&str]) -> Value {
    let fields: serde_json::Map<String, Value> =
        properties.iter().map(|name| ((*name).to_owned(), json!({"type": "string"}))).collect();
    json!({"type": "object", "title": title, "properties": fields, "required": properties})
}

fn service_paths() -> Value {
    let plain = |function: &str, summary: &str, description: &str, content: Value| {
        json!({"get": {
            "tags": ["health"], "summary": summary, "description": description, "security": [],
            "operationId": operation_id(function, &format!("/{function}"), "get"),
            "responses": {"200": {"description": "Successful Response", "content": content}}
        }})
    };
    let health = plain("health", "Health", "The process is up.", json_content(object("Health", &["status"])));
    let ready_body = json_content(object("Ready", &["status", "database"]));
    let mut ready =
        plain("ready", "Ready", "The service can serve: its database answers. 503 otherwise.", ready_body);
    let not_ready = object("NotReady", &["status", "database", "detail"]);
    ready["get"]["responses"]["503"] = response("Database unreachable or full", not_ready);
    let mut metrics = plain(
        "metrics",
        "Metrics",
        "Prometheus text exposition: requests by route template, method and status, latency histograms, database pool.",
        json!({"text/plain": {"schema": {"type": "string"}}}),
    );
    // `--metrics-token` asks for its own bearer token, not a JWT.
    metrics["get"]["responses"]["401"] = response(
        "Only with --metrics-token: the request's bearer token is missing or not that one",
        schema_ref("HTTPUnauthorizedError"),
    );
    json!({"/health": health, "/ready": ready, "/metrics": metrics})
}

/// The whole document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut paths = integration_paths();
        let extra = [
            service_paths(),
            secrets::paths(),
            resolve::paths(),
            templates::paths(),
            history::paths(),
            connection_tests::paths(),
            credentials::paths(),
            webhooks::paths(),
        ];
        for (path, item) in extra.iter().flat_map(|paths| paths.as_object().expect("an object").clone()) {
            paths[path] = item;
        }
        common::complete(&mut paths);
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "Patchbay",
                "description": "Control plane for agent integrations. Drop-in compatible with the Custom Integrations endpoints of the Kubiya Agent Control Plane API.",
                "version": env!("CARGO_PKG_VERSION")
            },
            "security": [{"BearerAuth": []}],
            "tags": [
                {"name": "custom-integrations", "description": "User-defined integration instances with env vars, secrets, and files"},
                {"name": "secrets", "description": "Secure credential storage and retrieval"},
                {"name": "integration-templates", "description": "Pre-configured integration definitions for common providers"},
                {"name": "history", "description": "Revisions, rollback and the audit log"},
                {"name": "connection-tests", "description": "Connection tests, run as jobs on workers"},
                {"name": "workers", "description": "Workers that run connection tests"},
                {"name": "credentials", "description": "Dynamic credentials: credential providers and the short-lived users (leases) they make"},
                {"name": "webhooks", "description": "Webhooks: the organization's events POSTed, signed, to receivers of its choosing"},
                {"name": "health", "description": "Health & Status"}
            ],
            "paths": paths,
            "components": {
                "schemas": patchbay_api_types::schema::components(),
                "securitySchemes": {"BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "A Patchbay token (format: Bearer <token>); `patchbay token mint` makes one"}}
            }
        })
    })
}

pub async fn serve() -> Json<&'static Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_follow_fastapi() {
        assert_eq!(
            operation_id("update_custom_integration", "/api/v1/custom-integrations/{integration_id}", "put"),
            "update_custom_integration_api_v1_custom_integrations__integration_id__put"
        );
    }
}
