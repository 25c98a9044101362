//! OpenAPI schemas of the history bodies (revisions, diffs, audit events).
use serde_json::{Map, Value, json};

fn text(title: &str) -> Value {
    json!({"type": "string", "title": title})
}

fn optional(kind: &str, title: &str) -> Value {
    json!({"anyOf": [{"type": kind}, {"type": "null"}], "title": title})
}

pub fn components() -> Map<String, Value> {
    let mut schemas = Map::new();
    schemas.insert(
        "RevisionResponse".into(),
        json!({"properties": {
                   "revision": {"type": "integer", "title": "Revision", "description": "Equals the integration's ETag at that point"},
                   "kind": {"type": "string", "enum": ["create", "update", "delete", "restore"], "title": "Kind"},
                   "actor": optional("string", "Actor"),
                   "created_at": text("Created At"),
                   "restored_from": optional("integer", "Restored From"),
                   "approval": {"anyOf": [{"$ref": "#/components/schemas/ApprovalResponse"}, {"type": "null"}],
                                "title": "Approval",
                                "description": "An admin's word that this revision may receive secret values; null until an admin writes or approves it"},
                   "integration": {"$ref": "#/components/schemas/CustomIntegrationResponse"}},
               "type": "object",
               "required": ["revision", "kind", "actor", "created_at", "restored_from", "approval", "integration"],
               "title": "RevisionResponse",
               "description": "An immutable revision: the integration as the API returned it after the change"}),
    );
    schemas.insert(
        "ApprovalResponse".into(),
        json!({"properties": {
                   "kind": {"type": "string", "enum": ["written", "approved"], "title": "Kind",
                            "description": "written: an admin wrote the revision; approved: an admin approved it later"},
                   "revision": {"type": "integer", "title": "Revision",
                                "description": "The revision the admin wrote or approved: this one, or an earlier one with the same config"},
                   "by": optional("string", "By"),
                   "at": text("At")},
               "type": "object", "required": ["kind", "revision", "by", "at"], "title": "ApprovalResponse"}),
    );
    schemas.insert(
        "FieldChange".into(),
        json!({"properties": {
                   "field": {"type": "string", "title": "Field", "description": "Dotted path, e.g. config.env_vars.DB_HOST"},
                   "change": {"type": "string", "enum": ["added", "removed", "changed"], "title": "Change"},
                   "old": {"title": "Old"}, "new": {"title": "New"}},
               "type": "object", "required": ["field", "change", "old", "new"], "title": "FieldChange"}),
    );
    schemas.insert(
        "RevisionDiffResponse".into(),
        json!({"properties": {
                   "revision": {"type": "integer", "title": "Revision"},
                   "previous": optional("integer", "Previous"),
                   "changes": {"type": "array", "items": {"$ref": "#/components/schemas/FieldChange"}, "title": "Changes"}},
               "type": "object", "required": ["revision", "previous", "changes"], "title": "RevisionDiffResponse"}),
    );
    schemas.insert(
        "AuditEventResponse".into(),
        json!({"properties": {
                   "id": {"type": "integer", "title": "Id"},
                   "organization_id": text("Organization Id"),
                   "occurred_at": text("Occurred At"),
                   "actor": optional("string", "Actor"),
                   "actor_role": optional("string", "Actor Role"),
                   "action": {"type": "string", "enum": patchbay_domain::AuditAction::ALL.map(|a| a.as_str()), "title": "Action"},
                   "resource_type": text("Resource Type"),
                   "resource_id": optional("string", "Resource Id"),
                   "outcome": {"type": "string", "enum": ["success", "denied", "failed"], "title": "Outcome"},
                   "request_id": optional("string", "Request Id"),
                   "detail": {"type": "object", "title": "Detail", "description": "Names and ids; never a secret value"}},
               "type": "object",
               "required": ["id", "organization_id", "occurred_at", "actor", "actor_role", "action", "resource_type",
                            "resource_id", "outcome", "request_id", "detail"],
               "title": "AuditEventResponse"}),
    );
    schemas.insert(
        "AuditPageResponse".into(),
        json!({"properties": {
                   "events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEventResponse"}, "title": "Events"},
                   "next_cursor": optional("string", "Next Cursor")},
               "type": "object", "required": ["events", "next_cursor"], "title": "AuditPageResponse",
               "description": "Newest first; pass next_cursor as `cursor` for the next page (null on the last)"}),
    );
    schemas
}
