//! The deliverer every server runs. Each pass (every `PASS_EVERY`) first
//! fans out: it queues a delivery for each audit event a webhook receives
//! that occurred since the previous pass began (less `WINDOW`, for
//! transactions that commit after events numbered later), keyed by webhook
//! and event so that replicas and overlapping passes queue each once. Then
//! it claims what is due and sends each delivery in a task of its own, so a
//! slow receiver holds up nothing but itself; an organization has at most
//! `PER_ORGANIZATION` attempts in flight on a server, so one organization's
//! slow receiver cannot take every slot from the others.
use super::guard::{GuardedResolver, check_literal};
use super::signing::signature;
use crate::state::AppState;
use patchbay_domain::{OrganizationId, now_utc};
use patchbay_store::{
    ClaimLimits, Delivery, DeliveryOutcome, DeliveryState, Missing, StoreError, delivery_retry_at,
};
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

/// How often a server looks for new events and due deliveries: an event
/// is on its way within this of being committed.
pub const PASS_EVERY: Duration = Duration::from_secs(1);

/// How far before the previous pass's start each fan-out looks again.
const WINDOW: time::Duration = time::Duration::seconds(30);

/// How far back the first pass after a start looks: events a server
/// committed just before it stopped, before its deliverer queued them.
const AT_START: time::Duration = time::Duration::hours(1);

/// The most deliveries one fan-out query queues; a full batch goes again.
const FAN_OUT_BATCH: u32 = 500;

/// The longest one attempt may take, connecting and answering included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Attempts in flight on this server at once, in all and per organization.
const IN_FLIGHT: usize = 64;
const PER_ORGANIZATION: usize = 4;

/// The deliverer's state across passes.
struct Deliverer {
    state: AppState,
    client: reqwest::Client,
    slots: Arc<Semaphore>,
    /// Each organization's slots; an entry no attempt holds is dropped.
    organizations: Mutex<HashMap<OrganizationId, Arc<Semaphore>>>,
    /// Where the next fan-out starts looking.
    since: Mutex<time::OffsetDateTime>,
}

impl Deliverer {
    fn new(state: AppState) -> Self {
        let client = reqwest::Client::builder()
            // Only checked addresses: names through the guard, never through
            // a proxy that would resolve them itself, and no redirect to
            // somewhere the guard never saw.
            .dns_resolver(Arc::new(GuardedResolver { allow_private: state.webhooks.allow_private }))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(ATTEMPT_TIMEOUT)
            .build()
            .expect("a client with these settings always builds");
        Self {
            state,
            client,
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
            organizations: Mutex::default(),
            since: Mutex::new(now_utc() - AT_START),
        }
    }

    /// Queues what happened since the last pass; the window moves on only
    /// once everything found was queued.
    async fn fan_out(&self) {
        let started = now_utc();
        let since = *self.since.lock().unwrap_or_else(|e| e.into_inner());
        let mut queued = 0;
        loop {
            match self.state.store.queue_deliveries(since, started, FAN_OUT_BATCH).await {
                Ok(count) => {
                    queued += count;
                    if count < u64::from(FAN_OUT_BATCH) {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "queueing webhook deliveries failed; trying again shortly");
                    return;
                }
            }
        }
        if queued > 0 {
            tracing::debug!(queued, "webhook deliveries queued");
        }
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = started - WINDOW;
    }

    /// The organization's slots, made on its first attempt.
    fn organization_slots(&self, org: &OrganizationId) -> Arc<Semaphore> {
        let mut organizations = self.organizations.lock().unwrap_or_else(|e| e.into_inner());
        organizations.entry(org.clone()).or_insert_with(|| Arc::new(Semaphore::new(PER_ORGANIZATION))).clone()
    }

    /// The organizations with no slot free (to skip in the next claim);
    /// entries no attempt holds any more are dropped on the way.
    fn busy_organizations(&self) -> Vec<OrganizationId> {
        let mut organizations = self.organizations.lock().unwrap_or_else(|e| e.into_inner());
        organizations.retain(|_, slots| Arc::strong_count(slots) > 1);
        organizations
            .iter()
            .filter(|(_, slots)| slots.available_permits() == 0)
            .map(|(org, _)| org.clone())
            .collect()
    }

