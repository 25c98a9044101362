use crate::SqliteStore;
use crate::audit::insert_audit_if;
use crate::sql::{DIALECT, all, read};
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{OrganizationId, SecretMeta, SecretName, SecretVersionMeta, now_utc};
use patchbay_store::sql::{
    DATA_KEY_COLUMNS, SECRET_COLUMNS, SECRET_VERSION_COLUMNS, blob_from_row, data_key_from_row,
    secret_from_row, secret_value_from_row, secret_values, secret_version_from_row,
};
use patchbay_store::{
    Change, Missing, Rewrap, SealedBlob, SecretStore, SecretWrite, StoreError, check_fingerprint, failed,
};
use rusqlite::{Connection, OptionalExtension, params};

const FINGERPRINT: &str = "master_key_fingerprint";

fn recorded_fingerprint(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM vault_meta WHERE name = ?1")?
        .query_row([FINGERPRINT], |row| row.get(0))
        .optional()
}

fn secret_seq(conn: &Connection, org: &OrganizationId, name: &SecretName) -> Result<i64, StoreError> {
    conn.prepare_cached("SELECT seq FROM secrets WHERE organization_id = ?1 AND name = ?2")
        .and_then(|mut s| s.query_row(params![org.as_str(), name.as_str()], |row| row.get(0)).optional())
        .map_err(failed("finding a secret"))?
        .ok_or_else(|| StoreError::NotFound(Missing::Secret(name.to_string())))
}

fn put(
    conn: &mut Connection,
    org: &OrganizationId,
    write: SecretWrite,
) -> Result<(SecretMeta, bool), StoreError> {
    let now = micros(now_utc());
    let tx = conn.savepoint().map_err(failed("starting a secret write"))?;
    // The upsert takes the next version under the writer lock, so
    // concurrent writes of one name get consecutive versions.
    let (seq, version): (i64, i64) = tx
        .query_row(
            "INSERT INTO secrets (organization_id, name, description, current_version, created_at, updated_at, created_by) \
             VALUES (?1, ?2, ?3, 1, ?4, ?4, ?5) \
             ON CONFLICT (organization_id, name) DO UPDATE SET \
                 current_version = current_version + 1, updated_at = ?4, \
                 description = COALESCE(?3, description) \
             RETURNING seq, current_version",
            params![org.as_str(), write.name.as_str(), write.description, now, write.actor],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(failed("writing a secret"))?;
    let event = write.event(org, version);
    let sealed = (write.seal)(version);
    tx.execute(
        "INSERT INTO secret_versions (secret_seq, version, nonce, ciphertext, created_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, version, sealed.nonce, sealed.ciphertext, now, write.actor],
    )
    .map_err(failed("writing a secret version"))?;
    let meta = tx
        .query_row(
            &format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE seq = ?1"),
            [seq],
            read(secret_from_row),
        )
        .map_err(failed("reading a secret back"))?;
    insert_audit_if(&tx, event)?;
    tx.commit().map_err(failed("committing a secret write"))?;
    Ok((meta, version == 1))
}

fn rewrap(conn: &mut Connection, old: &str, new: &str, rewrap: &Rewrap) -> Result<usize, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a key rotation"))?;
    check_fingerprint(recorded_fingerprint(&tx).map_err(failed("reading the fingerprint"))?.as_deref(), old)?;
    let keys = read_data_keys(&tx).map_err(failed("reading data keys"))?;
    for (org, wrapped) in &keys {
        let rewrapped = rewrap(org, wrapped).map_err(|e| StoreError::other("re-wrapping a data key", e))?;
        tx.execute(
            "UPDATE vault_data_keys SET nonce = ?2, wrapped_key = ?3 WHERE organization_id = ?1",
            params![org.as_str(), rewrapped.nonce, rewrapped.ciphertext],
        )
        .map_err(failed("storing a re-wrapped key"))?;
    }
    tx.execute("UPDATE vault_meta SET value = ?2 WHERE name = ?1", params![FINGERPRINT, new])
        .map_err(failed("recording the new fingerprint"))?;
    tx.commit().map_err(failed("committing a key rotation"))?;
    Ok(keys.len())
}

fn read_data_keys(conn: &Connection) -> rusqlite::Result<Vec<(OrganizationId, SealedBlob)>> {
    let mut statement = conn.prepare_cached(&format!("SELECT {DATA_KEY_COLUMNS} FROM vault_data_keys"))?;
    let rows = statement.query_map([], read(data_key_from_row))?;
    rows.collect()
}

#[async_trait]
impl SecretStore for SqliteStore {
    async fn init_vault_fingerprint(&self, fingerprint: &str) -> Result<String, StoreError> {
        let fingerprint = fingerprint.to_owned();
        self.pool
            .write(move |conn| {
                conn.execute(
                    "INSERT INTO vault_meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                    params![FINGERPRINT, fingerprint],
                )
                .map_err(failed("recording the fingerprint"))?;
                recorded_fingerprint(conn)
                    .map_err(failed("reading the fingerprint"))?
                    .ok_or(StoreError::NotFound(Missing::Record("the vault's fingerprint")))
            })
            .await
    }

