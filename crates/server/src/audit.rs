//! The audit log's recording side. Three ways in, one for each kind of event:
//!
//! - A successful write records nothing here: its handler gives the store an
//!   `AuditContext` (`context(..)`, or `Change::of(..)`), and the store
//!   commits the event in the write's own transaction, so a change never
//!   exists without its record.
//! - A read that hands out secret values calls `required(..)` before the
//!   values leave: when the event cannot be written the read fails (503).
//! - Anything else — a refused or failed attempt, a dry run — calls
//!   `failure(..)` or `record(..)`; a failure to record those is logged.
//!
//! Events carry who, what, on which resource, how it ended and the request
//! id; `detail` holds names and ids only, never a value.
use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::state::AppState;
use patchbay_domain::{Actor, AuditEvent, now_utc};
use patchbay_store::Store;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub use patchbay_domain::{AuditAction as Action, AuditOutcome as Outcome};

/// What an event is about.
#[derive(Debug, Clone)]
pub struct Resource {
    kind: &'static str,
    id: Option<String>,
    detail: Map<String, Value>,
}

impl Resource {
    pub fn new(kind: &'static str, id: Option<String>) -> Self {
        Self { kind, id, detail: Map::new() }
    }

    pub fn integration(id: Uuid, name: Option<&str>) -> Self {
        let resource = Self::new("integration", Some(id.to_string()));
        match name {
            Some(name) => resource.with("name", json!(name)),
            None => resource,
        }
    }

    /// An integration named by a path that may not be a valid id.
    pub fn integration_raw(id: &str) -> Self {
        Self::new("integration", Some(id.to_owned()))
    }

    /// A secret, by name: its value never goes into an event.
    pub fn secret(name: &str) -> Self {
        Self::new("secret", Some(name.to_owned()))
    }

    /// A resolution: `detail` says which integrations and secret names.
    pub fn bundle() -> Self {
        Self::new("bundle", None)
    }

    /// Adds a detail (names, ids, numbers; never a value).
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.detail.insert(key.to_owned(), value);
        self
    }
}

/// How a handler's result ends up in the log: a 403 is `denied`, any other
/// error `failed`.
pub fn outcome_of<T>(result: &Result<T, ApiError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Success,
        Err(ApiError::Forbidden(_)) => Outcome::Denied,
        Err(_) => Outcome::Failed,
    }
}

fn event(
    actor: &Actor,
    action: Action,
    resource: Resource,
    outcome: Outcome,
    request_id: &RequestId,
) -> AuditEvent {
    AuditEvent {
        organization_id: actor.organization.clone(),
        occurred_at: now_utc(),
        actor: actor.user_id.clone(),
        actor_role: Some(actor.role.as_str().to_owned()),
        action,
        resource_type: resource.kind.to_owned(),
        resource_id: resource.id,
        outcome,
        request_id: request_id.0.clone(),
        detail: Value::Object(resource.detail).to_string(),
    }
}

/// The recorder, borrowed from the state.
pub struct Audit<'a> {
    store: &'a dyn Store,
}

impl AppState {
    pub fn audit(&self) -> Audit<'_> {
        Audit { store: self.store.as_ref() }
    }
}

impl Audit<'_> {
    pub async fn record(
        &self,
        actor: &Actor,
        action: Action,
        resource: Resource,
        outcome: Outcome,
        request_id: &RequestId,
    ) {
        let event = event(actor, action, resource, outcome, request_id);
        if let Err(error) = self.store.append_audit_event(event).await {
            tracing::error!(%error, action = action.as_str(), "an audit event could not be recorded");
        }
    }
}

impl Audit<'_> {
    /// Records an attempt that changed nothing (refused or failed). A
    /// successful write's event is committed by the store in the write's own
    /// transaction (`patchbay_store::AuditContext`); this records the rest.
    pub async fn failure<T>(
        &self,
        actor: &Actor,
        action: Action,
        resource: Resource,
        result: &Result<T, ApiError>,
        request_id: &RequestId,
    ) {
        if result.is_err() {
            self.record(actor, action, resource, outcome_of(result), request_id).await;
        }
    }
}

impl Audit<'_> {
    /// Records a successful read that hands out secret values, before they
    /// are handed out: if the record cannot be written, the read fails (503)
    /// instead of going unrecorded.
    pub async fn required(
        &self,
        actor: &Actor,
        action: Action,
        resource: Resource,
        request_id: &RequestId,
    ) -> Result<(), ApiError> {
        let event = event(actor, action, resource, Outcome::Success, request_id);
        self.store.append_audit_event(event).await.map_err(|error| {
            tracing::error!(%error, action = action.as_str(), "a read of secret values could not be recorded; refused");
            match ApiError::from(error) {
                unavailable @ ApiError::DatabaseUnavailable(_) => unavailable,
                _ => ApiError::Unavailable(
                    "The audit log cannot be written, so no secret value is handed out; try again".into(),
                ),
            }
        })
    }
}

/// Who asks and in which request, for the event the store commits with a
/// write (see `Audit::failure`).
pub fn context(actor: &Actor, request_id: &RequestId) -> patchbay_store::AuditContext {
    patchbay_store::AuditContext::of(actor, request_id.0.clone())
}

/// How often the retention purge runs.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Removes events older than `retention` now; returns how many.
pub async fn purge_once(store: &dyn Store, retention: Duration) -> Result<u64, patchbay_store::StoreError> {
    let cutoff = now_utc() - retention;
    let removed = store.purge_audit_events(cutoff).await?;
    if removed > 0 {
        tracing::info!(removed, "purged audit events past the retention period");
    }
    Ok(removed)
}

/// Purges at start and then every hour, for as long as the process runs.
/// Every replica may run it: a purge is an idempotent delete.
pub fn spawn_retention(store: Arc<dyn Store>, retention: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_EVERY);
        loop {
            ticks.tick().await;
            if let Err(error) = purge_once(store.as_ref(), retention).await {
                tracing::error!(%error, "the audit retention purge failed");
            }
        }
    })
}
