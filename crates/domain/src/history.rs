//! Revisions of integrations and the audit log: what was
//! changed, by whom, and what happened. Neither ever holds a secret value.
use crate::{Integration, IntegrationConfig, IntegrationStatus, OrganizationId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a revision records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionKind {
    Create,
    Update,
    /// A soft delete (status became `deleted`).
    Delete,
    /// Back from `deleted`, or a rollback to an earlier revision.
    Restore,
}

impl RevisionKind {
    pub const ALL: [Self; 4] = [Self::Create, Self::Update, Self::Delete, Self::Restore];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Restore => "restore",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// The kind of an update from `before` to `after`: leaving or entering
    /// `deleted` is a delete or a restore, anything else an update.
    pub fn of_update(before: IntegrationStatus, after: IntegrationStatus) -> Self {
        match (before == IntegrationStatus::Deleted, after == IntegrationStatus::Deleted) {
            (false, true) => Self::Delete,
            (true, false) => Self::Restore,
            _ => Self::Update,
        }
    }
}

/// One immutable, numbered state of an integration. `snapshot.revision`
/// is the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub kind: RevisionKind,
    /// The user id of the token that made the change.
    pub actor: Option<String>,
    pub created_at: OffsetDateTime,
    /// For a rollback: the revision it restored.
    pub restored_from: Option<i64>,
    /// An admin's word that this revision's config may receive secret
    /// values; `None` until an admin writes or approves it.
    pub approval: Option<Approval>,
    pub snapshot: Integration,
}

/// How an admin vouched for a revision's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalKind {
    /// An admin wrote the revision.
    Written,
    /// An admin approved it after a non-admin wrote it.
    Approved,
}

impl ApprovalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Written => "written",
            Self::Approved => "approved",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Written, Self::Approved].into_iter().find(|kind| kind.as_str() == value)
    }
}

/// An admin's approval of an integration's config: whoever chooses a command
/// that receives a secret can read that secret (masking cannot stop `rev`
/// or a network call), so secret values go only to commands an admin wrote
/// or approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub kind: ApprovalKind,
    /// The revision the admin wrote or approved. A later revision that
    /// changed nothing of the config (a new tag, a description) carries the
    /// same approval, and names that earlier revision here.
    pub revision: i64,
    /// The admin's user id.
    pub by: Option<String>,
    pub at: OffsetDateTime,
}

impl Approval {
    /// The approval a newly written revision carries. An admin's write is
    /// approved by its author; anyone else's needs an admin's approval,
    /// unless it left the config (everything that decides what runs and
    /// which secrets it gets) as the previous, approved revision had it.
    pub fn of_new_revision(
        revision: i64,
        actor: Option<&str>,
        by_admin: bool,
        at: OffsetDateTime,
        previous: Option<(&IntegrationConfig, Option<&Approval>)>,
        config: &IntegrationConfig,
    ) -> Option<Approval> {
        if by_admin {
            let by = actor.map(str::to_owned);
            return Some(Approval { kind: ApprovalKind::Written, revision, by, at });
        }
        match previous {
            Some((before, Some(approval))) if before == config => Some(approval.clone()),
            _ => None,
        }
    }
}

/// What an audit event records the actor did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    IntegrationCreate,
    IntegrationUpdate,
    IntegrationDelete,
    IntegrationRestore,
    SecretWrite,
    SecretDelete,
    SecretRead,
    Resolve,
    ConnectionTest,
    /// A worker reported how a connection test ended; the event's outcome
    /// is the test's (`failed` unless it passed).
    ConnectionTestResult,
    /// An admin approved a revision for secret values.
    IntegrationApprove,
    /// A worker claimed a connection test whose bundle carries secret values.
    JobClaim,
    /// An admin created or replaced a credential provider.
    ProviderWrite,
    ProviderDelete,
    /// A dynamic credential (a database user) was made, extended or dropped.
    LeaseCreate,
    LeaseRenew,
    LeaseRevoke,
    /// A test result moved an integration between healthy and failing
    /// (recorded by the server with the result that moved it).
    IntegrationHealthChanged,
    /// An admin added or removed a webhook.
    WebhookCreate,
    WebhookDelete,
}

