//! Credential providers and their leases.
//!
//! A lease's revocation happens outside the database (a `DROP ROLE` on
//! another server), so the store gives it out once: `claim_revocations`
//! and `begin_revocation` move a lease to `revoking` in one atomic update
//! that only one caller wins, even with several servers on one database;
//! `finish_revocation` records how it went. A server that dies holding a
//! lease leaves it `revoking` until its claim lapses (`next_attempt_at`),
//! then another takes it over.
use crate::{AuditContext, StoreError};
use async_trait::async_trait;
use patchbay_domain::{
    AuditAction, AuditEvent, CredentialProvider, Lease, LeaseFilter, NewProvider, OrganizationId, ProviderName,
};
use serde_json::{Map, json};
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
    async fn list_leases(&self, org: &OrganizationId, filter: &LeaseFilter) -> Result<Vec<Lease>, StoreError>;

    /// Moves an `active` lease's expiry to `expires_at` (the caller caps it
    /// at `max_expires_at`) with its `lease.renew` event;
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
pub fn lease_event(lease: &Lease, action: AuditAction, actor: Option<String>, audit: Option<&AuditContext>) -> AuditEvent {
    let mut detail = Map::new();
    detail.insert("provider".into(), json!(lease.provider.as_str()));
    detail.insert("role".into(), json!(lease.role.as_str()));
    detail.insert("username".into(), json!(lease.username));
    detail.insert("integration".into(), json!(lease.integration_name));
    detail.insert("expires_at".into(), json!(patchbay_domain::format_timestamp(lease.expires_at)));
    if let Some(job) = lease.job_id {
        detail.insert("job_id".into(), json!(job.to_string()));
    }
    let (context, actor) = match audit {
        Some(context) => (context.clone(), actor),
        None => (
            AuditContext { actor_role: Some("server".into()), ..AuditContext::default() },
            Some("patchbay".to_owned()),
        ),
    };
    context.event(&lease.organization_id, actor, action, "lease", Some(lease.id.to_string()), detail)
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

    #[test]
    fn backoff_doubles_from_five_seconds_to_ten_minutes() {
        assert_eq!(revocation_backoff(1), Duration::seconds(5));
        assert_eq!(revocation_backoff(2), Duration::seconds(10));
        assert_eq!(revocation_backoff(4), Duration::seconds(40));
        assert_eq!(revocation_backoff(30), Duration::seconds(600));
    }
}
