//! OpenAPI 3.1 schemas of the bodies in this crate, keyed by the seed's
//! component names. They carry the seed's titles and shapes (so generated
//! clients see the reference's models) plus Patchbay's stricter constraints.
use patchbay_domain::{EnvVarName, FileMode, TestTimeout};
use serde_json::{Map, Value, json};

fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

fn titled(mut schema: Value, title: &str) -> Value {
    schema["title"] = json!(title);
    schema
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn name_schema() -> Value {
    json!({"type": "string", "maxLength": crate::requests::NAME_MAX, "minLength": 1})
}

fn type_schema() -> Value {
    json!({"type": "string", "maxLength": crate::requests::TYPE_MAX, "minLength": 1})
}

fn file_config() -> Value {
    json!({
        "properties": {
            "path": {"type": "string", "minLength": 1, "title": "Path",
                     "description": "File path (e.g., ~/.postgresql/client.crt); no '..' component"},
            "content": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Content",
                        "description": "File content (direct)"},
            "secret_ref": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Secret Ref",
                           "description": "Secret name to load content from"},
            "mode": {"anyOf": [{"type": "string", "pattern": FileMode::PATTERN}, {"type": "null"}], "title": "Mode",
                     "description": "File permissions (octal)", "default": "0644"},
            "description": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Description",
                            "description": "Description of this file"}
        },
        "type": "object",
        "required": ["path"],
        "title": "FileConfig",
        "description": "Configuration for a file to be written to workspace"
    })
}

fn connection_test() -> Value {
    json!({
        "properties": {
            "enabled": {"type": "boolean", "title": "Enabled", "description": "Whether to test connection", "default": true},
            "command": {"type": "string", "title": "Command", "description": "Command to run for testing"},
            "timeout": {"type": "integer", "title": "Timeout", "description": "Timeout in seconds", "default": 5,
                        "minimum": TestTimeout::MIN, "maximum": TestTimeout::MAX}
        },
        "type": "object",
        "required": ["command"],
        "title": "ConnectionTest",
        "description": "Configuration for testing integration connectivity"
    })
}

fn config() -> Value {
    json!({
        "properties": {
            "env_vars": {"additionalProperties": {"type": "string"}, "propertyNames": {"pattern": EnvVarName::PATTERN},
                         "type": "object", "title": "Env Vars", "description": "Environment variables"},
            "secrets": {"items": {"type": "string", "pattern": EnvVarName::PATTERN}, "type": "array",
                        "title": "Secrets", "description": "Secret names from vault"},
            "files": {"items": reference("FileConfig"), "type": "array", "title": "Files", "description": "Files to create"},
            "context_prompt": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Context Prompt",
                               "description": "Contextual guidance for agent"},
            "connection_test": {"anyOf": [reference("ConnectionTest"), {"type": "null"}], "description": "Connection test config"}
        },
        "type": "object",
        "title": "CustomIntegrationConfig",
        "description": "Custom integration configuration"
    })
}

fn create_request() -> Value {
    json!({
        "properties": {
            "name": titled(name_schema(), "Name"),
            "integration_type": titled(type_schema(), "Integration Type"),
            "description": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Description"},
            "config": reference("CustomIntegrationConfig"),
            "tags": {"items": {"type": "string"}, "type": "array", "title": "Tags"}
        },
        "type": "object",
        "required": ["name", "integration_type", "config"],
        "title": "CreateCustomIntegrationRequest",
        "description": "Request to create a custom integration"
    })
}

fn update_request() -> Value {
    json!({
        "properties": {
            "name": titled(nullable(name_schema()), "Name"),
            "integration_type": titled(nullable(type_schema()), "Integration Type"),
            "description": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Description"},
            "config": {"anyOf": [reference("CustomIntegrationConfig"), {"type": "null"}]},
            "status": {"anyOf": [reference("CustomIntegrationStatus"), {"type": "null"}]},
            "tags": {"anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}], "title": "Tags"}
        },
        "type": "object",
        "title": "UpdateCustomIntegrationRequest",
        "description": "Request to update a custom integration"
    })
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

/// Every component schema, by name.
pub fn components() -> Map<String, Value> {
    let mut schemas = Map::new();
    schemas.insert("CreateCustomIntegrationRequest".into(), create_request());
    schemas.insert("UpdateCustomIntegrationRequest".into(), update_request());
    schemas.insert("CustomIntegrationResponse".into(), response());
    schemas.insert(
        "HTTPValidationError".into(),
        json!({"properties": {"detail": {"items": reference("ValidationError"), "type": "array", "title": "Detail"}},
               "type": "object", "title": "HTTPValidationError"}),
    );
    schemas.insert("CustomIntegrationConfig".into(), config());
    schemas.insert(
        "CustomIntegrationStatus".into(),
        json!({"type": "string", "enum": ["active", "inactive", "deleted"], "title": "CustomIntegrationStatus",
               "description": "Custom integration status"}),
    );
    schemas.insert("ValidationError".into(), validation_error());
    schemas.insert("FileConfig".into(), file_config());
    schemas.insert("ConnectionTest".into(), connection_test());
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
                   "dry_run": {"type": "boolean", "title": "Dry Run"}},
               "type": "object",
               "required": ["env_vars", "files", "context_prompt", "integrations", "missing", "dry_run"],
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
    schemas
}
