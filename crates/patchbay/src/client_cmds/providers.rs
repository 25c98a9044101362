//! `patchbay providers list|get|set|delete`. A provider's body names the
//! vault secret holding its admin connection, never the connection itself,
//! so nothing here reads or prints a password.
use super::flag_words::FlagWords;
use super::{block_on, call, call_in};
use crate::commands::{Common, OutputFormat, ProviderSetArgs, ProvidersCommand};
use crate::failure::{Exit, detail_text, explain, failure};
use crate::output::{emit, print_json, short_time};
use patchbay_api_types::ProviderResponse;
use patchbay_client::ClientError;
use serde_json::{Value, json};

pub fn run(command: ProvidersCommand) -> anyhow::Result<()> {
    match command {
        ProvidersCommand::List(args) => {
            let client = args.common.client.connect()?;
            let providers = block_on(call(client.list_providers()))??;
            emit(
                &args.common,
                &providers,
                &["NAME", "KIND", "CONNECTION", "TTL", "ROLES", "UPDATED"],
                |list| {
                    list.iter()
                        .map(|p| {
                            vec![
                                p.name.clone(),
                                p.kind.to_string(),
                                p.connection_secret.clone(),
                                ttls(p),
                                p.roles.keys().cloned().collect::<Vec<_>>().join(","),
                                short_time(&p.updated_at),
                            ]
                        })
                        .collect()
                },
            )
        }
        ProvidersCommand::Get(args) => {
            let client = args.common.client.connect()?;
            let provider = block_on(call(client.get_provider(&args.name)))??;
            show(&args.common, &provider)
        }
        ProvidersCommand::Set(args) => set(args),
        ProvidersCommand::Delete(args) => {
            let client = args.common.client.connect()?;
            super::confirm::confirm(
                &format!(
                    "Delete credential provider {}? Integrations that lease from it will fail to resolve.",
                    args.name
                ),
                args.yes,
            )?;
            match block_on(client.delete_provider(&args.name))? {
                Err(ClientError::Api { status, body }) if status.as_u16() == 409 => {
                    return Err(failure(
                        Exit::Conflict,
                        format!(
                            "{}\n`patchbay leases list --provider {name}` shows them; \
                             `patchbay leases revoke ID` revokes one",
                            detail_text(&body),
                            name = args.name
                        ),
                    ));
                }
                deleted => deleted.map_err(explain)?,
            }
            eprintln!("Deleted credential provider {}", args.name);
            Ok(())
        }
    }
}

/// `default/max` lifetimes of its leases, in seconds.
fn ttls(provider: &ProviderResponse) -> String {
    format!("{}s/{}s", provider.default_ttl_seconds, provider.max_ttl_seconds)
}

/// One provider: JSON as the API answers it, or a summary and its roles.
fn show(common: &Common, provider: &ProviderResponse) -> anyhow::Result<()> {
    if common.format() == OutputFormat::Json {
        return print_json(provider);
    }
    println!("{} ({})", provider.name, provider.kind);
    println!(
        "connection secret: {}   lease TTL: {}s (max {}s)   updated: {}",
        provider.connection_secret,
        provider.default_ttl_seconds,
        provider.max_ttl_seconds,
        short_time(&provider.updated_at)
    );
    print!("{}", serde_yaml_ng::to_string(&json!({"roles": provider.roles}))?);
    Ok(())
}

/// The body is the file's one object, sent as written: the server parses
/// it (and checks each role's statements against the kind), and its
/// problems come back named by their path in the file.
fn set(args: ProviderSetArgs) -> anyhow::Result<()> {
    let mut documents = super::declared::documents(&args.file)?;
    let body = match (documents.len(), documents.pop()) {
        (1, Some(body @ Value::Object(_))) => body,
        _ => {
            return Err(failure(
                Exit::Invalid,
                format!("{}: expected one credential provider (an object)", args.file.display()),
            ));
        }
    };
    let client = args.common.client.connect()?;
    let words = FlagWords::create(Some(&args.file));
    let (created, provider) = block_on(call_in(client.put_provider(&args.name, &body), &words))??;
    let verb = if created { "Created" } else { "Replaced" };
    eprintln!("{verb} credential provider {}", provider.name);
    show(&args.common, &provider)
}
