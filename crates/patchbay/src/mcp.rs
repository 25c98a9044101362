//! `patchbay mcp`: the MCP server (`patchbay-mcp`) on stdin and stdout, for
//! an agent's MCP client to launch. Its tools call a Patchbay server's API
//! over HTTP with the server and token every client command uses (flags,
//! `PATCHBAY_SERVER` / `PATCHBAY_TOKEN`, the saved login), so the server
//! checks and audits each call as any other. Stdout carries only the
//! protocol: logs go to stderr. It ends, with status 0, when stdin closes.
use crate::commands::McpArgs;
use crate::failure::{Exit, failure, root_cause};
use anyhow::Context;
use async_trait::async_trait;
use patchbay_mcp::{Api, Reply};
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;

pub fn run(args: McpArgs) -> anyhow::Result<()> {
    init_logging();
    let (server, token) = args.client.resolved()?;
    let Some(token) = token else {
        return Err(failure(
            Exit::Auth,
            "patchbay mcp needs a token: pass --token, set PATCHBAY_TOKEN, or save one with \
             `patchbay login --server URL --token TOKEN`",
        ));
    };
    let api = Http { http: reqwest::Client::new(), server, token };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let served = runtime.block_on(patchbay_mcp::serve_stdio(Arc::new(api)));
    // A read of stdin still pending must not hold the exit up.
    runtime.shutdown_background();
    served.context("serving MCP on stdin and stdout")
}

/// Warnings and errors only, unless `RUST_LOG` asks for more; never on
/// stdout, which is the protocol's.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .fmt_fields(crate::log_fields::EscapedFields)
        .init();
}

/// The API of a Patchbay server, over HTTP, with one token.
struct Http {
    http: reqwest::Client,
    server: String,
    token: String,
}

#[async_trait]
impl Api for Http {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Reply, String> {
        let mut request =
            self.http.request(method, format!("{}{path}", self.server)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |error: reqwest::Error| {
            format!("could not reach the Patchbay server at {}: {}", self.server, root_cause(&error))
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(unreachable)?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Reply { status, body })
    }
}
