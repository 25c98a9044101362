//! OpenAPI 3.1 schemas of the bodies in this crate, keyed by the seed's
//! component names. They carry the seed's titles and shapes (so generated
//! clients see the reference's models) plus Patchbay's stricter constraints.
//! The request models' schemas are generated from their field declarations
//! (`crate::models`), which the parser reads too.
use crate::fields::Model;
use crate::models::{config, connection_test, create, credential_env, dynamic_credential, file, update};
use patchbay_domain::IntegrationStatus;
use serde_json::{Map, Value, json};

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn response() -> Value {
    let text = |title: &str| json!({"type": "string", "title": title});
    let optional_text =
        |title: &str| json!({"anyOf": [{"type": "string"}, {"type": "null"}], "title": title});
    json!({
        "properties": {
            "id": text("Id"),
            "organization_id": text("Organization Id"),
            "name": text("Name"),
            "integration_type": text("Integration Type"),
            "description": optional_text("Description"),
            "status": text("Status"),
            "config": {"additionalProperties": true, "type": "object", "title": "Config"},
            "tags": {"items": {"type": "string"}, "type": "array", "title": "Tags"},
            "created_at": text("Created At"),
            "updated_at": text("Updated At"),
            "created_by": optional_text("Created By")
        },
        "type": "object",
        "required": ["id", "organization_id", "name", "integration_type", "description", "status",
                     "config", "tags", "created_at", "updated_at", "created_by"],
        "title": "CustomIntegrationResponse",
        "description": "Custom integration response"
    })
}

fn validation_error() -> Value {
    json!({
        "properties": {
            "loc": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "type": "array", "title": "Location"},
            "msg": {"type": "string", "title": "Message"},
            "type": {"type": "string", "title": "Error Type"},
            "input": {"title": "Input"},
            "ctx": {"type": "object", "title": "Context"}
        },
        "type": "object",
        "required": ["loc", "msg", "type"],
        "title": "ValidationError"
    })
}

fn declared(schemas: &mut Map<String, Value>, model: Model) {
    schemas.insert(model.name.into(), model.schema());
}

