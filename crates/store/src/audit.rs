//! The audit events of writes, decided once for every backend.
//!
//! A successful write commits its audit event in its own transaction: a
//! crash between the change and its record, or a failure to write the
//! record, cannot leave a change without it. The handler says who asks and
//! in which request (`AuditContext`, carried by `Change`); the store knows
//! what was written (the revision's kind, the new revision number), and the
//! functions here turn both into the event. Attempts that change nothing
//! (refused, failed) are recorded by the handler, outside any transaction.
use crate::{Change, SecretWrite};
use patchbay_domain::{
    Actor, AuditAction, AuditEvent, AuditOutcome, Integration, OrganizationId, Revision, RevisionKind,
    SecretName, now_utc,
};
use serde_json::{Map, Value, json};

/// Who asks for a write, beyond `Change::actor`, for its audit event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    /// The role of the actor's token (`admin`, `member`, ...).
    pub actor_role: Option<String>,
    /// The request's id, so the event can be matched with its logs.
    pub request_id: Option<String>,
    /// Details beyond those the store adds (names, ids, numbers; never a value).
    pub detail: Map<String, Value>,
}

impl AuditContext {
    /// The context of a write by `actor` in request `request_id`.
    pub fn of(actor: &Actor, request_id: Option<String>) -> Self {
        Self { actor_role: Some(actor.role.as_str().to_owned()), request_id, detail: Map::new() }
    }

    /// The successful event of `actor`'s write in this context.
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &self,
        org: &OrganizationId,
        actor: Option<String>,
        action: AuditAction,
        resource_type: &str,
        resource_id: Option<String>,
        detail: Map<String, Value>,
    ) -> AuditEvent {
        let mut all = detail;
        all.extend(self.detail.clone());
        AuditEvent {
            organization_id: org.clone(),
            occurred_at: now_utc(),
            actor,
            actor_role: self.actor_role.clone(),
            action,
            resource_type: resource_type.to_owned(),
            resource_id,
            outcome: AuditOutcome::Success,
            request_id: self.request_id.clone(),
            detail: Value::Object(all).to_string(),
        }
    }
}

/// The event of a write to secret `name` (never its value): `version` is the
/// version written, `None` for a delete.
fn secret_event(
    audit: Option<&AuditContext>,
    org: &OrganizationId,
    actor: Option<String>,
    action: AuditAction,
    name: &str,
    version: Option<i64>,
) -> Option<AuditEvent> {
    let mut detail = Map::new();
    if let Some(version) = version {
        detail.insert("version".into(), json!(version));
    }
    Some(audit?.event(org, actor, action, "secret", Some(name.to_owned()), detail))
}

impl SecretWrite {
    /// The event of this write, once the store assigned its `version`.
    pub fn event(&self, org: &OrganizationId, version: i64) -> Option<AuditEvent> {
        let (audit, actor, name) = (self.audit.as_ref(), self.actor.clone(), self.name.as_str());
        secret_event(audit, org, actor, AuditAction::SecretWrite, name, Some(version))
    }
}

impl Change {
    /// The event of this change deleting secret `name`.
    pub fn secret_delete_event(&self, org: &OrganizationId, name: &SecretName) -> Option<AuditEvent> {
        secret_event(
            self.audit.as_ref(),
            org,
            self.actor.clone(),
            AuditAction::SecretDelete,
            name.as_str(),
            None,
        )
    }

    /// The successful event of this change, or `None` for a change that is
    /// not audited (the store's own tests, maintenance tools).
    pub fn event(
        &self,
        org: &OrganizationId,
        action: AuditAction,
        resource_type: &str,
        resource_id: Option<String>,
        detail: Map<String, Value>,
    ) -> Option<AuditEvent> {
        let context = self.audit.as_ref()?;
        Some(context.event(org, self.actor.clone(), action, resource_type, resource_id, detail))
    }

    /// The event of a write to `integration`: its action follows from what
    /// was written (`kind`), and is `unchanged` when nothing was (a PUT that
    /// changes nothing is still an update the log records).
    pub fn integration_event(
        &self,
        integration: &Integration,
        kind: Option<RevisionKind>,
        unchanged: AuditAction,
    ) -> Option<AuditEvent> {
        let action = match kind {
            Some(RevisionKind::Create) => AuditAction::IntegrationCreate,
            Some(RevisionKind::Update) => AuditAction::IntegrationUpdate,
            Some(RevisionKind::Delete) => AuditAction::IntegrationDelete,
            Some(RevisionKind::Restore) => AuditAction::IntegrationRestore,
            None => unchanged,
        };
        let mut detail = Map::new();
        detail.insert("name".into(), json!(integration.name));
        detail.insert("revision".into(), json!(integration.revision));
        self.event(
            &integration.organization_id,
            action,
            "integration",
            Some(integration.id.to_string()),
            detail,
        )
    }
}

