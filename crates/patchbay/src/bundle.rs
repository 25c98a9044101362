//! Fetching an execution bundle for `run` and `env`, and saying plainly why
//! the server would not give one.
use crate::cli::ClientArgs;
use anyhow::{Context, anyhow, bail};
use patchbay_api_types::{BundleResponse, LocItem, ResolveRequest};
use patchbay_client::{Client, ClientError};
use patchbay_domain::FileMode;
use patchbay_runner::FileToWrite;
use serde_json::Value;

/// Resolves `names` with real values. A bundle is all or nothing: the server
/// fails closed with a 422, and a bundle that still lists problems is refused
/// here too rather than run half-configured.
pub fn fetch(args: &ClientArgs, names: &[String]) -> anyhow::Result<BundleResponse> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let client = Client::new(&args.server, args.token.clone());
    let request = ResolveRequest { names: Some(names.to_vec()), ..ResolveRequest::default() };
    let bundle = runtime.block_on(client.resolve(&request, false)).map_err(explain)?;
    if !bundle.missing.is_empty() {
        let lines: Vec<String> =
            bundle.missing.iter().map(|p| format!("  {}", problem_line(&p.loc, &p.msg))).collect();
        bail!("the bundle is incomplete:\n{}", lines.join("\n"));
    }
    Ok(bundle)
}

/// The bundle's files as the runner writes them; modes come as octal text.
pub fn files_to_write(bundle: &BundleResponse) -> anyhow::Result<Vec<FileToWrite>> {
    bundle
        .files
        .iter()
        .map(|file| {
            let mode = FileMode::parse(&file.mode).map_err(|_| {
                anyhow!("the server sent {:?} with an invalid mode {:?}", file.path, file.mode)
            })?;
            Ok(FileToWrite {
                path: file.path.clone(),
                content: file.content.clone().into_bytes(),
                mode: mode.bits(),
            })
        })
        .collect()
}

fn explain(error: ClientError) -> anyhow::Error {
    match error {
        ClientError::Unreachable { server, source } => anyhow!(
            "could not reach the Patchbay server at {server}: {}\n(is it running? set --server or PATCHBAY_SERVER)",
            root_cause(&source)
        ),
        ClientError::Api { status, body } if status.as_u16() == 422 => {
            let problems =
                body.get("detail").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            if problems.is_empty() {
                return anyhow!("the server refused the request (422): {}", detail_text(&body));
            }
            let lines: Vec<String> = problems.iter().map(|p| format!("  {}", problem_from_json(p))).collect();
            anyhow!("the server could not resolve the integrations:\n{}", lines.join("\n"))
        }
        ClientError::Api { status, body } => anyhow!("the server answered {status}: {}", detail_text(&body)),
        other => other.into(),
    }
}

/// `loc: msg`, with `loc` dotted as a path (`body.names.1`).
fn problem_line(loc: &[LocItem], msg: &str) -> String {
    let parts: Vec<String> = loc
        .iter()
        .map(|item| match item {
            LocItem::Key(key) => key.clone(),
            LocItem::Index(index) => index.to_string(),
        })
        .collect();
    if parts.is_empty() { msg.to_owned() } else { format!("{}: {msg}", parts.join(".")) }
}

fn problem_from_json(problem: &Value) -> String {
    let loc: Vec<LocItem> =
        problem.get("loc").cloned().and_then(|loc| serde_json::from_value(loc).ok()).unwrap_or_default();
    let msg = problem.get("msg").and_then(Value::as_str).map_or_else(|| problem.to_string(), str::to_owned);
    problem_line(&loc, &msg)
}

/// A `{"detail": "..."}` body's message, or the body as it came.
fn detail_text(body: &Value) -> String {
    match body.get("detail") {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => match body {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        },
    }
}

/// reqwest wraps the reason (e.g. "Connection refused") a few levels deep.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
