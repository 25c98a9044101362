//! `patchbay templates list|show`.
use super::{block_on, call};
use crate::commands::{OutputFormat, TemplatesCommand};
use crate::output::{emit, print_json};

pub fn run(command: TemplatesCommand) -> anyhow::Result<()> {
    match command {
        TemplatesCommand::List(args) => {
            let client = args.common.client.connect()?;
            let templates = block_on(call(client.list_templates(
                args.category.as_deref(),
                args.tag.as_deref(),
                args.search.as_deref(),
            )))??;
            emit(&args.common, &templates, &["ID", "CATEGORY", "TYPE", "NAME", "TAGS"], |list| {
                list.iter()
                    .map(|t| {
                        vec![
                            t.template_id.clone(),
                            t.category.clone(),
                            t.integration_type.clone(),
                            t.name.clone(),
                            t.tags.join(","),
                        ]
                    })
                    .collect()
            })
        }
        TemplatesCommand::Show(args) => {
            let client = args.common.client.connect()?;
            let template = block_on(call(client.get_template(&args.template_id)))??;
            match args.common.format() {
                OutputFormat::Json => print_json(&template),
                OutputFormat::Table => {
                    println!("{} ({}): {}", template.template_id, template.integration_type, template.name);
                    println!("{}", template.description);
                    println!("category: {}   tags: {}", template.category, template.tags.join(", "));
                    println!("config:");
                    print!("{}", serde_yaml_ng::to_string(&template.config)?);
                    println!(
                        "\nCreate one: patchbay integrations create --from-template {} --name NAME",
                        template.template_id
                    );
                    Ok(())
                }
            }
        }
    }
}
