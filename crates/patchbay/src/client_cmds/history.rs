//! `patchbay integrations history|restore|approve`: an integration's
//! revisions with what each changed, rolling back to one, and an admin's
//! approval of one for secret values.
use super::lookup::find_including_deleted;
use super::{block_on, call, find};
use crate::commands::{ApproveArgs, HistoryArgs, OutputFormat, RestoreArgs};
use crate::output::{emit, print_json, short_time};
use serde::Serialize;

/// One line of history: the revision and the fields it changed.
#[derive(Serialize)]
struct HistoryEntry {
    revision: i64,
    kind: String,
    actor: Option<String>,
    created_at: String,
    restored_from: Option<i64>,
    changed: Vec<String>,
}

pub fn history(args: HistoryArgs) -> anyhow::Result<()> {
    let client = args.common.client.connect()?;
    let entries = block_on(async {
        let integration = find_including_deleted(&client, &args.integration).await?;
        let revisions = call(client.list_revisions(&integration.id, Some(args.limit), None)).await?;
        let mut entries = Vec::with_capacity(revisions.len());
        for revision in revisions {
            let diff = call(client.diff_revision(&integration.id, revision.revision)).await?;
            entries.push(HistoryEntry {
                revision: revision.revision,
                kind: revision.kind,
                actor: revision.actor,
                created_at: revision.created_at,
                restored_from: revision.restored_from,
                changed: diff.changes.into_iter().map(|change| change.field).collect(),
            });
        }
        anyhow::Ok(entries)
    })??;
    emit(&args.common, &entries, &["REVISION", "KIND", "BY", "AT", "CHANGED"], |entries| {
        entries
            .iter()
            .map(|e| {
                let kind = match e.restored_from {
                    Some(from) => format!("{} (of {from})", e.kind),
                    None => e.kind.clone(),
                };
                vec![
                    e.revision.to_string(),
                    kind,
                    e.actor.clone().unwrap_or_default(),
                    short_time(&e.created_at),
                    e.changed.join(", "),
                ]
            })
            .collect()
    })
}

pub fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let client = args.common.client.connect()?;
    let (restored, newest) = block_on(async {
        let integration = find_including_deleted(&client, &args.integration).await?;
        let restored = call(client.restore_revision(&integration.id, args.revision)).await?;
        // The integration body carries the seed's keys only: the revision
        // the restore wrote is the newest in the history.
        let newest = call(client.list_revisions(&integration.id, Some(1), None)).await?;
        anyhow::Ok((restored, newest.first().map(|r| r.revision)))
    })??;
    if args.common.format() == OutputFormat::Json {
        return print_json(&restored);
    }
    match newest {
        Some(now) if now != args.revision => {
            eprintln!(
                "Integration {} restored to revision {}, as revision {now}",
                restored.name, args.revision
            )
        }
        _ => eprintln!(
            "Integration {} already equals revision {}: nothing changed",
            restored.name, args.revision
        ),
    }
    Ok(())
}

/// Approves the current revision (or `--revision`), printing what the
/// revision changed first: an admin approves a diff, not a number.
pub fn approve(args: ApproveArgs) -> anyhow::Result<()> {
    let client = args.common.client.connect()?;
    let (approved, diff) = block_on(async {
        let integration = find(&client, &args.integration).await?;
        let revision = match args.revision {
            Some(revision) => revision,
            None => call(client.list_revisions(&integration.id, Some(1), None))
                .await?
                .first()
                .map(|r| r.revision)
                .ok_or_else(|| anyhow::anyhow!("integration {} has no revisions", integration.name))?,
        };
        let diff = call(client.diff_revision(&integration.id, revision)).await?;
        let approved = call(client.approve_revision(&integration.id, revision)).await?;
        anyhow::Ok((approved, diff))
    })??;
    if args.common.format() == OutputFormat::Json {
        return print_json(&approved);
    }
    let name = &approved.integration.name;
    for change in &diff.changes {
        eprintln!("  {} {}: {} -> {}", change.change, change.field, change.old, change.new);
    }
    match &approved.approval {
        Some(approval) if approval.kind == "written" => {
            eprintln!("Revision {} of {name} was written by an admin: approved already", approved.revision)
        }
        Some(approval) => eprintln!(
            "Revision {} of {name} approved by {} at {}: its connection test may receive secret values",
            approved.revision,
            approval.by.as_deref().unwrap_or("an admin"),
            short_time(&approval.at)
        ),
        None => anyhow::bail!("the server did not record the approval of revision {}", approved.revision),
    }
    Ok(())
}
