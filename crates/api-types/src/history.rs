//! Bodies of the history API: revisions, their field-level differences,
//! and audit events.
use crate::IntegrationResponse;
use patchbay_domain::{Approval, FileSpec, Integration, Revision, StoredAuditEvent, format_timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One revision: who changed what, when, and the integration as the API
/// returned it then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionResponse {
    pub revision: i64,
    /// `create`, `update`, `delete` (soft) or `restore`.
    pub kind: String,
    pub actor: Option<String>,
    pub created_at: String,
    /// For a rollback, the revision it restored.
    pub restored_from: Option<i64>,
    /// An admin's word that this revision's config may receive secret
    /// values; null until an admin writes or approves it. Tests whose
    /// bundle carries secret values run only on approved revisions.
    #[serde(default)]
    pub approval: Option<ApprovalResponse>,
    pub integration: IntegrationResponse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalResponse {
    /// `written` (an admin wrote the revision) or `approved` (an admin
    /// approved it later).
    pub kind: String,
    /// The revision the admin wrote or approved: this one, or an earlier one
    /// with the same config (a later change of tags or description by a
    /// member keeps the approval).
    pub revision: i64,
    pub by: Option<String>,
    pub at: String,
}

impl From<Approval> for ApprovalResponse {
    fn from(approval: Approval) -> Self {
        Self {
            kind: approval.kind.as_str().to_owned(),
            revision: approval.revision,
            by: approval.by,
            at: format_timestamp(approval.at),
        }
    }
}

impl From<Revision> for RevisionResponse {
    fn from(revision: Revision) -> Self {
        Self {
            revision: revision.snapshot.revision,
            kind: revision.kind.as_str().to_owned(),
            actor: revision.actor,
            created_at: format_timestamp(revision.created_at),
            restored_from: revision.restored_from,
            approval: revision.approval.map(ApprovalResponse::from),
            integration: revision.snapshot.into(),
        }
    }
}

/// One field's difference. `field` is a dotted path (`name`,
/// `config.env_vars.DB_HOST`, `config.files.~/.pgpass`); `old` is null for
/// `added`, `new` null for `removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionDiffResponse {
    pub revision: i64,
    /// The revision compared with; null for the first one (everything added).
    pub previous: Option<i64>,
    pub changes: Vec<FieldChange>,
}

struct Diff(Vec<FieldChange>);

impl Diff {
    /// Records `old` → `new` under `field` when they differ; a null side
    /// makes it an addition or a removal.
    fn value(&mut self, field: String, old: Value, new: Value) {
        if old == new {
            return;
        }
        let change = match (&old, &new) {
            (Value::Null, _) => "added",
            (_, Value::Null) => "removed",
            _ => "changed",
        };
        self.0.push(FieldChange { field, change: change.to_owned(), old, new });
    }

    /// Set-like lists (tags, secret names): each item added or removed.
    fn items(&mut self, field: &str, old: &[String], new: &[String]) {
        for gone in old.iter().filter(|item| !new.contains(item)) {
            self.value(field.to_owned(), json!(gone), Value::Null);
        }
        for added in new.iter().filter(|item| !old.contains(item)) {
            self.value(field.to_owned(), Value::Null, json!(added));
        }
    }
}

fn file_map(files: &[FileSpec]) -> Vec<(String, Value)> {
    files.iter().map(|file| (file.path.to_string(), json!(file))).collect()
}

