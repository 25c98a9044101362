//! `/mcp`: the MCP server (`patchbay-mcp`) on MCP's streamable HTTP
//! transport, for the caller's bearer token. Its tools call the API in
//! process as that caller, as the console's pages do, so each call is
//! authenticated, role-checked, validated and audited exactly as the API
//! call it stands for. `/mcp` is not an operation of the API: it is mounted
//! beside the route table, like the console, and the OpenAPI document
//! leaves it out.
use crate::request_id::RequestId;
use crate::state::AppState;
use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use patchbay_mcp::{Api, Reply};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// API answers a tool reads are small; this bounds a runaway one.
const RESPONSE_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Clone)]
struct Mcp {
    state: AppState,
    /// The API's routes, which the tools call in process.
    api: Router,
}

pub fn router(state: AppState) -> Router<AppState> {
    let mcp = Mcp { api: crate::routes::routes().with_state(state.clone()), state };
    Router::new().route("/mcp", any(serve)).with_state(mcp)
}

/// A request without a valid token is refused (401 with `WWW-Authenticate:
/// Bearer`) before the MCP transport reads it; with one, the transport
/// answers it and every tool call carries that token.
async fn serve(State(mcp): State<Mcp>, request: Request) -> Response {
    let headers = request.headers();
    if let Err(refused) = crate::state::authenticate(&mcp.state, headers) {
        return refused.into_response();
    }
    // The caller's credentials exactly as sent: the API reads them as it
    // reads any request's.
    let credentials = [header::AUTHORIZATION, HeaderName::from_static("userkey")]
        .into_iter()
        .filter_map(|name| headers.get(&name).map(|value| (name, value.clone())))
        .collect();
    let caller = InProcess {
        api: mcp.api.clone(),
        credentials,
        request_id: request.extensions().get::<RequestId>().cloned().unwrap_or_default(),
    };
    let service = patchbay_mcp::http_service(Arc::new(caller), crate::body::BODY_LIMIT);
    match service.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// The API in process, as one MCP request's caller: its credentials, and
/// its request id, which the audit events of the tools' calls carry.
struct InProcess {
    api: Router,
    credentials: Vec<(HeaderName, HeaderValue)>,
    request_id: RequestId,
}

#[async_trait]
impl Api for InProcess {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Reply, String> {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in &self.credentials {
            request = request.header(name, value.clone());
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&json).map_err(|error| error.to_string())?)
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).map_err(|error| format!("{path}: {error}"))?;
        request.extensions_mut().insert(self.request_id.clone());
        let response = match self.api.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), RESPONSE_LIMIT)
            .await
            .map_err(|error| format!("reading the API's answer to {path}: {error}"))?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Reply { status, body })
    }
}
