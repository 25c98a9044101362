//! `patchbay integrations list|get|create|update|delete|export` (history and
//! restore are in `history.rs`).
use super::flag_words::FlagWords;
use super::{block_on, call, call_in, find};
use crate::commands::{
    Common, CreateArgs, ExportArgs, ExportFormat, FieldArgs, IntegrationsCommand, ListArgs, OutputFormat,
    UpdateArgs,
};
use crate::failure::{Exit, failure, listed};
use crate::output::{emit, print_json, short_time};
use patchbay_api_types::{
    HealthResponse, IntegrationResponse, UpdateIntegrationRequest, parse_create_request,
};
use patchbay_client::ListQuery;
use patchbay_domain::{EnvVarName, IntegrationConfig, IntegrationStatus};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

pub fn run(command: IntegrationsCommand) -> anyhow::Result<()> {
    match command {
        IntegrationsCommand::List(args) => list(args),
        IntegrationsCommand::Get(args) => {
            let client = args.common.client.connect()?;
            let integration = block_on(super::lookup::find_including_deleted(&client, &args.integration))??;
            // JSON is the API's integration as it is; health is for people.
            let health = match args.common.format() {
                OutputFormat::Table => Some(block_on(call(client.get_health(&integration.id)))??),
                OutputFormat::Json => None,
            };
            show(&args.common, &integration, health.as_ref())
        }
        IntegrationsCommand::Create(args) => create(args),
        IntegrationsCommand::Update(args) => update(args),
        IntegrationsCommand::Delete(args) => {
            let client = args.common.client.connect()?;
            block_on(async {
                let integration = find(&client, &args.integration).await?;
                if args.hard {
                    super::confirm::confirm(
                        &format!(
                            "Remove integration {} for good, with its history? It cannot be restored.",
                            integration.name
                        ),
                        args.yes,
                    )?;
                }
                call(client.delete_integration(&integration.id, args.hard)).await
            })??;
            let how = if args.hard { "removed for good" } else { "deleted (status `deleted`)" };
            eprintln!("Integration {} {how}", args.integration);
            Ok(())
        }
        IntegrationsCommand::Export(args) => export(args),
        IntegrationsCommand::History(args) => super::history::history(args),
        IntegrationsCommand::Restore(args) => super::history::restore(args),
        IntegrationsCommand::Approve(args) => super::history::approve(args),
        IntegrationsCommand::Test(args) => super::test::run(args),
    }
}

fn list(args: ListArgs) -> anyhow::Result<()> {
    let client = args.common.client.connect()?;
    let query = ListQuery {
        integration_type: args.integration_type,
        status: args.status,
        tags: args.tags,
        q: args.search,
        ..ListQuery::default()
    };
    let integrations = block_on(call(client.list_integrations(&query)))??;
    // JSON keeps the API's objects unchanged (scripts read that shape); the
    // table adds each one's health, from one call for the whole list.
    let health: HashMap<String, String> = match args.common.format() {
        OutputFormat::Table => block_on(call(client.list_health()))??
            .into_iter()
            .map(|summary| (summary.integration_id, summary.state))
            .collect(),
        OutputFormat::Json => HashMap::new(),
    };
    let headers = ["NAME", "TYPE", "STATUS", "HEALTH", "TAGS", "UPDATED", "ID"];
    emit(&args.common, &integrations, &headers, |list| {
        list.iter()
            .map(|i| {
                vec![
                    i.name.clone(),
                    i.integration_type.clone(),
                    i.status.clone(),
                    health.get(&i.id).map_or("unknown", String::as_str).to_owned(),
                    i.tags.join(","),
                    short_time(&i.updated_at),
                    i.id.clone(),
                ]
            })
            .collect()
    })
}

/// One integration: JSON as the API answers it, or a readable summary (with
/// its health when given).
fn show(
    common: &Common,
    integration: &IntegrationResponse,
    health: Option<&HealthResponse>,
) -> anyhow::Result<()> {
    if common.format() == OutputFormat::Json {
        return print_json(integration);
    }
    println!("{} ({}, {})", integration.name, integration.integration_type, integration.status);
    if let Some(description) = &integration.description {
        println!("{description}");
    }
    println!(
        "id: {}   tags: {}   updated: {}",
        integration.id,
        integration.tags.join(", "),
        short_time(&integration.updated_at)
    );
    if let Some(health) = health {
        print!("{}", health_lines(health));
    }
    print!("{}", serde_yaml_ng::to_string(&json!({"config": integration.config}))?);
    Ok(())
}

