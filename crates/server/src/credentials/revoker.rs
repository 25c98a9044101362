//! The revoker: every server revokes the leases nobody revoked, once they
//! expire, and retries failed revocations with backoff. Several servers on
//! one database share the work safely: the store hands each due lease to
//! exactly one of them (`claim_revocations`). It runs once at start, so a
//! server that was down revokes what fell due meanwhile.
use super::leases::finish;
use crate::state::AppState;
use patchbay_domain::now_utc;
use std::time::Duration;

/// How often the revoker looks for due leases: an expired lease is gone
/// within this (plus the revocation's own time) of its expiry.
pub const REVOKE_EVERY: Duration = Duration::from_secs(2);

/// The most leases one pass takes; the next pass takes the rest.
const BATCH: u32 = 32;

/// One pass: revokes every lease due now; returns how many it took.
pub async fn revoke_due(state: &AppState) -> usize {
    let due = match state.store.claim_revocations(now_utc(), BATCH).await {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(%error, "looking for expired leases failed; trying again shortly");
            return 0;
        }
    };
    let count = due.len();
    // Each revocation talks to a database of its own; a slow one must not
    // hold up the rest of the batch.
    let mut revocations = tokio::task::JoinSet::new();
    for lease in due {
        let state = state.clone();
        revocations.spawn(async move {
            let id = lease.id;
            if let Err(error) = finish(&state, lease, None, None).await {
                tracing::warn!(lease = %id, %error, "recording a revocation failed; the lease is taken again later");
            }
        });
    }
    while revocations.join_next().await.is_some() {}
    count
}

/// Runs `revoke_due` now and then every `REVOKE_EVERY`, for the life of the
/// process.
pub fn spawn_revoker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REVOKE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // A full batch means more may be due: go again at once.
            while revoke_due(&state).await == BATCH as usize {}
        }
    })
}
