//! Reading what `apply` declares: YAML or JSON files, or a directory of
//! them; each file holds one integration, a list of them, or (YAML) several
//! documents. Every declaration is validated with the API's own parser, and
//! checked for keys the API would ignore, before anything is sent; every
//! problem in every file is reported.
use super::declared_keys::unknown_keys;
use crate::failure::{Exit, failure, problem_line};
use anyhow::Context;
use patchbay_api_types::{CreateIntegrationRequest, parse_create_request};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One declared integration.
pub struct Declared {
    /// `file` or `file[2]`, for messages.
    pub source: String,
    /// The body as written, sent to the by-name upsert.
    pub body: Value,
    /// The body as the server will store it, for the diff.
    pub request: CreateIntegrationRequest,
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The files named, directories expanded (their YAML and JSON files, sorted).
fn files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading the directory {}", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// A file's documents as JSON values. `-` is stdin (YAML, which JSON is too).
pub fn documents(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading stdin")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    if path.extension().is_some_and(|e| e == "json") {
        let value =
            serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))?;
        return Ok(vec![value]);
    }
    let mut values = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let value =
            Value::deserialize(document).with_context(|| format!("{} is not valid YAML", path.display()))?;
        values.push(value);
    }
    Ok(values)
}

pub fn read(paths: &[PathBuf]) -> anyhow::Result<Vec<Declared>> {
    let mut declared = Vec::new();
    let mut problems = Vec::new();
    for file in files(paths)? {
        let name = file.display().to_string();
        let items: Vec<Value> = documents(&file)?
            .into_iter()
            .flat_map(|document| match document {
                Value::Array(items) => items,
                Value::Null => Vec::new(),
                other => vec![other],
            })
            .collect();
        let several = items.len() > 1;
        for (index, body) in items.into_iter().enumerate() {
            let source = if several { format!("{name}[{index}]") } else { name.clone() };
            if !body.get("name").is_some_and(Value::is_string) {
                problems.push(format!("  {source}: name: a string naming the integration is required"));
                continue;
            }
            problems.extend(unknown_keys(&body).into_iter().map(|line| format!("  {source}: {line}")));
            match parse_create_request(&body) {
                Ok(request) => declared.push(Declared { source, body, request }),
                Err(errors) => problems.extend(errors.iter().map(|e| {
                    format!("  {source}: {}", problem_line(e.loc.get(1..).unwrap_or_default(), &e.msg))
                })),
            }
        }
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for item in &declared {
        if let Some(first) = seen.insert(&item.request.name, &item.source) {
            problems.push(format!(
                "  {}: name: {:?} is also declared in {first}",
                item.source, item.request.name
            ));
        }
    }
    if !problems.is_empty() {
        return Err(failure(
            Exit::Invalid,
            format!("the files declare invalid integrations; nothing was applied:\n{}", problems.join("\n")),
        ));
    }
    Ok(declared)
}
