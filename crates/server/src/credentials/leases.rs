//! Taking and revoking leases.
//!
//! A lease is stored (`active`) before its user is made, so a server that
//! dies between the two leaves a row the revoker finds at expiry, never a
//! user nobody knows of. When a user cannot be made, the lease is revoked
//! at once (the driver already dropped what it half made; revocation is
//! idempotent) and the resolution fails closed, after revoking every lease
//! it took before.
use crate::state::AppState;
use patchbay_api_types::{FieldError, LocItem};
use patchbay_domain::{CredentialEnv, Integration, Lease, LeaseFilter, LeaseState, OrganizationId, now_utc};
use patchbay_store::{AuditContext, RevocationOutcome, StoreError, revocation_backoff};
use serde_json::Value;
use time::Duration;
use uuid::Uuid;
use zeroize::Zeroizing;

/// A lease this resolution took, with what goes into the bundle.
pub struct TakenLease {
    pub lease: Lease,
    pub password: Zeroizing<String>,
    pub env: CredentialEnv,
}

/// Why a resolution could not take a lease: which integration's entry,
/// which provider, and the database's error (never a password or URL).
#[derive(Debug, Clone)]
pub struct LeaseFailure {
    pub integration: String,
    pub index: usize,
    pub provider: String,
    pub message: String,
}

impl LeaseFailure {
    /// The 422 entry, placed like a resolution problem.
    pub fn field_error(&self) -> FieldError {
        let loc: Vec<LocItem> = ["integrations", self.integration.as_str(), "config", "dynamic_credentials"]
            .into_iter()
            .map(LocItem::from)
            .chain([LocItem::from(self.index)])
            .collect();
        FieldError::new(
            "lease_failed",
            loc,
            format!("Credential provider '{}' could not make a user: {}", self.provider, self.message),
            Value::Null,
        )
    }
}

impl std::fmt::Display for LeaseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: dynamic_credentials[{}]: credential provider '{}' could not make a user: {}",
            self.integration, self.index, self.provider, self.message
        )
    }
}

/// Who takes the leases, for their events: the caller of a resolution, or
/// (`None`) the server claiming a connection test for a worker.
pub struct Taker<'a> {
    pub actor: Option<String>,
    pub audit: Option<&'a AuditContext>,
    /// The connection test the leases are for (revoked when it ends).
    pub job: Option<Uuid>,
    /// The longest lease this use needs (a test's timeout and a margin).
    pub ttl_cap: Option<u32>,
}

/// One lease per `dynamic_credentials` entry of each active integration,
/// in order. On any failure the leases already taken are revoked.
pub async fn take_leases(
    state: &AppState,
    org: &OrganizationId,
    integrations: &[Integration],
    taker: &Taker<'_>,
) -> Result<Vec<TakenLease>, LeaseFailure> {
    let mut taken = Vec::new();
    for integration in integrations.iter().filter(|i| patchbay_resolve::is_active(i)) {
        for index in 0..integration.config.dynamic_credentials.len() {
            match take_one(state, org, integration, index, taker).await {
                Ok(lease) => taken.push(lease),
                Err(failure) => {
                    tracing::warn!(%failure, "a dynamic credential could not be made; the resolution fails");
                    revoke_taken(state, org, &taken).await;
                    return Err(failure);
                }
            }
        }
    }
    Ok(taken)
}

async fn take_one(
    state: &AppState,
    org: &OrganizationId,
    integration: &Integration,
    index: usize,
    taker: &Taker<'_>,
) -> Result<TakenLease, LeaseFailure> {
    let entry = &integration.config.dynamic_credentials[index];
    let fail = |message: String| LeaseFailure {
        integration: integration.name.clone(),
        index,
        provider: entry.provider.to_string(),
        message,
    };
    let provider = match state.store.get_provider(org, &entry.provider).await {
        Ok(provider) => provider,
        Err(StoreError::NotFound(_)) => return Err(fail("the organization has no such provider".into())),
        Err(other) => return Err(fail(format!("reading the provider failed: {other}"))),
    };
    let Some(role) = provider.roles.get(&entry.role) else {
        return Err(fail(format!("the provider has no role '{}'", entry.role)));
    };
    let mut ttl = entry.ttl_seconds.unwrap_or(provider.default_ttl_seconds).min(provider.max_ttl_seconds);
    if let Some(cap) = taker.ttl_cap {
        ttl = ttl.min(cap);
    }
    let admin_url = state.vault.reveal(org, &provider.connection_secret).await.map_err(|_| {
        fail(format!("its connection secret '{}' cannot be read from the vault", provider.connection_secret))
    })?;
    let now = now_utc();
    let expires_at = now + Duration::seconds(i64::from(ttl));
    let credentials = patchbay_credentials::generate(provider.kind, org.as_str(), expires_at);
    let lease = Lease {
        id: Uuid::new_v4(),
        organization_id: org.clone(),
        provider: provider.name.clone(),
        role: entry.role.clone(),
        kind: provider.kind,
        connection_secret: provider.connection_secret.clone(),
        revocation: role.revocation.clone(),
        username: credentials.username.clone(),
        integration_id: Some(integration.id),
        integration_name: Some(integration.name.clone()),
        job_id: taker.job,
        state: LeaseState::Active,
        created_at: now,
        expires_at,
        max_expires_at: now + Duration::seconds(i64::from(provider.max_ttl_seconds)),
        revoked_at: None,
        revoke_attempts: 0,
        next_attempt_at: None,
        last_error: None,
        created_by: taker.actor.clone(),
    };
    state
        .store
        .create_lease(&lease, taker.audit.cloned())
        .await
        .map_err(|error| fail(format!("recording the lease failed: {error}")))?;
    if let Err(error) = patchbay_credentials::create(provider.kind, &admin_url, role, &credentials).await {
        // The row exists: revoke it now rather than leave it to expiry.
        let _ = revoke_lease(state, org, lease.id, None, None).await;
        return Err(fail(error.to_string()));
    }
    state.metrics.counter("patchbay_leases_created_total", "Dynamic credentials made", &[]).inc();
    tracing::info!(lease = %lease.id, provider = %lease.provider, role = %lease.role, username = %lease.username, "lease created");
    Ok(TakenLease { lease, password: credentials.password, env: entry.env.clone() })
}

