//! `patchbay login`: checks the token against the server, then saves both.
use super::{block_on, call};
use crate::client_config::{self, ClientConfig};
use crate::commands::LoginArgs;
use anyhow::{Context, bail};
use patchbay_client::{Client, ListQuery};
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
    let client = Client::new(&server, Some(token.clone()));
    // One cheap authenticated read proves the server and the token.
    let probe = ListQuery { limit: Some(1), ..ListQuery::default() };
    block_on(async { call(client.list_integrations(&probe)).await })??;
    let path = client_config::save(&ClientConfig { server: Some(server.clone()), token: Some(token) })?;
    eprintln!("Logged in to {server}; saved to {}", path.display());
    Ok(())
}
