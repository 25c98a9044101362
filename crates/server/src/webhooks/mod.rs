//! Webhooks on the server: the SSRF guard every URL passes (`guard`), the
//! secret and each delivery's signature (`signing`), and the deliverer every
//! server runs (`delivery`): it queues a delivery for each audit event a
//! webhook receives, then sends what is due, retrying failures with backoff.
//!
//! Events come from the audit log, not from the write paths: whatever
//! commits a matching event (an integration's change, a secret's write, a
//! lease's revocation, a test result that moved an integration's health)
//! reaches its webhooks, and a delivery is a row, so it survives a restart.
mod delivery;
pub mod guard;
pub mod signing;

pub use delivery::{PASS_EVERY, spawn_deliverer};

use std::time::Duration;

/// How webhooks behave on this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Whether URLs may reach loopback, private, link-local and other
    /// internal addresses (`--webhook-allow-private`): off, so a webhook
    /// cannot become a way into the server's network.
    pub allow_private: bool,
    /// The wait after a delivery's first failed attempt; each later wait
    /// triples (see `patchbay_store::delivery_retry_at`).
    pub retry_base: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self { allow_private: false, retry_base: Duration::from_secs(10) }
    }
}
