//! The console calls the API in process, as the signed-in user: each call
//! goes through the same router, so roles, validation, ETags and the audit
//! log are exactly the API's.
use super::session::Session;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::ServiceExt;

/// Responses the console reads are small; this bounds a runaway one.
const RESPONSE_LIMIT: usize = 16 * 1024 * 1024;

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    /// The revision the API's `ETag` names: what an edit sends back as
    /// `If-Match`, read from the same answer as the body, so no change can
    /// slip in between reading the integration and reading its revision.
    pub etag: Option<i64>,
}

impl Reply {
    /// The body as `T` when the call succeeded; otherwise the API's message.
    pub fn into<T: DeserializeOwned>(self) -> Result<T, String> {
        if self.status.is_success() {
            serde_json::from_value(self.body).map_err(|e| format!("unexpected API response: {e}"))
        } else {
            Err(self.message())
        }
    }

    /// The API's `detail` in one line.
    pub fn message(&self) -> String {
        match self.body.get("detail") {
            Some(Value::String(detail)) => detail.clone(),
            Some(Value::Array(errors)) => errors
                .iter()
                .filter_map(|e| e.get("msg").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("; "),
            _ => format!("the API answered {}", self.status),
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

    pub async fn call(&self, method: Method, path: &str, session: &Session, body: Option<Value>) -> Reply {
        self.call_with(method, path, session, body, None).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        session: &Session,
        body: Option<Value>,
        if_match: Option<i64>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Ok(bearer) = HeaderValue::from_str(&format!("Bearer {}", session.token)) {
            request = request.header(header::AUTHORIZATION, bearer);
        }
        if let Some(revision) = if_match {
            request = request.header(header::IF_MATCH, format!("\"{revision}\""));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let Ok(mut request) = request.body(body) else {
            return Reply { status: StatusCode::BAD_REQUEST, body: Value::Null, etag: None };
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
        let bytes = axum::body::to_bytes(response.into_body(), RESPONSE_LIMIT).await.unwrap_or_default();
        Reply { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), etag }
    }
}

/// Percent-encodes one path segment or query value.
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}
