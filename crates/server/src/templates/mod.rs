//! The catalogue of integration templates. Each template is
//! one JSON data file in `crates/server/templates/`, embedded in the binary.
//! To add one: write `<id>.json` there and add its line to `FILES`; the
//! tests check that it validates, resolves and keeps secrets off command
//! lines.
#[cfg(test)]
mod tests;

use patchbay_api_types::{
    FieldError, IntegrationTemplateResponse, parse_create_request, parse_secret_renames,
};
use patchbay_domain::IntegrationConfig;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// `(template_id, file text)`, in catalogue order.
const FILES: &[(&str, &str)] = &[
    ("postgres", include_str!("../../templates/postgres.json")),
    ("mysql", include_str!("../../templates/mysql.json")),
    ("mongodb", include_str!("../../templates/mongodb.json")),
    ("redis", include_str!("../../templates/redis.json")),
    ("elasticsearch", include_str!("../../templates/elasticsearch.json")),
    ("rabbitmq", include_str!("../../templates/rabbitmq.json")),
    ("kafka", include_str!("../../templates/kafka.json")),
    ("api", include_str!("../../templates/api.json")),
    ("sftp", include_str!("../../templates/sftp.json")),
    ("s3", include_str!("../../templates/s3.json")),
    ("kubernetes", include_str!("../../templates/kubernetes.json")),
    ("aws", include_str!("../../templates/aws.json")),
    ("gcp", include_str!("../../templates/gcp.json")),
    ("github", include_str!("../../templates/github.json")),
    ("snowflake", include_str!("../../templates/snowflake.json")),
    ("clickhouse", include_str!("../../templates/clickhouse.json")),
];

static CATALOGUE: LazyLock<Vec<IntegrationTemplateResponse>> = LazyLock::new(|| match load() {
    Ok(templates) => templates,
    // The files are part of the binary and `tests` loads every one of them,
    // so this cannot happen in a tested build.
    Err(error) => panic!("an embedded integration template is invalid: {error}"),
});

/// Every template, in catalogue order.
pub fn catalogue() -> &'static [IntegrationTemplateResponse] {
    &CATALOGUE
}

pub fn find(template_id: &str) -> Option<&'static IntegrationTemplateResponse> {
    catalogue().iter().find(|template| template.template_id == template_id)
}

/// Parses every file and validates its config with the API's own parser;
/// the stored config is the normalized one (every key present).
pub fn load() -> Result<Vec<IntegrationTemplateResponse>, String> {
    FILES.iter().map(|(id, text)| parse(id, text)).collect()
}

fn parse(id: &str, text: &str) -> Result<IntegrationTemplateResponse, String> {
    let mut template: IntegrationTemplateResponse =
        serde_json::from_str(text).map_err(|error| format!("{id}.json: {error}"))?;
    if template.template_id != id {
        return Err(format!("{id}.json: template_id is {:?}, not the file's name", template.template_id));
    }
    let body = serde_json::json!({
        "name": template.template_id,
        "integration_type": template.integration_type,
        "description": template.description,
        "config": template.config,
        "tags": template.tags,
    });
    let request = parse_create_request(&body).map_err(|errors| {
        let problems: Vec<String> =
            errors.iter().map(|e| format!("{}: {}", serde_json::json!(e.loc), e.msg)).collect();
        format!("{id}.json: {}", problems.join("; "))
    })?;
    template.config = serde_json::to_value(&request.config).map_err(|error| format!("{id}.json: {error}"))?;
    Ok(template)
}

/// The vault names a `from-template` body gives the template's secrets
/// (`secret_prefix`, `secret_names`): `{template's name: vault name}`.
pub fn secret_renames(
    template: &IntegrationTemplateResponse,
    body: &serde_json::Value,
) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
    // Every catalogue config parsed at load, so this cannot fail.
    let config: IntegrationConfig = serde_json::from_value(template.config.clone()).unwrap_or_default();
    let secrets = patchbay_resolve::config_secret_names(&config);
    parse_secret_renames(&template.template_id, &secrets, body)
}
