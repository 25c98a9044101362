//! The two ways an MCP client reaches the server: stdio (`patchbay mcp`,
//! launched by the client itself) and streamable HTTP (`/mcp` of
//! `patchbay serve`).
use crate::api::Api;
use crate::server::Patchbay;
use rmcp::ServiceExt;
use rmcp::service::ServerInitializeError;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService, stdio_pipes};
use std::sync::Arc;

/// Serves on stdin and stdout until the client closes stdin, which ends it
/// cleanly even before the client said hello.
pub async fn serve_stdio(api: Arc<dyn Api>) -> std::io::Result<()> {
    let running = match Patchbay::new(api).serve(stdio_pipes()).await {
        Ok(running) => running,
        Err(ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
        Err(error) => return Err(std::io::Error::other(error)),
    };
    running.waiting().await.map(drop).map_err(std::io::Error::other)
}

/// The streamable HTTP transport for requests made with one caller's
/// credentials (`api` carries them), as a tower service. Stateless: no
/// session outlives its request, so any replica answers any request and no
/// call can act with another request's token. Answers are plain JSON, so a
/// request ends when its answer is written.
pub fn http_service(
    api: Arc<dyn Api>,
    body_limit: usize,
) -> StreamableHttpService<Patchbay, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(body_limit)
        // What admits a request is its bearer token, which a page that
        // rebinds a name to this server cannot send; checking `Host` would
        // only refuse the names the server is deployed under.
        .disable_allowed_hosts();
    StreamableHttpService::new(
        move || Ok(Patchbay::new(api.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}
