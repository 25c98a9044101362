//! Operations of the secrets API.
use super::common::vault_unavailable;
use super::{error, json_content, operation_id, response, schema_ref, validation_error};
use serde_json::{Value, json};

fn name_parameter() -> Value {
    json!({"name": "name", "in": "path", "required": true,
           "schema": {"type": "string", "pattern": patchbay_domain::SecretName::PATTERN, "title": "Name"}})
}

pub fn paths() -> Value {
    let collection = "/api/v1/secrets";
    let item = "/api/v1/secrets/{name}";
    let value = "/api/v1/secrets/value/{name}";
    let versions = "/api/v1/secrets/{name}/versions";
    let tags = json!(["secrets"]);
    json!({
        collection: {"get": {
            "tags": tags, "summary": "List Secrets",
            "description": "The organization's secrets, by name: metadata only, never a value.",
            "operationId": operation_id("list_secrets", collection, "get"),
            "responses": {
                "200": response("Secrets", json!({"type": "array", "items": schema_ref("SecretResponse")}))
            }
        }},
        item: {
            "put": {
                "tags": tags, "summary": "Set Secret",
                "description": "Create a secret (201) or store a new version of it (200). Values up to 64 KiB of UTF-8, encrypted at rest. Members and admins.",
                "operationId": operation_id("set_secret", item, "put"),
                "parameters": [name_parameter()],
                "requestBody": {"required": true, "content": json_content(schema_ref("PutSecretRequest"))},
                "responses": {
                    "200": response("A new version", schema_ref("SecretResponse")),
                    "201": response("Created", schema_ref("SecretResponse")),
                    "403": error("The token's role may not write secrets"),
                    "422": validation_error(),
                    "503": vault_unavailable()
                }
            },
            "delete": {
                "tags": tags, "summary": "Delete Secret",
                "description": "Delete a secret and every version of it. Members and admins.",
                "operationId": operation_id("delete_secret", item, "delete"),
                "parameters": [name_parameter()],
                "responses": {
                    "204": {"description": "Deleted"},
                    "403": error("The token's role may not delete secrets"),
                    "404": error("Secret not found"),
                    "422": validation_error()
                }
            }
        },
        value: {"get": {
            "tags": tags, "summary": "Get Secret Value",
            "description": "The current value. Workers and admins only.",
            "operationId": operation_id("get_secret_value", value, "get"),
            "parameters": [name_parameter()],
            "responses": {
                "200": response("The value", schema_ref("SecretValueResponse")),
                "403": error("The token's role may not read values"),
                "404": error("Secret not found"),
                "422": validation_error(),
                "503": vault_unavailable()
            }
        }},
        versions: {"get": {
            "tags": tags, "summary": "List Secret Versions",
            "description": "Every stored version, newest first: metadata only.",
            "operationId": operation_id("list_secret_versions", versions, "get"),
            "parameters": [name_parameter()],
            "responses": {
                "200": response("Versions", json!({"type": "array", "items": schema_ref("SecretVersionResponse")})),
                "404": error("Secret not found"),
                "422": validation_error()
            }
        }}
    })
}
