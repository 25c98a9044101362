//! `patchbay apply -f FILE_OR_DIR [--dry-run] [--prune]`: make the server
//! match the declared integrations, upserting each by name. Unchanged
//! integrations are not written at all; `--prune` soft-deletes the live
//! integrations the files do not declare (never without the flag).
use super::declared::{self, Declared};
use super::diff::changed_fields;
use super::{block_on, call};
use crate::commands::{ApplyArgs, OutputFormat};
use crate::failure::{Exit, failure};
use crate::output::{print_json, table};
use patchbay_api_types::IntegrationResponse;
use patchbay_client::{Client, ListQuery};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    Created,
    Changed,
    Unchanged,
    Deleted,
}

#[derive(Serialize)]
struct Step {
    name: String,
    action: Action,
    /// The fields that differ (only for `changed`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<&'static str>,
    /// The file that declares it (none for a pruned integration).
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip)]
    id: Option<String>,
}

#[derive(Serialize)]
struct Report {
    dry_run: bool,
    steps: Vec<Step>,
}

pub fn run(args: ApplyArgs) -> anyhow::Result<()> {
    let declared = declared::read(&args.file)?;
    let client = args.common.client.connect()?;
    let prune = args.prune.then_some(Prune { force: args.force, files: &args.file });
    let report = block_on(apply(&client, declared, args.dry_run, prune))??;
    match args.common.format() {
        OutputFormat::Json => print_json(&report),
        OutputFormat::Table => {
            print!("{}", render(&report));
            Ok(())
        }
    }
}

/// `--prune`, and whether `--force` lifts its guard.
struct Prune<'a> {
    force: bool,
    files: &'a [std::path::PathBuf],
}

/// Why a prune looks like a mistake (a wrong path, an empty directory, a
/// file of another team): nothing declared, or more than half of the
/// organization's integrations would go.
fn prune_looks_wrong(prune: &Prune, declared: usize, live: usize, steps: &[Step]) -> Option<String> {
    let doomed: Vec<&str> =
        steps.iter().filter(|s| s.action == Action::Deleted).map(|s| s.name.as_str()).collect();
    let files = prune.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ");
    if declared == 0 {
        return Some(format!(
            "no declarations found in {files}: --prune would delete all {live} integration(s) of the organization"
        ));
    }
    (doomed.len() * 2 > live).then(|| {
        format!(
            "--prune would delete {} of the organization's {live} integrations (more than half): {}",
            doomed.len(),
            doomed.join(", ")
        )
    })
}

async fn apply(
    client: &Client,
    declared: Vec<Declared>,
    dry_run: bool,
    prune: Option<Prune<'_>>,
) -> anyhow::Result<Report> {
    let live: BTreeMap<String, IntegrationResponse> = call(client.list_integrations(&ListQuery::default()))
        .await?
        .into_iter()
        .map(|integration| (integration.name.clone(), integration))
        .collect();
    let mut steps = plan(&live, &declared, prune.is_some());
    let refusal =
        prune.filter(|p| !p.force).and_then(|p| prune_looks_wrong(&p, declared.len(), live.len(), &steps));
    if let Some(why) = refusal {
        if !dry_run {
            return Err(failure(
                Exit::Usage,
                format!("{why}; nothing was applied. Check the files, or pass --force to prune anyway"),
            ));
        }
        eprintln!("warning: {why}: without --force, apply will refuse");
    }
    if !dry_run {
        for (step, item) in steps.iter_mut().zip(declared.iter().map(Some).chain(std::iter::repeat(None))) {
            match (step.action, item) {
                (Action::Created | Action::Changed, Some(item)) => {
                    call(client.upsert_integration_by_name(&step.name, &item.body)).await?;
                }
                (Action::Deleted, _) => {
                    let id = step.id.as_deref().unwrap_or_default();
                    call(client.delete_integration(id, false)).await?;
                }
                _ => {}
            }
        }
    }
    Ok(Report { dry_run, steps })
}

/// One step per declaration, in file order, then the prunes by name.
fn plan(live: &BTreeMap<String, IntegrationResponse>, declared: &[Declared], prune: bool) -> Vec<Step> {
    let mut steps: Vec<Step> = declared
        .iter()
        .map(|item| {
            let name = item.request.name.clone();
            let (action, fields) = match live.get(&name) {
                None => (Action::Created, Vec::new()),
                Some(current) => {
                    let fields = changed_fields(current, &item.request);
                    (if fields.is_empty() { Action::Unchanged } else { Action::Changed }, fields)
                }
            };
            Step { name, action, fields, source: Some(item.source.clone()), id: None }
        })
        .collect();
    if prune {
        let wanted: BTreeSet<&str> = declared.iter().map(|item| item.request.name.as_str()).collect();
        for (name, integration) in live.iter().filter(|(name, _)| !wanted.contains(name.as_str())) {
            steps.push(Step {
                name: name.clone(),
                action: Action::Deleted,
                fields: Vec::new(),
                source: None,
                id: Some(integration.id.clone()),
            });
        }
    }
    steps
}

fn render(report: &Report) -> String {
    let verb = |action: Action| match (action, report.dry_run) {
        (Action::Created, false) => "created",
        (Action::Created, true) => "would create",
        (Action::Changed, false) => "changed",
        (Action::Changed, true) => "would change",
        (Action::Unchanged, _) => "unchanged",
        (Action::Deleted, false) => "deleted",
        (Action::Deleted, true) => "would delete",
    };
    let rows: Vec<Vec<String>> = report
        .steps
        .iter()
        .map(|step| vec![step.name.clone(), verb(step.action).to_owned(), step.fields.join(", ")])
        .collect();
    let mut text = if rows.is_empty() { String::new() } else { table(&["NAME", "ACTION", "FIELDS"], &rows) };
    let count = |action| report.steps.iter().filter(|s| s.action == action).count();
    let (created, changed, unchanged, deleted) =
        (count(Action::Created), count(Action::Changed), count(Action::Unchanged), count(Action::Deleted));
    if created + changed + deleted == 0 {
        text.push_str(&format!("No changes: {unchanged} integration(s) already match.\n"));
    } else {
        let summary =
            format!("{created} created, {changed} changed, {unchanged} unchanged, {deleted} deleted");
        if report.dry_run {
            text.push_str(&format!("Dry run, nothing was written: {summary}.\n"));
        } else {
            text.push_str(&format!("Applied: {summary}.\n"));
        }
    }
    text
}
