//! Credential providers and leases on PostgreSQL. Several replicas revoke
//! at once: a claim locks the due rows it takes with `FOR UPDATE SKIP
//! LOCKED` and moves them to `revoking` in the same statement, so each
//! lease goes to exactly one caller and nobody waits for another's rows.
use crate::PostgresStore;
use crate::audit::{insert_audit, insert_audit_if};
use crate::classify::failed;
use crate::pool::client;
use crate::sql::{DIALECT, all, read};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{
    AuditAction, CredentialProvider, Lease, LeaseFilter, NewProvider, OrganizationId, ProviderName, now_utc,
};
use patchbay_store::codec::{encode_roles, encode_statements};
use patchbay_store::sql::{LEASE_COLUMNS, PROVIDER_COLUMNS, lease_from_row, leases, provider_from_row};
use patchbay_store::{
    AuditContext, Conflict, CredentialStore, LeaseCounts, Missing, REVOCATION_CLAIM, RevocationOutcome,
    StoreError, lease_event, not_renewed, provider_event, revocation_event,
};
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

async fn query_opt(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    context: &'static str,
) -> Result<Option<Row>, StoreError> {
    let statement = db.prepare_cached(sql).await.map_err(failed("preparing a credential statement"))?;
    db.query_opt(&statement, params).await.map_err(failed(context))
}

async fn lease_by_id(
    db: &impl GenericClient,
    org: &OrganizationId,
    id: Uuid,
) -> Result<Option<Lease>, StoreError> {
    let sql = format!("SELECT {LEASE_COLUMNS} FROM credential_leases WHERE id = $1 AND organization_id = $2");
    let row = query_opt(db, &sql, &[&id, &org.as_str()], "reading a lease").await?;
    row.map(|row| read(&row, lease_from_row)).transpose()
}

/// The lease `sql` (an `UPDATE ... RETURNING` of one lease) changed.
async fn update_lease(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    context: &'static str,
) -> Result<Option<Lease>, StoreError> {
    let row = query_opt(db, sql, params, context).await?;
    row.map(|row| read(&row, lease_from_row)).transpose()
}

/// A count kept in a signed column.
fn signed(value: u32) -> i64 {
    i64::from(value)
}