/// Revokes the leases a failed resolution took, as the server.
pub async fn revoke_taken(state: &AppState, org: &OrganizationId, taken: &[TakenLease]) {
    for lease in taken {
        if let Err(error) = revoke_lease(state, org, lease.lease.id, None, None).await {
            tracing::warn!(lease = %lease.lease.id, %error, "revoking a lease after a failed resolution failed");
        }
    }
}

/// Revokes a lease now, unless it is revoked already or another server
/// holds it; returns the lease as it is afterwards. A revocation the
/// database refuses leaves the lease `revoke_failed`, retried by the
/// revoker with backoff. `actor` and `audit` say who asked (`None`: the
/// server).
pub async fn revoke_lease(
    state: &AppState,
    org: &OrganizationId,
    id: Uuid,
    actor: Option<String>,
    audit: Option<AuditContext>,
) -> Result<Lease, StoreError> {
    match state.store.begin_revocation(org, id, now_utc()).await? {
        Some(lease) => finish(state, lease, actor, audit).await,
        None => state.store.get_lease(org, id).await,
    }
}

/// Drops the user of a lease this server holds (`revoking`) and records
/// how that went.
pub(super) async fn finish(
    state: &AppState,
    lease: Lease,
    actor: Option<String>,
    audit: Option<AuditContext>,
) -> Result<Lease, StoreError> {
    let outcome = match drop_user(state, &lease).await {
        Ok(()) => RevocationOutcome::Revoked,
        Err(error) => {
            state
                .metrics
                .counter("patchbay_lease_revocation_failures_total", "Revocations the database refused", &[])
                .inc();
            tracing::warn!(lease = %lease.id, provider = %lease.provider, %error, "revoking a lease failed; it is retried");
            let retry_at = now_utc() + revocation_backoff(lease.revoke_attempts + 1);
            RevocationOutcome::Failed { error, retry_at }
        }
    };
    let org = lease.organization_id.clone();
    let revoked = state.store.finish_revocation(&org, lease.id, outcome, now_utc(), actor, audit).await?;
    if revoked.state == LeaseState::Revoked {
        tracing::info!(lease = %revoked.id, username = %revoked.username, "lease revoked");
    }
    Ok(revoked)
}

async fn drop_user(state: &AppState, lease: &Lease) -> Result<(), String> {
    let admin_url =
        state.vault.reveal(&lease.organization_id, &lease.connection_secret).await.map_err(|_| {
            format!("the connection secret '{}' cannot be read from the vault", lease.connection_secret)
        })?;
    patchbay_credentials::revoke(lease.kind, &admin_url, &lease.revocation, &lease.username)
        .await
        .map_err(|error| error.to_string())
}

/// Revokes the live leases of a connection test that ended, as the server.
pub async fn revoke_job_leases(state: &AppState, org: &OrganizationId, job: Uuid) {
    let filter = LeaseFilter { job_id: Some(job), limit: Some(1000), ..LeaseFilter::default() };
    let leases = match state.store.list_leases(org, &filter).await {
        Ok(leases) => leases,
        Err(error) => {
            tracing::warn!(%job, %error, "listing a test's leases failed; they are revoked when they expire");
            return;
        }
    };
    for lease in leases.into_iter().filter(|lease| lease.state.is_live()) {
        if let Err(error) = revoke_lease(state, org, lease.id, None, None).await {
            tracing::warn!(lease = %lease.id, %error, "revoking a test's lease failed; it is retried");
        }
    }
}
