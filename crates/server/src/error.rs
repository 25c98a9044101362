//! The one error type of every handler, and the one `match` from error to
//! status and body. Internal failures are logged in detail and shown to the
//! client as a generic message.
use crate::auth::AuthFailure;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use patchbay_api_types::{ErrorBody, FieldError, ValidationErrorBody};
use patchbay_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(AuthFailure),
    Forbidden(String),
    NotFound(String),
    /// The service cannot do this now; the message says what the operator must do.
    Unavailable(String),
    Conflict(String),
    /// An `If-Match` / `If-None-Match` precondition did not hold (412).
    PreconditionFailed(String),
    Validation(Vec<FieldError>),
    PayloadTooLarge {
        limit: usize,
    },
    Internal(StoreError),
    /// The request ran longer than the configured timeout.
    Timeout(std::time::Duration),
    /// The database cannot serve now (unreachable, too slow, out of space):
    /// 503 with `Retry-After`.
    DatabaseUnavailable(patchbay_store::Unavailable),
    /// The caller's token went over its rate limit; retry after that many seconds.
    TooManyRequests {
        retry_after: u64,
    },
}

pub const INTEGRATION_NOT_FOUND: &str = "Custom integration not found";
pub const TEST_NOT_FOUND: &str = "Connection test not found";
pub const WORKER_NOT_FOUND: &str = "Worker not found";
pub const LEASE_NOT_FOUND: &str = "Lease not found";
pub const WEBHOOK_NOT_FOUND: &str = "Webhook not found";

/// The one message for each thing a store call may not find. Another
/// organization's rows are not found the same way, so nothing tells them
/// apart from rows that do not exist.
pub fn not_found(missing: &patchbay_store::Missing) -> ApiError {
    use patchbay_store::Missing;
    ApiError::NotFound(match missing {
        Missing::Integration => INTEGRATION_NOT_FOUND.to_owned(),
        Missing::Revision(n) => format!("Revision {n} of this custom integration not found"),
        Missing::Secret(name) => format!("Secret '{name}' not found"),
        Missing::Job => TEST_NOT_FOUND.to_owned(),
        Missing::Worker => WORKER_NOT_FOUND.to_owned(),
        Missing::Provider(name) => format!("Credential provider '{name}' not found"),
        Missing::Lease => LEASE_NOT_FOUND.to_owned(),
        Missing::Webhook => WEBHOOK_NOT_FOUND.to_owned(),
        Missing::Record(what) => format!("Not found: {what}"),
    })
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(missing) => not_found(&missing),
            StoreError::Conflict(patchbay_store::Conflict::MasterKeyChanged) => {
                tracing::error!("the vault's master key was rotated while this server ran");
                Self::Unavailable(patchbay_store::Conflict::MasterKeyChanged.to_string())
            }
            StoreError::Conflict(conflict) => Self::Conflict(conflict.to_string()),
            StoreError::RevisionMismatch { current } => Self::PreconditionFailed(format!(
                "Precondition failed: the custom integration is at revision {current} (ETag \"{current}\"), \
                 not the one given in If-Match; fetch it again and retry with If-Match: \"{current}\""
            )),
            StoreError::Unavailable { reason, source } => {
                tracing::warn!(%reason, error = %source, "the database is unavailable");
                Self::DatabaseUnavailable(reason)
            }
            other => Self::Internal(other),
        }
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        Self::Validation(errors)
    }
}

fn detail(status: StatusCode, detail: impl Into<String>) -> Response {
    (status, Json(ErrorBody { detail: detail.into() })).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized(failure) => {
                let body = json!({"detail": {
                    "error": "Unauthorized",
                    "message": failure.message(),
                    "hint": failure.hint(),
                }});
                let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            Self::BadRequest(message) => detail(StatusCode::BAD_REQUEST, message),
            Self::Forbidden(message) => detail(StatusCode::FORBIDDEN, message),
            Self::NotFound(message) => detail(StatusCode::NOT_FOUND, message),
            Self::Conflict(message) => detail(StatusCode::CONFLICT, message),
            Self::PreconditionFailed(message) => detail(StatusCode::PRECONDITION_FAILED, message),
            Self::Unavailable(message) => detail(StatusCode::SERVICE_UNAVAILABLE, message),
            Self::Validation(errors) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(ValidationErrorBody { detail: errors }))
                    .into_response()
            }
            Self::PayloadTooLarge { limit } => detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Request body is larger than the limit of {limit} bytes"),
            ),
            Self::Timeout(limit) => {
                tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
                detail(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!("Request took longer than the limit of {} ms", limit.as_millis()),
                )
            }
            Self::DatabaseUnavailable(reason) => {
                use patchbay_store::Unavailable;
                // Short for a blip or a queue; longer for a disk that an
                // operator must free first.
                let (retry_after, message) = match reason {
                    Unavailable::Unreachable => (5, "The database is unavailable: it cannot be reached"),
                    Unavailable::Busy => (2, "The database is unavailable: it is not answering in time"),
                    Unavailable::Full => (30, "The database is full: its disk has no space left for writes"),
                };
                let mut response = detail(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("{message}; retry after {retry_after} s"),
                );
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
            Self::TooManyRequests { retry_after } => {
                let mut response = detail(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("Rate limit exceeded for this token; retry after {retry_after} s"),
                );
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
            Self::Internal(error) => {
                tracing::error!(error = %error, "request failed on an internal error");
                detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
            }
        }
    }
}
