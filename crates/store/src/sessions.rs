//! Web console sessions, kept in the database so that they outlive a
//! restart and every replica behind a load balancer honours them.
//!
//! A row never holds what would let its reader act as the user: it is keyed
//! by a hash of the session id (the browser's cookie), never the id, and the
//! user's token is sealed under a key derived from that id (see
//! `patchbay_vault::seal_session_token`), so only the cookie's holder can open it.
//! Sessions are not scoped to an organization: a session is found by its id
//! before anyone knows whose it is; the token it opens to names the
//! organization.
use crate::{SealedBlob, StoreError};
use async_trait::async_trait;
use time::OffsetDateTime;

/// One console session, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// SHA-256 of the session id.
    pub id_hash: Vec<u8>,
    /// The user's token, sealed under a key derived from the session id.
    pub token: SealedBlob,
    pub created_at: OffsetDateTime,
    /// The token's own expiry: a session never outlives its token, and does
    /// not slide (the console has no idle timeout).
    pub expires_at: OffsetDateTime,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session. Ids are random, so a second session with the
    /// same hash is a failure, never an overwrite.
    async fn create_session(&self, session: ConsoleSession) -> Result<(), StoreError>;

    /// The session of that hash, unless it has expired at `now`.
    async fn get_session(
        &self,
        id_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<ConsoleSession>, StoreError>;

    /// Ends the session (sign-out); `true` when there was one.
    async fn delete_session(&self, id_hash: &[u8]) -> Result<bool, StoreError>;

    /// Removes every session that has expired at `now`; returns how many.
    async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}