/// The event of an approval: which revision, and whether it was approved
/// now or already (`approval` is its kind either way).
pub fn approval_event(change: &Change, approved: &Revision) -> Option<AuditEvent> {
    let integration = &approved.snapshot;
    let mut detail = Map::new();
    detail.insert("name".into(), json!(integration.name));
    detail.insert("revision".into(), json!(integration.revision));
    detail.insert("approval".into(), json!(approved.approval.as_ref().map(|a| a.kind.as_str())));
    let id = Some(integration.id.to_string());
    change.event(&integration.organization_id, AuditAction::IntegrationApprove, "integration", id, detail)
}

/// The event of a queued connection test.
pub fn test_event(audit: Option<&AuditContext>, job: &crate::Job) -> Option<AuditEvent> {
    let mut detail = Map::new();
    detail.insert("name".into(), json!(job.integration_name));
    detail.insert("job_id".into(), json!(job.id.to_string()));
    detail.insert("revision".into(), json!(job.revision));
    let id = Some(job.integration_id.to_string());
    let action = AuditAction::ConnectionTest;
    Some(audit?.event(&job.organization_id, job.created_by.clone(), action, "integration", id, detail))
}

/// The event of how a connection test ended: as worker `reported_by`
/// reported it, or (`None`) as the server ended it when every attempt's
/// lease ran out. Its outcome is the test's: a test that did not pass is a
/// `failed` event, so the log never shows a broken connection as a success.
pub fn test_result_event(job: &crate::Job, reported_by: Option<uuid::Uuid>) -> AuditEvent {
    let mut detail = Map::new();
    detail.insert("name".into(), json!(job.integration_name));
    detail.insert("job_id".into(), json!(job.id.to_string()));
    detail.insert("revision".into(), json!(job.revision));
    detail.insert("status".into(), json!(job.status.as_str()));
    detail.insert("exit_code".into(), json!(job.exit_code));
    detail.insert("duration_ms".into(), json!(job.duration_ms));
    detail.insert("attempt".into(), json!(job.attempts));
    let (actor, role) = match reported_by {
        Some(worker) => (format!("worker:{worker}"), "worker"),
        None => ("patchbay".to_owned(), "server"),
    };
    let audit = AuditContext { actor_role: Some(role.into()), ..AuditContext::default() };
    let id = Some(job.integration_id.to_string());
    let action = AuditAction::ConnectionTestResult;
    let mut event = audit.event(&job.organization_id, Some(actor), action, "integration", id, detail);
    if job.status != crate::JobStatus::Passed {
        event.outcome = AuditOutcome::Failed;
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_follows_what_was_written() {
        let integration = crate::fixtures::new_integration().into_integration(crate::fixtures::acme());
        let mut change = Change::by(Some("ada".into()));
        assert_eq!(
            change.integration_event(
                &integration,
                Some(RevisionKind::Update),
                AuditAction::IntegrationUpdate
            ),
            None
        );
        change.audit = Some(AuditContext {
            actor_role: Some("admin".into()),
            request_id: Some("r-1".into()),
            ..Default::default()
        });
        let cases = [
            (Some(RevisionKind::Restore), AuditAction::IntegrationUpdate, AuditAction::IntegrationRestore),
            (Some(RevisionKind::Delete), AuditAction::IntegrationUpdate, AuditAction::IntegrationDelete),
            // A no-op right after a restore is an update, not a restore.
            (None, AuditAction::IntegrationUpdate, AuditAction::IntegrationUpdate),
            (None, AuditAction::IntegrationDelete, AuditAction::IntegrationDelete),
        ];
        for (kind, unchanged, expected) in cases {
            let event = change.integration_event(&integration, kind, unchanged).unwrap();
            assert_eq!(event.action, expected, "{kind:?}");
            assert_eq!((event.actor.as_deref(), event.request_id.as_deref()), (Some("ada"), Some("r-1")));
            assert_eq!(event.resource_id, Some(integration.id.to_string()));
            assert_eq!(event.detail, r#"{"name":"pg","revision":1}"#);
        }
    }
}
