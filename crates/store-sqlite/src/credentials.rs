//! Credential providers and leases on SQLite. Every write runs on the one
//! writer connection, so a revocation claim — a single `UPDATE ... RETURNING`
//! — hands each lease to exactly one caller by construction.
use crate::SqliteStore;
use crate::audit::{insert_audit, insert_audit_if};
use crate::sql::{DIALECT, all, read};
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{
    AuditAction, CredentialProvider, Lease, LeaseFilter, NewProvider, OrganizationId, ProviderName, now_utc,
};
use patchbay_store::codec::{encode_roles, encode_statements};
use patchbay_store::sql::{LEASE_COLUMNS, PROVIDER_COLUMNS, lease_from_row, leases, provider_from_row};
use patchbay_store::{
    AuditContext, Conflict, CredentialStore, LeaseCounts, Missing, REVOCATION_CLAIM, RevocationOutcome,
    StoreError, failed, lease_event, not_renewed, provider_event, revocation_event,
};
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;
use uuid::Uuid;

fn lease_by_id(conn: &Connection, org: &OrganizationId, id: Uuid) -> Result<Option<Lease>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {LEASE_COLUMNS} FROM credential_leases WHERE id = ?1 AND organization_id = ?2"
    ))
    .and_then(|mut s| s.query_row(params![id.to_string(), org.as_str()], read(lease_from_row)).optional())
    .map_err(failed("reading a lease"))
}

/// The lease's row after `sql`, an `UPDATE ... RETURNING` of one lease
/// whose parameters are `?1` the id and `?2` the organization, then `rest`.
fn update_lease(
    conn: &Connection,
    sql: &str,
    org: &OrganizationId,
    id: Uuid,
    rest: &[&dyn rusqlite::ToSql],
    context: &'static str,
) -> Result<Option<Lease>, StoreError> {
    let (id, org) = (id.to_string(), org.as_str());
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id, &org];
    all.extend_from_slice(rest);
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_row(all.as_slice(), read(lease_from_row)).optional())
        .map_err(failed(context))
}

fn put(
    conn: &mut Connection,
    org: &OrganizationId,
    provider: NewProvider,
    audit: Option<AuditContext>,
) -> Result<(CredentialProvider, bool), StoreError> {
    let now = micros(now_utc());
    let tx = conn.savepoint().map_err(failed("starting a provider write"))?;
    // The writer is the only one, so nothing comes between this look and the write.
    let existed: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM credential_providers WHERE organization_id = ?1 AND name = ?2)",
        )
        .and_then(|mut s| s.query_row(params![org.as_str(), provider.name.as_str()], |row| row.get(0)))
        .map_err(failed("finding a provider"))?;
    let stored = tx
        .prepare_cached(&format!(
            "INSERT INTO credential_providers (organization_id, name, kind, connection_secret, \
                 default_ttl_seconds, max_ttl_seconds, roles, created_at, updated_at, created_by, updated_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?9) \
             ON CONFLICT (organization_id, name) DO UPDATE SET \
                 kind = excluded.kind, connection_secret = excluded.connection_secret, \
                 default_ttl_seconds = excluded.default_ttl_seconds, \
                 max_ttl_seconds = excluded.max_ttl_seconds, roles = excluded.roles, \
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by \
             RETURNING {PROVIDER_COLUMNS}"
        ))
        .and_then(|mut s| {
            s.query_row(
                params![
                    org.as_str(),
                    provider.name.as_str(),
                    provider.kind.as_str(),
                    provider.connection_secret.as_str(),
                    provider.default_ttl_seconds,
                    provider.max_ttl_seconds,
                    encode_roles(&provider),
                    now,
                    provider.written_by,
                ],
                read(provider_from_row),
            )
        })
        .map_err(failed("writing a provider"))?;
    let created = !existed;
    let event =
        provider_event(org, &provider.name, Some(&stored), created, provider.written_by, audit.as_ref());
    insert_audit_if(&tx, event)?;
    tx.commit().map_err(failed("committing a provider write"))?;
    Ok((stored, created))
}

fn delete(
    conn: &mut Connection,
    org: &OrganizationId,
    name: &ProviderName,
    actor: Option<String>,
    audit: Option<AuditContext>,
) -> Result<(), StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a provider delete"))?;
    let removed = tx
        .execute(
            "DELETE FROM credential_providers WHERE organization_id = ?1 AND name = ?2",
            params![org.as_str(), name.as_str()],
        )
        .map_err(failed("deleting a provider"))?;
    if removed == 0 {
        return Err(StoreError::NotFound(Missing::Provider(name.to_string())));
    }
    let live: i64 = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM credential_leases \
             WHERE organization_id = ?1 AND provider = ?2 AND state <> 'revoked'",
        )
        .and_then(|mut s| s.query_row(params![org.as_str(), name.as_str()], |row| row.get(0)))
        .map_err(failed("counting a provider's live leases"))?;
    if live > 0 {
        // Dropping the transaction undoes the delete.
        return Err(StoreError::Conflict(Conflict::LiveLeases {
            provider: name.to_string(),
            count: live as u64,
        }));
    }
    insert_audit_if(&tx, provider_event(org, name, None, false, actor, audit.as_ref()))?;
    tx.commit().map_err(failed("committing a provider delete"))
}

