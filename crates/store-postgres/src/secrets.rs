//! The vault's storage, with the SQLite backend's semantics. Where SQLite
//! has one writer, PostgreSQL has row locks: the upsert's lock on a secret
//! orders the writers of one name, and the lock on the fingerprint row
//! orders data key creation against a key rotation (from other replicas too).
use crate::PostgresStore;
use crate::audit::insert_audit_if;
use crate::classify::failed;
use crate::pool::client;
use crate::sql::{DIALECT, all, read};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{OrganizationId, SecretMeta, SecretName, SecretVersionMeta, now_utc};
use patchbay_store::sql::{
    DATA_KEY_COLUMNS, SECRET_COLUMNS, SECRET_VERSION_COLUMNS, blob_from_row, data_key_from_row,
    secret_from_row, secret_value_from_row, secret_values, secret_version_from_row,
};
use patchbay_store::{
    Change, Missing, Rewrap, SealedBlob, SecretStore, SecretWrite, StoreError, check_fingerprint,
};
use tokio_postgres::Statement;

const FINGERPRINT: &str = "master_key_fingerprint";

/// Takes the next version under the row lock the conflict takes, so
/// concurrent writers of one name wait for each other and count up by one.
/// The row comes back as `SECRET_COLUMNS`, then `seq`.
const UPSERT: &str = "INSERT INTO secrets \
        (organization_id, name, description, current_version, created_at, updated_at, created_by) \
    VALUES ($1, $2, $3, 1, $4, $4, $5) \
    ON CONFLICT (organization_id, name) DO UPDATE SET \
        current_version = secrets.current_version + 1, updated_at = EXCLUDED.updated_at, \
        description = COALESCE(EXCLUDED.description, secrets.description) \
    RETURNING name, description, current_version, created_at, updated_at, created_by, seq";

async fn statement(db: &impl GenericClient, sql: &str) -> Result<Statement, StoreError> {
    db.prepare_cached(sql).await.map_err(failed("preparing a vault statement"))
}

/// The recorded fingerprint. `lock` is a locking clause (`FOR SHARE`,
/// `FOR UPDATE`) held until the caller's transaction ends, or empty.
async fn recorded_fingerprint(db: &impl GenericClient, lock: &str) -> Result<Option<String>, StoreError> {
    let sql = format!("SELECT value FROM vault_meta WHERE name = $1 {lock}");
    let row = db
        .query_opt(&statement(db, &sql).await?, &[&FINGERPRINT])
        .await
        .map_err(failed("reading the fingerprint"))?;
    row.map(|row| read(&row, |row| row.text(0))).transpose()
}

