//! Conformance cases for console sessions. The token blob is a stand-in:
//! the store treats it as opaque, and sealing is the vault crate's to test.
use crate::{ConsoleSession, SealedBlob, Store};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Whole seconds, as a token's `exp` is, so both backends store it exactly.
fn at(seconds_from_now: i64) -> OffsetDateTime {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    OffsetDateTime::from_unix_timestamp(now + seconds_from_now).unwrap()
}

fn session(id: u8, expires_at: OffsetDateTime) -> ConsoleSession {
    ConsoleSession {
        id_hash: vec![id; 32],
        token: SealedBlob { nonce: vec![id; 24], ciphertext: format!("sealed {id}").into_bytes() },
        created_at: at(-60),
        expires_at,
    }
}

pub async fn sessions_are_created_read_and_deleted(store: Arc<dyn Store>) {
    let (one, two) = (session(1, at(3600)), session(2, at(7200)));
    store.create_session(one.clone()).await.unwrap();
    store.create_session(two.clone()).await.unwrap();
    let now = at(0);
    assert_eq!(store.get_session(&one.id_hash, now).await.unwrap(), Some(one.clone()));
    assert_eq!(store.get_session(&two.id_hash, now).await.unwrap(), Some(two.clone()));
    assert_eq!(store.get_session(&[9; 32], now).await.unwrap(), None);

    let mut clash = session(1, at(60));
    clash.token.ciphertext = b"another".to_vec();
    assert!(store.create_session(clash).await.is_err(), "a hash in use is never overwritten");
    assert_eq!(store.get_session(&one.id_hash, now).await.unwrap(), Some(one.clone()));

    assert!(store.delete_session(&one.id_hash).await.unwrap());
    assert!(!store.delete_session(&one.id_hash).await.unwrap(), "already ended");
    assert_eq!(store.get_session(&one.id_hash, now).await.unwrap(), None);
    assert_eq!(store.get_session(&two.id_hash, now).await.unwrap(), Some(two), "others stay");
}

pub async fn expired_sessions_are_not_returned_and_are_purged(store: Arc<dyn Store>) {
    let (expired, live) = (session(1, at(-1)), session(2, at(3600)));
    store.create_session(expired.clone()).await.unwrap();
    store.create_session(live.clone()).await.unwrap();
    let now = at(0);
    assert_eq!(store.get_session(&expired.id_hash, now).await.unwrap(), None, "expired, before any purge");
    assert_eq!(store.get_session(&live.id_hash, now).await.unwrap(), Some(live.clone()));
    // A session ends at its expiry instant, not a moment later.
    assert_eq!(store.get_session(&live.id_hash, live.expires_at).await.unwrap(), None);

    assert_eq!(store.purge_sessions(now).await.unwrap(), 1);
    assert_eq!(store.purge_sessions(now).await.unwrap(), 0, "a purge is idempotent");
    assert!(!store.delete_session(&expired.id_hash).await.unwrap(), "the expired row is gone");
    assert_eq!(store.get_session(&live.id_hash, now).await.unwrap(), Some(live.clone()));
    assert_eq!(store.purge_sessions(live.expires_at + Duration::seconds(1)).await.unwrap(), 1);
    assert!(!store.delete_session(&live.id_hash).await.unwrap());
}
