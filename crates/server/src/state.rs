use crate::auth::{AuthFailure, Authenticator, extract_token};
use crate::error::ApiError;
use crate::jobs::JobQueue;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::vault::Vault;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use patchbay_domain::Actor;
use patchbay_store::Store;
use std::sync::Arc;

/// What every handler shares, behind one `Arc`: axum clones the state for
/// each extractor and middleware of every request, and one reference count
/// costs less to clone and drop than one per part (on two cores the counts'
/// cache lines bounced between them).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of `AppState`, read through it.
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub auth: Arc<Authenticator>,
    pub vault: Arc<Vault>,
    /// Connection-test settings and wake-ups.
    pub jobs: Arc<JobQueue>,
    /// Counters and gauges for `/metrics`; any part of the server may add its own.
    pub metrics: Arc<Metrics>,
    pub limits: Arc<Limits>,
    /// When set, `/metrics` answers only to this bearer token.
    pub metrics_token: Option<Arc<crate::auth::MetricsToken>>,
    /// Which addresses webhooks may reach, and their retries.
    pub webhooks: Arc<crate::webhooks::WebhookSettings>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// A state with fresh metrics and the default limits.
    pub fn new(store: Arc<dyn Store>, auth: Arc<Authenticator>, vault: Arc<Vault>) -> Self {
        Self(Arc::new(Shared {
            store,
            auth,
            vault,
            jobs: Arc::default(),
            metrics: Arc::default(),
            limits: Arc::default(),
            metrics_token: None,
            webhooks: Arc::default(),
        }))
    }

    /// The parts, to set one while the state is being built.
    fn parts(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    pub fn with_jobs(mut self, jobs: Arc<JobQueue>) -> Self {
        self.parts().jobs = jobs;
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.parts().limits = Arc::new(limits);
        self
    }

    pub fn with_webhooks(mut self, webhooks: crate::webhooks::WebhookSettings) -> Self {
        self.parts().webhooks = Arc::new(webhooks);
        self
    }

    pub fn with_metrics_token(mut self, token: Option<crate::auth::MetricsToken>) -> Self {
        self.parts().metrics_token = token.map(Arc::new);
        self
    }
}

/// 403 unless `allowed`, naming the caller's role, the action and who may.
pub fn require(actor: &Actor, allowed: bool, action: &str, who: &str) -> Result<(), ApiError> {
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("Role '{}' cannot {action}; {who} token is required", actor.role)))
    }
}

/// `require` for what only admins may do.
pub fn require_admin(actor: &Actor, action: &str) -> Result<(), ApiError> {
    require(actor, actor.role == patchbay_domain::Role::Admin, action, "an admin")
}

/// The authenticated caller. Handlers take `Result<Caller, ApiError>` and
/// unwrap it themselves, so that a body that is not JSON is refused (422)
/// before authentication, as the reference does.
pub struct Caller(pub Actor);

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let actor = match parts.extensions.get::<Verified>() {
            Some(Verified(actor)) => actor.clone(),
            None => authenticate(&AppState::from_ref(state), &parts.headers)?,
        };
        tracing::Span::current().record("org", actor.organization.as_str());
        Ok(Self(actor))
    }
}

/// The actor of the request's token, verified once: the rate limit keys on
/// it before the handler runs, and the handler's `Caller` reuses it.
#[derive(Clone)]
pub(crate) struct Verified(pub Actor);

/// The actor the request's token speaks for, or why there is none.
pub(crate) fn authenticate(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Actor, ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let token = extract_token(header("authorization"), header("userkey"))
        .ok_or(ApiError::Unauthorized(AuthFailure::MissingToken))?;
    state.auth.verify(token).map_err(ApiError::Unauthorized)
}
