//! Console sessions on SQLite: written through the writer, read inline.
use crate::SqliteStore;
use crate::time_codec::{from_micros, micros};
use async_trait::async_trait;
use patchbay_store::{ConsoleSession, SealedBlob, SessionStore, StoreError, failed};
use rusqlite::{OptionalExtension, Row, params};
use time::OffsetDateTime;

fn from_row(row: &Row<'_>) -> rusqlite::Result<ConsoleSession> {
    Ok(ConsoleSession {
        id_hash: row.get(0)?,
        token: SealedBlob { nonce: row.get(1)?, ciphertext: row.get(2)? },
        created_at: from_micros(row.get(3)?)?,
        expires_at: from_micros(row.get(4)?)?,
    })
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: ConsoleSession) -> Result<(), StoreError> {
        self.pool
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO console_sessions \
                     (id_hash, token_nonce, token_ciphertext, created_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut insert| {
                    insert.execute(params![
                        session.id_hash,
                        session.token.nonce,
                        session.token.ciphertext,
                        micros(session.created_at),
                        micros(session.expires_at),
                    ])
                })
                .map(drop)
                .map_err(failed("creating a console session"))
            })
            .await
    }

    async fn get_session(
        &self,
        id_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(
                    "SELECT id_hash, token_nonce, token_ciphertext, created_at, expires_at \
                     FROM console_sessions WHERE id_hash = ?1 AND expires_at > ?2",
                )?
                .query_row(params![id_hash, micros(now)], from_row)
                .optional()
            })
            .map_err(failed("reading a console session"))
    }

    async fn delete_session(&self, id_hash: &[u8]) -> Result<bool, StoreError> {
        let id_hash = id_hash.to_vec();
        self.pool
            .write(move |conn| {
                conn.execute("DELETE FROM console_sessions WHERE id_hash = ?1", [id_hash])
                    .map(|removed| removed > 0)
                    .map_err(failed("ending a console session"))
            })
            .await
    }

    async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.pool
            .write(move |conn| {
                conn.execute("DELETE FROM console_sessions WHERE expires_at <= ?1", [micros(now)])
                    .map(|removed| removed as u64)
                    .map_err(failed("purging console sessions"))
            })
            .await
    }
}