/// Every component schema, by name.
pub fn components() -> Map<String, Value> {
    let mut schemas = Map::new();
    declared(&mut schemas, create::MODEL);
    declared(&mut schemas, update::MODEL);
    schemas.insert("CustomIntegrationResponse".into(), response());
    schemas.insert(
        "HTTPValidationError".into(),
        json!({"properties": {"detail": {"items": reference("ValidationError"), "type": "array", "title": "Detail"}},
               "type": "object", "title": "HTTPValidationError"}),
    );
    declared(&mut schemas, config::MODEL);
    schemas.insert(
        update::STATUS_ENUM.into(),
        json!({"type": "string", "enum": IntegrationStatus::ALL.map(IntegrationStatus::as_str),
               "title": update::STATUS_ENUM, "description": "Custom integration status"}),
    );
    schemas.insert("ValidationError".into(), validation_error());
    declared(&mut schemas, file::MODEL);
    declared(&mut schemas, connection_test::MODEL);
    declared(&mut schemas, dynamic_credential::MODEL);
    declared(&mut schemas, credential_env::MODEL);
    schemas.extend(crate::credentials_schema::components());
    schemas.insert(
        "PutSecretRequest".into(),
        json!({"properties": {
                   "value": {"type": "string", "title": "Value", "description": "At most 64 KiB of UTF-8"},
                   "description": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Description",
                                   "description": "Kept as it is when absent"}},
               "type": "object", "required": ["value"], "title": "PutSecretRequest"}),
    );
    let text = |title: &str| json!({"type": "string", "title": title});
    let optional_text =
        |title: &str| json!({"anyOf": [{"type": "string"}, {"type": "null"}], "title": title});
    schemas.insert(
        "SecretResponse".into(),
        json!({"properties": {
                   "name": text("Name"), "description": optional_text("Description"),
                   "version": {"type": "integer", "title": "Version"},
                   "created_at": text("Created At"), "updated_at": text("Updated At"),
                   "created_by": optional_text("Created By")},
               "type": "object",
               "required": ["name", "description", "version", "created_at", "updated_at", "created_by"],
               "title": "SecretResponse", "description": "A secret's metadata; never its value"}),
    );
    schemas.insert(
        "SecretVersionResponse".into(),
        json!({"properties": {"version": {"type": "integer", "title": "Version"}, "created_at": text("Created At"),
                              "created_by": optional_text("Created By")},
               "type": "object", "required": ["version", "created_at", "created_by"], "title": "SecretVersionResponse"}),
    );
    schemas.insert(
        "SecretValueResponse".into(),
        json!({"properties": {"value": text("Value")}, "type": "object", "required": ["value"],
               "title": "SecretValueResponse"}),
    );
    let targets = json!({"type": "array", "items": {"type": "string"}, "minItems": 1,
                         "maxItems": crate::resolve::MAX_TARGETS});
    schemas.insert(
        "ResolveRequest".into(),
        json!({"properties": {
                   "integration_ids": {"anyOf": [targets.clone(), {"type": "null"}], "title": "Integration Ids"},
                   "names": {"anyOf": [targets, {"type": "null"}], "title": "Names"}},
               // Exactly one of the two lists; the other absent or null.
               "oneOf": [{"required": ["integration_ids"], "properties": {"integration_ids": {"type": "array"}, "names": {"type": "null"}}},
                         {"required": ["names"], "properties": {"names": {"type": "array"}, "integration_ids": {"type": "null"}}}],
               "type": "object", "title": "ResolveRequest",
               "description": "Either integration_ids or names: a non-empty list, resolved in order"}),
    );
    schemas.insert(
        "BundleResponse".into(),
        json!({"properties": {
                   "env_vars": {"type": "object", "additionalProperties": {"type": "string"}, "title": "Env Vars"},
                   "files": {"type": "array", "title": "Files", "items": {
                       "type": "object", "required": ["path", "content", "mode", "description"],
                       "properties": {"path": text("Path"), "content": text("Content"),
                                      "mode": {"type": "string", "title": "Mode", "description": "Effective octal mode; owner-only for secret content"},
                                      "description": optional_text("Description")}}},
                   "context_prompt": {"type": "string", "title": "Context Prompt", "description": "Markdown; never a value"},
                   "integrations": {"type": "array", "title": "Integrations", "items": {
                       "type": "object", "required": ["id", "name", "integration_type", "revision"],
                       "properties": {"id": text("Id"), "name": text("Name"), "integration_type": text("Integration Type"),
                                      "revision": {"type": "integer", "title": "Revision"}}}},
                   "missing": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}, "title": "Missing",
                               "description": "In a dry run, the problems a real resolution refuses with 422"},
                   "dry_run": {"type": "boolean", "title": "Dry Run"},
                   "warnings": {"type": "array", "title": "Warnings",
                                "description": "Patchbay's extension: text in an env var value or a file's content that looks like a reference but is not one (`{{secrets.X}}` for `{{.secret.X}}`), so it is kept as written. A warning, never a refusal.",
                                "items": {"type": "object", "required": ["loc", "msg", "text", "suggestion"],
                                          "properties": {"loc": {"type": "array", "items": {"type": "string"}, "title": "Loc"},
                                                         "msg": text("Msg"), "text": text("Text"),
                                                         "suggestion": optional_text("Suggestion")}}},
                   "leases": {"type": "array", "title": "Leases",
                              "description": "Patchbay's extension: the dynamic credentials this resolution made, one per `dynamic_credentials` entry; empty in a dry run. Revoke them (DELETE /api/v1/leases/{id}) when the run ends.",
                              "items": reference("BundleLease")}},
               "type": "object",
               "required": ["env_vars", "files", "context_prompt", "integrations", "missing", "dry_run", "warnings", "leases"],
               "title": "BundleResponse"}),
    );
    schemas.insert(
        "ErrorDetail".into(),
        json!({"properties": {"detail": {"type": "string", "title": "Detail"}}, "type": "object",
               "required": ["detail"], "title": "ErrorDetail"}),
    );
    // A refused token's 401 says why and what to do, as the reference's does.
    schemas.insert(
        "HTTPUnauthorizedError".into(),
        json!({"properties": {"detail": {
                   "properties": {"error": {"type": "string", "const": "Unauthorized", "title": "Error"},
                                  "message": text("Message"), "hint": text("Hint")},
                   "type": "object", "required": ["error", "message", "hint"], "title": "Detail"}},
               "type": "object", "required": ["detail"], "title": "HTTPUnauthorizedError"}),
    );
    schemas.extend(crate::history_schema::components());
    schemas.extend(crate::webhooks_schema::components());
    schemas
}
