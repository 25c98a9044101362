//! What an update of an integration writes, decided once for every backend:
//! the new row (revision counted up, `updated_at` now), the kind of revision
//! it records, whether its tags change, and the approval it carries. A
//! backend only persists the plan, in its transaction.
use crate::Change;
use crate::history::{needs_previous_approval, new_revision_approval};
use patchbay_domain::{Approval, Integration, IntegrationConfig, IntegrationPatch, RevisionKind, now_utc};

/// A write that changes something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePlan {
    /// The integration as it will be stored.
    pub integration: Integration,
    pub kind: RevisionKind,
    pub tags_changed: bool,
    /// The config and revision before the change: what the approval rule
    /// looks at when a non-admin's change keeps the config.
    before: IntegrationConfig,
    pub previous_revision: i64,
}

/// Plans `patch` over `current`; `Err(current)` when it changes nothing
/// (nothing is written, not even a revision). `restored_from` makes it a
/// rollback to that revision.
pub fn plan_update(
    mut current: Integration,
    patch: IntegrationPatch,
    restored_from: Option<i64>,
) -> Result<UpdatePlan, Box<Integration>> {
    let (old_tags, old_status) = (current.tags.clone(), current.status);
    let (before, previous_revision) = (current.config.clone(), current.revision);
    // `apply_to` assigns only what differs: unchanged, `current` is as it was.
    if !patch.apply_to(&mut current) {
        return Err(Box::new(current));
    }
    current.updated_at = now_utc();
    current.revision += 1;
    let kind = match restored_from {
        Some(_) => RevisionKind::Restore,
        None => RevisionKind::of_update(old_status, current.status),
    };
    Ok(UpdatePlan {
        tags_changed: current.tags != old_tags,
        integration: current,
        kind,
        before,
        previous_revision,
    })
}

impl UpdatePlan {
    /// Whether the approval of `previous_revision` must be read to decide
    /// this revision's (see `approval`).
    pub fn needs_previous_approval(&self, change: &Change) -> bool {
        needs_previous_approval(change, &self.before, &self.integration)
    }

    /// The approval the new revision is stored with, given the previous
    /// revision's when `needs_previous_approval` asked for it.
    pub fn approval(&self, change: &Change, previous: Option<Option<Approval>>) -> Option<Approval> {
        let previous = previous.as_ref().map(|approval| (&self.before, approval.as_ref()));
        new_revision_approval(change, &self.integration, previous)
    }
}

/// The patch that makes an integration equal to `target`, the snapshot of
/// one of its revisions, again: name, type, description, status, config and
/// tags. Planned over the current row with the revision as `restored_from`.
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
    use patchbay_domain::{IntegrationStatus, NewIntegration, OrganizationId};

    fn integration() -> Integration {
        NewIntegration {
            name: "pg".into(),
            integration_type: "postgres".into(),
            description: None,
            config: IntegrationConfig::default(),
            tags: vec!["a".into()],
            status: IntegrationStatus::Deleted,
            created_by: None,
            created_by_admin: false,
        }
        .into_integration(OrganizationId::parse("acme").unwrap())
    }

    #[test]
    fn a_patch_that_changes_nothing_writes_nothing() {
        let current = integration();
        let same = IntegrationPatch { tags: Some(vec!["a".into()]), ..Default::default() };
        assert_eq!(plan_update(current.clone(), same, None), Err(Box::new(current)));
    }

    #[test]
    fn the_plan_counts_up_and_names_the_kind() {
        let back = IntegrationPatch { status: Some(IntegrationStatus::Active), ..Default::default() };
        let plan = plan_update(integration(), back.clone(), None).unwrap();
        assert_eq!(
            (plan.integration.revision, plan.kind, plan.tags_changed),
            (2, RevisionKind::Restore, false)
        );
        let tags = IntegrationPatch { tags: Some(vec!["b".into()]), ..Default::default() };
        let plan = plan_update(integration(), tags, None).unwrap();
        assert_eq!((plan.kind, plan.tags_changed, plan.previous_revision), (RevisionKind::Update, true, 1));
        let plan = plan_update(integration(), back, Some(1)).unwrap();
        assert_eq!(plan.kind, RevisionKind::Restore);
        // Tags alone keep the config: a member's change may carry the old approval.
        assert!(plan.needs_previous_approval(&Change::by(None)));
    }

    #[test]
    fn a_restore_brings_back_every_field_of_the_revision() {
        let target = integration();
        let mut current = integration();
        current.name = "renamed".into();
        current.integration_type = "mysql".into();
        current.description = Some("moved".into());
        current.status = IntegrationStatus::Active;
        current.tags = vec!["b".into()];
        current.revision = 3;
        let plan = plan_update(current, restore_patch(target.clone()), Some(1)).unwrap();
        let restored = &plan.integration;
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
        assert_eq!((restored.revision, plan.kind, plan.tags_changed), (4, RevisionKind::Restore, true));
        // Already equal to the revision: nothing to write.
        assert!(plan_update(target.clone(), restore_patch(target), Some(1)).is_err());
    }
}
