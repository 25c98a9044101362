//! `patchbay webhooks create|list|get|delete|deliveries`. A webhook's secret
//! is printed once, by `create`; nothing else can show it again.
use super::{block_on, call};
use crate::commands::{Common, OutputFormat, WebhooksCommand};
use crate::failure::explain_in;
use crate::output::{emit, print_json, short_time, write_stdout};
use patchbay_api_types::{CreateWebhookRequest, DeliveryResponse, LocItem, WebhookResponse};
use serde_json::Value;

pub fn run(command: WebhooksCommand) -> anyhow::Result<()> {
    match command {
        WebhooksCommand::Create(args) => {
            let client = args.common.client.connect()?;
            let request =
                CreateWebhookRequest { url: args.url, events: args.events, description: args.description };
            let created = block_on(client.create_webhook(&request))?
                .map_err(|error| explain_in(error, &|loc, msg, input| problem(loc, msg, input)))?;
            eprintln!(
                "Created webhook {}. Its secret is shown this once: give it to the receiver, which \
                 checks each delivery's X-Patchbay-Signature with it.",
                created.webhook.id
            );
            if args.common.format() == OutputFormat::Json {
                return print_json(&created);
            }
            write_stdout(format!("{}secret: {}\n", summary(&created.webhook), created.secret).as_bytes())
        }
        WebhooksCommand::List(args) => {
            let client = args.common.client.connect()?;
            let webhooks = block_on(call(client.list_webhooks()))??;
            emit(&args.common, &webhooks, &["ID", "URL", "EVENTS", "DESCRIPTION", "CREATED"], |list| {
                list.iter()
                    .map(|webhook| {
                        vec![
                            webhook.id.clone(),
                            webhook.url.clone(),
                            webhook.events.join(","),
                            webhook.description.clone().unwrap_or_default(),
                            short_time(&webhook.created_at),
                        ]
                    })
                    .collect()
            })
        }
        WebhooksCommand::Get(args) => {
            let client = args.common.client.connect()?;
            let webhook = block_on(call(client.get_webhook(&args.id)))??;
            show(&args.common, &webhook)
        }
        WebhooksCommand::Delete(args) => {
            let client = args.common.client.connect()?;
            super::confirm::confirm(
                &format!("Delete webhook {}? Its receiver gets no more events.", args.id),
                args.yes,
            )?;
            block_on(call(client.delete_webhook(&args.id)))??;
            eprintln!("Deleted webhook {}", args.id);
            Ok(())
        }
        WebhooksCommand::Deliveries(args) => {
            let client = args.common.client.connect()?;
            let deliveries = block_on(call(client.webhook_deliveries(&args.id)))??;
            let headers = ["EVENT", "TYPE", "STATE", "ATTEMPTS", "LAST ANSWER", "LAST ATTEMPT", "NEXT"];
            emit(&args.common, &deliveries, &headers, |list| list.iter().map(row).collect())
        }
    }
}

/// A 422 in the words of the command line: `--url: ...`, `--event X: ...`.
fn problem(loc: &[LocItem], msg: &str, input: &Value) -> String {
    let field = match loc.get(1) {
        Some(LocItem::Key(key)) => key.as_str(),
        _ => return msg.to_owned(),
    };
    match (field, input) {
        ("events", Value::String(event)) => format!("--event {event}: {msg}"),
        ("events", _) => format!("--event: {msg}"),
        ("url", _) => format!("--url: {msg}"),
        ("description", _) => format!("--description: {msg}"),
        _ => format!("{field}: {msg}"),
    }
}

fn summary(webhook: &WebhookResponse) -> String {
    let description =
        webhook.description.as_deref().map(|d| format!("description: {d}\n")).unwrap_or_default();
    format!(
        "{}\nurl: {}\nevents: {}\n{description}created: {}\n",
        webhook.id,
        webhook.url,
        webhook.events.join(", "),
        short_time(&webhook.created_at)
    )
}

fn show(common: &Common, webhook: &WebhookResponse) -> anyhow::Result<()> {
    if common.format() == OutputFormat::Json {
        return print_json(webhook);
    }
    write_stdout(summary(webhook).as_bytes())
}

fn row(delivery: &DeliveryResponse) -> Vec<String> {
    let answer = match (&delivery.last_status, &delivery.last_error) {
        (Some(status), _) => status.to_string(),
        (None, Some(error)) => error.clone(),
        (None, None) => String::new(),
    };
    vec![
        delivery.event_id.clone(),
        delivery.event_type.clone(),
        delivery.state.clone(),
        delivery.attempts.to_string(),
        answer,
        delivery.last_attempt_at.as_deref().map(short_time).unwrap_or_default(),
        delivery.next_attempt_at.as_deref().map(short_time).unwrap_or_default(),
    ]
}
