//! The console calls the API in process, as the signed-in user: each call
//! goes through the same router, so roles, validation, ETags and the audit
//! log are exactly the API's. Bodies both ways are the `api-types` types.
use super::session::Session;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use patchbay_api_types::{ErrorBody, FieldError, ValidationErrorBody};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt;

/// Responses the console reads are small; this bounds a runaway one.
const RESPONSE_LIMIT: usize = 16 * 1024 * 1024;

pub struct Reply {
    pub status: StatusCode,
    body: Bytes,
    /// The revision the API's `ETag` names: what an edit sends back as
    /// `If-Match`, read from the same answer as the body, so no change can
    /// slip in between reading the integration and reading its revision.
    pub etag: Option<i64>,
}

/// Why the API refused a call, as its error bodies say it.
pub enum Refusal {
    /// A 422: each error at its `loc`.
    Fields(Vec<FieldError>),
    /// Any other refusal: the API's `detail`, or its status when it sent none.
    Message(String),
}

impl Reply {
    /// The body as `T` when the call succeeded; otherwise the API's message.
    pub fn into<T: DeserializeOwned>(self) -> Result<T, String> {
        if self.status.is_success() {
            serde_json::from_slice(&self.body).map_err(|e| format!("unexpected API response: {e}"))
        } else {
            Err(self.message())
        }
    }

    /// The refusal this (unsuccessful) reply carries.
    pub fn refusal(&self) -> Refusal {
        if let Ok(body) = serde_json::from_slice::<ValidationErrorBody>(&self.body) {
            return Refusal::Fields(body.detail);
        }
        match serde_json::from_slice::<ErrorBody>(&self.body) {
            Ok(body) => Refusal::Message(body.detail),
            Err(_) => Refusal::Message(format!("the API answered {}", self.status)),
        }
    }

    /// The API's `detail` in one line.
    pub fn message(&self) -> String {
        match self.refusal() {
            Refusal::Message(message) => message,
            Refusal::Fields(errors) => errors.iter().map(|e| e.msg.as_str()).collect::<Vec<_>>().join("; "),
        }
    }
}

#[derive(Clone)]
pub struct Api {
    router: Router,
}

impl Api {
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    /// A `GET`.
    pub async fn get(&self, path: &str, session: &Session) -> Reply {
        self.request(Method::GET, path, session, None, None).await
    }

    /// A call without a body; `if_match` names the revision it expects.
    pub async fn call(&self, method: Method, path: &str, session: &Session, if_match: Option<i64>) -> Reply {
        self.request(method, path, session, None, if_match).await
    }

    /// A call with a JSON body; `if_match` names the revision it expects.
    pub async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        session: &Session,
        body: &B,
        if_match: Option<i64>,
    ) -> Reply {
        match serde_json::to_vec(body) {
            Ok(json) => self.request(method, path, session, Some(json), if_match).await,
            Err(error) => Reply {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                body: Bytes::from(
                    serde_json::to_vec(&ErrorBody { detail: error.to_string() }).unwrap_or_default(),
                ),
                etag: None,
            },
        }
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        session: &Session,
        json: Option<Vec<u8>>,
        if_match: Option<i64>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Ok(bearer) = HeaderValue::from_str(&format!("Bearer {}", session.token)) {
            request = request.header(header::AUTHORIZATION, bearer);
        }
        if let Some(revision) = if_match {
            request = request.header(header::IF_MATCH, format!("\"{revision}\""));
        }
        let body = match json {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json)
            }
            None => Body::empty(),
        };
        let Ok(mut request) = request.body(body) else {
            return Reply { status: StatusCode::BAD_REQUEST, body: Bytes::new(), etag: None };
        };
        // The browser request's id (set by the outer request-id layer), so
        // the audit events an API call records lead back to the page.
        request.extensions_mut().insert(crate::request_id::RequestId(session.request_id.clone()));
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .and_then(|tag| tag.trim_matches('"').parse().ok());
        let body = axum::body::to_bytes(response.into_body(), RESPONSE_LIMIT).await.unwrap_or_default();
        Reply { status, body, etag }
    }
}

/// Percent-encodes one path segment or query value.
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}