    async fn data_key(&self, org: &OrganizationId) -> Result<Option<SealedBlob>, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(
                    "SELECT nonce, wrapped_key FROM vault_data_keys WHERE organization_id = ?1",
                )?
                .query_row([org.as_str()], read(|row| blob_from_row(row, 0)))
                .optional()
            })
            .map_err(failed("reading a data key"))
    }

    async fn all_data_keys(&self) -> Result<Vec<(OrganizationId, SealedBlob)>, StoreError> {
        self.pool.read(read_data_keys).map_err(failed("reading data keys"))
    }

    async fn create_data_key(
        &self,
        org: &OrganizationId,
        wrapped: SealedBlob,
        fingerprint: &str,
    ) -> Result<SealedBlob, StoreError> {
        let (org, fingerprint) = (org.clone(), fingerprint.to_owned());
        self.pool
            .write(move |conn| {
                let tx = conn.savepoint().map_err(failed("starting a data key write"))?;
                let recorded = recorded_fingerprint(&tx).map_err(failed("reading the fingerprint"))?;
                check_fingerprint(recorded.as_deref(), &fingerprint)?;
                tx.execute(
                    "INSERT INTO vault_data_keys (organization_id, nonce, wrapped_key, created_at) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (organization_id) DO NOTHING",
                    params![org.as_str(), wrapped.nonce, wrapped.ciphertext, micros(now_utc())],
                )
                .map_err(failed("writing a data key"))?;
                let stored = tx
                    .query_row(
                        "SELECT nonce, wrapped_key FROM vault_data_keys WHERE organization_id = ?1",
                        [org.as_str()],
                        read(|row| blob_from_row(row, 0)),
                    )
                    .map_err(failed("reading a data key back"))?;
                tx.commit().map_err(failed("committing a data key"))?;
                Ok(stored)
            })
            .await
    }

    async fn rewrap_data_keys(&self, old: &str, new: &str, rewrap_one: Rewrap) -> Result<usize, StoreError> {
        let (old, new) = (old.to_owned(), new.to_owned());
        self.pool.write(move |conn| rewrap(conn, &old, &new, &rewrap_one)).await
    }

    async fn put_secret(
        &self,
        org: &OrganizationId,
        write: SecretWrite,
    ) -> Result<(SecretMeta, bool), StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| put(conn, &org, write)).await
    }

    async fn list_secrets(&self, org: &OrganizationId) -> Result<Vec<SecretMeta>, StoreError> {
        let org = org.clone();
        self.pool
            .scan(move |conn| {
                let list = || -> rusqlite::Result<Vec<SecretMeta>> {
                    let mut statement = conn.prepare_cached(&format!(
                        "SELECT {SECRET_COLUMNS} FROM secrets WHERE organization_id = ?1 ORDER BY name"
                    ))?;
                    let rows = statement.query_map([org.as_str()], read(secret_from_row))?;
                    rows.collect()
                };
                list().map_err(failed("listing secrets"))
            })
            .await
    }

    async fn secret_value(
        &self,
        org: &OrganizationId,
        name: &SecretName,
    ) -> Result<(i64, SealedBlob), StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(
                    "SELECT v.version, v.nonce, v.ciphertext FROM secrets s \
                     JOIN secret_versions v ON v.secret_seq = s.seq AND v.version = s.current_version \
                     WHERE s.organization_id = ?1 AND s.name = ?2",
                )?
                .query_row(
                    params![org.as_str(), name.as_str()],
                    read(|row| Ok((row.int(0)?, blob_from_row(row, 1)?))),
                )
                .optional()
            })
            .map_err(failed("reading a secret"))?
            .ok_or_else(|| StoreError::NotFound(Missing::Secret(name.to_string())))
    }

    async fn secret_values(
        &self,
        org: &OrganizationId,
        names: &[SecretName],
    ) -> Result<Vec<(SecretName, i64, SealedBlob)>, StoreError> {
        let Some(query) = secret_values(DIALECT, org, names) else { return Ok(Vec::new()) };
        self.pool.read(|conn| all(conn, &query, secret_value_from_row)).map_err(failed("reading secrets"))
    }

    async fn secret_versions(
        &self,
        org: &OrganizationId,
        name: &SecretName,
    ) -> Result<Vec<SecretVersionMeta>, StoreError> {
        self.pool.read(|conn| {
            let seq = secret_seq(conn, org, name)?;
            let read = || -> rusqlite::Result<Vec<SecretVersionMeta>> {
                let mut statement = conn.prepare_cached(&format!(
                    "SELECT {SECRET_VERSION_COLUMNS} FROM secret_versions v \
                     WHERE v.secret_seq = ?1 ORDER BY v.version DESC"
                ))?;
                let rows = statement.query_map([seq], read(secret_version_from_row))?;
                rows.collect()
            };
            read().map_err(failed("listing secret versions"))
        })
    }

    async fn delete_secret(
        &self,
        org: &OrganizationId,
        name: &SecretName,
        change: Change,
    ) -> Result<(), StoreError> {
        let (org, name) = (org.clone(), name.clone());
        self.pool
            .write(move |conn| {
                let tx = conn.savepoint().map_err(failed("starting a secret delete"))?;
                let removed = tx
                    .execute(
                        "DELETE FROM secrets WHERE organization_id = ?1 AND name = ?2",
                        params![org.as_str(), name.as_str()],
                    )
                    .map_err(failed("deleting a secret"))?;
                if removed == 0 {
                    return Err(StoreError::NotFound(Missing::Secret(name.to_string())));
                }
                let event = change.secret_delete_event(&org, &name);
                insert_audit_if(&tx, event)?;
                tx.commit().map_err(failed("committing a secret delete"))
            })
            .await
    }
}
