//! Operations of revisions, rollback and the audit log.
use super::{error, operation_id, response, schema_ref, validation_error};
use serde_json::{Value, json};

fn path_parameters() -> Value {
    json!([
        {"name": "integration_id", "in": "path", "required": true, "schema": {"type": "string", "title": "Integration Id"}},
        {"name": "revision", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "title": "Revision"}}
    ])
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn if_match() -> Value {
    json!({"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string", "pattern": super::common::IF_MATCH_PATTERN},
           "description": "The ETag last seen (e.g. \"3\"), or *; 412 when the integration is at another revision"})
}

pub fn paths() -> Value {
    let list = "/api/v1/custom-integrations/{integration_id}/revisions";
    let item = "/api/v1/custom-integrations/{integration_id}/revisions/{revision}";
    let diff = "/api/v1/custom-integrations/{integration_id}/revisions/{revision}/diff";
    let restore = "/api/v1/custom-integrations/{integration_id}/revisions/{revision}/restore";
    let approve = "/api/v1/custom-integrations/{integration_id}/revisions/{revision}/approve";
    let audit = "/api/v1/audit-events";
    let tags = json!(["history"]);
    let mut item_parameters = path_parameters();
    let mut restore_parameters = path_parameters();
    restore_parameters.as_array_mut().expect("a list").push(if_match());
    item_parameters.as_array_mut().expect("a list").truncate(2);
    json!({
        list: {"get": {
            "tags": tags, "summary": "List Revisions",
            "description": "Every revision of the integration, newest first: one per create, update, soft delete and restore, written in the change's transaction. A hard delete removes them with the integration.",
            "operationId": operation_id("list_revisions", list, "get"),
            "parameters": [
                {"name": "integration_id", "in": "path", "required": true, "schema": {"type": "string", "title": "Integration Id"}},
                query("limit", json!({"type": "integer", "minimum": 1, "maximum": crate::query::LIST_LIMIT_MAX}), "Page size; without it every revision"),
                query("offset", json!({"type": "integer", "minimum": 0}), "Revisions to skip")
            ],
            "responses": {
                "200": response("Revisions", json!({"type": "array", "items": schema_ref("RevisionResponse")})),
                "404": error("Integration not found"),
                "422": validation_error()
            }
        }},
        item: {"get": {
            "tags": tags, "summary": "Get Revision",
            "description": "One revision: kind, actor, time and the integration as it was.",
            "operationId": operation_id("get_revision", item, "get"),
            "parameters": item_parameters,
            "responses": {
                "200": response("The revision", schema_ref("RevisionResponse")),
                "404": error("Integration or revision not found"),
                "422": validation_error()
            }
        }},
        diff: {"get": {
            "tags": tags, "summary": "Diff Revision",
            "description": "Field-level differences from the previous revision. The config is compared per key: each env var, secret name, file (by path), the context prompt and the connection test. Secret values are never part of an integration.",
            "operationId": operation_id("diff_revision", diff, "get"),
            "parameters": path_parameters(),
            "responses": {
                "200": response("The differences", schema_ref("RevisionDiffResponse")),
                "404": error("Integration or revision not found"),
                "422": validation_error()
            }
        }},
        restore: {"post": {
            "tags": tags, "summary": "Restore Revision",
            "description": "Makes the integration equal to the revision again (name, type, description, status, config, tags), recorded as a new `restore` revision. Admins only. Honours If-Match.",
            "operationId": operation_id("restore_revision", restore, "post"),
            "parameters": restore_parameters,
            "responses": {
                "200": response("The restored integration, with its new ETag", schema_ref("CustomIntegrationResponse")),
                "403": error("Restoring needs an admin token"),
                "404": error("Integration or revision not found"),
                "409": error("The revision's name is taken by another live integration"),
                "412": error("If-Match names another revision"),
                "422": validation_error()
            }
        }},
        approve: {"post": {
            "tags": tags, "summary": "Approve Revision",
            "description": "An admin's word that this revision's config (its command, env vars, files and secret names) may receive secret values. A connection test whose bundle carries a secret value runs only on a revision an admin wrote or approved; a non-admin's change of the config needs a new approval (a change that leaves the config alone keeps it). Approving an approved revision changes nothing. Admins only; audited as integration.approve.",
            "operationId": operation_id("approve_revision", approve, "post"),
            "parameters": path_parameters(),
            "responses": {
                "200": response("The approved revision", schema_ref("RevisionResponse")),
                "403": error("Approving needs an admin token"),
                "404": error("Integration or revision not found"),
                "422": validation_error()
            }
        }},
        audit: {"get": {
            "tags": tags, "summary": "List Audit Events",
            "description": "The organization's audit log, newest first: every mutation of integrations and secrets, secret value read, resolution and connection test, with actor, outcome (success, denied, failed) and request id; never a value. Admins only.",
            "operationId": operation_id("list_audit_events", audit, "get"),
            "parameters": [
                query("action", json!({"type": "string", "enum": patchbay_domain::AuditAction::ALL.map(|a| a.as_str())}), "Only this action"),
                query("resource_id", json!({"type": "string"}), "Only events about this integration id or secret name"),
                query("actor", json!({"type": "string"}), "Only this user id"),
                query("since", json!({"type": "string", "format": "date-time"}), "From this time (inclusive, RFC 3339)"),
                query("until", json!({"type": "string", "format": "date-time"}), "Before this time (exclusive, RFC 3339)"),
                query("limit", json!({"type": "integer", "minimum": 1, "maximum": crate::query::LIST_LIMIT_MAX, "default": crate::routes::AUDIT_DEFAULT_LIMIT}), "Page size"),
                query("cursor", json!({"type": "string"}), "next_cursor of the previous page")
            ],
            "responses": {
                "200": response("A page of events", schema_ref("AuditPageResponse")),
                "403": error("The audit log needs an admin token"),
                "422": validation_error()
            }
        }}
    })
}
