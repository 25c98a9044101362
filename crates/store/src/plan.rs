//! What a write to an integration stores, decided once for every backend:
//! the row as it will be (revision counted up, `updated_at` now), the
//! revision it records (its kind, author and approval), whether its tag
//! rows change, and its audit event. A backend reads what the decision
//! needs (`Current`), then persists the `IntegrationWrite` in the same
//! transaction, as it is.
use crate::Change;
use crate::audit::AuditContext;
use patchbay_domain::{
    Approval, AuditAction, AuditEvent, Integration, IntegrationPatch, IntegrationStatus, NewIntegration,
    OrganizationId, RevisionKind, now_utc,
};

/// An integration as a write finds it: its row, and the approval its
/// current revision carries (which a non-admin's change that keeps the
/// config inherits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub integration: Integration,
    pub approval: Option<Approval>,
}

/// A revision as it is recorded beside the snapshot of the integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRecord {
    pub kind: RevisionKind,
    /// Who made the change (`Change::actor`).
    pub actor: Option<String>,
    /// For a rollback: the revision it restored.
    pub restored_from: Option<i64>,
    pub approval: Option<Approval>,
}

/// A decided write, for a backend to persist in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationWrite {
    /// The integration as it is once written (as it was, when nothing changes).
    pub integration: Integration,
    /// The revision `integration` is recorded as; the row is written with
    /// it. `None`: the change changes nothing, and only its event is
    /// recorded (a PUT that changes nothing is still an update the log keeps).
    pub revision: Option<RevisionRecord>,
    /// The integration's tag rows are to be (re)written.
    pub tags_changed: bool,
    /// `None` for a change that is not audited.
    pub event: Option<AuditEvent>,
}

impl IntegrationWrite {
    /// The kind of revision written, if one is.
    pub fn kind(&self) -> Option<RevisionKind> {
        self.revision.as_ref().map(|revision| revision.kind)
    }
}

/// The first write of `new`: revision 1, a `create`, approved when an admin
/// wrote it.
pub fn plan_create(
    org: &OrganizationId,
    new: NewIntegration,
    audit: Option<AuditContext>,
) -> IntegrationWrite {
    let by_admin = new.created_by_admin;
    let integration = new.into_integration(org.clone());
    let change = Change { actor: integration.created_by.clone(), by_admin, expected_revision: None, audit };
    let approval = Approval::of_new_revision(
        integration.revision,
        change.actor.as_deref(),
        by_admin,
        integration.updated_at,
        None,
        &integration.config,
    );
    let kind = RevisionKind::Create;
    IntegrationWrite {
        event: change.integration_event(&integration, Some(kind), AuditAction::IntegrationCreate),
        revision: Some(RevisionRecord { kind, actor: change.actor, restored_from: None, approval }),
        tags_changed: true,
        integration,
    }
}

/// `patch` over `current` by `change`; `restored_from` makes it a rollback
/// to that revision. A patch that changes nothing writes no revision, and
/// its event is named after what was asked (an update, a delete, a restore).
pub fn plan_update(
    current: Current,
    patch: IntegrationPatch,
    change: &Change,
    restored_from: Option<i64>,
) -> IntegrationWrite {
    let Current { mut integration, approval: previous } = current;
    let asked = match (restored_from, patch.status) {
        (Some(_), _) => AuditAction::IntegrationRestore,
        (None, Some(IntegrationStatus::Deleted)) => AuditAction::IntegrationDelete,
        (None, _) => AuditAction::IntegrationUpdate,
    };
    let (old_tags, old_status, before) =
        (integration.tags.clone(), integration.status, integration.config.clone());
    // `apply_to` assigns only what differs: unchanged, the row is as it was.
    if !patch.apply_to(&mut integration) {
        let event = change.integration_event(&integration, None, asked);
        return IntegrationWrite { integration, revision: None, tags_changed: false, event };
    }
    integration.updated_at = now_utc();
    integration.revision += 1;
    let kind = match restored_from {
        Some(_) => RevisionKind::Restore,
        None => RevisionKind::of_update(old_status, integration.status),
    };
    let approval = Approval::of_new_revision(
        integration.revision,
        change.actor.as_deref(),
        change.by_admin,
        integration.updated_at,
        Some((&before, previous.as_ref())),
        &integration.config,
    );
    IntegrationWrite {
        tags_changed: integration.tags != old_tags,
        event: change.integration_event(&integration, Some(kind), asked),
        revision: Some(RevisionRecord { kind, actor: change.actor.clone(), restored_from, approval }),
        integration,
    }
}

/// The patch of a soft delete: the row stays, with status `deleted`.
pub fn soft_delete() -> IntegrationPatch {
    IntegrationPatch { status: Some(IntegrationStatus::Deleted), ..Default::default() }
}

