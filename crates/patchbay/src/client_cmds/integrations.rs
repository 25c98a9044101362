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
use patchbay_api_types::{IntegrationResponse, UpdateIntegrationRequest, parse_create_request};
use patchbay_client::ListQuery;
use patchbay_domain::{EnvVarName, IntegrationConfig, IntegrationStatus};
use serde_json::{Map, Value, json};

pub fn run(command: IntegrationsCommand) -> anyhow::Result<()> {
    match command {
        IntegrationsCommand::List(args) => list(args),
        IntegrationsCommand::Get(args) => {
            let client = args.common.client.connect()?;
            let integration = block_on(super::lookup::find_including_deleted(&client, &args.integration))??;
            show(&args.common, &integration)
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
    emit(&args.common, &integrations, &["NAME", "TYPE", "STATUS", "TAGS", "UPDATED", "ID"], |list| {
        list.iter()
            .map(|i| {
                vec![
                    i.name.clone(),
                    i.integration_type.clone(),
                    i.status.clone(),
                    i.tags.join(","),
                    short_time(&i.updated_at),
                    i.id.clone(),
                ]
            })
            .collect()
    })
}

/// One integration: JSON as the API answers it, or a readable summary.
fn show(common: &Common, integration: &IntegrationResponse) -> anyhow::Result<()> {
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
    print!("{}", serde_yaml_ng::to_string(&json!({"config": integration.config}))?);
    Ok(())
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
    show(&args.common, &integration)
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
    show(&args.common, &updated)
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
