//! Fetching an execution bundle for `run` and `env`, saying plainly why
//! the server would not give one, and revoking its leases once `run` is done.
use crate::cli::ClientArgs;
use crate::client_cmds::identity::Identity;
use crate::failure::{self, problem_from_json, problem_line};
use anyhow::{Context, bail};
use patchbay_api_types::{BundleLease, BundleResponse, ResolveRequest};
use patchbay_client::ClientError;
use patchbay_domain::IntegrationConfig;
use patchbay_runner::FileToWrite;
use patchbay_worker::job::file_to_write;
use serde_json::Value;
use std::time::Duration;

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
    let bundle = match runtime.block_on(client.resolve(&request, false)) {
        Ok(bundle) => bundle,
        Err(error) => {
            let known = || runtime.block_on(crate::client_cmds::live_names(&client));
            return Err(explain(error, args, names, known));
        }
    };
    if !bundle.missing.is_empty() {
        let lines: Vec<String> =
            bundle.missing.iter().map(|p| format!("  {}", problem_line(&p.loc, &p.msg))).collect();
        bail!("the bundle is incomplete:\n{}", lines.join("\n"));
    }
    Ok(bundle)
}

/// How long one revocation may take before `run` gives up on it and exits:
/// a server that stopped answering must not hold the caller's shell.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Revokes each lease now. A lease that could not be revoked is only
/// warned about, by id: the server revokes it when it expires anyway, and
/// the run's exit code stays the command's.
pub async fn revoke_leases(args: &ClientArgs, leases: &[BundleLease]) {
    if leases.is_empty() {
        return;
    }
    let client = match args.connect() {
        Ok(client) => client,
        Err(error) => {
            for lease in leases {
                warn_unrevoked(lease, &format!("{error:#}"));
            }
            return;
        }
    };
    for lease in leases {
        match tokio::time::timeout(REVOKE_TIMEOUT, client.revoke_lease(&lease.id)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                // The first line says what went wrong; the advice after it
                // (how to start a server, how to log in) is for a command
                // that failed, not for a warning after one that ran.
                let explained = format!("{:#}", failure::explain(error));
                warn_unrevoked(lease, explained.lines().next().unwrap_or_default());
            }
            Err(_) => warn_unrevoked(lease, &format!("no answer within {}s", REVOKE_TIMEOUT.as_secs())),
        }
    }
}

fn warn_unrevoked(lease: &BundleLease, reason: &str) {
    eprintln!(
        "warning: could not revoke lease {} (user {} of {}/{}): {reason}; \
         the server revokes it when it expires at {}",
        lease.id, lease.username, lease.provider, lease.role, lease.expires_at
    );
}

/// The bundle's files as the runner writes them.
pub fn files_to_write(bundle: &BundleResponse) -> anyhow::Result<Vec<FileToWrite>> {
    bundle.files.iter().map(|file| file_to_write(&file.path, &file.content, &file.mode)).collect()
}

/// Which integrations of a bundle define a variable, for a message naming
/// them. With one integration it is that one; with several, their configs
/// (env vars and listed secrets) are read from the API once, when first
/// asked, since the bundle itself does not say.
pub struct Definers<'a> {
    args: &'a ClientArgs,
    bundle: &'a BundleResponse,
    configs: Option<Vec<(String, IntegrationConfig)>>,
}

impl<'a> Definers<'a> {
    pub fn new(args: &'a ClientArgs, bundle: &'a BundleResponse) -> Self {
        Self { args, bundle, configs: None }
    }

    /// `integration "a"`, `integrations "a", "b"`, or, when the configs
    /// could not be read, `one of the integrations "a", "b"`.
    pub fn of(&mut self, name: &str) -> String {
        let all: Vec<&str> = self.bundle.integrations.iter().map(|i| i.name.as_str()).collect();
        if all.len() == 1 {
            return listed("integration", &all);
        }
        let configs =
            self.configs.get_or_insert_with(|| read_configs(self.args, self.bundle).unwrap_or_default());
        let found: Vec<&str> = configs
            .iter()
            .filter(|(_, config)| {
                config.env_vars.keys().chain(&config.secrets).any(|defined| defined.as_str() == name)
            })
            .map(|(integration, _)| integration.as_str())
            .collect();
        match found.len() {
            0 => format!("one of {}", listed("the integrations", &all)),
            1 => listed("integration", &found),
            _ => listed("integrations", &found),
        }
    }
}

fn listed(noun: &str, names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("{name:?}")).collect();
    format!("{noun} {}", quoted.join(", "))
}

fn read_configs(
    args: &ClientArgs,
    bundle: &BundleResponse,
) -> anyhow::Result<Vec<(String, IntegrationConfig)>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let client = args.connect()?;
    runtime.block_on(async {
        let mut configs = Vec::with_capacity(bundle.integrations.len());
        for integration in &bundle.integrations {
            let read = client.get_integration(&integration.id).await?;
            configs.push((integration.name.clone(), read.config));
        }
        Ok(configs)
    })
}

/// Resolution problems are listed as such, an integration asked for by
/// its `-i` (with the closest known name when it does not exist); a refusal
/// of the token's role says which tokens can; every other failure is
/// explained as for any client command.
fn explain(
    error: ClientError,
    args: &ClientArgs,
    asked: &[String],
    known: impl FnOnce() -> Vec<String>,
) -> anyhow::Error {
    match error {
        ClientError::Api { status, body } if status.as_u16() == 422 => {
            let problems =
                body.get("detail").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            if problems.is_empty() {
                return failure::explain(ClientError::Api { status, body });
            }
            let unknown = |p: &&Value| p.get("type").and_then(Value::as_str) == Some("unknown_integration");
            let known = if problems.iter().any(|p| unknown(&p)) { known() } else { Vec::new() };
            let lines: Vec<String> = problems
                .iter()
                .map(|problem| match asked_for(problem, asked) {
                    Some(name) => {
                        let msg = problem.get("msg").and_then(Value::as_str).unwrap_or_default();
                        let hint = if unknown(&problem) {
                            crate::suggest::did_you_mean(name, known.iter().map(String::as_str))
                        } else {
                            String::new()
                        };
                        format!("  -i {name}: {msg}{hint}")
                    }
                    None => format!("  {}", problem_from_json(problem)),
                })
                .collect();
            failure::failure(
                failure::Exit::Invalid,
                format!("the server could not resolve the integrations:\n{}", lines.join("\n")),
            )
        }
        ClientError::Api { status, .. } if status.as_u16() == 403 => {
            let role = args
                .resolved()
                .ok()
                .and_then(|(_, token)| Identity::of_token(&token?).ok())
                .map(|identity| format!(" (this token's role is {})", identity.role))
                .unwrap_or_default();
            failure::failure(
                failure::Exit::Auth,
                format!(
                    "not allowed (403): `run` and `env` need secret values, which only worker and admin \
                     tokens may read{role}. Use such a token (`patchbay token mint --org ORG --role worker`)"
                ),
            )
        }
        other => failure::explain(other),
    }
}

/// The name given with `-i` that a problem at `body.names.N` is about.
fn asked_for<'a>(problem: &Value, asked: &'a [String]) -> Option<&'a str> {
    let loc = problem.get("loc")?.as_array()?;
    match loc.as_slice() {
        [body, list, index] if body == "body" && list == "names" => {
            asked.get(usize::try_from(index.as_u64()?).ok()?).map(String::as_str)
        }
        _ => None,
    }
}
