//! The saved login: `patchbay login` checks the token against the server,
//! then saves both; `whoami` says whose token is in use and whether the
//! server takes it; `logout` removes the saved login.
use super::identity::Identity;
use super::{block_on, call};
use crate::client_config::{self, ClientConfig};
use crate::commands::{CommonOnly, LoginArgs, OutputFormat};
use crate::failure::{Exit, failure};
use crate::output::print_json;
use anyhow::{Context, bail};
use patchbay_client::{Client, ListQuery};
use serde::Serialize;
use std::io::Read;

pub fn run(args: LoginArgs) -> anyhow::Result<()> {
    let token = match args.token {
        Some(token) => token,
        None => {
            let mut token = String::new();
            std::io::stdin().read_to_string(&mut token).context("reading the token from stdin")?;
            token.trim().to_owned()
        }
    };
    if token.is_empty() {
        bail!("no token: pass --token TOKEN or pipe it on stdin");
    }
    let server = client_config::server_url(&args.server, "--server / PATCHBAY_SERVER")?;
    // The server judges the token first: its refusal says what to do.
    accepted(&server, &token)?;
    let identity = Identity::of_token(&token)?;
    let path = client_config::save(&ClientConfig { server: Some(server.clone()), token: Some(token) })?;
    eprintln!(
        "Logged in to {server} as {} ({} of {}); the token expires {}. Saved to {}",
        identity.who(),
        identity.role,
        identity.organization,
        identity.expiry(),
        path.display()
    );
    Ok(())
}

/// One cheap authenticated read proves the server and the token.
fn accepted(server: &str, token: &str) -> anyhow::Result<()> {
    let client = Client::new(server, Some(token.to_owned()));
    let probe = ListQuery { limit: Some(1), ..ListQuery::default() };
    block_on(async { call(client.list_integrations(&probe)).await })??;
    Ok(())
}

#[derive(Serialize)]
struct WhoAmI {
    server: String,
    #[serde(flatten)]
    identity: Identity,
}

/// The identity is shown first, so a token the server refuses (expired,
/// another server's) still says whose it is; then the server is asked.
pub fn whoami(args: CommonOnly) -> anyhow::Result<()> {
    let (server, token) = args.common.client.resolved()?;
    let Some(token) = token else {
        return Err(failure(
            Exit::Auth,
            "not logged in: no token from --token, PATCHBAY_TOKEN or a saved login \
             (`patchbay login --server URL --token TOKEN`)",
        ));
    };
    let identity = Identity::of_token(&token)?;
    match args.common.format() {
        OutputFormat::Json => print_json(&WhoAmI { server: server.clone(), identity })?,
        OutputFormat::Table => {
            println!("server:       {server}");
            println!("organization: {}", identity.organization);
            println!("role:         {}", identity.role);
            println!("user:         {}", identity.user.as_deref().unwrap_or("-"));
            if let Some(email) = &identity.email {
                println!("email:        {email}");
            }
            println!("expires:      {}", identity.expiry());
        }
    }
    accepted(&server, &token)
}

pub fn logout() -> anyhow::Result<()> {
    let Some(path) = client_config::path() else {
        bail!("no config directory: set HOME, XDG_CONFIG_HOME or PATCHBAY_CONFIG")
    };
    match std::fs::remove_file(&path) {
        Ok(()) => eprintln!("Logged out: removed the saved login {}", path.display()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("Not logged in: there is no saved login at {}", path.display());
        }
        Err(error) => return Err(error).with_context(|| format!("removing {}", path.display())),
    }
    if std::env::var_os("PATCHBAY_TOKEN").is_some_and(|t| !t.is_empty()) {
        eprintln!("note: PATCHBAY_TOKEN is still set in this environment; `unset PATCHBAY_TOKEN` too");
    }
    Ok(())
}