async fn put(
    store: &PostgresStore,
    org: &OrganizationId,
    write: SecretWrite,
) -> Result<(SecretMeta, bool), StoreError> {
    let now = now_utc();
    let mut db = client(&store.pool).await?;
    let tx = db.transaction().await.map_err(failed("starting a secret write"))?;
    let row = tx
        .query_one(
            &statement(&tx, UPSERT).await?,
            &[&org.as_str(), &write.name.as_str(), &write.description, &now, &write.actor],
        )
        .await
        .map_err(failed("writing a secret"))?;
    let (meta, seq) = read(&row, |row| Ok((secret_from_row(row)?, row.int(6)?)))?;
    let event = write.event(org, meta.version);
    let sealed = (write.seal)(meta.version);
    let insert = statement(
        &tx,
        "INSERT INTO secret_versions (secret_seq, version, nonce, ciphertext, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .await?;
    tx.execute(&insert, &[&seq, &meta.version, &sealed.nonce, &sealed.ciphertext, &now, &write.actor])
        .await
        .map_err(failed("writing a secret version"))?;
    insert_audit_if(&tx, event).await?;
    tx.commit().await.map_err(failed("committing a secret write"))?;
    let created = meta.version == 1;
    Ok((meta, created))
}

async fn create_key(
    store: &PostgresStore,
    org: &OrganizationId,
    wrapped: SealedBlob,
    fingerprint: &str,
) -> Result<SealedBlob, StoreError> {
    let mut db = client(&store.pool).await?;
    let tx = db.transaction().await.map_err(failed("starting a data key write"))?;
    // Shared: key creations run side by side, a rotation waits for them.
    check_fingerprint(recorded_fingerprint(&tx, "FOR SHARE").await?.as_deref(), fingerprint)?;
    let insert = statement(
        &tx,
        "INSERT INTO vault_data_keys (organization_id, nonce, wrapped_key, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id) DO NOTHING",
    )
    .await?;
    tx.execute(&insert, &[&org.as_str(), &wrapped.nonce, &wrapped.ciphertext, &now_utc()])
        .await
        .map_err(failed("writing a data key"))?;
    // A new statement sees the winner's key, whoever stored it.
    let stored = read_key(&tx, org)
        .await?
        .ok_or(StoreError::NotFound(Missing::Record("the organization's data key")))?;
    tx.commit().await.map_err(failed("committing a data key"))?;
    Ok(stored)
}

async fn read_key(db: &impl GenericClient, org: &OrganizationId) -> Result<Option<SealedBlob>, StoreError> {
    let select =
        statement(db, "SELECT nonce, wrapped_key FROM vault_data_keys WHERE organization_id = $1").await?;
    let row = db.query_opt(&select, &[&org.as_str()]).await.map_err(failed("reading a data key"))?;
    row.map(|row| read(&row, |row| blob_from_row(row, 0))).transpose()
}

async fn read_keys(db: &impl GenericClient) -> Result<Vec<(OrganizationId, SealedBlob)>, StoreError> {
    let select = statement(db, &format!("SELECT {DATA_KEY_COLUMNS} FROM vault_data_keys")).await?;
    let rows = db.query(&select, &[]).await.map_err(failed("reading data keys"))?;
    rows.iter().map(|row| read(row, data_key_from_row)).collect()
}

async fn rewrap(
    store: &PostgresStore,
    old: &str,
    new: &str,
    rewrap_one: Rewrap,
) -> Result<usize, StoreError> {
    let mut db = client(&store.pool).await?;
    let tx = db.transaction().await.map_err(failed("starting a key rotation"))?;
    // Exclusive: no key is created, and no other rotation runs, until commit.
    check_fingerprint(recorded_fingerprint(&tx, "FOR UPDATE").await?.as_deref(), old)?;
    let keys = read_keys(&tx).await?;
    let update =
        statement(&tx, "UPDATE vault_data_keys SET nonce = $2, wrapped_key = $3 WHERE organization_id = $1")
            .await?;
    for (org, wrapped) in &keys {
        // Returning early drops the transaction, which rolls every key back.
        let rewrapped =
            rewrap_one(org, wrapped).map_err(|e| StoreError::other("re-wrapping a data key", e))?;
        tx.execute(&update, &[&org.as_str(), &rewrapped.nonce, &rewrapped.ciphertext])
            .await
            .map_err(failed("storing a re-wrapped key"))?;
    }
    let record = statement(&tx, "UPDATE vault_meta SET value = $2 WHERE name = $1").await?;
    tx.execute(&record, &[&FINGERPRINT, &new]).await.map_err(failed("recording the new fingerprint"))?;
    tx.commit().await.map_err(failed("committing a key rotation"))?;
    Ok(keys.len())
}

#[async_trait]
impl SecretStore for PostgresStore {
    async fn init_vault_fingerprint(&self, fingerprint: &str) -> Result<String, StoreError> {
        let db = client(&self.pool).await?;
        // Replicas starting at once: the first insert wins, and everyone
        // reads back the winner's.
        let insert = statement(
            &db,
            "INSERT INTO vault_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .await?;
        db.execute(&insert, &[&FINGERPRINT, &fingerprint])
            .await
            .map_err(failed("recording the fingerprint"))?;
        recorded_fingerprint(&db, "")
            .await?
            .ok_or(StoreError::NotFound(Missing::Record("the vault's fingerprint")))
    }

    async fn data_key(&self, org: &OrganizationId) -> Result<Option<SealedBlob>, StoreError> {
        read_key(&client(&self.pool).await?, org).await
    }

    async fn all_data_keys(&self) -> Result<Vec<(OrganizationId, SealedBlob)>, StoreError> {
        read_keys(&client(&self.pool).await?).await
    }

    async fn create_data_key(
        &self,
        org: &OrganizationId,
        wrapped: SealedBlob,
        fingerprint: &str,
    ) -> Result<SealedBlob, StoreError> {
        create_key(self, org, wrapped, fingerprint).await
    }

    async fn rewrap_data_keys(&self, old: &str, new: &str, rewrap_one: Rewrap) -> Result<usize, StoreError> {
        rewrap(self, old, new, rewrap_one).await
    }

    async fn put_secret(
        &self,
        org: &OrganizationId,
        write: SecretWrite,
    ) -> Result<(SecretMeta, bool), StoreError> {
        put(self, org, write).await
    }

    async fn list_secrets(&self, org: &OrganizationId) -> Result<Vec<SecretMeta>, StoreError> {
        let db = client(&self.pool).await?;
        let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE organization_id = $1 ORDER BY name");
        let rows = db
            .query(&statement(&db, &sql).await?, &[&org.as_str()])
            .await
            .map_err(failed("listing secrets"))?;
        rows.iter().map(|row| read(row, secret_from_row)).collect()
    }

    async fn secret_value(
        &self,
        org: &OrganizationId,
        name: &SecretName,
    ) -> Result<(i64, SealedBlob), StoreError> {
        let db = client(&self.pool).await?;
        let select = statement(
            &db,
            "SELECT v.version, v.nonce, v.ciphertext FROM secrets s \
             JOIN secret_versions v ON v.secret_seq = s.seq AND v.version = s.current_version \
             WHERE s.organization_id = $1 AND s.name = $2",
        )
        .await?;
        let row = db
            .query_opt(&select, &[&org.as_str(), &name.as_str()])
            .await
            .map_err(failed("reading a secret"))?
            .ok_or_else(|| StoreError::NotFound(Missing::Secret(name.to_string())))?;
        read(&row, |row| Ok((row.int(0)?, blob_from_row(row, 1)?)))
    }

    async fn secret_values(
        &self,
        org: &OrganizationId,
        names: &[SecretName],
    ) -> Result<Vec<(SecretName, i64, SealedBlob)>, StoreError> {
        let Some(query) = secret_values(DIALECT, org, names) else { return Ok(Vec::new()) };
        all(&client(&self.pool).await?, &query, "reading secrets", secret_value_from_row).await
    }

    async fn secret_versions(
        &self,
        org: &OrganizationId,
        name: &SecretName,
    ) -> Result<Vec<SecretVersionMeta>, StoreError> {
        let db = client(&self.pool).await?;
        // Every secret has a version (both are written in one transaction),
        // so no rows means no secret, and one statement reads both at once.
        let select = statement(
            &db,
            &format!(
                "SELECT {SECRET_VERSION_COLUMNS} FROM secrets s JOIN secret_versions v ON v.secret_seq = s.seq \
                 WHERE s.organization_id = $1 AND s.name = $2 ORDER BY v.version DESC"
            ),
        )
        .await?;
        let rows = db
            .query(&select, &[&org.as_str(), &name.as_str()])
            .await
            .map_err(failed("listing secret versions"))?;
        if rows.is_empty() {
            return Err(StoreError::NotFound(Missing::Secret(name.to_string())));
        }
        rows.iter().map(|row| read(row, secret_version_from_row)).collect()
    }

    async fn delete_secret(
        &self,
        org: &OrganizationId,
        name: &SecretName,
        change: Change,
    ) -> Result<(), StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a secret delete"))?;
        // Versions go with the secret (ON DELETE CASCADE).
        let delete = statement(&tx, "DELETE FROM secrets WHERE organization_id = $1 AND name = $2").await?;
        let removed = tx
            .execute(&delete, &[&org.as_str(), &name.as_str()])
            .await
            .map_err(failed("deleting a secret"))?;
        if removed == 0 {
            return Err(StoreError::NotFound(Missing::Secret(name.to_string())));
        }
        let event = change.secret_delete_event(org, name);
        insert_audit_if(&tx, event).await?;
        tx.commit().await.map_err(failed("committing a secret delete"))
    }
}