/// The health of `get`: state since when, and the test result that set it.
fn health_lines(health: &HealthResponse) -> String {
    let mut text = format!("health: {}", health.state);
    if let Some(since) = &health.since {
        text.push_str(&format!(" since {}", short_time(since)));
    }
    match health.consecutive_failures {
        0 => {}
        1 => text.push_str(" (1 consecutive failure)"),
        n => text.push_str(&format!(" ({n} consecutive failures)")),
    }
    if health.since.is_none() {
        text.push_str(" (no test result yet)");
    }
    text.push('\n');
    if let Some(test) = &health.last_test {
        let code = test.exit_code.map(|c| format!(", exit code {c}")).unwrap_or_default();
        let at = test.finished_at.as_deref().unwrap_or(&test.created_at);
        text.push_str(&format!(
            "last test: {}{code} at {} (revision {}, job {})\n",
            test.status,
            short_time(at),
            test.revision,
            test.job_id
        ));
    }
    text
}

/// `--env KEY=VALUE` pairs; the server checks the names.
fn env_pairs(fields: &FieldArgs) -> anyhow::Result<Map<String, Value>> {
    pairs("--env", "KEY=VALUE", &fields.env)
}

/// `KEY=VALUE` items of the repeatable option `flag`, as a JSON object.
fn pairs(flag: &str, shape: &str, items: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut pairs = Map::new();
    for item in items {
        let (key, value) = super::edits::split(flag, item, shape)?;
        pairs.insert(key.to_owned(), Value::String(value.to_owned()));
    }
    Ok(pairs)
}

/// A 422 found before sending, in the words of the flags.
fn invalid(errors: &[patchbay_api_types::FieldError], words: &FlagWords) -> anyhow::Error {
    let problems = errors.iter().map(|e| words.problem(&e.loc, &e.msg, &e.input)).collect();
    failure(Exit::Invalid, listed("the request is invalid", problems))
}

fn create(args: CreateArgs) -> anyhow::Result<()> {
    let client = args.common.client.connect()?;
    let fields = &args.fields;
    let env = env_pairs(fields)?;
    let integration = if let Some(template) = &args.template {
        let Some(name) = &args.name else {
            return Err(failure(Exit::Invalid, "--name is required with --from-template"));
        };
        let mut body = json!({ "name": name });
        if !env.is_empty() {
            body["env_vars"] = Value::Object(env);
        }
        if !fields.secrets.is_empty() {
            body["secrets"] = json!(fields.secrets);
        }
        if !fields.tags.is_empty() {
            body["tags"] = json!(fields.tags);
        }
        if let Some(description) = &fields.description {
            body["description"] = json!(description);
        }
        if let Some(prompt) = &fields.context_prompt {
            body["context_prompt"] = json!(prompt);
        }
        if let Some(prefix) = &args.secret_prefix {
            body["secret_prefix"] = json!(prefix);
        }
        if !args.secret_names.is_empty() {
            body["secret_names"] = Value::Object(pairs("--secret-name", "OLD=NEW", &args.secret_names)?);
        }
        if fields.clear_tags {
            body["tags"] = json!([]);
        }
        if fields.edits.touches_config() {
            // The edits start from the template's config; the parts they
            // touch are sent whole as overrides.
            let found = block_on(call(client.get_template(template)))??;
            let mut config: IntegrationConfig = serde_json::from_value(found.config)?;
            fields.edits.apply(&mut config)?;
            body["files"] = json!(config.files);
            body["connection_test"] = json!(config.connection_test);
            if fields.edits.clear_secrets {
                body["secrets"] = json!([]);
            }
        }
        block_on(call_in(client.create_from_template(template, &body), &FlagWords::create(None)))??
    } else {
        let mut body = match &args.file {
            Some(path) => match super::declared::documents(path)?.into_iter().next() {
                Some(Value::Object(body)) => body,
                _ => {
                    return Err(failure(
                        Exit::Invalid,
                        format!("{}: expected one integration (an object)", path.display()),
                    ));
                }
            },
            None => {
                let mut body = Map::new();
                body.insert("config".into(), json!({}));
                body
            }
        };
        if let Some(name) = &args.name {
            body.insert("name".into(), json!(name));
        }
        if let Some(kind) = &args.integration_type {
            body.insert("integration_type".into(), json!(kind));
        }
        if let Some(description) = &fields.description {
            body.insert("description".into(), json!(description));
        }
        if !fields.tags.is_empty() {
            body.insert("tags".into(), json!(fields.tags));
        }
        if let Some(Value::Object(config)) = body.get_mut("config") {
            if !env.is_empty() {
                let vars = config.entry("env_vars").or_insert_with(|| json!({}));
                if let Value::Object(vars) = vars {
                    vars.extend(env);
                }
            }
            if !fields.secrets.is_empty() {
                config.insert("secrets".into(), json!(fields.secrets));
            }
            if let Some(prompt) = &fields.context_prompt {
                config.insert("context_prompt".into(), json!(prompt));
            }
        }
        let words = FlagWords::create(args.file.as_deref());
        let mut request =
            parse_create_request(&Value::Object(body)).map_err(|errors| invalid(&errors, &words))?;
        fields.edits.apply(&mut request.config)?;
        if fields.clear_tags {
            request.tags.clear();
        }
        block_on(call_in(client.create_integration(&request), &words))??
    };
    eprintln!("Created integration {} ({})", integration.name, integration.id);
    show(&args.common, &integration, None)
}

