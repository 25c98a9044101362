//! Finding an integration by name when deleted ones count too: `get`,
//! `history` and `restore` reach a soft-deleted integration by the name it
//! had, since restoring one is how a deletion is undone. A live integration
//! wins over a deleted one of the same name, and the user is told which one
//! is meant whenever another shares the name.
use super::{call, find};
use patchbay_api_types::IntegrationResponse;
use patchbay_client::{Client, ListQuery};

/// The live integration `name_or_id`, else the newest deleted one of that
/// name; a note on stderr names the others that share the name.
pub async fn find_including_deleted(
    client: &Client,
    name_or_id: &str,
) -> anyhow::Result<IntegrationResponse> {
    if uuid::Uuid::parse_str(name_or_id).is_ok() {
        return find(client, name_or_id).await;
    }
    let query = |status: Option<&str>| ListQuery {
        q: Some(name_or_id.to_owned()),
        status: status.map(str::to_owned),
        ..ListQuery::default()
    };
    let live = call(client.list_integrations(&query(None))).await?.into_iter().find(|i| i.name == name_or_id);
    // Newest first, as the API lists.
    let deleted: Vec<IntegrationResponse> = call(client.list_integrations(&query(Some("deleted"))))
        .await?
        .into_iter()
        .filter(|i| i.name == name_or_id)
        .collect();
    match (live, deleted.split_first()) {
        (Some(live), _) => {
            if !deleted.is_empty() {
                eprintln!("note: {}", others(name_or_id, "live", &live, &deleted));
            }
            Ok(live)
        }
        (None, Some((newest, older))) => {
            eprintln!(
                "note: {name_or_id} is deleted (id {}); `integrations restore` brings it back",
                newest.id
            );
            if !older.is_empty() {
                eprintln!("note: {}", others(name_or_id, "newest deleted", newest, older));
            }
            Ok(newest.clone())
        }
        // Not found either way: the usual message (and its suggestions).
        (None, None) => find(client, name_or_id).await,
    }
}

fn others(name: &str, which: &str, chosen: &IntegrationResponse, others: &[IntegrationResponse]) -> String {
    let ids: Vec<String> = others.iter().map(|i| format!("{} (deleted {})", i.id, i.updated_at)).collect();
    format!(
        "this is the {which} integration named {name} (id {}); also named so: {}; pass an id to choose one",
        chosen.id,
        ids.join(", ")
    )
}
