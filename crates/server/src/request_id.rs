//! The middleware every request passes: it gets an id (the client's
//! `X-Request-Id`, or a new one) carried by the span all its log lines are
//! written in and echoed in the response; the limits are applied; and its
//! route template, status and latency are counted for `/metrics`.
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// Ids from clients are kept only when short and printable, so a log line
/// cannot be forged or flooded through the header.
fn client_id(request: &Request) -> Option<String> {
    let value = request.headers().get(HEADER)?.to_str().ok()?;
    let acceptable = !value.is_empty()
        && value.len() <= 128
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    acceptable.then(|| value.to_owned())
}

/// The request's id, for handlers (audit events carry it).
#[derive(Debug, Clone, Default)]
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned().unwrap_or_default())
    }
}

pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let id = client_id(&request).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    request.extensions_mut().insert(RequestId(Some(id.clone())));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        org = tracing::field::Empty,
    );
    let started = Instant::now();
    // `Router::layer` runs after routing, so the template is known here;
    // unmatched paths share one label.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let limited = match &state.limits.rate_limit {
        Some(limiter) => match crate::state::authenticate(&state, request.headers()) {
            Ok(actor) => {
                let checked = limiter.check(&actor);
                request.extensions_mut().insert(crate::state::Verified(actor));
                checked
            }
            Err(_) => Ok(()),
        },
        None => Ok(()),
    };
    let mut response = match limited {
        Err(refused) => span.in_scope(|| refused.into_response()),
        Ok(()) => {
            let handled = next.run(request).instrument(span.clone());
            match state.limits.request_timeout {
                Some(limit) => match tokio::time::timeout(limit, handled).await {
                    Ok(response) => response,
                    Err(_) => span.in_scope(|| ApiError::Timeout(limit).into_response()),
                },
                None => handled.await,
            }
        }
    };
    let elapsed = started.elapsed();
    let route = route.as_ref().map_or(crate::metrics::UNMATCHED, |r| r.as_str());
    state.metrics.record_request(route, &method, response.status().as_u16(), elapsed);
    // The access line is debug-level: at tens of thousands of requests a
    // second an info line per request costs a third of the throughput.
    // Mutations and failures are logged at info and above where they
    // happen, inside this span, so they carry the request id too.
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            elapsed_ms = elapsed.as_secs_f64() * 1e3,
            "request finished"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