fn update(args: UpdateArgs) -> anyhow::Result<()> {
    let client = args.common.client.connect()?;
    let fields = &args.fields;
    let status = match args.status.as_deref() {
        None => None,
        Some(raw) => Some(IntegrationStatus::parse(raw).ok_or_else(|| {
            failure(Exit::Invalid, format!("--status {raw:?}: expected active, inactive or deleted"))
        })?),
    };
    let env = env_pairs(fields)?;
    let updated = block_on(async {
        let current = find(&client, &args.integration).await?;
        let touches_config = !env.is_empty()
            || !fields.secrets.is_empty()
            || !args.unset.is_empty()
            || fields.context_prompt.is_some()
            || fields.edits.touches_config();
        let config = if touches_config {
            let mut config = current.config.clone();
            for (key, value) in env {
                let name = EnvVarName::parse(&key)
                    .map_err(|error| failure(Exit::Invalid, format!("--env {key}: {error}")))?;
                config.env_vars.insert(name, value.as_str().unwrap_or_default().to_owned());
            }
            for key in &args.unset {
                config.env_vars.retain(|name, _| name.as_str() != key);
            }
            if !fields.secrets.is_empty() {
                config.secrets = fields
                    .secrets
                    .iter()
                    .map(|s| {
                        EnvVarName::parse(s)
                            .map_err(|error| failure(Exit::Invalid, format!("--secret {s}: {error}")))
                    })
                    .collect::<anyhow::Result<_>>()?;
            }
            if let Some(prompt) = &fields.context_prompt {
                config.context_prompt = Some(prompt.clone());
            }
            fields.edits.apply(&mut config)?;
            Some(config)
        } else {
            None
        };
        let patch = UpdateIntegrationRequest {
            name: args.rename.clone(),
            integration_type: args.integration_type.clone(),
            description: fields.description.clone(),
            config,
            status,
            tags: (!fields.tags.is_empty() || fields.clear_tags).then(|| fields.tags.clone()),
        };
        call_in(client.update_integration(&current.id, &patch), &FlagWords::update()).await
    })??;
    eprintln!("Updated integration {}", updated.name);
    show(&args.common, &updated, None)
}

/// What `apply` reads: name, type, description, tags and config of each
/// live integration, sorted by name so the file diffs well.
fn export(args: ExportArgs) -> anyhow::Result<()> {
    let client = args.client.connect()?;
    let query = ListQuery { tags: args.tags, ..ListQuery::default() };
    let mut integrations = block_on(call(client.list_integrations(&query)))??;
    integrations.sort_by(|a, b| a.name.cmp(&b.name));
    let documents: Vec<Value> = integrations
        .into_iter()
        .map(|i| {
            let mut document = Map::new();
            document.insert("name".into(), json!(i.name));
            document.insert("integration_type".into(), json!(i.integration_type));
            if let Some(description) = i.description {
                document.insert("description".into(), json!(description));
            }
            document.insert("tags".into(), json!(i.tags));
            document.insert("config".into(), json!(i.config));
            Value::Object(document)
        })
        .collect();
    match args.format {
        ExportFormat::Yaml => print!("{}", serde_yaml_ng::to_string(&documents)?),
        ExportFormat::Json => print_json(&documents)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(value: Value) -> HealthResponse {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn health_says_state_since_failures_and_the_last_test() {
        let unknown = health(json!({"integration_id": "i", "state": "unknown", "since": null,
                                    "last_test": null, "consecutive_failures": 0}));
        assert_eq!(health_lines(&unknown), "health: unknown (no test result yet)\n");
        let failing = health(json!({"integration_id": "i", "state": "failing",
            "since": "2026-11-28T10:00:00.123+00:00", "consecutive_failures": 2,
            "last_test": {"job_id": "j", "integration_id": "i", "integration_name": "db", "status": "failed",
                "exit_code": 3, "duration_ms": 4, "output": "", "started_at": null,
                "finished_at": "2026-11-28T10:05:00+00:00", "revision": 2, "worker_id": null, "attempts": 1,
                "created_at": "2026-11-28T10:04:59+00:00", "created_by": null}}));
        assert_eq!(
            health_lines(&failing),
            "health: failing since 2026-11-28 10:00:00 (2 consecutive failures)\n\
             last test: failed, exit code 3 at 2026-11-28 10:05:00 (revision 2, job j)\n"
        );
    }
}