/// The field-level differences from `previous` (none for a first revision)
/// to `current`. The config is compared per key: each env var, secret name,
/// file (by path), the context prompt and the connection test. Env var
/// values are configuration and shown; secret values are never part of an
/// integration, only their names.
pub fn diff_integrations(previous: Option<&Integration>, current: &Integration) -> Vec<FieldChange> {
    let mut diff = Diff(Vec::new());
    let old = |f: fn(&Integration) -> Value| previous.map_or(Value::Null, f);
    diff.value("name".into(), old(|i| json!(i.name)), json!(current.name));
    diff.value(
        "integration_type".into(),
        old(|i| json!(i.integration_type)),
        json!(current.integration_type),
    );
    diff.value("description".into(), old(|i| json!(i.description)), json!(current.description));
    diff.value("status".into(), old(|i| json!(i.status)), json!(current.status));
    diff.items("tags", previous.map_or(&[][..], |i| &i.tags), &current.tags);

    let empty = patchbay_domain::IntegrationConfig::default();
    let (before, after) = (previous.map_or(&empty, |i| &i.config), &current.config);
    for (name, value) in &before.env_vars {
        let new = after.env_vars.get(name).map_or(Value::Null, |v| json!(v));
        diff.value(format!("config.env_vars.{name}"), json!(value), new);
    }
    for (name, value) in after.env_vars.iter().filter(|(name, _)| !before.env_vars.contains_key(*name)) {
        diff.value(format!("config.env_vars.{name}"), Value::Null, json!(value));
    }
    let names = |list: &[patchbay_domain::EnvVarName]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    diff.items("config.secrets", &names(&before.secrets), &names(&after.secrets));
    let (old_files, new_files) = (file_map(&before.files), file_map(&after.files));
    for (path, file) in &old_files {
        let new = new_files.iter().find(|(p, _)| p == path).map_or(Value::Null, |(_, f)| f.clone());
        diff.value(format!("config.files.{path}"), file.clone(), new);
    }
    for (path, file) in new_files.iter().filter(|(path, _)| !old_files.iter().any(|(p, _)| p == path)) {
        diff.value(format!("config.files.{path}"), Value::Null, file.clone());
    }
    diff.value("config.context_prompt".into(), json!(before.context_prompt), json!(after.context_prompt));
    diff.value("config.connection_test".into(), json!(before.connection_test), json!(after.connection_test));
    diff.0
}

/// One audit event. `detail` holds names and ids, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventResponse {
    pub id: i64,
    pub organization_id: String,
    pub occurred_at: String,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub detail: Value,
}

impl From<StoredAuditEvent> for AuditEventResponse {
    fn from(stored: StoredAuditEvent) -> Self {
        let event = stored.event;
        Self {
            id: stored.seq,
            organization_id: event.organization_id.to_string(),
            occurred_at: format_timestamp(event.occurred_at),
            actor: event.actor,
            actor_role: event.actor_role,
            action: event.action.as_str().to_owned(),
            resource_type: event.resource_type,
            resource_id: event.resource_id,
            outcome: event.outcome.as_str().to_owned(),
            request_id: event.request_id,
            detail: serde_json::from_str(&event.detail).unwrap_or(Value::Null),
        }
    }
}

/// A page of the audit log, newest first; `next_cursor` fetches the next
/// (older) page and is null on the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPageResponse {
    pub events: Vec<AuditEventResponse>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_domain::{EnvVarName, IntegrationConfig, IntegrationStatus, OrganizationId};

    fn integration(env: &[(&str, &str)], secrets: &[&str]) -> Integration {
        Integration {
            id: uuid::Uuid::nil(),
            organization_id: OrganizationId::parse("org").unwrap(),
            name: "pg".into(),
            integration_type: "postgres".into(),
            description: None,
            status: IntegrationStatus::Active,
            config: IntegrationConfig {
                env_vars: env.iter().map(|(k, v)| (EnvVarName::parse(k).unwrap(), (*v).to_owned())).collect(),
                secrets: secrets.iter().map(|s| EnvVarName::parse(s).unwrap()).collect(),
                ..Default::default()
            },
            tags: vec![],
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
            created_by: None,
            revision: 1,
        }
    }

    #[test]
    fn config_is_compared_per_key() {
        let old = integration(&[("HOST", "a"), ("PORT", "1")], &["PW"]);
        let new = integration(&[("HOST", "b"), ("USER", "u")], &["TOKEN"]);
        let changes: Vec<(String, String)> =
            diff_integrations(Some(&old), &new).into_iter().map(|c| (c.field, c.change)).collect();
        let expected = [
            ("config.env_vars.HOST", "changed"),
            ("config.env_vars.PORT", "removed"),
            ("config.env_vars.USER", "added"),
            ("config.secrets", "removed"),
            ("config.secrets", "added"),
        ];
        assert_eq!(changes, expected.map(|(f, c)| (f.to_owned(), c.to_owned())));
    }

    #[test]
    fn a_first_revision_is_all_added() {
        let new = integration(&[("HOST", "a")], &[]);
        let changes = diff_integrations(None, &new);
        assert!(changes.iter().all(|c| c.change == "added"), "{changes:?}");
        assert!(changes.iter().any(|c| c.field == "name"));
        assert!(diff_integrations(Some(&new), &new).is_empty());
    }
}
