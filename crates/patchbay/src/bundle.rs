//! Fetching an execution bundle for `run` and `env`, and saying plainly why
//! the server would not give one.
use crate::cli::ClientArgs;
use crate::failure::{self, problem_from_json, problem_line};
use anyhow::{Context, anyhow, bail};
use patchbay_api_types::{BundleResponse, ResolveRequest};
use patchbay_client::ClientError;
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
    let client = args.connect()?;
    let request = ResolveRequest { names: Some(names.to_vec()), ..ResolveRequest::default() };
    let bundle = runtime.block_on(client.resolve(&request, false)).map_err(explain)?;
    if !bundle.missing.is_empty() {
        let lines: Vec<String> =
            bundle.missing.iter().map(|p| format!("  {}", problem_line(&p.loc, &p.msg))).collect();
        bail!("the bundle is incomplete:\n{}", lines.join("\n"));
    }
    Ok(bundle)
}

/// One file as the runner writes it; the server sends its mode as octal text.
pub fn file_to_write(path: &str, content: &str, mode: &str) -> anyhow::Result<FileToWrite> {
    let bits = FileMode::parse(mode)
        .map_err(|_| anyhow!("the server sent {path:?} with an invalid mode {mode:?}"))?
        .bits();
    Ok(FileToWrite { path: path.to_owned(), content: content.as_bytes().to_vec(), mode: bits })
}

/// The bundle's files as the runner writes them.
pub fn files_to_write(bundle: &BundleResponse) -> anyhow::Result<Vec<FileToWrite>> {
    bundle.files.iter().map(|file| file_to_write(&file.path, &file.content, &file.mode)).collect()
}

/// Resolution problems are listed as such; every other failure is
/// explained as for any client command.
fn explain(error: ClientError) -> anyhow::Error {
    match error {
        ClientError::Api { status, body } if status.as_u16() == 422 => {
            let problems =
                body.get("detail").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            if problems.is_empty() {
                return failure::explain(ClientError::Api { status, body });
            }
            let lines: Vec<String> = problems.iter().map(|p| format!("  {}", problem_from_json(p))).collect();
            failure::failure(
                failure::Exit::Invalid,
                format!("the server could not resolve the integrations:\n{}", lines.join("\n")),
            )
        }
        other => failure::explain(other),
    }
}
