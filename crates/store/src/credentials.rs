//! Credential providers and their leases.
//!
//! A lease's revocation happens outside the database (a `DROP ROLE` on
//! another server), so the store gives it out once: `claim_revocations`
//! and `begin_revocation` move a lease to `revoking` in one atomic update
//! that only one caller wins, even with several servers on one database;
//! `finish_revocation` records how it went. A server that dies holding a
//! lease leaves it `revoking` until its claim lapses (`next_attempt_at`),
//! then another takes it over.
use crate::{AuditContext, Conflict, Missing, StoreError};
use async_trait::async_trait;
use patchbay_domain::{
    AuditAction, AuditEvent, AuditOutcome, CredentialProvider, Lease, LeaseFilter, LeaseState, NewProvider,
    OrganizationId, ProviderName,
};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How long a server holds a lease it is revoking before another server
/// may presume it gone and take the lease over.
pub const REVOCATION_CLAIM: Duration = Duration::seconds(60);

/// The wait before revocation attempt `attempts + 1`, after `attempts`
/// failures: 5 s doubling to at most 10 minutes.
pub fn revocation_backoff(attempts: u32) -> Duration {
    let exponent = attempts.saturating_sub(1).min(7);
    Duration::seconds((5_i64 << exponent).min(600))
}

/// How a revocation ended, for `finish_revocation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationOutcome {
    /// The user is gone: the lease becomes `revoked`.
    Revoked,
    /// The database refused or was unreachable: the lease becomes
    /// `revoke_failed`, with this error (which names no password), retried
    /// at `retry_at`.
    Failed { error: String, retry_at: OffsetDateTime },
}

/// Live and failing leases over every organization, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeaseCounts {
    /// Leases whose user may still exist (`active`, `revoking`, `revoke_failed`).
    pub live: u64,
    /// Leases whose last revocation failed.
    pub revoke_failed: u64,
}

