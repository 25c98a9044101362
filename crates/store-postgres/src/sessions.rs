//! Console sessions on PostgreSQL, shared by every replica.
use crate::PostgresStore;
use crate::classify::failed;
use crate::pool::client;
use async_trait::async_trait;
use patchbay_store::{ConsoleSession, SealedBlob, SessionStore, StoreError};
use time::OffsetDateTime;
use tokio_postgres::Row;

fn from_row(row: &Row) -> Result<ConsoleSession, StoreError> {
    let column = |e| StoreError::other("reading a console session column", e);
    Ok(ConsoleSession {
        id_hash: row.try_get(0).map_err(column)?,
        token: SealedBlob {
            nonce: row.try_get(1).map_err(column)?,
            ciphertext: row.try_get(2).map_err(column)?,
        },
        created_at: row.try_get(3).map_err(column)?,
        expires_at: row.try_get(4).map_err(column)?,
    })
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(&self, session: ConsoleSession) -> Result<(), StoreError> {
        let db = client(&self.pool).await?;
        let statement = db
            .prepare_cached(
                "INSERT INTO console_sessions (id_hash, token_nonce, token_ciphertext, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await
            .map_err(failed("preparing a console session write"))?;
        db.execute(
            &statement,
            &[
                &session.id_hash,
                &session.token.nonce,
                &session.token.ciphertext,
                &session.created_at,
                &session.expires_at,
            ],
        )
        .await
        .map_err(failed("creating a console session"))?;
        Ok(())
    }

    async fn get_session(
        &self,
        id_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let db = client(&self.pool).await?;
        let statement = db
            .prepare_cached(
                "SELECT id_hash, token_nonce, token_ciphertext, created_at, expires_at \
                 FROM console_sessions WHERE id_hash = $1 AND expires_at > $2",
            )
            .await
            .map_err(failed("preparing a console session read"))?;
        let row =
            db.query_opt(&statement, &[&id_hash, &now]).await.map_err(failed("reading a console session"))?;
        row.as_ref().map(from_row).transpose()
    }

    async fn delete_session(&self, id_hash: &[u8]) -> Result<bool, StoreError> {
        let db = client(&self.pool).await?;
        let removed = db
            .execute("DELETE FROM console_sessions WHERE id_hash = $1", &[&id_hash])
            .await
            .map_err(failed("ending a console session"))?;
        Ok(removed > 0)
    }

    async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let db = client(&self.pool).await?;
        db.execute("DELETE FROM console_sessions WHERE expires_at <= $1", &[&now])
            .await
            .map_err(failed("purging console sessions"))
    }
}
