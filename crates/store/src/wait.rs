//! How long and how many requests may wait for the database. A database
//! that hangs must not pile up requests until each hits the request
//! timeout: past the cap, or past the wait, they are refused at once with
//! `Unavailable::Busy`, which the server answers 503 with `Retry-After`.
use crate::{StoreError, Unavailable};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct WaitLimits {
    /// Longest a request waits for a connection (or the writer).
    pub acquire_timeout: Duration,
    /// Requests that may wait at once; more are refused without waiting.
    pub max_waiting: usize,
}

pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_MAX_WAITING: usize = 128;

impl Default for WaitLimits {
    fn default() -> Self {
        Self { acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT, max_waiting: DEFAULT_MAX_WAITING }
    }
}

/// Counts the requests waiting under one `WaitLimits`.
#[derive(Debug, Default)]
pub struct WaitGate {
    limits: WaitLimits,
    waiting: AtomicUsize,
}

struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl WaitGate {
    pub fn new(limits: WaitLimits) -> Self {
        Self { limits, waiting: AtomicUsize::new(0) }
    }

    /// Runs `acquire` (getting a connection, the writer) within the limits.
    pub async fn acquire<T>(
        &self,
        acquire: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if before >= self.limits.max_waiting {
            return Err(StoreError::unavailable(
                Unavailable::Busy,
                format!("{before} requests already wait for the database"),
            ));
        }
        match tokio::time::timeout(self.limits.acquire_timeout, acquire).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::unavailable(
                Unavailable::Busy,
                format!("no database connection within {} ms", self.limits.acquire_timeout.as_millis()),
            )),
        }
    }

    /// Requests waiting right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}
