//! The client commands: each talks to the server only through
//! `patchbay-client`, one small current-thread runtime per invocation.
pub mod apply;
pub mod completions;
mod confirm;
mod declared;
mod declared_keys;
mod diff;
mod edits;
mod flag_words;
pub mod history;
pub mod identity;
pub mod integrations;
pub mod leases;
pub mod login;
mod lookup;
pub mod providers;
pub mod secrets;
pub mod templates;
pub mod test;
pub mod webhooks;

use crate::failure;
use anyhow::Context;
use patchbay_api_types::IntegrationResponse;
use patchbay_client::{Client, ClientError, ListQuery};
use std::future::Future;

/// Runs one command's async body to completion.
pub fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(future))
}

/// A client call whose failure is explained for people.
pub async fn call<T>(future: impl Future<Output = Result<T, ClientError>>) -> anyhow::Result<T> {
    future.await.map_err(failure::explain)
}

/// As `call`, with a 422's problems named by the command's flags.
pub async fn call_in<T>(
    future: impl Future<Output = Result<T, ClientError>>,
    words: &flag_words::FlagWords,
) -> anyhow::Result<T> {
    future
        .await
        .map_err(|error| failure::explain_in(error, &|loc, msg, input| words.problem(loc, msg, input)))
}

/// An integration named by its id or by its (live) name.
pub async fn find(client: &Client, name_or_id: &str) -> anyhow::Result<IntegrationResponse> {
    if uuid::Uuid::parse_str(name_or_id).is_ok() {
        return call(client.get_integration(name_or_id)).await;
    }
    let query = ListQuery { q: Some(name_or_id.to_owned()), ..ListQuery::default() };
    let found = call(client.list_integrations(&query)).await?;
    match found.into_iter().find(|i| i.name == name_or_id) {
        Some(integration) => Ok(integration),
        None => {
            let known = live_names(client).await;
            let hint = crate::suggest::did_you_mean(name_or_id, known.iter().map(String::as_str));
            Err(failure::failure(
                failure::Exit::NotFound,
                format!("no integration named {name_or_id:?}{hint}"),
            ))
        }
    }
}

/// The organization's live integrations' names, for a "did you mean";
/// empty when they cannot be read (the suggestion is a courtesy).
pub async fn live_names(client: &Client) -> Vec<String> {
    client
        .list_integrations(&ListQuery::default())
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.name)
        .collect()
}