fn create(conn: &mut Connection, lease: &Lease, audit: Option<AuditContext>) -> Result<(), StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a lease"))?;
    tx.prepare_cached(&format!(
        "INSERT INTO credential_leases ({LEASE_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            lease.id.to_string(),
            lease.organization_id.as_str(),
            lease.provider.as_str(),
            lease.role.as_str(),
            lease.kind.as_str(),
            lease.connection_secret.as_str(),
            encode_statements(&lease.revocation),
            lease.username,
            lease.integration_id.map(|id| id.to_string()),
            lease.integration_name,
            lease.job_id.map(|id| id.to_string()),
            lease.state.as_str(),
            micros(lease.created_at),
            micros(lease.expires_at),
            micros(lease.max_expires_at),
            lease.revoked_at.map(micros),
            lease.revoke_attempts,
            lease.next_attempt_at.map(micros),
            lease.last_error,
            lease.created_by,
        ])
    })
    .map_err(failed("storing a lease"))?;
    insert_audit(
        &tx,
        &lease_event(lease, AuditAction::LeaseCreate, lease.created_by.clone(), audit.as_ref()),
    )?;
    tx.commit().map_err(failed("committing a lease"))
}

#[allow(clippy::too_many_arguments)]
fn renew(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
    actor: Option<String>,
    audit: Option<AuditContext>,
) -> Result<Lease, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a renewal"))?;
    // Never past the lease's own limit, whatever the caller asks.
    let renewed = update_lease(
        &tx,
        &format!(
            "UPDATE credential_leases SET expires_at = MIN(?3, max_expires_at) \
             WHERE id = ?1 AND organization_id = ?2 AND state = 'active' AND expires_at > ?4 \
             RETURNING {LEASE_COLUMNS}"
        ),
        org,
        id,
        &[&micros(expires_at), &micros(now)],
        "renewing a lease",
    )?;
    let Some(lease) = renewed else {
        return Err(not_renewed(lease_by_id(&tx, org, id)?.as_ref(), now));
    };
    insert_audit(&tx, &lease_event(&lease, AuditAction::LeaseRenew, actor, audit.as_ref()))?;
    tx.commit().map_err(failed("committing a renewal"))?;
    Ok(lease)
}