impl AuditAction {
    pub const ALL: [Self; 20] = [
        Self::IntegrationCreate,
        Self::IntegrationUpdate,
        Self::IntegrationDelete,
        Self::IntegrationRestore,
        Self::SecretWrite,
        Self::SecretDelete,
        Self::SecretRead,
        Self::Resolve,
        Self::ConnectionTest,
        Self::ConnectionTestResult,
        Self::IntegrationApprove,
        Self::JobClaim,
        Self::ProviderWrite,
        Self::ProviderDelete,
        Self::LeaseCreate,
        Self::LeaseRenew,
        Self::LeaseRevoke,
        Self::IntegrationHealthChanged,
        Self::WebhookCreate,
        Self::WebhookDelete,
    ];

    /// The stored and filtered spelling, `area.verb`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IntegrationCreate => "integration.create",
            Self::IntegrationUpdate => "integration.update",
            Self::IntegrationDelete => "integration.delete",
            Self::IntegrationRestore => "integration.restore",
            Self::SecretWrite => "secret.write",
            Self::SecretDelete => "secret.delete",
            Self::SecretRead => "secret.read",
            Self::Resolve => "integration.resolve",
            Self::ConnectionTest => "integration.test",
            Self::ConnectionTestResult => "integration.test_result",
            Self::IntegrationApprove => "integration.approve",
            Self::JobClaim => "job.claim",
            Self::ProviderWrite => "provider.write",
            Self::ProviderDelete => "provider.delete",
            Self::LeaseCreate => "lease.create",
            Self::LeaseRenew => "lease.renew",
            Self::LeaseRevoke => "lease.revoke",
            Self::IntegrationHealthChanged => "integration.health_changed",
            Self::WebhookCreate => "webhook.create",
            Self::WebhookDelete => "webhook.delete",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == value)
    }
}

/// How the attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditOutcome {
    Success,
    /// Refused for the caller's role.
    Denied,
    /// Attempted and failed (not found, conflict, validation...).
    Failed,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Success, Self::Denied, Self::Failed].into_iter().find(|o| o.as_str() == value)
    }
}

/// One append-only audit record. `detail` is a JSON object of names and
/// ids (which integrations, which secret names), never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub organization_id: OrganizationId,
    pub occurred_at: OffsetDateTime,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub action: AuditAction,
    /// `integration`, `secret`, `bundle`, ...
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub outcome: AuditOutcome,
    pub request_id: Option<String>,
    /// JSON object text.
    pub detail: String,
}

/// A stored audit event and its position in the log (newest is highest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditEvent {
    pub seq: i64,
    pub event: AuditEvent,
}

/// Filters of the audit log; every given one must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    pub resource_id: Option<String>,
    pub actor: Option<String>,
    /// Inclusive.
    pub since: Option<OffsetDateTime>,
    /// Exclusive.
    pub until: Option<OffsetDateTime>,
    /// Only events older than this position (the cursor).
    pub before_seq: Option<i64>,
    pub limit: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_status() {
        use IntegrationStatus::*;
        assert_eq!(RevisionKind::of_update(Active, Deleted), RevisionKind::Delete);
        assert_eq!(RevisionKind::of_update(Deleted, Inactive), RevisionKind::Restore);
        assert_eq!(RevisionKind::of_update(Active, Inactive), RevisionKind::Update);
        assert_eq!(RevisionKind::of_update(Deleted, Deleted), RevisionKind::Update);
    }

    #[test]
    fn approvals_follow_the_author_and_the_config() {
        let at = crate::now_utc();
        let config = IntegrationConfig::default();
        let written = Approval::of_new_revision(3, Some("ada"), true, at, None, &config).unwrap();
        assert_eq!(
            (written.kind, written.revision, written.by.as_deref()),
            (ApprovalKind::Written, 3, Some("ada"))
        );
        // A member's write needs an approval of its own...
        assert_eq!(Approval::of_new_revision(1, Some("bob"), false, at, None, &config), None);
        let mut changed = config.clone();
        changed.env_vars.insert(crate::EnvVarName::parse("X").unwrap(), "1".into());
        let previous = Some((&config, Some(&written)));
        assert_eq!(Approval::of_new_revision(4, Some("bob"), false, at, previous, &changed), None);
        // ...unless it left the config as an approved revision had it.
        assert_eq!(Approval::of_new_revision(4, Some("bob"), false, at, previous, &config), Some(written));
        assert_eq!(
            Approval::of_new_revision(4, Some("bob"), false, at, Some((&config, None)), &config),
            None
        );
    }

    #[test]
    fn spellings_round_trip() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        for kind in RevisionKind::ALL {
            assert_eq!(RevisionKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AuditOutcome::parse("denied"), Some(AuditOutcome::Denied));
    }
}
