//! The prompt context and the per-integration metadata of a bundle: what an
//! agent is told about its integrations, which is names and prose only,
//! never a value.
use crate::IntegrationRef;
use patchbay_domain::Integration;

/// The reference's Markdown section, line for line (its lines are joined
/// with `\n`, hence the blank lines its headings carry); empty when no
/// integration is active.
pub(crate) fn context_prompt(active: &[&Integration]) -> String {
    if active.is_empty() {
        return String::new();
    }
    let mut lines = vec![
        "## Available Integrations\n".to_owned(),
        "The following integrations are configured and available for use:\n".to_owned(),
    ];
    for integration in active {
        lines.push(format!("\n### {} ({})", integration.name, integration.integration_type));
        let names = env_var_names(integration);
        if !names.is_empty() {
            lines.push(format!("- Available environment variables: {}", names.join(", ")));
        }
        // The reference tests the prompt for truthiness: an empty one is no prompt.
        if let Some(prompt) = integration.config.context_prompt.as_deref().filter(|prompt| !prompt.is_empty())
        {
            lines.push(format!("- {prompt}"));
        }
    }
    lines.join("\n")
}

/// The integration's env var names, then its listed secrets, each once.
fn env_var_names(integration: &Integration) -> Vec<&str> {
    let config = &integration.config;
    let mut names: Vec<&str> = Vec::with_capacity(config.env_vars.len() + config.secrets.len());
    for name in config.env_vars.keys().chain(&config.secrets) {
        if !names.contains(&name.as_str()) {
            names.push(name.as_str());
        }
    }
    names
}

pub(crate) fn integration_ref(integration: &Integration) -> IntegrationRef {
    IntegrationRef {
        id: integration.id,
        name: integration.name.clone(),
        integration_type: integration.integration_type.clone(),
        revision: integration.revision,
    }
}