fn begin(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<Lease>, StoreError> {
    let taken = update_lease(
        conn,
        &format!(
            "UPDATE credential_leases SET state = 'revoking', next_attempt_at = ?4 \
             WHERE id = ?1 AND organization_id = ?2 \
               AND (state IN ('active', 'revoke_failed') OR (state = 'revoking' AND next_attempt_at <= ?3)) \
             RETURNING {LEASE_COLUMNS}"
        ),
        org,
        id,
        &[&micros(now), &micros(now + REVOCATION_CLAIM)],
        "taking a lease for revocation",
    )?;
    if taken.is_some() {
        return Ok(taken);
    }
    // Revoked already, or held by another caller: nothing to do, unless
    // the organization has no such lease at all.
    match lease_by_id(conn, org, id)? {
        Some(_) => Ok(None),
        None => Err(StoreError::NotFound(Missing::Lease)),
    }
}

fn claim(conn: &mut Connection, now: OffsetDateTime, limit: u32) -> Result<Vec<Lease>, StoreError> {
    // Due first what has waited longest.
    conn.prepare_cached(&format!(
        "UPDATE credential_leases SET state = 'revoking', next_attempt_at = ?2 \
         WHERE id IN (SELECT id FROM credential_leases \
             WHERE (state = 'active' AND expires_at <= ?1) \
                OR (state IN ('revoke_failed', 'revoking') AND next_attempt_at <= ?1) \
             ORDER BY CASE state WHEN 'active' THEN expires_at ELSE next_attempt_at END \
             LIMIT (?3 + 0)) \
         RETURNING {LEASE_COLUMNS}"
    ))
    .and_then(|mut s| {
        s.query_map(params![micros(now), micros(now + REVOCATION_CLAIM), limit], read(lease_from_row))?
            .collect()
    })
    .map_err(failed("claiming leases to revoke"))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    outcome: RevocationOutcome,
    now: OffsetDateTime,
    actor: Option<String>,
    audit: Option<AuditContext>,
) -> Result<Lease, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a revocation's end"))?;
    let finished = match &outcome {
        RevocationOutcome::Revoked => update_lease(
            &tx,
            &format!(
                "UPDATE credential_leases SET state = 'revoked', revoked_at = ?3, next_attempt_at = NULL, \
                     last_error = NULL \
                 WHERE id = ?1 AND organization_id = ?2 AND state = 'revoking' \
                 RETURNING {LEASE_COLUMNS}"
            ),
            org,
            id,
            &[&micros(now)],
            "recording a revocation",
        )?,
        RevocationOutcome::Failed { error, retry_at } => update_lease(
            &tx,
            &format!(
                "UPDATE credential_leases SET state = 'revoke_failed', revoke_attempts = revoke_attempts + 1, \
                     next_attempt_at = ?3, last_error = ?4 \
                 WHERE id = ?1 AND organization_id = ?2 AND state = 'revoking' \
                 RETURNING {LEASE_COLUMNS}"
            ),
            org,
            id,
            &[&micros(*retry_at), error],
            "recording a failed revocation",
        )?,
    };
    let Some(lease) = finished else {
        // Taken over and finished by another caller: left as it is.
        return lease_by_id(&tx, org, id)?.ok_or(StoreError::NotFound(Missing::Lease));
    };
    insert_audit(&tx, &revocation_event(&lease, &outcome, actor, audit.as_ref()))?;
    tx.commit().map_err(failed("committing a revocation's end"))?;
    Ok(lease)
}

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn put_provider(
        &self,
        org: &OrganizationId,
        provider: NewProvider,
        audit: Option<AuditContext>,
    ) -> Result<(CredentialProvider, bool), StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| put(conn, &org, provider, audit)).await
    }

    async fn get_provider(
        &self,
        org: &OrganizationId,
        name: &ProviderName,
    ) -> Result<CredentialProvider, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(&format!(
                    "SELECT {PROVIDER_COLUMNS} FROM credential_providers WHERE organization_id = ?1 AND name = ?2"
                ))?
                .query_row(params![org.as_str(), name.as_str()], read(provider_from_row))
                .optional()
            })
            .map_err(failed("reading a provider"))?
            .ok_or_else(|| StoreError::NotFound(Missing::Provider(name.to_string())))
    }

    async fn list_providers(&self, org: &OrganizationId) -> Result<Vec<CredentialProvider>, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(&format!(
                    "SELECT {PROVIDER_COLUMNS} FROM credential_providers WHERE organization_id = ?1 ORDER BY name"
                ))?
                .query_map([org.as_str()], read(provider_from_row))?
                .collect()
            })
            .map_err(failed("listing providers"))
    }

    async fn delete_provider(
        &self,
        org: &OrganizationId,
        name: &ProviderName,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<(), StoreError> {
        let (org, name) = (org.clone(), name.clone());
        self.pool.write(move |conn| delete(conn, &org, &name, actor, audit)).await
    }

    async fn create_lease(&self, lease: &Lease, audit: Option<AuditContext>) -> Result<(), StoreError> {
        let lease = lease.clone();
        self.pool.write(move |conn| create(conn, &lease, audit)).await
    }

    async fn get_lease(&self, org: &OrganizationId, id: Uuid) -> Result<Lease, StoreError> {
        self.pool.read(|conn| lease_by_id(conn, org, id))?.ok_or(StoreError::NotFound(Missing::Lease))
    }

    async fn list_leases(
        &self,
        org: &OrganizationId,
        filter: &LeaseFilter,
    ) -> Result<Vec<Lease>, StoreError> {
        let query = leases(DIALECT, org, filter);
        self.pool.scan(move |conn| all(conn, &query, lease_from_row).map_err(failed("listing leases"))).await
    }

    async fn renew_lease(
        &self,
        org: &OrganizationId,
        id: Uuid,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<Lease, StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| renew(conn, &org, id, expires_at, now, actor, audit)).await
    }

    async fn begin_revocation(
        &self,
        org: &OrganizationId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<Lease>, StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| begin(conn, &org, id, now)).await
    }

    async fn claim_revocations(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Lease>, StoreError> {
        self.pool.write(move |conn| claim(conn, now, limit)).await
    }

    async fn finish_revocation(
        &self,
        org: &OrganizationId,
        id: Uuid,
        outcome: RevocationOutcome,
        now: OffsetDateTime,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<Lease, StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| finish(conn, &org, id, outcome, now, actor, audit)).await
    }

    async fn lease_counts(&self) -> Result<LeaseCounts, StoreError> {
        let (live, revoke_failed): (i64, i64) = self
            .pool
            .read(|conn| {
                // Served by the partial index of live leases.
                conn.prepare_cached(
                    "SELECT COUNT(*), COALESCE(SUM(state = 'revoke_failed'), 0) \
                     FROM credential_leases WHERE state <> 'revoked'",
                )?
                .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
            })
            .map_err(failed("counting leases"))?;
        Ok(LeaseCounts { live: live as u64, revoke_failed: revoke_failed as u64 })
    }
}