/// The patch that makes an integration equal to `target`, the snapshot of
/// one of its revisions, again: name, type, description, status, config and
/// tags. Planned with that revision as `restored_from`.
pub fn restore_patch(target: Integration) -> IntegrationPatch {
    IntegrationPatch {
        name: Some(target.name),
        integration_type: Some(target.integration_type),
        clear_description: target.description.is_none(),
        description: target.description,
        config: Some(target.config),
        status: Some(target.status),
        tags: Some(target.tags),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{acme, new_integration};
    use patchbay_domain::{ApprovalKind, IntegrationConfig};

    /// A deleted integration written by `ada`.
    fn new(tags: &[&str]) -> NewIntegration {
        let tags = tags.iter().map(|tag| tag.to_string()).collect();
        NewIntegration {
            tags,
            status: IntegrationStatus::Deleted,
            created_by: Some("ada".into()),
            ..new_integration()
        }
    }

    /// A deleted integration at revision 1, its revision approved or not.
    fn current(approval: Option<Approval>) -> Current {
        Current { integration: new(&["a"]).into_integration(acme()), approval }
    }

    fn audited(by_admin: bool) -> Change {
        Change {
            actor: Some(if by_admin { "root" } else { "ada" }.into()),
            by_admin,
            expected_revision: None,
            audit: Some(AuditContext::default()),
        }
    }

    fn approved() -> Approval {
        Approval { kind: ApprovalKind::Approved, revision: 1, by: Some("root".into()), at: now_utc() }
    }

    #[test]
    fn a_create_is_revision_one_with_its_tags_and_event() {
        let write = plan_create(&acme(), new(&["a"]), Some(AuditContext::default()));
        let revision = write.revision.as_ref().unwrap();
        assert_eq!(
            (write.integration.revision, revision.kind, write.tags_changed),
            (1, RevisionKind::Create, true)
        );
        assert_eq!((revision.actor.as_deref(), &revision.approval), (Some("ada"), &None));
        assert_eq!(write.event.unwrap().action, AuditAction::IntegrationCreate);
        let mut by_admin = new(&[]);
        by_admin.created_by_admin = true;
        let approval = plan_create(&acme(), by_admin, None).revision.unwrap().approval.unwrap();
        assert_eq!((approval.kind, approval.revision), (ApprovalKind::Written, 1));
    }

    #[test]
    fn a_patch_that_changes_nothing_records_only_what_was_asked() {
        let same = IntegrationPatch { tags: Some(vec!["a".into()]), ..Default::default() };
        let cases = [
            (same.clone(), None, AuditAction::IntegrationUpdate),
            (soft_delete(), None, AuditAction::IntegrationDelete),
            (same, Some(1), AuditAction::IntegrationRestore),
        ];
        let before = current(None);
        for (patch, restored_from, asked) in cases {
            let write = plan_update(before.clone(), patch, &audited(false), restored_from);
            assert_eq!((&write.revision, write.tags_changed), (&None, false), "{asked:?}");
            assert_eq!(write.integration, before.integration);
            assert_eq!(write.event.unwrap().action, asked);
        }
    }

    #[test]
    fn the_plan_counts_up_and_names_the_kind() {
        let back = IntegrationPatch { status: Some(IntegrationStatus::Active), ..Default::default() };
        let write = plan_update(current(None), back.clone(), &audited(false), None);
        assert_eq!(
            (write.integration.revision, write.kind(), write.tags_changed),
            (2, Some(RevisionKind::Restore), false)
        );
        assert_eq!(write.event.unwrap().action, AuditAction::IntegrationRestore);
        let tags = IntegrationPatch { tags: Some(vec!["b".into()]), ..Default::default() };
        let write = plan_update(current(None), tags, &Change::by(None), None);
        assert_eq!((write.kind(), write.tags_changed, write.event), (Some(RevisionKind::Update), true, None));
        let write = plan_update(current(None), back, &audited(false), Some(1));
        assert_eq!(write.revision.unwrap().restored_from, Some(1));
    }

    #[test]
    fn approvals_follow_the_author_and_the_config() {
        let tags = IntegrationPatch { tags: Some(vec!["b".into()]), ..Default::default() };
        // A member's change that keeps the config carries the approval over.
        let approval = approved();
        let write = plan_update(current(Some(approval.clone())), tags.clone(), &audited(false), None);
        assert_eq!(write.revision.unwrap().approval, Some(approval));
        let write = plan_update(current(None), tags.clone(), &audited(false), None);
        assert_eq!(write.revision.unwrap().approval, None);
        // A new config needs an admin's word again.
        let mut config = IntegrationConfig::default();
        config.env_vars.insert(patchbay_domain::EnvVarName::parse("HOST").unwrap(), "db".into());
        let reconfigure = IntegrationPatch { config: Some(config), ..Default::default() };
        let write = plan_update(current(Some(approved())), reconfigure.clone(), &audited(false), None);
        assert_eq!(write.revision.unwrap().approval, None);
        // An admin's write is approved by its author.
        let approval =
            plan_update(current(None), reconfigure, &audited(true), None).revision.unwrap().approval;
        let approval = approval.unwrap();
        assert_eq!(
            (approval.kind, approval.revision, approval.by.as_deref()),
            (ApprovalKind::Written, 2, Some("root"))
        );
    }

    #[test]
    fn a_restore_brings_back_every_field_of_the_revision() {
        let target = current(None).integration;
        let mut moved = current(None);
        let integration = &mut moved.integration;
        integration.name = "renamed".into();
        integration.integration_type = "mysql".into();
        integration.description = Some("moved".into());
        integration.status = IntegrationStatus::Active;
        integration.tags = vec!["b".into()];
        integration.revision = 3;
        let write = plan_update(moved, restore_patch(target.clone()), &audited(false), Some(1));
        let restored = &write.integration;
        assert_eq!(
            (
                &restored.name,
                &restored.integration_type,
                &restored.description,
                restored.status,
                &restored.tags
            ),
            (&target.name, &target.integration_type, &None, target.status, &target.tags)
        );
        assert_eq!(
            (restored.revision, write.kind(), write.tags_changed),
            (4, Some(RevisionKind::Restore), true)
        );
        // Already equal to the revision: nothing to write.
        let same = plan_update(current(None), restore_patch(target), &audited(false), Some(1));
        assert_eq!(same.revision, None);
    }
}