    /// Claims what is due and starts an attempt at each in `attempts`.
    async fn start_due(self: &Arc<Self>, attempts: &mut JoinSet<()>) {
        let free = self.slots.available_permits();
        if free == 0 {
            return;
        }
        let limits = ClaimLimits {
            total: u32::try_from(free).unwrap_or(u32::MAX),
            per_organization: PER_ORGANIZATION as u32,
            skip: self.busy_organizations(),
        };
        let due = match self.state.store.claim_deliveries(now_utc(), &limits).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "claiming webhook deliveries failed; trying again shortly");
                return;
            }
        };
        for delivery in due {
            let deliverer = self.clone();
            let organization = self.organization_slots(&delivery.organization_id);
            let slots = self.slots.clone();
            attempts.spawn(async move {
                // Claimed only while both had slots free, so a wait is short:
                // at most one attempt's timeout. The organization's slot is
                // taken first, so a wait for it holds none of the others'.
                let Ok(_organization) = organization.acquire_owned().await else { return };
                let Ok(_slot) = slots.acquire_owned().await else { return };
                deliverer.attempt(delivery).await;
            });
        }
    }

    /// One attempt at a claimed delivery, recorded whatever happens.
    async fn attempt(&self, delivery: Delivery) {
        let org = delivery.organization_id.clone();
        let outcome = match self.send(&delivery).await {
            Ok(outcome) => outcome,
            // Deleted with its webhook while it was claimed.
            Err(None) => return,
            Err(Some(error)) => self.failure(&delivery, None, error),
        };
        let label = match &outcome {
            DeliveryOutcome::Delivered { .. } => "delivered",
            DeliveryOutcome::Failed { retry_at: Some(_), .. } => "retried",
            DeliveryOutcome::Failed { retry_at: None, .. } => "failed",
        };
        self.state
            .metrics
            .counter(
                "patchbay_webhook_deliveries_total",
                "Webhook delivery attempts by outcome: delivered, retried (failed, tried again later), failed (every attempt spent)",
                &[("outcome", label)],
            )
            .inc();
        match self.state.store.finish_delivery(&org, delivery.id, outcome, now_utc()).await {
            Ok(Some(finished)) if finished.state == DeliveryState::Failed => tracing::warn!(
                delivery = %delivery.id, webhook = %delivery.webhook_id, attempts = finished.attempts,
                error = finished.last_error.as_deref().unwrap_or_default(),
                "a webhook delivery failed for good"
            ),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(delivery = %delivery.id, %error, "recording a webhook delivery failed; it is sent again once its claim lapses")
            }
        }
    }

    /// Sends the delivery's body to its webhook, signed with the webhook's
    /// secret. `Err(None)`: the webhook is gone; `Err(Some(..))`: the
    /// attempt could not be made.
    async fn send(&self, delivery: &Delivery) -> Result<DeliveryOutcome, Option<String>> {
        let org = &delivery.organization_id;
        let webhook = match self.state.store.get_webhook(org, delivery.webhook_id).await {
            Ok(webhook) => webhook,
            Err(StoreError::NotFound(Missing::Webhook)) => return Err(None),
            Err(error) => return Err(Some(format!("reading the webhook failed: {error}"))),
        };
        let secret = self
            .state
            .vault
            .open_webhook_secret(org, webhook.id, &webhook.secret)
            .await
            .map_err(|error| Some(format!("opening the webhook's secret failed: {error:?}")))?;
        let url = Url::parse(&webhook.url)
            .map_err(|error| Some(format!("the stored URL is unreadable: {error}")))?;
        // Names are checked by the client's resolver; IP literals and
        // `localhost` never reach it.
        check_literal(&url, self.state.webhooks.allow_private).map_err(Some)?;
        let sent = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("patchbay-webhooks/", env!("CARGO_PKG_VERSION")))
            .header("X-Patchbay-Event", delivery.event_type.as_str())
            .header("X-Patchbay-Delivery", delivery.id.to_string())
            .header("X-Patchbay-Signature", signature(&secret, delivery.body.as_bytes()))
            .body(delivery.body.clone())
            .send()
            .await;
        Ok(match sent {
            Ok(answer) if answer.status().is_success() => {
                DeliveryOutcome::Delivered { status: answer.status().as_u16() }
            }
            Ok(answer) => {
                let status = answer.status();
                let why = if status.is_redirection() {
                    format!("the receiver answered {status} (redirects are not followed)")
                } else {
                    format!("the receiver answered {status}")
                };
                self.failure(delivery, Some(status.as_u16()), why)
            }
            Err(error) => self.failure(delivery, None, describe(&error)),
        })
    }

    fn failure(&self, delivery: &Delivery, status: Option<u16>, error: String) -> DeliveryOutcome {
        let base =
            time::Duration::try_from(self.state.webhooks.retry_base).unwrap_or(time::Duration::seconds(10));
        let retry_at = delivery_retry_at(delivery.attempts, now_utc(), base);
        DeliveryOutcome::Failed { status, error, retry_at }
    }
}

/// Why no answer came, without the URL (it may carry a token in its path)
/// and with the cause the client's error wraps.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs());
    }
    let mut text =
        if error.is_connect() { "connecting failed".to_owned() } else { "sending failed".to_owned() };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Runs a pass now and then every `PASS_EVERY`, for the life of the
/// process. Aborting the task ends the attempts in flight too (each is sent
/// again once its claim lapses).
pub fn spawn_deliverer(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let deliverer = Arc::new(Deliverer::new(state));
        let mut attempts = JoinSet::new();
        let mut tick = tokio::time::interval(PASS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            while attempts.try_join_next().is_some() {}
            deliverer.fan_out().await;
            deliverer.start_due(&mut attempts).await;
        }
    })
}
