//! The connection-test queue as the server sees it: settings,
//! in-process wake-ups, and the credential of the embedded worker.
//!
//! Jobs live in the database; this process only keeps two `Notify`s so a
//! waiting request or a long-polling worker wakes the moment something
//! happens here. Other replicas' events are noticed by polling every
//! `POLL_INTERVAL`, so several replicas behind one database work too.
mod approval;
mod claim;
mod embedded;
mod schedule;

pub use approval::{NeedsApproval, approved_for_secrets};
pub use claim::{ClaimOutcome, claimed_job};
pub use embedded::{EMBEDDED_HEADER, EmbeddedCredential};
pub use schedule::{SCHEDULE_EVERY, Scheduled, schedule_due, spawn_scheduler};

use patchbay_store::{Store, StoreError, WorkerScope};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// How often a waiter looks at the database when nothing woke it (events of
/// other replicas).
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Extra time a waiting `POST .../test` gives a test beyond its own timeout:
/// claim, resolution, start-up and the result's round trip.
pub const WAIT_MARGIN: Duration = Duration::from_secs(10);

/// Longest long poll of a claim.
pub const MAX_CLAIM_WAIT: Duration = Duration::from_secs(60);

/// How long a request may wait for something (a test's result, a job to
/// claim): `wanted`, but never so long that the request timeout cuts it into
/// a 504 — the request answers a little before (202 with the job id, or 204
/// for an empty claim), so the caller polls again instead of failing.
pub fn wait_limit(wanted: Duration, request_timeout: Option<Duration>) -> Duration {
    match request_timeout {
        Some(request) => wanted.min(request - (request / 10).min(Duration::from_secs(1))),
        None => wanted,
    }
}

#[derive(Debug, Clone)]
pub struct JobSettings {
    /// `--connection-tests disabled` turns the feature off.
    pub enabled: bool,
    /// How long a claim holds without a heartbeat; workers heartbeat three
    /// times per lease, and a job whose worker went silent this long is
    /// handed to another.
    pub lease: Duration,
    /// The embedded worker's credential, when the server started one.
    pub embedded: Option<EmbeddedCredential>,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self { enabled: true, lease: Duration::from_secs(15), embedded: None }
    }
}

impl JobSettings {
    pub fn heartbeat_interval(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(100))
    }
}

/// The settings and the wake-ups, shared by every handler.
#[derive(Debug, Default)]
pub struct JobQueue {
    pub settings: JobSettings,
    /// A job was queued (or handed back): long-polling claims look again.
    pub queued: Notify,
    /// A job got its result: waiting `POST .../test` requests look again.
    pub finished: Notify,
    closing: AtomicBool,
    /// Workers registered with this process's embedded credential: its own
    /// embedded worker, retired when that process exits.
    embedded: Mutex<Vec<Uuid>>,
}

impl JobQueue {
    pub fn new(settings: JobSettings) -> Self {
        Self { settings, ..Self::default() }
    }

    /// A worker registered with this process's embedded credential.
    pub fn embedded_registered(&self, id: Uuid) {
        self.embedded.lock().unwrap_or_else(|e| e.into_inner()).push(id);
    }

    /// This process's embedded worker exited (or the server is stopping):
    /// it is no longer listed as a worker, and the jobs it held go to the
    /// next claim at once, not when their lease runs out.
    pub async fn embedded_exited(&self, store: &dyn Store) {
        let gone = std::mem::take(&mut *self.embedded.lock().unwrap_or_else(|e| e.into_inner()));
        for id in gone {
            match store.retire_worker(&WorkerScope::Embedded, id).await {
                Ok(()) | Err(StoreError::NotFound(_)) => {}
                Err(error) => tracing::warn!(%error, worker = %id, "could not retire the embedded worker"),
            }
        }
        self.queued.notify_waiters();
    }

    /// The server is stopping: long polls and waiting requests answer now,
    /// so a graceful shutdown does not wait out a 20 s claim.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.queued.notify_waiters();
        self.finished.notify_waiters();
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }
}