#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Creates or replaces the organization's provider of that name;
    /// `true` when it was created. Commits a `provider.write` event (when
    /// `audit` is given) in the same transaction.
    async fn put_provider(
        &self,
        org: &OrganizationId,
        provider: NewProvider,
        audit: Option<AuditContext>,
    ) -> Result<(CredentialProvider, bool), StoreError>;

    /// `NotFound(Missing::Provider)` when the organization has none of that name.
    async fn get_provider(
        &self,
        org: &OrganizationId,
        name: &ProviderName,
    ) -> Result<CredentialProvider, StoreError>;

    /// By name.
    async fn list_providers(&self, org: &OrganizationId) -> Result<Vec<CredentialProvider>, StoreError>;

    /// Removes the provider; `Conflict::LiveLeases` while any of its leases
    /// is not `revoked` (checked in the delete's transaction).
    async fn delete_provider(
        &self,
        org: &OrganizationId,
        name: &ProviderName,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<(), StoreError>;

    /// Stores a new lease (state `active`) with its `lease.create` event.
    async fn create_lease(&self, lease: &Lease, audit: Option<AuditContext>) -> Result<(), StoreError>;

    async fn get_lease(&self, org: &OrganizationId, id: Uuid) -> Result<Lease, StoreError>;

    /// Newest first; at most `filter.limit` (default 100).
    async fn list_leases(&self, org: &OrganizationId, filter: &LeaseFilter)
    -> Result<Vec<Lease>, StoreError>;

    /// Moves an `active` lease's expiry to `expires_at` (the caller caps it
    /// at `max_expires_at`, and the store never goes past it either) with
    /// its `lease.renew` event;
    /// `Conflict::LeaseNotActive` for a lease in any other state or already
    /// past its expiry at `now`.
    async fn renew_lease(
        &self,
        org: &OrganizationId,
        id: Uuid,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<Lease, StoreError>;

    /// Takes one lease for revocation now (a revoke request, the end of a
    /// run or a test): an `active` or `revoke_failed` lease, or a
    /// `revoking` one whose claim lapsed, becomes `revoking` until
    /// `now + REVOCATION_CLAIM` and is returned. `None` when it is revoked
    /// already or another server holds it.
    async fn begin_revocation(
        &self,
        org: &OrganizationId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<Lease>, StoreError>;

    /// Takes up to `limit` leases that are due, over every organization:
    /// `active` past `expires_at`, `revoke_failed` past `next_attempt_at`,
    /// `revoking` past its claim. Each is returned to exactly one caller
    /// however many servers ask at once.
    async fn claim_revocations(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Lease>, StoreError>;

    /// Records how the revocation of a lease this caller holds (`revoking`)
    /// ended. `Revoked` commits a `lease.revoke` event (`audit` names who
    /// asked; `None` is the server, after the lease expired); `Failed`
    /// records the error and when to retry, with a `failed` `lease.revoke`
    /// event. A lease no longer
    /// `revoking` (taken over after a lapsed claim and finished) is left as
    /// it is.
    async fn finish_revocation(
        &self,
        org: &OrganizationId,
        id: Uuid,
        outcome: RevocationOutcome,
        now: OffsetDateTime,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<Lease, StoreError>;

    /// Over every organization.
    async fn lease_counts(&self) -> Result<LeaseCounts, StoreError>;
}

/// The audit event of a lease's creation, renewal or revocation: provider,
/// role, username and integration, never a password. `audit` `None` is the
/// server acting on its own (an expired lease).
pub fn lease_event(
    lease: &Lease,
    action: AuditAction,
    actor: Option<String>,
    audit: Option<&AuditContext>,
) -> AuditEvent {
    lease_event_with(lease, action, actor, audit, Map::new())
}

/// The `lease.revoke` event of how a revocation ended: a failure is a
/// `failed` event with its error (which names no password).
pub fn revocation_event(
    lease: &Lease,
    outcome: &RevocationOutcome,
    actor: Option<String>,
    audit: Option<&AuditContext>,
) -> AuditEvent {
    match outcome {
        RevocationOutcome::Revoked => lease_event(lease, AuditAction::LeaseRevoke, actor, audit),
        RevocationOutcome::Failed { error, .. } => {
            let extra = Map::from_iter([("error".to_owned(), json!(error))]);
            let mut event = lease_event_with(lease, AuditAction::LeaseRevoke, actor, audit, extra);
            event.outcome = AuditOutcome::Failed;
            event
        }
    }
}

fn lease_event_with(
    lease: &Lease,
    action: AuditAction,
    actor: Option<String>,
    audit: Option<&AuditContext>,
    extra: Map<String, Value>,
) -> AuditEvent {
    let mut detail = Map::new();
    detail.insert("provider".into(), json!(lease.provider.as_str()));
    detail.insert("role".into(), json!(lease.role.as_str()));
    detail.insert("username".into(), json!(lease.username));
    detail.insert("integration".into(), json!(lease.integration_name));
    detail.insert("expires_at".into(), json!(patchbay_domain::format_timestamp(lease.expires_at)));
    if let Some(job) = lease.job_id {
        detail.insert("job_id".into(), json!(job.to_string()));
    }
    detail.extend(extra);
    let (context, actor) = match audit {
        Some(context) => (context.clone(), actor),
        None => (
            AuditContext { actor_role: Some("server".into()), ..AuditContext::default() },
            Some("patchbay".to_owned()),
        ),
    };
    context.event(&lease.organization_id, actor, action, "lease", Some(lease.id.to_string()), detail)
}

/// Why a renewal changed nothing, from the lease as it is (`None`: the
/// organization has no such lease): its state, or `expired` for an
/// `active` lease already past its expiry at `now`.
pub fn not_renewed(lease: Option<&Lease>, now: OffsetDateTime) -> StoreError {
    let Some(lease) = lease else { return StoreError::NotFound(Missing::Lease) };
    let state = match lease.state {
        LeaseState::Active if lease.expires_at <= now => "expired".to_owned(),
        state => state.as_str().to_owned(),
    };
    StoreError::Conflict(Conflict::LeaseNotActive { state })
}

/// The audit event of a provider's write or delete (its kind and roles'
/// names; the connection secret's name, never its value).
pub fn provider_event(
    org: &OrganizationId,
    name: &ProviderName,
    written: Option<&CredentialProvider>,
    created: bool,
    actor: Option<String>,
    audit: Option<&AuditContext>,
) -> Option<AuditEvent> {
    let mut detail = Map::new();
    let action = match written {
        Some(provider) => {
            detail.insert("kind".into(), json!(provider.kind.as_str()));
            detail.insert("connection_secret".into(), json!(provider.connection_secret.as_str()));
            let roles: Vec<&str> = provider.roles.keys().map(ProviderName::as_str).collect();
            detail.insert("roles".into(), json!(roles));
            detail.insert("created".into(), json!(created));
            AuditAction::ProviderWrite
        }
        None => AuditAction::ProviderDelete,
    };
    Some(audit?.event(org, actor, action, "credential_provider", Some(name.to_string()), detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::acme;
    use patchbay_domain::{ProviderKind, SecretName, now_utc};
    use uuid::Uuid;

    fn lease(state: LeaseState, expires_in: Duration) -> Lease {
        let now = now_utc();
        Lease {
            id: Uuid::from_u128(1),
            organization_id: acme(),
            provider: ProviderName::parse("analytics").unwrap(),
            role: ProviderName::parse("readonly").unwrap(),
            kind: ProviderKind::Postgres,
            connection_secret: SecretName::parse("PG_ADMIN_URL").unwrap(),
            revocation: Vec::new(),
            username: "pb_readonly_1".into(),
            integration_id: None,
            integration_name: Some("warehouse".into()),
            job_id: None,
            state,
            created_at: now,
            expires_at: now + expires_in,
            max_expires_at: now + Duration::hours(1),
            revoked_at: None,
            revoke_attempts: 0,
            next_attempt_at: None,
            last_error: None,
            created_by: Some("ada".into()),
        }
    }

    fn refused_state(error: StoreError) -> String {
        match error {
            StoreError::Conflict(Conflict::LeaseNotActive { state }) => state,
            other => panic!("expected LeaseNotActive, got {other:?}"),
        }
    }

    #[test]
    fn a_renewal_is_refused_with_the_leases_state_or_expired() {
        let now = now_utc();
        assert!(matches!(not_renewed(None, now), StoreError::NotFound(Missing::Lease)));
        let revoked = lease(LeaseState::Revoked, Duration::minutes(5));
        assert_eq!(refused_state(not_renewed(Some(&revoked), now)), "revoked");
        let failing = lease(LeaseState::RevokeFailed, Duration::minutes(5));
        assert_eq!(refused_state(not_renewed(Some(&failing), now)), "revoke_failed");
        let expired = lease(LeaseState::Active, Duration::seconds(-1));
        assert_eq!(refused_state(not_renewed(Some(&expired), now)), "expired");
    }

    #[test]
    fn a_failed_revocation_is_a_failed_event_with_its_error() {
        let lease = lease(LeaseState::RevokeFailed, Duration::minutes(5));
        let failed = RevocationOutcome::Failed { error: "connection refused".into(), retry_at: now_utc() };
        let event = revocation_event(&lease, &failed, Some("ada".into()), None);
        assert_eq!((event.action, event.outcome), (AuditAction::LeaseRevoke, AuditOutcome::Failed));
        assert_eq!((event.actor.as_deref(), event.actor_role.as_deref()), (Some("patchbay"), Some("server")));
        let detail: Value = serde_json::from_str(&event.detail).unwrap();
        assert_eq!(detail["error"], "connection refused");
        assert_eq!(
            (detail["username"].as_str(), detail["role"].as_str()),
            (Some("pb_readonly_1"), Some("readonly"))
        );

        let audit = AuditContext { actor_role: Some("admin".into()), ..AuditContext::default() };
        let event = revocation_event(&lease, &RevocationOutcome::Revoked, Some("ada".into()), Some(&audit));
        assert_eq!((event.outcome, event.actor.as_deref()), (AuditOutcome::Success, Some("ada")));
        assert!(!event.detail.contains("error"), "{}", event.detail);
    }

    #[test]
    fn backoff_doubles_from_five_seconds_to_ten_minutes() {
        assert_eq!(revocation_backoff(1), Duration::seconds(5));
        assert_eq!(revocation_backoff(2), Duration::seconds(10));
        assert_eq!(revocation_backoff(4), Duration::seconds(40));
        assert_eq!(revocation_backoff(30), Duration::seconds(600));
    }
}