#[async_trait]
impl CredentialStore for PostgresStore {
    async fn put_provider(
        &self,
        org: &OrganizationId,
        provider: NewProvider,
        audit: Option<AuditContext>,
    ) -> Result<(CredentialProvider, bool), StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a provider write"))?;
        // `xmax` is 0 on a row this statement inserted, and set on one it
        // updated: whether it was created, decided under the row's lock,
        // so concurrent writes of one name report one creation.
        let sql = format!(
            "INSERT INTO credential_providers (organization_id, name, kind, connection_secret, \
                 default_ttl_seconds, max_ttl_seconds, roles, created_at, updated_at, created_by, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9) \
             ON CONFLICT (organization_id, name) DO UPDATE SET \
                 kind = EXCLUDED.kind, connection_secret = EXCLUDED.connection_secret, \
                 default_ttl_seconds = EXCLUDED.default_ttl_seconds, \
                 max_ttl_seconds = EXCLUDED.max_ttl_seconds, roles = EXCLUDED.roles, \
                 updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by \
             RETURNING {PROVIDER_COLUMNS}, (xmax = 0) AS created"
        );
        let row = query_opt(
            &tx,
            &sql,
            &[
                &org.as_str(),
                &provider.name.as_str(),
                &provider.kind.as_str(),
                &provider.connection_secret.as_str(),
                &signed(provider.default_ttl_seconds),
                &signed(provider.max_ttl_seconds),
                &encode_roles(&provider),
                &now_utc(),
                &provider.written_by,
            ],
            "writing a provider",
        )
        .await?
        .ok_or(StoreError::NotFound(Missing::Record("the written provider")))?;
        let stored = read(&row, provider_from_row)?;
        let created: bool = row.try_get(11).map_err(failed("reading a provider write"))?;
        let event =
            provider_event(org, &provider.name, Some(&stored), created, provider.written_by, audit.as_ref());
        insert_audit_if(&tx, event).await?;
        tx.commit().await.map_err(failed("committing a provider write"))?;
        Ok((stored, created))
    }

    async fn get_provider(
        &self,
        org: &OrganizationId,
        name: &ProviderName,
    ) -> Result<CredentialProvider, StoreError> {
        let db = client(&self.pool).await?;
        let sql = format!(
            "SELECT {PROVIDER_COLUMNS} FROM credential_providers WHERE organization_id = $1 AND name = $2"
        );
        let row = query_opt(&db, &sql, &[&org.as_str(), &name.as_str()], "reading a provider").await?;
        let row = row.ok_or_else(|| StoreError::NotFound(Missing::Provider(name.to_string())))?;
        read(&row, provider_from_row)
    }

    async fn list_providers(&self, org: &OrganizationId) -> Result<Vec<CredentialProvider>, StoreError> {
        let db = client(&self.pool).await?;
        let sql = format!(
            "SELECT {PROVIDER_COLUMNS} FROM credential_providers WHERE organization_id = $1 ORDER BY name"
        );
        let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a provider list"))?;
        let rows = db.query(&statement, &[&org.as_str()]).await.map_err(failed("listing providers"))?;
        rows.iter().map(|row| read(row, provider_from_row)).collect()
    }

    async fn delete_provider(
        &self,
        org: &OrganizationId,
        name: &ProviderName,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<(), StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a provider delete"))?;
        // The delete locks the provider's row first: a lease being created
        // holds a share lock on it (`create_lease`), so once the delete has
        // the row, every lease made from it is committed and counted below.
        let removed = query_opt(
            &tx,
            "DELETE FROM credential_providers WHERE organization_id = $1 AND name = $2 RETURNING name",
            &[&org.as_str(), &name.as_str()],
            "deleting a provider",
        )
        .await?;
        if removed.is_none() {
            return Err(StoreError::NotFound(Missing::Provider(name.to_string())));
        }
        let live = query_opt(
            &tx,
            "SELECT COUNT(*) FROM credential_leases \
             WHERE organization_id = $1 AND provider = $2 AND state <> 'revoked'",
            &[&org.as_str(), &name.as_str()],
            "counting a provider's live leases",
        )
        .await?
        .map(|row| read(&row, |row| row.int(0)))
        .transpose()?
        .unwrap_or(0);
        if live > 0 {
            // Dropping the transaction undoes the delete.
            return Err(StoreError::Conflict(Conflict::LiveLeases {
                provider: name.to_string(),
                count: live as u64,
            }));
        }
        insert_audit_if(&tx, provider_event(org, name, None, false, actor, audit.as_ref())).await?;
        tx.commit().await.map_err(failed("committing a provider delete"))
    }

    async fn create_lease(&self, lease: &Lease, audit: Option<AuditContext>) -> Result<(), StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a lease"))?;
        // Holds off a delete of the provider until this lease is committed
        // (and so counted by it); a provider already gone does not stop the
        // lease, whose user exists and must be revoked all the same.
        query_opt(
            &tx,
            "SELECT 1 FROM credential_providers WHERE organization_id = $1 AND name = $2 FOR KEY SHARE",
            &[&lease.organization_id.as_str(), &lease.provider.as_str()],
            "locking a lease's provider",
        )
        .await?;
        let sql = format!(
            "INSERT INTO credential_leases ({LEASE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        );
        let attempts = i32::try_from(lease.revoke_attempts).unwrap_or(i32::MAX);
        let statement = tx.prepare_cached(&sql).await.map_err(failed("preparing a lease write"))?;
        tx.execute(
            &statement,
            &[
                &lease.id,
                &lease.organization_id.as_str(),
                &lease.provider.as_str(),
                &lease.role.as_str(),
                &lease.kind.as_str(),
                &lease.connection_secret.as_str(),
                &encode_statements(&lease.revocation),
                &lease.username,
                &lease.integration_id,
                &lease.integration_name,
                &lease.job_id,
                &lease.state.as_str(),
                &lease.created_at,
                &lease.expires_at,
                &lease.max_expires_at,
                &lease.revoked_at,
                &attempts,
                &lease.next_attempt_at,
                &lease.last_error,
                &lease.created_by,
            ],
        )
        .await
        .map_err(failed("storing a lease"))?;
        let event = lease_event(lease, AuditAction::LeaseCreate, lease.created_by.clone(), audit.as_ref());
        insert_audit(&tx, &event).await?;
        tx.commit().await.map_err(failed("committing a lease"))
    }

    async fn get_lease(&self, org: &OrganizationId, id: Uuid) -> Result<Lease, StoreError> {
        let db = client(&self.pool).await?;
        lease_by_id(&db, org, id).await?.ok_or(StoreError::NotFound(Missing::Lease))
    }

    async fn list_leases(
        &self,
        org: &OrganizationId,
        filter: &LeaseFilter,
    ) -> Result<Vec<Lease>, StoreError> {
        let db = client(&self.pool).await?;
        all(&db, &leases(DIALECT, org, filter), "listing leases", lease_from_row).await
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
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a renewal"))?;
        // Never past the lease's own limit, whatever the caller asks.
        let sql = format!(
            "UPDATE credential_leases SET expires_at = LEAST($3, max_expires_at) \
             WHERE id = $1 AND organization_id = $2 AND state = 'active' AND expires_at > $4 \
             RETURNING {LEASE_COLUMNS}"
        );
        let renewed =
            update_lease(&tx, &sql, &[&id, &org.as_str(), &expires_at, &now], "renewing a lease").await?;
        let Some(lease) = renewed else {
            return Err(not_renewed(lease_by_id(&tx, org, id).await?.as_ref(), now));
        };
        insert_audit(&tx, &lease_event(&lease, AuditAction::LeaseRenew, actor, audit.as_ref())).await?;
        tx.commit().await.map_err(failed("committing a renewal"))?;
        Ok(lease)
    }

    async fn begin_revocation(
        &self,
        org: &OrganizationId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<Lease>, StoreError> {
        let db = client(&self.pool).await?;
        // One statement: a concurrent claim of the row makes this one wait
        // and then re-check the condition on the row as the claim left it.
        let sql = format!(
            "UPDATE credential_leases SET state = 'revoking', next_attempt_at = $4 \
             WHERE id = $1 AND organization_id = $2 \
               AND (state IN ('active', 'revoke_failed') OR (state = 'revoking' AND next_attempt_at <= $3)) \
             RETURNING {LEASE_COLUMNS}"
        );
        let params: [&(dyn ToSql + Sync); 4] = [&id, &org.as_str(), &now, &(now + REVOCATION_CLAIM)];
        let taken = update_lease(&db, &sql, &params, "taking a lease for revocation").await?;
        if taken.is_some() {
            return Ok(taken);
        }
        // Revoked already, or held by another caller: nothing to do, unless
        // the organization has no such lease at all.
        match lease_by_id(&db, org, id).await? {
            Some(_) => Ok(None),
            None => Err(StoreError::NotFound(Missing::Lease)),
        }
    }

    async fn claim_revocations(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Lease>, StoreError> {
        let db = client(&self.pool).await?;
        // The inner select skips rows another claim holds; the outer
        // condition re-checks that a row taken is still due. The ids are
        // gathered into an array, a subquery run once: `id IN (SELECT ...
        // LIMIT n)` may be planned as a join that runs it again, each run
        // locking other rows, and so take more than `limit`.
        let due = "((state = 'active' AND expires_at <= $1) \
                    OR (state IN ('revoke_failed', 'revoking') AND next_attempt_at <= $1))";
        let sql = format!(
            "UPDATE credential_leases SET state = 'revoking', next_attempt_at = $2 \
             WHERE id = ANY(ARRAY(SELECT id FROM credential_leases WHERE {due} \
                 ORDER BY CASE state WHEN 'active' THEN expires_at ELSE next_attempt_at END \
                 LIMIT $3 FOR UPDATE SKIP LOCKED)) \
               AND {due} \
             RETURNING {LEASE_COLUMNS}"
        );
        let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a revocation claim"))?;
        let rows = db
            .query(&statement, &[&now, &(now + REVOCATION_CLAIM), &signed(limit)])
            .await
            .map_err(failed("claiming leases to revoke"))?;
        rows.iter().map(|row| read(row, lease_from_row)).collect()
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
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a revocation's end"))?;
        let finished = match &outcome {
            RevocationOutcome::Revoked => {
                let sql = format!(
                    "UPDATE credential_leases SET state = 'revoked', revoked_at = $3, next_attempt_at = NULL, \
                         last_error = NULL \
                     WHERE id = $1 AND organization_id = $2 AND state = 'revoking' \
                     RETURNING {LEASE_COLUMNS}"
                );
                update_lease(&tx, &sql, &[&id, &org.as_str(), &now], "recording a revocation").await?
            }
            RevocationOutcome::Failed { error, retry_at } => {
                let sql = format!(
                    "UPDATE credential_leases SET state = 'revoke_failed', revoke_attempts = revoke_attempts + 1, \
                         next_attempt_at = $3, last_error = $4 \
                     WHERE id = $1 AND organization_id = $2 AND state = 'revoking' \
                     RETURNING {LEASE_COLUMNS}"
                );
                let params: [&(dyn ToSql + Sync); 4] = [&id, &org.as_str(), retry_at, error];
                update_lease(&tx, &sql, &params, "recording a failed revocation").await?
            }
        };
        let Some(lease) = finished else {
            // Taken over and finished by another caller: left as it is.
            return lease_by_id(&tx, org, id).await?.ok_or(StoreError::NotFound(Missing::Lease));
        };
        insert_audit(&tx, &revocation_event(&lease, &outcome, actor, audit.as_ref())).await?;
        tx.commit().await.map_err(failed("committing a revocation's end"))?;
        Ok(lease)
    }

    async fn lease_counts(&self) -> Result<LeaseCounts, StoreError> {
        let db = client(&self.pool).await?;
        // Served by the partial index of live leases.
        let row = query_opt(
            &db,
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'revoke_failed') \
             FROM credential_leases WHERE state <> 'revoked'",
            &[],
            "counting leases",
        )
        .await?;
        let (live, revoke_failed) = match row {
            Some(row) => read(&row, |row| Ok((row.int(0)?, row.int(1)?)))?,
            None => (0, 0),
        };
        Ok(LeaseCounts { live: live as u64, revoke_failed: revoke_failed as u64 })
    }
}
