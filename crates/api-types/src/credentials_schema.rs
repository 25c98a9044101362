//! OpenAPI schemas of the credential providers and leases bodies.
use crate::credentials::{
    DEFAULT_MAX_TTL_SECONDS, DEFAULT_TTL_SECONDS, MAX_ROLES, MAX_STATEMENT_CHARS, MAX_STATEMENTS,
};
use crate::models::MAX_LEASE_TTL_SECONDS;
use patchbay_domain::{LeaseState, ProviderKind, ProviderName, SecretName};
use serde_json::{Map, Value, json};

fn text(title: &str) -> Value {
    json!({"type": "string", "title": title})
}

fn optional_text(title: &str) -> Value {
    json!({"anyOf": [{"type": "string"}, {"type": "null"}], "title": title})
}

fn kind() -> Value {
    json!({"type": "string", "enum": ProviderKind::ALL.map(ProviderKind::as_str), "title": "Kind"})
}

fn role() -> Value {
    let statements = |title: &str, description: &str| {
        json!({"type": "array", "title": title, "description": description, "maxItems": MAX_STATEMENTS,
               "items": {"type": "string", "minLength": 1, "maxLength": MAX_STATEMENT_CHARS}})
    };
    json!({"type": "object", "title": "CredentialProviderRole", "additionalProperties": false,
           "description": "postgres and mysql: SQL statements with the placeholders {{name}}, {{password}} and {{expiration}}; redis: ACL rules",
           "properties": {
               "creation": statements("Creation", "Statements that make the user (SQL kinds; required there)"),
               "revocation": statements("Revocation", "Statements that drop it; the kind's safe default when absent"),
               "rules": {"type": "string", "minLength": 1, "maxLength": MAX_STATEMENT_CHARS, "title": "Rules",
                         "description": "redis: ACL rules such as \"~app:* +get +set\""}}})
}

fn ttl(title: &str, default: i64) -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": MAX_LEASE_TTL_SECONDS, "default": default, "title": title})
}

/// The components, by name.
pub fn components() -> Map<String, Value> {
    let mut schemas = Map::new();
    let roles = json!({"type": "object", "title": "Roles", "minProperties": 1, "maxProperties": MAX_ROLES,
                       "propertyNames": {"pattern": ProviderName::PATTERN},
                       "additionalProperties": {"$ref": "#/components/schemas/CredentialProviderRole"}});
    schemas.insert("CredentialProviderRole".into(), role());
    schemas.insert(
        "CredentialProviderRequest".into(),
        json!({"type": "object", "title": "CredentialProviderRequest",
               "description": "A database Patchbay makes short-lived users in; its admin connection URL is a vault secret",
               "required": ["kind", "connection_secret", "roles"],
               "properties": {
                   "kind": kind(),
                   "connection_secret": {"type": "string", "pattern": SecretName::PATTERN, "title": "Connection Secret",
                                         "description": "The vault secret holding the admin connection URL"},
                   "default_ttl_seconds": ttl("Default Ttl Seconds", DEFAULT_TTL_SECONDS),
                   "max_ttl_seconds": ttl("Max Ttl Seconds", DEFAULT_MAX_TTL_SECONDS),
                   "roles": roles}}),
    );
    schemas.insert(
        "CredentialProviderResponse".into(),
        json!({"type": "object", "title": "CredentialProviderResponse",
               "required": ["name", "kind", "connection_secret", "default_ttl_seconds", "max_ttl_seconds", "roles",
                            "created_at", "updated_at", "created_by", "updated_by"],
               "properties": {
                   "name": text("Name"), "kind": kind(), "connection_secret": text("Connection Secret"),
                   "default_ttl_seconds": {"type": "integer", "title": "Default Ttl Seconds"},
                   "max_ttl_seconds": {"type": "integer", "title": "Max Ttl Seconds"},
                   "roles": {"type": "object", "title": "Roles",
                             "additionalProperties": {"$ref": "#/components/schemas/CredentialProviderRole"}},
                   "created_at": text("Created At"), "updated_at": text("Updated At"),
                   "created_by": optional_text("Created By"), "updated_by": optional_text("Updated By")}}),
    );
    let state = json!({"type": "string", "enum": LeaseState::ALL.map(LeaseState::as_str), "title": "State"});
    schemas.insert(
        "LeaseResponse".into(),
        json!({"type": "object", "title": "LeaseResponse", "description": "A dynamic credential; never its password",
               "required": ["id", "provider", "role", "kind", "username", "integration_id", "integration_name",
                            "job_id", "state", "created_at", "expires_at", "max_expires_at", "revoked_at",
                            "revoke_attempts", "next_attempt_at", "last_error", "created_by"],
               "properties": {
                   "id": text("Id"), "provider": text("Provider"), "role": text("Role"), "kind": kind(),
                   "username": text("Username"), "integration_id": optional_text("Integration Id"),
                   "integration_name": optional_text("Integration Name"), "job_id": optional_text("Job Id"),
                   "state": state, "created_at": text("Created At"), "expires_at": text("Expires At"),
                   "max_expires_at": text("Max Expires At"), "revoked_at": optional_text("Revoked At"),
                   "revoke_attempts": {"type": "integer", "title": "Revoke Attempts"},
                   "next_attempt_at": optional_text("Next Attempt At"),
                   "last_error": optional_text("Last Error"), "created_by": optional_text("Created By")}}),
    );
    schemas.insert(
        "BundleLease".into(),
        json!({"type": "object", "title": "BundleLease",
               "required": ["id", "provider", "role", "username", "expires_at"],
               "properties": {"id": text("Id"), "provider": text("Provider"), "role": text("Role"),
                              "username": text("Username"), "expires_at": text("Expires At")}}),
    );
    schemas.insert(
        "RenewLeaseRequest".into(),
        json!({"type": "object", "title": "RenewLeaseRequest", "required": ["ttl_seconds"],
               "properties": {"ttl_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_LEASE_TTL_SECONDS,
                                              "title": "Ttl Seconds",
                                              "description": "The new lifetime from now, capped at the provider's max from the lease's creation"}}}),
    );
    schemas
}
